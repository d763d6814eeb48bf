package io.stunet.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.geometry.Reorientation;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.testing.Python;
import io.stunet.testing.RawFiles;
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
    static final String REF = "tools.stunet.reference_preprocess";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Path refDir;
    static PreprocessingProperties props;
    static short[] netLabels;

    @BeforeAll
    static void preprocessSegmentationAsData() throws IOException {
        refDir = dir.resolve("ref");
        Python.module(REF, "preprocess", TestData.nifti("example_seg.nii.gz").toString(), "--spacing", "1.5,1.5,1.5",
                "--out-dir", refDir.toString());
        props = propsFromReference(JSON.readTree(refDir.resolve("props.json").toFile()),
                TestData.nifti("example_seg.nii.gz"));
        netLabels = rounded(RawFiles.readFloats(refDir.resolve("resampled.f32")));
    }

    @Test
    void nearestExportEqualsReferenceVoxelForVoxel() {
        Path file = TestData.nifti("example_seg.nii.gz");
        LabelMask mask = MaskExporter.export(netLabels, props, ExportMode.NEAREST);
        assertArrayEquals(reference(file, netLabels, refDir, "nearest"), mask.labels());
        assertArrayEquals(reversed(NiftiReader.readHeader(file).shape()), mask.shape());
    }

    @Test
    void linearExportEqualsReferenceVoxelForVoxel() {
        short[] actual = MaskExporter.export(netLabels, props, ExportMode.LINEAR).labels();
        assertArrayEquals(reference(TestData.nifti("example_seg.nii.gz"), netLabels, refDir, "linear"), actual);
        assertTrue(labelled(actual) > 1000, "the exported mask must contain labels");
    }

    @Test
    void separateZLinearExportOfNonRasInputEqualsReference() throws IOException {
        Path file = TestData.nifti("amos_0001_label.nii.gz");
        Path amosDir = dir.resolve("amos");
        Python.module(REF, "preprocess", file.toString(), "--spacing", "1.5,1.5,1.5", "--out-dir", amosDir.toString());
        PreprocessingProperties amos = propsFromReference(JSON.readTree(amosDir.resolve("props.json").toFile()), file);
        assertTrue(amos.separateZ(), "AMOS must take the separate-z path");
        short[] net = rounded(RawFiles.readFloats(amosDir.resolve("resampled.f32")));
        short[] actual = MaskExporter.export(net, amos, ExportMode.LINEAR).labels();
        assertArrayEquals(reference(file, net, amosDir, "linear"), actual);
        assertTrue(labelled(actual) > 1000, "the exported mask must contain labels");
    }

    private static short[] reference(Path file, short[] net, Path propsDir, String mode) {
        Path labels = dir.resolve("net.u16");
        Path out = dir.resolve("export-" + mode + ".u16");
        RawFiles.writeShorts(labels, net);
        Python.module(REF, "export", file.toString(), "--labels", labels.toString(),
                "--props", propsDir.resolve("props.json").toString(), "--mode", mode, "--output", out.toString());
        return RawFiles.readShorts(out);
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
