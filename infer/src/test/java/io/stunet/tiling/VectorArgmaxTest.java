package io.stunet.tiling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.stunet.simd.Simd;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VectorArgmaxTest {
    /**
     * Whole groups get argmax(sum / weight) with the first class winning ties, as the scalar loop
     * does; sums are small integers so that ties (also after the division) are common.
     */
    @Test
    void labelsOfWholeGroupsEqualTheScalarDefinitionTiesIncluded() {
        assumeTrue(Simd.available(), "the Vector API is not in this JVM");
        SplittableRandom r = new SplittableRandom(3);
        for (int classes : new int[] {1, 2, 9, 105}) {
            for (int n : new int[] {7, 8, 13, 64, 67}) {
                float[] sums = new float[classes * n];
                for (int i = 0; i < sums.length; i++) {
                    sums[i] = r.nextInt(4);
                }
                float[] weights = new float[n];
                for (int x = 0; x < n; x++) {
                    weights[x] = 0.5f + r.nextInt(3);
                }
                int[] labels = new int[n];
                int done = VectorArgmax.labels(sums, weights, n, classes, new float[n + 8], labels);
                assertEquals(n - n % 8, done);
                for (int x = 0; x < done; x++) {
                    int best = 0;
                    float bestValue = sums[CellLayout.index(n, classes, x, 0)] / weights[x];
                    for (int c = 1; c < classes; c++) {
                        float v = sums[CellLayout.index(n, classes, x, c)] / weights[x];
                        if (v > bestValue) {
                            bestValue = v;
                            best = c;
                        }
                    }
                    assertEquals(best, labels[x], "classes=" + classes + " n=" + n + " x=" + x);
                }
            }
        }
    }
}
