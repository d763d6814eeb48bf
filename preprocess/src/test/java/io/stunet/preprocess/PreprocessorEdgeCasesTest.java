package io.stunet.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import org.junit.jupiter.api.Test;

/** Inputs nnU-Net does not define: an all-zero volume and unusable spacing. */
class PreprocessorEdgeCasesTest {
    @Test
    void allZeroVolumeKeepsTheWholeVolumeAndNormalizesToZero() {
        int[] shape = {4, 5, 6};
        double[] spacing = {2, 2, 2};
        double[] target = {1, 1, 1};
        NonzeroCrop crop = NonzeroCrop.of(new float[][] {new float[120]}, shape);
        for (int a = 0; a < 3; a++) {
            assertArrayEquals(new int[] {0, shape[a]}, crop.bbox()[a]);
        }
        Preprocessor p = new Preprocessor(PreprocessingParameters.of(target, NormalizationSpec.nonCt(true)));
        PreprocessedCase c = p.run(new float[][] {new float[120]}, shape, spacing);
        assertArrayEquals(ResamplingRules.targetShape(shape, spacing, target), c.shape());
        for (float v : c.data()) {
            assertEquals(0f, v);
        }
    }

    @Test
    void nonPositiveSpacingIsAnInvalidGeometry() {
        Preprocessor p = new Preprocessor(PreprocessingParameters.of(new double[] {1, 1, 1}, NormalizationSpec.nonCt(false)));
        float[] data = new float[8];
        data[3] = 1;
        StunetException e = assertThrows(StunetException.class,
                () -> p.run(new float[][] {data}, new int[] {2, 2, 2}, new double[] {1, 0, 1}));
        assertEquals(ErrorCode.INVALID_GEOMETRY, e.code());
    }
}
