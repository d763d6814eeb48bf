package io.stunet.engine;

import io.stunet.slab.SlabLabels;
import io.stunet.window.VolumeSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine against the official v1 aggregation ({@code reference_window.py}) on the same
 * TorchScript file: agreement on at least 99.99% of voxels, and identical labels wherever the
 * reference's top-2 probability margin exceeds 1e-4 (below that, float summation order and
 * libtorch versions may legitimately flip the argmax). Covers several tiles per axis, the
 * padded small-volume case, exactly one patch and a single slice.
 */
class EngineReferenceParityTest {
    private static final int CLASSES = 5;
    private static final int[] PATCH = {16, 24, 20};

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void makeNet() {
        model = Reference.net(dir, "tiny", 1, CLASSES, 4);
    }

    private static void check(int[] shape, boolean tta, long seed) {
        check(shape, tta, seed, true);
    }

    private static void check(int[] shape, boolean tta, long seed, boolean fusedHead) {
        float[] volume = Reference.volume(1, shape, seed);
        Reference.Prediction ref = Reference.predict(dir, model, volume, 1, shape, PATCH, CLASSES, tta, 0.5);
        EngineOptions o = new EngineOptions().classes(CLASSES).patch(PATCH).tta(tta).devices(List.of("cpu")).batchSize(2)
                .fusedHead(fusedHead);
        SlabLabels labels;
        try (InferenceEngine engine = InferenceEngine.open(model, o)) {
            labels = engine.predictCase("parity", VolumeSource.of(volume, 1, shape), 1);
        }
        assertEquals(ref.labels().length, labels.voxels());
        int agree = 0;
        int confidentMismatch = 0;
        int classesSeen = 0;
        boolean[] seen = new boolean[CLASSES];
        for (int i = 0; i < ref.labels().length; i++) {
            int l = labels.label(i);
            if (l == ref.labels()[i]) {
                agree++;
            } else if (ref.margins()[i] > 1e-4f) {
                confidentMismatch++;
            }
            if (!seen[l]) {
                seen[l] = true;
                classesSeen++;
            }
        }
        double fraction = agree / (double) ref.labels().length;
        assertTrue(fraction >= 0.9999, "agreement " + fraction);
        assertEquals(0, confidentMismatch, "labels differ where the reference margin exceeds 1e-4");
        assertTrue(classesSeen >= 2, "test volume should produce more than one class");
    }

    @Test
    void manyTilesWithoutMirroringMatchReference() {
        check(new int[] {37, 45, 29}, false, 1);
    }

    @Test
    void manyTilesWithMirroringMatchReference() {
        check(new int[] {29, 41, 33}, true, 2);
    }

    @Test
    void logitsPathWithoutTheFusedHeadMatchesReferenceToo() {
        check(new int[] {29, 41, 33}, true, 2, false);
    }

    @Test
    void testNetExportsTheSplitHeadSoTheFusedPathIsWhatTheOtherCasesTest() {
        try (DeviceModel m = DeviceModel.load(model, "cpu")) {
            assertEquals(CLASSES, m.head().classes());
            assertEquals(8, m.head().channels());
        }
    }

    @Test
    void volumeSmallerThanPatchIsPaddedLikeReference() {
        check(new int[] {9, 13, 20}, true, 3);
    }

    @Test
    void exactlyOnePatchMatchesReference() {
        check(new int[] {16, 24, 20}, true, 4);
    }

    @Test
    void singleSliceVolumeMatchesReference() {
        check(new int[] {1, 50, 31}, false, 5);
    }
}
