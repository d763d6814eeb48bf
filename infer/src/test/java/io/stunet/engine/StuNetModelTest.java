package io.stunet.engine;

import io.stunet.testing.Python;
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
 * The engine on a real STU-Net architecture: a small-width, randomly initialized 105-class
 * network exported by the project's own tooling ({@code tools.stunet.testmodels}, which
 * writes a model directory through the exporter). Checks DJL's raw logits against Python's
 * TorchScript run (issue 4's Java side) and the full sliding-window result against the v1
 * reference with test-time mirroring.
 */
class StuNetModelTest {
    private static final int CLASSES = 105;
    /** Divisible by the STU-Net pooling (16, 16, 32); the exported card's 128^3 is too slow for a unit test. */
    private static final int[] PATCH = {32, 32, 32};

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void export() {
        Path out = dir.resolve("stunet-small");
        Python.module("tools.stunet.testmodels", "--out", out.toString());
        model = out.resolve("model.pt");
    }

    @Test
    void djlLogitsMatchPythonForExportedStuNet() {
        int[] shape = {2 * PATCH[0], PATCH[1], PATCH[2]};
        float[] input = Reference.volume(1, shape, 21);
        Path in = dir.resolve("in.f32");
        Path out = dir.resolve("out.f32");
        Reference.writeFloats(in, input);
        Python.run(Reference.script(), "logits", "--model", model.toString(), "--input", in.toString(),
                "--shape", "2", "1", String.valueOf(PATCH[0]), String.valueOf(PATCH[1]), String.valueOf(PATCH[2]),
                "--out", out.toString());
        float[] expected = Reference.readFloats(out);
        float[] actual;
        try (DeviceModel m = DeviceModel.load(model.getParent(), "cpu"); var manager = m.newManager()) {
            actual = m.forward(manager, input, 0, 2, 1, PATCH).toFloatArray();
        }
        assertEquals(expected.length, actual.length);
        assertEquals(2L * CLASSES * PATCH[0] * PATCH[1] * PATCH[2], actual.length);
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max <= 1e-4, "max abs logits difference " + max);
    }

    @Test
    void slidingWindowWithMirroringMatchesReference() {
        int[] shape = {40, 36, 50};
        float[] volume = Reference.volume(1, shape, 22);
        Reference.Prediction ref = Reference.predict(dir, model, volume, 1, shape, PATCH, CLASSES, true, 0.5);
        EngineOptions o = new EngineOptions().classes(CLASSES).patch(PATCH).tta(true).devices(List.of("cpu"));
        SlabLabels labels;
        try (InferenceEngine engine = InferenceEngine.open(model.getParent(), o)) {
            labels = engine.predictCase("stunet", VolumeSource.of(volume, 1, shape), 2);
        }
        int agree = 0;
        int confidentMismatch = 0;
        for (int i = 0; i < ref.labels().length; i++) {
            if (labels.label(i) == ref.labels()[i]) {
                agree++;
            } else if (ref.margins()[i] > 1e-4f) {
                confidentMismatch++;
            }
        }
        assertTrue(agree / (double) ref.labels().length >= 0.9999, "agreement " + agree + "/" + ref.labels().length);
        assertEquals(0, confidentMismatch);
    }
}
