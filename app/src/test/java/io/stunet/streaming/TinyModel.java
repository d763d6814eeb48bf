package io.stunet.streaming;

import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.export.ExportMode;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiReader;
import io.stunet.predict.CaseFiles;
import io.stunet.predict.CaseSegmenter;
import io.stunet.predict.StunetVersion;
import io.stunet.postprocess.CaseFinisher;
import io.stunet.testing.Python;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A model directory for pipeline tests: a seeded tiny TorchScript segmentation net
 * ({@code tools/stunet/testnet.py}, five classes) with a {@code model.json} whose small patch
 * and coarse target spacing keep the sample CTs to a few hundred small forward passes.
 */
public final class TinyModel {
    private TinyModel() {
    }

    static Path create(Path dir) {
        try {
            Files.createDirectories(dir);
            Python.module("tools.stunet.testnet", "--out", dir.resolve("model.pt").toString(), "--channels", "1",
                    "--classes", "5", "--width", "4");
            String sha = ModelCard.sha256(dir.resolve("model.pt"));
            Files.writeString(dir.resolve("model.json"), """
                    {
                      "schema": "stunet.model", "schemaVersion": 1,
                      "name": "tiny", "variant": "custom",
                      "architecture": {"depth": 1, "dims": [4, 8], "poolKernels": [[2, 2, 2]],
                                       "convKernels": [[3, 3, 3], [3, 3, 3]]},
                      "inputChannels": 1,
                      "classes": ["background", "a", "b", "c", "d"],
                      "patchSize": [8, 32, 32],
                      "targetSpacing": [5.0, 5.0, 5.0],
                      "transposeForward": [0, 1, 2], "transposeBackward": [0, 1, 2],
                      "normalization": [{"scheme": "nonCT", "useMaskForNorm": false}],
                      "cropToNonzero": true,
                      "orientation": "RAS",
                      "mirrorAxes": [0, 1, 2],
                      "anisotropyThreshold": 3.0,
                      "source": {"format": "demo", "checkpoint": "testnet", "sha256": "%s"},
                      "modelFile": "model.pt", "modelSha256": "%s"
                    }
                    """.formatted(sha, sha));
            ModelCard.load(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What {@code predict} writes for the cases of {@code input} (NIfTI files or DICOM series) with a model directory (one device, one slab). */
    public static Path predict(Path model, Path input, Path out, boolean tta) {
        return predict(model, input, out, tta, new CaseFinisher.Options(ExportMode.NEAREST, false));
    }

    /** The same with the given output options (classes, per-class files, preview). */
    public static Path predict(Path model, Path input, Path out, boolean tta, CaseFinisher.Options outputs) {
        ModelCard card = ModelCard.load(model);
        EngineOptions eo = new EngineOptions().devices(List.of("cpu")).tta(tta).mirrorAxes(card.mirrorAxesArray())
                .step(0.5).classes(card.numClasses()).patch(card.patchSizeArray()).inputChannels(card.inputChannels());
        try (InferenceEngine engine = InferenceEngine.open(card.modelFile(), eo)) {
            CaseSegmenter seg = new CaseSegmenter(card, engine, outputs, 1, StunetVersion.get());
            for (CaseFiles.CaseInput c : CaseFiles.inputs(input)) {
                seg.segment(c.name(), c, out, s -> { });
            }
        }
        return out;
    }
}
