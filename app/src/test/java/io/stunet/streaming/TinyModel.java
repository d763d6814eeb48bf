package io.stunet.streaming;

import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.export.ExportMode;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiReader;
import io.stunet.predict.CaseFiles;
import io.stunet.predict.CaseSegmenter;
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
final class TinyModel {
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
    static Path predict(Path model, Path input, Path out, boolean tta) {
        ModelCard card = ModelCard.load(model);
        EngineOptions eo = new EngineOptions().devices(List.of("cpu")).tta(tta).mirrorAxes(card.mirrorAxesArray())
                .step(0.5).classes(card.numClasses()).patch(card.patchSizeArray()).inputChannels(card.inputChannels());
        try (InferenceEngine engine = InferenceEngine.open(card.modelFile(), eo)) {
            CaseSegmenter seg = new CaseSegmenter(card, engine, ExportMode.NEAREST, 1, false);
            for (CaseFiles.CaseInput c : CaseFiles.inputs(input)) {
                if (c instanceof CaseFiles.DicomInput d) {
                    seg.segment(c.name(), d.assemble(), out, s -> { });
                } else {
                    seg.segment(c.name(), NiftiReader.read(((CaseFiles.NiftiInput) c).file()), out, s -> { });
                }
            }
        }
        return out;
    }
}
