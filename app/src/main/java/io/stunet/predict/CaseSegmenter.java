package io.stunet.predict;

import io.stunet.engine.InferenceEngine;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.export.ExportMode;
import io.stunet.files.AtomicFiles;
import io.stunet.model.ModelCard;
import io.stunet.postprocess.CaseArtifact;
import io.stunet.postprocess.CaseFinisher;
import io.stunet.postprocess.FinishedCase;
import io.stunet.postprocess.SegSource;
import io.stunet.cli.BuildVersion;
import io.stunet.dicom.DicomSeries;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.PreprocessedCase;
import io.stunet.preprocess.Preprocessor;
import io.stunet.slab.SlabLabels;
import io.stunet.volume.Volume;
import io.stunet.window.VolumeSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One case through the whole pipeline in this process, chaining the stage steps the streaming
 * services run one by one: {@link Preprocessor#run} (NUMERICS §1-2), the sliding window on the
 * shared {@link InferenceEngine} (§3, §5) and {@link CaseFinisher#finish} (§4, §7). Every
 * artifact the finisher returns is written as {@code NAME + suffix} into the output directory
 * ({@code NAME_seg.nii.gz}, {@code NAME_stats.json}, optionally {@code NAME_preview.png}, and
 * {@code NAME_seg.dcm} for a DICOM series).
 * Used by {@code predict}.
 */
public final class CaseSegmenter {
    private final Preprocessor preprocessor;
    private final InferenceEngine engine;
    private final CaseFinisher finisher;
    private final CaseFinisher.Options options;
    private final int slabs;

    public CaseSegmenter(ModelCard card, InferenceEngine engine, ExportMode mode, int slabs, boolean preview) {
        this.preprocessor = new Preprocessor(ModelCardParameters.of(card));
        this.engine = engine;
        this.finisher = new CaseFinisher(card);
        this.options = new CaseFinisher.Options(mode, preview);
        this.slabs = slabs;
    }

    /**
     * What one case produced: the files by artifact kind, and the number of classes present.
     * {@code preview} is {@code null} when none was asked for.
     */
    public record Result(Map<CaseArtifact.Kind, Path> files, int classesPresent) {
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

    /** Segments {@code volume} and writes its outputs into {@code outDir} under {@code name}. */
    public Result segment(String name, Volume volume, Path outDir, Consumer<String> stage) {
        return segment(name, volume, options, outDir, stage);
    }

    /**
     * Segments an assembled DICOM series: the outputs of a NIfTI case plus {@code NAME_seg.dcm},
     * a DICOM SEG of the series carrying the build version.
     */
    public Result segment(String name, DicomSeries series, Path outDir, Consumer<String> stage) {
        return segment(name, series.volume(), options.withSeg(new SegSource(series.info(), BuildVersion.get())), outDir,
                stage);
    }

    private Result segment(String name, Volume volume, CaseFinisher.Options options, Path outDir, Consumer<String> stage) {
        volume.require3d();
        stage.accept("preprocessing");
        PreprocessedCase pre = preprocessor.run(volume);
        stage.accept("inference");
        SlabLabels net = engine.predictCase(name, VolumeSource.of(pre.data(), pre.channels(), pre.shape()), slabs);
        FinishedCase done = finisher.finish(net, pre.properties(), volume, options, stage);
        return new Result(write(done.artifacts(), name, outDir), done.stats().present().size());
    }

    /** Writes each artifact atomically as {@code outDir/NAME + suffix}; the files by kind. */
    public static Map<CaseArtifact.Kind, Path> write(List<CaseArtifact> artifacts, String name, Path outDir) {
        Map<CaseArtifact.Kind, Path> files = new EnumMap<>(CaseArtifact.Kind.class);
        for (CaseArtifact a : artifacts) {
            Path file = outDir.resolve(a.kind().fileName(name));
            try {
                AtomicFiles.write(file, a.bytes());
            } catch (IOException e) {
                throw new StunetException(ErrorCode.IO_FAILURE, "cannot write output " + file.getFileName(), e);
            }
            files.put(a.kind(), file);
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
