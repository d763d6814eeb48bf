package io.stunet.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.geometry.PreprocessingProperties;
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
 * map is TotalSegmentator's real segmentation of example_ct_sm, preprocessed by the reference
 * (crop, resample to 1.5 mm) and rounded, so it has the real label layout of a prediction.
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
        props = propsFromReference(JSON.readTree(refDir.resolve("props.json").toFile()), "RAS");
        float[] resampled = RawFiles.readFloats(refDir.resolve("resampled.f32"));
        netLabels = new short[resampled.length];
        for (int i = 0; i < resampled.length; i++) {
            netLabels[i] = (short) Math.max(0, Math.round(resampled[i]));
        }
    }

    @Test
    void nearestExportEqualsReferenceVoxelForVoxel() {
        assertArrayEquals(reference("nearest"), MaskExporter.toPreCropGrid(netLabels, props, ExportMode.NEAREST));
    }

    @Test
    void linearExportEqualsReferenceVoxelForVoxel() {
        short[] expected = reference("linear");
        short[] actual = MaskExporter.toPreCropGrid(netLabels, props, ExportMode.LINEAR);
        assertArrayEquals(expected, actual);
        int labelled = 0;
        for (short s : actual) {
            labelled += s != 0 ? 1 : 0;
        }
        assertTrue(labelled > 1000, "the exported mask must contain labels");
    }

    private short[] reference(String mode) {
        Path labels = dir.resolve("net.u16");
        Path out = dir.resolve("export-" + mode + ".u16");
        RawFiles.writeShorts(labels, netLabels);
        Python.module(REF, "export", TestData.nifti("example_seg.nii.gz").toString(), "--labels", labels.toString(),
                "--props", refDir.resolve("props.json").toString(), "--mode", mode, "--output", out.toString());
        return RawFiles.readShorts(out);
    }

    /** The reference's props.json as our record (same fields, reference names). */
    static PreprocessingProperties propsFromReference(JsonNode ref, String orientation) {
        int[][] bbox = new int[3][];
        for (int a = 0; a < 3; a++) {
            bbox[a] = ints(ref.get("cropBbox").get(a));
        }
        return new PreprocessingProperties(PreprocessingProperties.SCHEMA_VERSION, null, null, null, orientation,
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
