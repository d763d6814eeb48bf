package io.stunet.postprocess;

import io.stunet.cases.CaseOptions;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.export.ExportMode;
import io.stunet.export.LabelMask;
import io.stunet.export.MaskExporter;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiHeader;
import io.stunet.preview.Preview;
import io.stunet.preview.PreviewRenderer;
import io.stunet.preview.Window;
import io.stunet.slab.SlabLabels;
import io.stunet.stats.ClassStatistics;
import io.stunet.stats.StatsJson;
import io.stunet.stats.StatsReport;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The last step of a case, shared by {@code predict} (in process) and the postprocess
 * service: the network-space labels exported to the input grid (NUMERICS §4) and encoded
 * with the input file's header, per-class statistics on that grid (§7), and optionally a
 * preview, all returned as bytes. Pure: no files, no store; callers write or store the
 * artifacts as they are, which is why {@code run} and {@code predict} produce the same files.
 */
public final class CaseFinisher {
    private final ModelCard card;

    public CaseFinisher(ModelCard card) {
        this.card = card;
    }

    /**
     * How a case is finished.
     *
     * @param export  resampling of the labels back to the input grid
     * @param preview whether a preview PNG is rendered
     * @param seg     the DICOM series the input was assembled from, for a SEG artifact; {@code null}: none
     */
    public record Options(ExportMode export, boolean preview, SegSource seg) {
        public Options(ExportMode export, boolean preview) {
            this(export, preview, null);
        }

        /** These options with a SEG of {@code source}'s series. */
        public Options withSeg(SegSource source) {
            return new Options(export, preview, source);
        }

        /** From a case's option map ({@link CaseOptions}); {@code INVALID_REQUEST} for an unknown export mode. */
        public static Options of(Map<String, String> caseOptions) {
            ExportMode mode;
            try {
                mode = ExportMode.parse(CaseOptions.export(caseOptions));
            } catch (IllegalArgumentException e) {
                throw new StunetException(ErrorCode.INVALID_REQUEST, "case option export must be nearest or linear");
            }
            return new Options(mode, CaseOptions.preview(caseOptions));
        }
    }

    /**
     * Finishes a case.
     *
     * @param labels     the whole case's network-space labels (stitched, {@code z0 = 0})
     * @param properties the preprocessing record of the case (how to get back to the input grid)
     * @param input      the input volume as read (3-D): its header gives the mask's geometry,
     *                   its intensities the statistics and the preview
     * @param phase      told the name of each phase as it starts ("export", "statistics", "preview")
     */
    public FinishedCase finish(SlabLabels labels, PreprocessingProperties properties, Volume input, Options options,
                               Consumer<String> phase) {
        input.require3d();
        phase.accept("export");
        LabelMask mask = labels.bytes() != null
                ? MaskExporter.export(labels.bytes(), properties, options.export())
                : MaskExporter.export(labels.shorts(), properties, options.export());
        NiftiHeader header = input.header();
        List<CaseArtifact> artifacts = new ArrayList<>(3);
        artifacts.add(new CaseArtifact(CaseArtifact.Kind.MASK, MaskExporter.encode(mask, header)));

        phase.accept("statistics");
        Volume labelVolume = labelVolume(header, mask);
        StatsReport report = ClassStatistics.compute(input, labelVolume, card.classes());
        artifacts.add(new CaseArtifact(CaseArtifact.Kind.STATS, StatsJson.encode(report)));

        if (options.preview()) {
            phase.accept("preview");
            Preview preview = new PreviewRenderer().render(input, labelVolume, card.classes(), Window.CT);
            artifacts.add(new CaseArtifact(CaseArtifact.Kind.PREVIEW, PreviewRenderer.encode(preview)));
        }
        if (options.seg() != null) {
            phase.accept("seg");
            options.seg().encode(labelVolume, card).ifPresent(bytes -> artifacts.add(new CaseArtifact(CaseArtifact.Kind.SEG, bytes)));
        }
        return new FinishedCase(artifacts, report);
    }

    /** The mask as a volume on the input's 3-D grid, uint8 when it fits. */
    private static Volume labelVolume(NiftiHeader input, LabelMask mask) {
        NiftiHeader grid = input.withShape(input.nx(), input.ny(), input.nz());
        if (mask.fitsUint8()) {
            return Volume.wrap(grid.withDataType(DataType.UINT8), mask.toUint8());
        }
        return Volume.wrap(grid.withDataType(DataType.UINT16), mask.labels());
    }
}
