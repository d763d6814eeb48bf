package io.stunet.engine;

import io.stunet.testing.TestData;
import io.stunet.slab.SlabLabels;
import io.stunet.window.VolumeSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundled demo model ({@code models/demo}) through the engine against the v1 reference with
 * test-time mirroring, on a generated volume in normalized units, split into two slabs.
 */
class DemoModelTest {
    @TempDir
    Path dir;

    @Test
    void demoModelMatchesReferenceWithMirroring() {
        Path model = TestData.file("models/demo/model.pt");
        int classes = 4;
        int[] patch = {16, 32, 64};
        int[] shape = {24, 50, 80};
        float[] volume = Reference.volume(1, shape, 31);
        Reference.Prediction ref = Reference.predict(dir, model, volume, 1, shape, patch, classes, true, 0.5);
        EngineOptions o = new EngineOptions().classes(classes).patch(patch).tta(true).devices(List.of("cpu")).batchSize(4);
        SlabLabels labels;
        try (InferenceEngine engine = InferenceEngine.open(model.getParent(), o)) {
            labels = engine.predictCase("demo", VolumeSource.of(volume, 1, shape), 2);
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
