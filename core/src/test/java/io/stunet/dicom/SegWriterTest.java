package io.stunet.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SEG written from TotalSegmentator's real multilabel mask of the bundled CT, on a series
 * generated from that CT (single-frame instances, or enhanced multi-frame ones whose frames
 * the SEG references by number): dciodvfy finds no error, pydicom reads it, and its frames placed
 * by their own plane positions (in Python, without our code) rebuild exactly the mask.
 */
class SegWriterTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"--ts=implicit", "--enhanced=perframe --instances=2"})
    void segPassesDciodvfyAndRebuildsTheMask(String source) throws Exception {
        Path dir = tmp.resolve("series");
        List<String> options = new ArrayList<>(List.of(source.split(" ")));
        options.add("--shuffle");
        DicomReference.makeSeries(dir, options.toArray(String[]::new));
        DicomSeries series = DicomSeries.assemble(DicomSeries.scan(dir).values().iterator().next());
        Path maskFile = TestData.nifti("example_seg.nii.gz");
        Volume mask = NiftiReader.read(maskFile);
        Volume onGrid = Volume.wrap(mask.header().withAffine(series.info().affine()), mask.data());

        TreeSet<Integer> labels = new TreeSet<>();
        for (int i = 0; i < onGrid.frameSize(); i++) {
            labels.add((int) onGrid.rawValue(i));
        }
        labels.remove(0);
        List<SegWriter.SegmentClass> classes = new ArrayList<>();
        ObjectNode names = DicomReference.JSON.createObjectNode();
        for (int label : labels) {
            String name = "class " + label;
            names.put(Integer.toString(label), name);
            classes.add(label == labels.first()
                    ? new SegWriter.SegmentClass(label, name, new SegWriter.Code("123037004", "SCT", "Anatomical Structure"),
                            new SegWriter.Code("78961009", "SCT", "Spleen"))
                    : new SegWriter.SegmentClass(label, name));
        }
        Path labelsJson = tmp.resolve("labels.json");
        Files.writeString(labelsJson, names.toString());
        Path seg = tmp.resolve("seg.dcm");
        SegWriter.write(seg, onGrid, series.info(), classes, "STU-Net test", "9.8.7");

        JsonNode check = DicomReference.call("check-seg", seg.toString(), dir.toString(), maskFile.toString(),
                labelsJson.toString());
        System.out.println("event=seg_dciodvfy warnings=" + check.get("dciodvfy_warnings"));
        assertEquals(0, check.get("dciodvfy_errors").size(), "dciodvfy errors: " + check.get("dciodvfy_errors"));
        assertEquals("[\"Segmentation\"]", check.get("dciodvfy_iod").toString(), "dciodvfy did not check it as a SEG");
        assertEquals(labels.size(), check.get("segments").asInt());
        assertEquals(0, check.get("off_grid_frames").asInt());
        assertEquals(0, check.get("reference_errors").asInt());
        assertEquals(0, check.get("mismatched_voxels").asInt(), "SEG frames do not rebuild the mask");
        assertEquals(SegWriter.SOP_CLASS, check.get("sop_class").asText());
        assertEquals("SEG", check.get("modality").asText());
        assertEquals("9.8.7", check.get("software_versions").asText());
        assertEquals("GEN0001", check.get("patient_id").asText());
        assertEquals(series.info().studyInstanceUid(), check.get("study_uid").asText());

        DicomFile back = DicomReader.read(seg);
        assertEquals(TransferSyntax.EXPLICIT_LE, back.transferSyntax());
        assertEquals(check.get("frames").asInt(), back.dataset().getInt(Tag.NumberOfFrames, -1));
        assertEquals(check.get("frames").asInt(), back.dataset().getSequence(Tag.PerFrameFunctionalGroupsSequence).size());
    }

    @Test
    void emptyOrMisplacedMasksAreRefused() {
        Path dir = tmp.resolve("series");
        DicomReference.makeSeries(dir);
        SeriesInfo info = DicomSeries.assemble(DicomSeries.scan(dir).values().iterator().next()).info();
        Volume empty = Volume.allocate(NiftiHeader.forGrid(info.columns(), info.rows(), info.slices(), info.affine(),
                DataType.UINT8));
        StunetException e = assertThrows(StunetException.class,
                () -> SegWriter.build(empty, info, List.of(), "a", "1"));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code());
        Volume wrongShape = Volume.allocate(NiftiHeader.forGrid(info.columns(), info.rows(), info.slices() - 1,
                info.affine(), DataType.UINT8));
        StunetException s = assertThrows(StunetException.class,
                () -> SegWriter.build(wrongShape, info, List.of(), "a", "1"));
        assertEquals(ErrorCode.INVALID_REQUEST, s.code());
        Volume shifted = Volume.allocate(NiftiHeader.forGrid(info.columns(), info.rows(), info.slices(),
                io.stunet.geometry.Affine.identity(), DataType.UINT8));
        StunetException g = assertThrows(StunetException.class,
                () -> SegWriter.build(shifted, info, List.of(), "a", "1"));
        assertEquals(ErrorCode.INVALID_GEOMETRY, g.code());
        assertTrue(Uids.random().matches("2\\.25\\.[1-9][0-9]{0,38}"));
    }
}
