package io.stunet.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.stunet.geometry.Affine;
import io.stunet.geometry.Reorientation;
import io.stunet.testing.TestData;
import io.stunet.volume.Volume;
import io.stunet.volume.VolumeStatistics;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every bundled sample file reads exactly as nibabel reads it, geometry and voxels. */
class SampleFilesTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"amos_0001_label.nii.gz", "anatomical.nii", "example4d.nii.gz", "example_ct_sm.nii.gz",
        "example_mr_sm.nii.gz", "example_nifti2.nii.gz", "example_seg.nii.gz", "standard.nii.gz"})
    void headerGeometryAndStatisticsMatchNibabel(String name) {
        Path file = TestData.nifti(name);
        JsonNode ref = NiftiReference.call("inspect", file.toString());
        Volume v = NiftiReader.read(file);
        NiftiHeader h = v.header();

        assertEquals(ref.get("format").asText(), h.format().label());
        assertArrayEquals(NiftiReference.ints(ref.get("shape")), v.shape());
        assertEquals(ref.get("datatype").asText(), v.dataType().numpyName());
        assertArrayEquals(NiftiReference.doubles(ref.get("spacing")), v.spacing(), 1e-12);
        assertAffineEquals(NiftiReference.affine(ref.get("affine")), v.affine(), 1e-9);
        assertEquals(ref.get("axcodes").asText(), v.affine().axcodes());
        assertEquals(ref.get("qform_code").asInt(), h.qformCode());
        assertEquals(ref.get("sform_code").asInt(), h.sformCode());

        VolumeStatistics s = VolumeStatistics.of(v);
        assertEquals(ref.get("min").asDouble(), s.min());
        assertEquals(ref.get("max").asDouble(), s.max());
        assertEquals(ref.get("sum").asDouble(), s.sum(), Math.abs(ref.get("sum").asDouble()) * 1e-12);
        assertEquals(ref.get("mean").asDouble(), s.mean(), Math.abs(ref.get("mean").asDouble()) * 1e-12);

        Reorientation r = Reorientation.toClosestCanonical(v.affine(), v.nx(), v.ny(), v.nz());
        int[] canonical = NiftiReference.ints(ref.get("canonical_shape"));
        int[] ours = v.shape();
        System.arraycopy(r.outputShapeXyz(), 0, ours, 0, 3);
        assertArrayEquals(canonical, ours);
        assertAffineEquals(NiftiReference.affine(ref.get("canonical_affine")), r.outputAffine(), 1e-9);
    }

    @ParameterizedTest
    @ValueSource(strings = {"anatomical.nii", "example4d.nii.gz", "example_ct_sm.nii.gz", "example_mr_sm.nii.gz",
        "example_nifti2.nii.gz", "standard.nii.gz"})
    void float32VoxelsAndCanonicalVoxelsMatchNibabel(String name) {
        Path file = TestData.nifti(name);
        Volume v = NiftiReader.read(file);
        float[] expected = NiftiReference.float32(file, tmp, false);
        float[] expectedCanonical = NiftiReference.float32(file, tmp, true);
        Reorientation r = Reorientation.toClosestCanonical(v.affine(), v.nx(), v.ny(), v.nz());
        int n = v.frameSize();
        assertEquals(expected.length, n * v.nt());
        for (int t = 0; t < v.nt(); t++) {
            float[] frame = v.toFloat32(t);
            float[] canon = r.apply(frame);
            for (int i = 0; i < n; i++) {
                if (Float.floatToIntBits(expected[t * n + i]) != Float.floatToIntBits(frame[i])) {
                    throw new AssertionError("voxel " + (t * n + i) + ": " + expected[t * n + i] + " != " + frame[i]);
                }
                if (Float.floatToIntBits(expectedCanonical[t * n + i]) != Float.floatToIntBits(canon[i])) {
                    throw new AssertionError("canonical voxel " + (t * n + i));
                }
            }
            assertArrayEquals(frame, r.invert(canon));
        }
    }

    static void assertAffineEquals(Affine expected, Affine actual, double tol) {
        if (expected.maxAbsDiff(actual) > tol) {
            throw new AssertionError("affine differs:\nexpected " + expected + "\nactual   " + actual);
        }
    }
}
