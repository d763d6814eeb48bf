package io.stunet.predict;

import io.stunet.engine.InferenceEngine;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.export.ExportMode;
import io.stunet.export.LabelMask;
import io.stunet.export.MaskExporter;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiHeader;
import io.stunet.preprocess.PreprocessedCase;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.Preprocessor;
import io.stunet.preview.PreviewRenderer;
import io.stunet.preview.Window;
import io.stunet.stats.ClassStatistics;
import io.stunet.stats.StatsJson;
import io.stunet.stats.StatsReport;
import io.stunet.slab.SlabLabels;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import io.stunet.window.VolumeSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * One case through the whole pipeline in this process: preprocess (NUMERICS §1-2), sliding
 * window on the shared {@link InferenceEngine} (§3, §5), export to the input grid (§4) and
 * per-class statistics (§7), writing {@code NAME_seg.nii.gz}, {@code NAME_stats.json} and
 * optionally {@code NAME_preview.png}. Used by {@code predict}; each step is the same code
 * the streaming stages run.
 */
public final class CaseSegmenter {
    private final ModelCard card;
    private final Preprocessor preprocessor;
    private final InferenceEngine engine;
    private final ExportMode mode;
    private final int slabs;
    private final boolean preview;

    public CaseSegmenter(ModelCard card, InferenceEngine engine, ExportMode mode, int slabs, boolean preview) {
        this.card = card;
        this.preprocessor = new Preprocessor(ModelCardParameters.of(card));
        this.engine = engine;
        this.mode = mode;
        this.slabs = slabs;
        this.preview = preview;
    }

    /** What one case produced. */
    public record Result(Path mask, Path stats, Path preview, int classesPresent) {
    }

    /** Segments {@code volume} and writes its outputs into {@code outDir} under {@code name}. */
    public Result segment(String name, Volume volume, Path outDir, Consumer<String> stage) {
        volume.require3d();
        stage.accept("preprocessing");
        PreprocessedCase pre = preprocessor.run(volume);
        stage.accept("inference");
        SlabLabels net = engine.predictCase(name, VolumeSource.of(pre.data(), pre.channels(), pre.shape()), slabs);
        stage.accept("export");
        LabelMask mask = net.bytes() != null
                ? MaskExporter.export(net.bytes(), pre.properties(), mode)
                : MaskExporter.export(net.shorts(), pre.properties(), mode);
        NiftiHeader header = volume.header();
        Path maskFile = outDir.resolve(name + "_seg.nii.gz");
        MaskExporter.write(maskFile, mask, header);

        stage.accept("statistics");
        Volume image = volume;
        Volume labels = labelVolume(header, mask);
        StatsReport report = ClassStatistics.compute(image, labels, card.classes());
        Path statsFile = outDir.resolve(name + "_stats.json");
        StatsJson.write(report, statsFile);

        Path previewFile = null;
        if (preview) {
            stage.accept("preview");
            previewFile = outDir.resolve(name + "_preview.png");
            PreviewRenderer.write(new PreviewRenderer().render(image, labels, card.classes(), Window.CT), previewFile);
        }
        return new Result(maskFile, statsFile, previewFile, report.present().size());
    }

    private static Volume labelVolume(NiftiHeader input, LabelMask mask) {
        NiftiHeader grid = input.withShape(input.nx(), input.ny(), input.nz());
        if (mask.fitsUint8()) {
            return Volume.wrap(grid.withDataType(DataType.UINT8), mask.toUint8());
        }
        return Volume.wrap(grid.withDataType(DataType.UINT16), mask.labels());
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
