package io.stunet.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.geometry.Reorientation;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.testing.RawFiles;
import io.stunet.testing.ReferenceBatch;
import io.stunet.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MaskExporter} against the reference's {@code export} (nnU-Net v1's
 * save_segmentation_nifti resampling and uncropping on skimage/scipy). The network-space label
 * maps are real label maps (TotalSegmentator's segmentation of example_ct_sm; the AMOS label,
 * LAS and anisotropic) preprocessed by the reference as data (crop, resample to 1.5 mm) and
 * rounded, so they have the label layout of a prediction.
 */
class ExportParityTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static PreprocessingProperties segProps;
    static PreprocessingProperties amosProps;
    static short[] segNet;
    static short[] amosNet;

    /**
     * Phase 1 preprocesses both label maps as data in the reference; phase 2 exports the
     * rounded network-space maps with the reference, each phase in one Python process.
     */
    @BeforeAll
    static void runReference() throws IOException {
        Path seg = TestData.nifti("example_seg.nii.gz");
        Path amos = TestData.nifti("amos_0001_label.nii.gz");
        ReferenceBatch batch = new ReferenceBatch(dir);
        batch.add("preprocess", seg.toString(), "--spacing", "1.5,1.5,1.5", "--out-dir", dir.resolve("seg").toString());
        batch.add("preprocess", amos.toString(), "--spacing", "1.5,1.5,1.5", "--out-dir", dir.resolve("amos").toString());
        batch.run();
        segProps = propsFromReference(JSON.readTree(dir.resolve("seg/props.json").toFile()), seg);
        amosProps = propsFromReference(JSON.readTree(dir.resolve("amos/props.json").toFile()), amos);
        segNet = rounded(RawFiles.readFloats(dir.resolve("seg/resampled.f32")));
        amosNet = rounded(RawFiles.readFloats(dir.resolve("amos/resampled.f32")));
        RawFiles.writeShorts(dir.resolve("seg/net.u16"), segNet);
        RawFiles.writeShorts(dir.resolve("amos/net.u16"), amosNet);
        export(batch, seg, "seg", "nearest");
        export(batch, seg, "seg", "linear");
        export(batch, amos, "amos", "linear");
        batch.run();
    }

    @Test
    void nearestExportEqualsReferenceVoxelForVoxel() {
        LabelMask mask = MaskExporter.export(segNet, segProps, ExportMode.NEAREST);
        assertArrayEquals(reference("seg", "nearest"), mask.labels());
        assertArrayEquals(reversed(NiftiReader.readHeader(TestData.nifti("example_seg.nii.gz")).shape()), mask.shape());
    }

    @Test
    void linearExportEqualsReferenceVoxelForVoxel() {
        short[] actual = MaskExporter.export(segNet, segProps, ExportMode.LINEAR).labels();
        assertArrayEquals(reference("seg", "linear"), actual);
        assertTrue(labelled(actual) > 1000, "the exported mask must contain labels");
    }

    @Test
    void separateZLinearExportOfNonRasInputEqualsReference() {
        assertTrue(amosProps.separateZ(), "AMOS must take the separate-z path");
        short[] actual = MaskExporter.export(amosNet, amosProps, ExportMode.LINEAR).labels();
        assertArrayEquals(reference("amos", "linear"), actual);
        assertTrue(labelled(actual) > 1000, "the exported mask must contain labels");
    }

    private static void export(ReferenceBatch batch, Path file, String key, String mode) {
        batch.add("export", file.toString(), "--labels", dir.resolve(key + "/net.u16").toString(),
                "--props", dir.resolve(key + "/props.json").toString(), "--mode", mode,
                "--output", dir.resolve(key + "/export-" + mode + ".u16").toString());
    }

    private static short[] reference(String key, String mode) {
        return RawFiles.readShorts(dir.resolve(key + "/export-" + mode + ".u16"));
    }

    static short[] rounded(float[] resampled) {
        short[] labels = new short[resampled.length];
        for (int i = 0; i < resampled.length; i++) {
            labels[i] = (short) Math.max(0, Math.round(resampled[i]));
        }
        return labels;
    }

    static int labelled(short[] labels) {
        int n = 0;
        for (short s : labels) {
            n += s != 0 ? 1 : 0;
        }
        return n;
    }

    static int[] reversed(int[] xyz) {
        return new int[] {xyz[2], xyz[1], xyz[0]};
    }

    /**
     * The reference's props.json as our record (same fields, reference names), with the
     * reorientation nibabel applied to {@code file} as Java computes it.
     */
    static PreprocessingProperties propsFromReference(JsonNode ref, Path file) {
        NiftiHeader h = NiftiReader.readHeader(file);
        Reorientation.Spec spec = Reorientation.toClosestCanonical(h.affine(), h.nx(), h.ny(), h.nz()).spec();
        int[][] bbox = new int[3][];
        for (int a = 0; a < 3; a++) {
            bbox[a] = ints(ref.get("cropBbox").get(a));
        }
        return new PreprocessingProperties(PreprocessingProperties.SCHEMA_VERSION, spec, h.spacing(), "RAS",
                ints(ref.get("transposeForward")), ints(ref.get("shapeBeforeCrop")), bbox,
                ints(ref.get("shapeAfterCrop")), doubles(ref.get("spacing")), doubles(ref.get("targetSpacing")),
                ints(ref.get("resampledShape")), ref.get("separateZ").asBoolean(), ref.get("lowResAxis").asInt(),
                ref.get("channels").asInt());
    }

    static int[] ints(JsonNode n) {
        int[] v = new int[n.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = n.get(i).asInt();
        }
        return v;
    }

    static double[] doubles(JsonNode n) {
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = n.get(i).asDouble();
        }
        return v;
    }
}
