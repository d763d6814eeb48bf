package io.stunet.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.nifti.NiftiReader;
import io.stunet.testing.RawFiles;
import io.stunet.testing.ReferenceBatch;
import io.stunet.testing.TestData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
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
    static Path dir;

    private static final Map<String, Case> CASES = new LinkedHashMap<>();

    record Case(Path file, double[] target, NormalizationSpec norm) {
    }

    /** Builds the generated inputs and runs every reference case in one Python process. */
    @BeforeAll
    static void runReference() {
        Path random = dir.resolve("random.nii.gz");
        Path small = dir.resolve("small.nii.gz");
        Path pil = dir.resolve("pil.nii.gz");
        ReferenceBatch batch = new ReferenceBatch(dir);
        batch.add("make-volume", "--shape-xyz", "37,23,29", "--spacing-xyz", "0.9,1.7,2.3", "--seed", "11",
                "--output", random.toString());
        batch.add("make-volume", "--shape-xyz", "9,7,5", "--spacing-xyz", "2,2,3", "--seed", "12",
                "--output", small.toString());
        batch.add("make-volume", "--source", TestData.nifti("example_ct_sm.nii.gz").toString(), "--ornt", "PIL",
                "--output", pil.toString());
        CASES.put("ct", new Case(TestData.nifti("example_ct_sm.nii.gz"), new double[] {1.5, 1.5, 1.5},
                NormalizationSpec.nonCt(false)));
        CASES.put("ctnorm", new Case(TestData.nifti("example_ct_sm.nii.gz"), new double[] {2.0, 1.5, 1.2},
                NormalizationSpec.ct(80.5, 120.25, -900, 1200, false)));
        CASES.put("mr", new Case(TestData.nifti("example_mr_sm.nii.gz"), new double[] {1.5, 1.5, 1.5},
                NormalizationSpec.nonCt(true)));
        CASES.put("amos", new Case(TestData.nifti("amos_0001_label.nii.gz"), new double[] {1.5, 1.5, 1.5},
                NormalizationSpec.nonCt(false)));
        CASES.put("random", new Case(random, new double[] {1.3, 1.1, 1.0}, NormalizationSpec.nonCt(false)));
        CASES.put("small", new Case(small, new double[] {1.5, 1.5, 1.5}, NormalizationSpec.nonCt(true)));
        CASES.put("pil", new Case(pil, new double[] {1.5, 1.5, 1.5}, NormalizationSpec.nonCt(false)));
        for (Map.Entry<String, Case> e : CASES.entrySet()) {
            Case c = e.getValue();
            List<String> args = new ArrayList<>(List.of("preprocess", c.file().toString(), "--spacing",
                    RawFiles.csv(c.target()), "--norm", c.norm().scheme(), "--out-dir", dir.resolve(e.getKey()).toString(),
                    "--dump-input"));
            if (c.norm().isCt()) {
                args.addAll(List.of("--ct-mean", Double.toString(c.norm().mean()), "--ct-sd",
                        Double.toString(c.norm().sd()), "--ct-lower", Double.toString(c.norm().lowerBound()),
                        "--ct-upper", Double.toString(c.norm().upperBound())));
            }
            if (c.norm().useMaskForNorm()) {
                args.add("--mask-for-norm");
            }
            batch.add(args.toArray(new String[0]));
        }
        batch.run();
    }

    @Test
    void ctExampleFrom3mmTo1p5mmMatchesReference() throws IOException {
        compare("ct");
    }

    @Test
    void ctNormalizationMatchesReference() throws IOException {
        compare("ctnorm");
    }

    @Test
    void mrExampleWithMaskedNormalizationMatchesReference() throws IOException {
        compare("mr");
    }

    @Test
    void anisotropicAmosLabelTakesSeparateZPathLikeReference() throws IOException {
        assertTrue(compare("amos").separateZ(), "AMOS at 0.57x0.57x5 mm must resample with separate z");
    }

    @Test
    void randomNonCubicVolumeMatchesReference() throws IOException {
        compare("random");
    }

    @Test
    void volumeSmallerThanAPatchMatchesReference() throws IOException {
        compare("small");
    }

    @Test
    void nonRasInputMatchesReference() throws IOException {
        compare("pil");
    }

    PreprocessingProperties compare(String key) throws IOException {
        Case k = CASES.get(key);
        Path file = k.file();
        double[] target = k.target();
        NormalizationSpec norm = k.norm();
        Path out = dir.resolve(key);
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
        return props;
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
