package io.stunet.tiling;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SlabAccumulator}'s argmax with the Vector API, one whole group of a cell ({@link
 * CellLayout}) per vector: per class {@code v = sum / weight} and the lanes where {@code v} is greater than the
 * best so far take {@code v} and the class, which is the scalar loop's arithmetic and its
 * first-class-wins rule lane by lane. Loaded only when {@code jdk.incubator.vector} is present.
 */
final class VectorArgmax {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = CellLayout.GROUP;

    private VectorArgmax() {
    }

    /**
     * Labels of voxels {@code [0, n - n % 8)} of a cell of {@code n} voxels into {@code labels};
     * returns how many voxels it did (the caller does the rest).
     */
    static int labels(float[] sums, float[] weights, int n, int classes, float[] scratch, int[] labels) {
        int bound = n - n % L;
        for (int x = 0; x < bound; x += L) {
            FloatVector w = FloatVector.fromArray(S, weights, x);
            int at = CellLayout.index(n, classes, x, 0);
            FloatVector best = FloatVector.fromArray(S, sums, at).div(w);
            FloatVector label = FloatVector.zero(S);
            for (int c = 1; c < classes; c++) {
                FloatVector v = FloatVector.fromArray(S, sums, at + c * L).div(w);
                VectorMask<Float> greater = v.compare(VectorOperators.GT, best);
                best = best.blend(v, greater);
                label = label.blend((float) c, greater);
            }
            label.intoArray(scratch, 0);
            for (int lane = 0; lane < L; lane++) {
                labels[x + lane] = (int) scratch[lane];
            }
        }
        return bound;
    }
}
