package io.stunet.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.nifti.NiftiReader;
import io.stunet.testing.Python;
import io.stunet.testing.RawFiles;
import io.stunet.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Preprocessor} against {@code tools/stunet/reference_preprocess.py preprocess}
 * (nnU-Net v1's crop_to_nonzero, resample_patient and normalization on numpy/scipy/skimage).
 * The reference also dumps the volume as it loaded and reoriented it: the Java steps are first
 * run on those same voxels (isolating crop, resampling and normalization, and comparing the
 * values before normalization), then the whole path from the NIfTI file through
 * {@link Preprocessor#run(io.stunet.volume.Volume)} (reading and reorientation included).
 */
class PreprocessorParityTest {
    static final String REF = "tools.stunet.reference_preprocess";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void ctExampleFrom3mmTo1p5mmMatchesReference() throws IOException {
        compare(TestData.nifti("example_ct_sm.nii.gz"), new double[] {1.5, 1.5, 1.5}, NormalizationSpec.nonCt(false));
    }

    @Test
    void ctNormalizationMatchesReference() throws IOException {
        compare(TestData.nifti("example_ct_sm.nii.gz"), new double[] {2.0, 1.5, 1.2},
                NormalizationSpec.ct(80.5, 120.25, -900, 1200, false));
    }

    @Test
    void mrExampleWithMaskedNormalizationMatchesReference() throws IOException {
        compare(TestData.nifti("example_mr_sm.nii.gz"), new double[] {1.5, 1.5, 1.5}, NormalizationSpec.nonCt(true));
    }

    @Test
    void anisotropicAmosLabelTakesSeparateZPathLikeReference() throws IOException {
        Result r = compare(TestData.nifti("amos_0001_label.nii.gz"), new double[] {1.5, 1.5, 1.5},
                NormalizationSpec.nonCt(false));
        assertTrue(r.props.separateZ(), "AMOS at 0.57x0.57x5 mm must resample with separate z");
    }

    @Test
    void randomNonCubicVolumeMatchesReference() throws IOException {
        Path file = dir.resolve("random.nii.gz");
        Python.module(REF, "make-volume", "--shape-xyz", "37,23,29", "--spacing-xyz", "0.9,1.7,2.3",
                "--seed", "11", "--output", file.toString());
        compare(file, new double[] {1.3, 1.1, 1.0}, NormalizationSpec.nonCt(false));
    }

    @Test
    void volumeSmallerThanAPatchMatchesReference() throws IOException {
        Path file = dir.resolve("small.nii.gz");
        Python.module(REF, "make-volume", "--shape-xyz", "9,7,5", "--spacing-xyz", "2,2,3",
                "--seed", "12", "--output", file.toString());
        compare(file, new double[] {1.5, 1.5, 1.5}, NormalizationSpec.nonCt(true));
    }

    @Test
    void nonRasInputMatchesReference() throws IOException {
        Path file = dir.resolve("pil.nii.gz");
        Python.module(REF, "make-volume", "--source", TestData.nifti("example_ct_sm.nii.gz").toString(),
                "--ornt", "PIL", "--output", file.toString());
        compare(file, new double[] {1.5, 1.5, 1.5}, NormalizationSpec.nonCt(false));
    }

    record Result(PreprocessingProperties props) {
    }

    Result compare(Path file, double[] target, NormalizationSpec norm) throws IOException {
        Path out = dir.resolve("ref-" + file.getFileName());
        List<String> args = new ArrayList<>(List.of("preprocess", file.toString(), "--spacing", RawFiles.csv(target),
                "--norm", norm.scheme(), "--out-dir", out.toString(), "--dump-input"));
        if (norm.isCt()) {
            args.addAll(List.of("--ct-mean", Double.toString(norm.mean()), "--ct-sd", Double.toString(norm.sd()),
                    "--ct-lower", Double.toString(norm.lowerBound()), "--ct-upper", Double.toString(norm.upperBound())));
        }
        if (norm.useMaskForNorm()) {
            args.add("--mask-for-norm");
        }
        Python.module(REF, args.toArray(new String[0]));
        JsonNode ref = JSON.readTree(out.resolve("props.json").toFile());
        int[] shape = ints(ref.get("shapeBeforeCrop"));
        double[] spacing = doubles(ref.get("spacing"));
        float[] input = RawFiles.readFloats(out.resolve("input.f32"));

        Preprocessor p = new Preprocessor(PreprocessingParameters.of(target, norm));
        Preprocessor.Resampled r = p.resample(new float[][] {input}, shape, spacing, null, null, "RAS");
        PreprocessingProperties props = r.properties();
        assertArrayEquals(ints(ref.get("shapeAfterCrop")), props.shapeAfterCrop(), "shape after crop");
        for (int a = 0; a < 3; a++) {
            assertArrayEquals(ints(ref.get("cropBbox").get(a)), props.cropBbox()[a], "crop bbox axis " + a);
        }
        assertArrayEquals(ints(ref.get("resampledShape")), props.resampledShape(), "resampled shape");
        assertEquals(ref.get("separateZ").asBoolean(), props.separateZ(), "separate z");
        assertEquals(ref.get("lowResAxis").asInt(), props.lowResAxis(), "low-resolution axis");
        assertMaxDiff(RawFiles.readFloats(out.resolve("resampled.f32")), r.channels()[0], 0.01, "resampled");
        PreprocessedCase c = p.normalize(r);
        float[] refData = RawFiles.readFloats(out.resolve("data.f32"));
        assertMaxDiff(refData, c.data(), 1e-3, "normalized");

        PreprocessedCase fromFile = p.run(NiftiReader.read(file));
        PreprocessingProperties fp = fromFile.properties();
        assertArrayEquals(shape, fp.shapeBeforeCrop(), "file path: shape before crop");
        assertArrayEquals(spacing, fp.spacing(), 1e-6, "file path: spacing");
        assertEquals(Arrays.deepToString(props.cropBbox()), Arrays.deepToString(fp.cropBbox()), "file path: bbox");
        assertArrayEquals(props.resampledShape(), fp.resampledShape(), "file path: resampled shape");
        assertMaxDiff(refData, fromFile.data(), 1e-3, "file path: normalized");
        return new Result(props);
    }

    static void assertMaxDiff(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + " voxel count");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs((double) expected[i] - actual[i]));
        }
        assertTrue(worst <= tol, what + ": max abs difference " + worst + " > " + tol);
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
