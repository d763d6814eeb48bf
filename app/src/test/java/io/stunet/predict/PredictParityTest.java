package io.stunet.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.export.ExportMode;
import io.stunet.export.LabelMask;
import io.stunet.export.MaskExporter;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiReader;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.PreprocessedCase;
import io.stunet.preprocess.Preprocessor;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import io.stunet.slab.SlabLabels;
import io.stunet.volume.Volume;
import io.stunet.window.VolumeSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The whole single-process pipeline against the official nnU-Net v1 inference path
 * ({@code tools/stunet/reference_predict.py}: the reference preprocessing, sliding window and
 * export composed) with the committed demo model on the bundled scans, with and without
 * test-time mirroring. Network-space argmax must agree wherever the reference is decided
 * (top-2 probability margin above 1e-4) and on at least 99.99% of voxels overall; the exported
 * masks on the input grid must agree on at least 99.99% of voxels.
 */
class PredictParityTest {
    private static final double MIN_AGREEMENT = 0.9999;
    private static final float DECIDED_MARGIN = 1e-4f;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} tta={1}")
    @CsvSource({"example_ct_sm.nii.gz,true", "example_ct_sm.nii.gz,false", "example_mr_sm.nii.gz,false"})
    void predictMatchesOfficialInference(String sample, boolean tta) throws IOException {
        Path modelDir = TestData.file("models/demo");
        Path input = TestData.nifti(sample);
        ModelCard card = ModelCard.load(modelDir);

        Path ref = tmp.resolve("ref");
        if (tta) {
            Python.module("tools.stunet.reference_predict", input.toString(), "--model", modelDir.toString(),
                    "--out-dir", ref.toString());
        } else {
            Python.module("tools.stunet.reference_predict", input.toString(), "--model", modelDir.toString(),
                    "--out-dir", ref.toString(), "--no-tta");
        }

        Volume volume = NiftiReader.read(input);
        PreprocessedCase pre = new Preprocessor(ModelCardParameters.of(card)).run(volume);
        EngineOptions options = new EngineOptions().devices(List.of("cpu")).tta(tta)
                .mirrorAxes(card.mirrorAxesArray()).classes(card.numClasses()).patch(card.patchSizeArray())
                .inputChannels(card.inputChannels());
        SlabLabels net;
        try (InferenceEngine engine = InferenceEngine.open(card.modelFile(), options)) {
            net = engine.predictCase("parity", VolumeSource.of(pre.data(), pre.channels(), pre.shape()), 1);
        }

        int[] refLabels = readInts(ref.resolve("net.labels"));
        float[] margin = readFloats(ref.resolve("net.margin"));
        assertEquals(refLabels.length, net.voxels(), "network-space shape");
        int agree = 0;
        int decidedDisagreements = 0;
        for (int i = 0; i < refLabels.length; i++) {
            if (net.label(i) == refLabels[i]) {
                agree++;
            } else if (margin[i] > DECIDED_MARGIN) {
                decidedDisagreements++;
            }
        }
        assertEquals(0, decidedDisagreements, "voxels where the reference is decided but the labels differ");
        assertTrue(agree >= MIN_AGREEMENT * refLabels.length,
                "network-space agreement " + agree + "/" + refLabels.length);

        LabelMask mask = net.bytes() != null
                ? MaskExporter.export(net.bytes(), pre.properties(), ExportMode.NEAREST)
                : MaskExporter.export(net.shorts(), pre.properties(), ExportMode.NEAREST);
        short[] refMask = readShorts(ref.resolve("mask.u2"));
        assertArrayEquals(new int[] {volume.nz(), volume.ny(), volume.nx()}, mask.shape());
        assertEquals(refMask.length, mask.labels().length);
        int maskAgree = 0;
        for (int i = 0; i < refMask.length; i++) {
            if (refMask[i] == mask.labels()[i]) {
                maskAgree++;
            }
        }
        assertTrue(maskAgree >= MIN_AGREEMENT * refMask.length,
                "input-grid agreement " + maskAgree + "/" + refMask.length);
        assertTrue(net.voxels() > 0 && countForeground(mask.labels()) > 0, "the demo model segments something");
    }

    private static int countForeground(short[] labels) {
        int n = 0;
        for (short s : labels) {
            if (s != 0) {
                n++;
            }
        }
        return n;
    }

    private static ByteBuffer read(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int[] readInts(Path file) throws IOException {
        ByteBuffer b = read(file);
        int[] v = new int[b.remaining() / 4];
        b.asIntBuffer().get(v);
        return v;
    }

    private static float[] readFloats(Path file) throws IOException {
        ByteBuffer b = read(file);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    private static short[] readShorts(Path file) throws IOException {
        ByteBuffer b = read(file);
        short[] v = new short[b.remaining() / 2];
        b.asShortBuffer().get(v);
        return v;
    }
}
