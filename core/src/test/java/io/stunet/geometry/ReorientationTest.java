package io.stunet.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiReference;
import io.stunet.testing.TestData;
import io.stunet.volume.Volume;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closest-canonical reorientation agrees with nibabel and its inverse is exact. */
class ReorientationTest {
    @TempDir
    Path tmp;

    @Test
    void obliquePermutedFileMatchesAsClosestCanonical() {
        Path file = tmp.resolve("oblique.nii.gz");
        JsonNode made = NiftiReference.call("oblique", file.toString());
        JsonNode ref = NiftiReference.call("inspect", file.toString());
        Volume v = NiftiReader.read(file);
        assertEquals(made.get("axcodes").asText(), v.affine().axcodes());
        Reorientation r = Reorientation.toClosestCanonical(v.affine(), v.nx(), v.ny(), v.nz());
        assertFalse(r.isIdentity());
        assertArrayEquals(NiftiReference.ints(ref.get("canonical_shape")), r.outputShapeXyz());
        assertTrue(NiftiReference.affine(ref.get("canonical_affine")).maxAbsDiff(r.outputAffine()) < 1e-9);
        assertEquals("RAS", r.outputAffine().axcodes());
        float[] expected = NiftiReference.float32(file, tmp, true);
        assertArrayEquals(expected, r.apply(v.toFloat32(0)));
    }

    @Test
    void inverseRestoresLabelsExactlyForEveryPermutationAndFlip() {
        int[] shape = {5, 4, 3};
        Random rnd = new Random(3);
        int n = 60;
        byte[] bytes = new byte[n];
        short[] shorts = new short[n];
        float[] floats = new float[n];
        for (int i = 0; i < n; i++) {
            bytes[i] = (byte) rnd.nextInt();
            shorts[i] = (short) rnd.nextInt();
            floats[i] = rnd.nextFloat();
        }
        int[][] perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (int[] p : perms) {
            for (int f = 0; f < 8; f++) {
                int[] flips = {(f & 1) == 0 ? 1 : -1, (f & 2) == 0 ? 1 : -1, (f & 4) == 0 ? 1 : -1};
                double[] m = new double[16];
                for (int i = 0; i < 3; i++) {
                    m[4 * p[i] + i] = flips[i] * (i + 1.5);
                }
                m[15] = 1;
                Reorientation r = Reorientation.toClosestCanonical(Affine.of(m), shape[0], shape[1], shape[2]);
                assertArrayEquals(p, r.spec().axes());
                assertArrayEquals(flips, r.spec().flips());
                assertEquals("RAS", r.outputAffine().axcodes());
                assertArrayEquals(bytes, r.invert(r.apply(bytes)));
                assertArrayEquals(shorts, r.invert(r.apply(shorts)));
                assertArrayEquals(floats, r.invert(r.apply(floats)));
                Reorientation restored = Reorientation.fromSpec(r.spec());
                assertEquals(r.outputAffine(), restored.outputAffine());
                assertArrayEquals(r.apply(floats), restored.apply(floats));
                // A voxel keeps its world position: input (i,j,k) maps to the same point as its output index.
                double[] world = r.inputAffine().apply(1, 2, 0);
                int[] out = new int[3];
                int[] in = {1, 2, 0};
                for (int i = 0; i < 3; i++) {
                    out[p[i]] = flips[i] > 0 ? in[i] : shape[i] - 1 - in[i];
                }
                assertArrayEquals(world, r.outputAffine().apply(out[0], out[1], out[2]), 1e-12);
            }
        }
    }

    @Test
    void specSurvivesJson() throws Exception {
        Volume v = NiftiReader.read(TestData.nifti("example_mr_sm.nii.gz"));
        Reorientation r = Reorientation.toClosestCanonical(v.affine(), v.nx(), v.ny(), v.nz());
        String json = NiftiReference.JSON.writeValueAsString(r.spec());
        Reorientation.Spec back = NiftiReference.JSON.readValue(json, Reorientation.Spec.class);
        assertEquals(r.spec(), back);
        assertEquals(r.outputAffine(), Reorientation.fromSpec(back).outputAffine());
    }
}
