package io.stunet.predict;

import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.files.AtomicFiles;
import io.stunet.model.ModelCard;
import io.stunet.postprocess.CaseArtifact;
import io.stunet.postprocess.CaseFinisher;
import io.stunet.postprocess.FinishedCase;
import io.stunet.postprocess.Provenance;
import io.stunet.postprocess.SegSource;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.dicom.DicomSeries;
import io.stunet.store.Digests;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.PreprocessedCase;
import io.stunet.preprocess.Preprocessor;
import io.stunet.slab.SlabLabels;
import io.stunet.volume.Volume;
import io.stunet.window.VolumeSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One case through the whole pipeline in this process, chaining the stage steps the streaming
 * services run one by one: {@link Preprocessor#run} (NUMERICS §1-2), the sliding window on the
 * shared {@link InferenceEngine} (§3, §5) and {@link CaseFinisher#finish} (§4, §7). Every
 * artifact the finisher returns is written as {@code NAME + suffix} into the output directory
 * ({@code NAME_seg.nii.gz}, {@code NAME_stats.json}, {@code NAME_seg.json}, optionally
 * {@code NAME_preview.png} and {@code NAME_seg/CLASS.nii.gz}, and {@code NAME_seg.dcm} for a
 * DICOM series). The provenance records the program version, the model, the SHA-256 of the
 * input (a NIfTI file as read; for a DICOM series its volume as the services store it,
 * {@code input.nii.gz}) and the engine's mirroring, step and devices. Used by {@code predict}.
 */
public final class CaseSegmenter {
    private final ModelCard card;
    private final Preprocessor preprocessor;
    private final InferenceEngine engine;
    private final CaseFinisher finisher;
    private final CaseFinisher.Options outputs;
    private final int slabs;
    private final String version;
    private final String modelSha256;

    /**
     * @param outputs export mode, preview, classes and per-class files; its provenance is
     *                ignored (each case gets its own)
     * @param version the program version recorded in the provenance
     */
    public CaseSegmenter(ModelCard card, InferenceEngine engine, CaseFinisher.Options outputs, int slabs,
                         String version) {
        this.card = card;
        this.preprocessor = new Preprocessor(ModelCardParameters.of(card));
        this.engine = engine;
        this.finisher = new CaseFinisher(card);
        this.outputs = outputs;
        this.slabs = slabs;
        this.version = version;
        this.modelSha256 = card.modelSha256() != null ? card.modelSha256() : ModelCard.sha256(card.modelFile());
    }

    /**
     * What one case produced: the files by artifact kind (the first file of a kind with parts),
     * every file written, and the number of classes present.
     */
    public record Result(Map<CaseArtifact.Kind, Path> files, List<Path> written, int classesPresent) {
        public Path mask() {
            return files.get(CaseArtifact.Kind.MASK);
        }

        public Path stats() {
            return files.get(CaseArtifact.Kind.STATS);
        }

        public Path preview() {
            return files.get(CaseArtifact.Kind.PREVIEW);
        }

        /** The DICOM SEG, or {@code null} (NIfTI input, or no class present). */
        public Path seg() {
            return files.get(CaseArtifact.Kind.SEG);
        }
    }

    /** Reads, segments and writes the outputs of one input case into {@code outDir} under {@code name}. */
    public Result segment(String name, CaseFiles.CaseInput input, Path outDir, Consumer<String> stage) {
        Instant started = Instant.now();
        stage.accept("reading");
        Volume volume;
        String inputSha256;
        SegSource seg = null;
        if (input instanceof CaseFiles.DicomInput d) {
            DicomSeries series = d.assemble();
            volume = series.volume();
            inputSha256 = Digests.sha256Hex(NiftiWriter.encode(volume, true));
            seg = new SegSource(series.info(), version);
        } else {
            Path file = ((CaseFiles.NiftiInput) input).file();
            try {
                inputSha256 = Digests.sha256Hex(file);
            } catch (IOException e) {
                throw new StunetException(ErrorCode.IO_FAILURE, "cannot read input " + file.getFileName(), e);
            }
            volume = NiftiReader.read(file);
        }
        volume.require3d();
        EngineOptions eo = engine.options();
        Provenance provenance = new Provenance(version, card.name(), modelSha256, inputSha256, eo.tta(), eo.step(),
                slabs, eo.devices(), started);
        CaseFinisher.Options options = new CaseFinisher.Options(outputs.export(), outputs.preview(), outputs.classes(),
                outputs.perClass(), provenance, seg);
        stage.accept("preprocessing");
        PreprocessedCase pre = preprocessor.run(volume);
        stage.accept("inference");
        SlabLabels net = engine.predictCase(name, VolumeSource.of(pre.data(), pre.channels(), pre.shape()), slabs);
        FinishedCase done = finisher.finish(net, pre.properties(), volume, options, stage);
        Map<CaseArtifact.Kind, Path> files = new EnumMap<>(CaseArtifact.Kind.class);
        List<Path> written = write(done.artifacts(), name, outDir);
        for (int i = 0; i < written.size(); i++) {
            files.putIfAbsent(done.artifacts().get(i).kind(), written.get(i));
        }
        return new Result(files, written, done.stats().present().size());
    }

    /** Writes each artifact atomically as {@code outDir/NAME + suffix (+ part)}; the files in artifact order. */
    public static List<Path> write(List<CaseArtifact> artifacts, String name, Path outDir) {
        List<Path> files = new ArrayList<>(artifacts.size());
        for (CaseArtifact a : artifacts) {
            Path file = outDir.resolve(a.fileName(name));
            try {
                AtomicFiles.write(file, a.bytes());
            } catch (IOException e) {
                throw new StunetException(ErrorCode.IO_FAILURE, "cannot write output " + a.fileName(name), e);
            }
            files.add(file);
        }
        return files;
    }

    /** Creates the output directory, with a typed error when that is impossible. */
    public static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot create output directory " + dir, e);
        }
    }
}
