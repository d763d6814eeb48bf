package io.stunet.postprocess;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.cases.CaseOptions;
import io.stunet.cases.ClassSelection;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.export.ExportMode;
import io.stunet.export.LabelMask;
import io.stunet.export.MaskExporter;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.preview.Preview;
import io.stunet.preview.PreviewRenderer;
import io.stunet.preview.Window;
import io.stunet.slab.SlabLabels;
import io.stunet.stats.ClassStatistics;
import io.stunet.stats.StatsJson;
import io.stunet.stats.StatsReport;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The last step of a case, shared by {@code predict} (in process) and the postprocess
 * service: the network-space labels exported to the input grid (NUMERICS §4), the classes
 * the case does not keep set to 0 (label values unchanged), the mask encoded with the input
 * file's header, per-class statistics on that grid (§7), the label table with the case's
 * provenance, and optionally a preview and one binary mask per kept class, all returned as
 * bytes. Pure apart from reading its clock for the end time: no files, no store; callers
 * write or store the artifacts as they are, which is why {@code run} and {@code predict}
 * produce the same files.
 */
public final class CaseFinisher {
    private final ModelCard card;
    private final Clock clock;

    public CaseFinisher(ModelCard card) {
        this(card, Clock.systemUTC());
    }

    /** With the clock that stamps {@code provenance.execution.finishedAt}. */
    public CaseFinisher(ModelCard card, Clock clock) {
        this.card = card;
        this.clock = clock;
    }

    /**
     * How a case is finished.
     *
     * @param export     resampling of the labels back to the input grid
     * @param preview    whether a preview PNG is rendered
     * @param classes    class names to keep (empty: all); the others become 0
     * @param perClass   whether one binary mask per kept class is written
     * @param provenance what the caller knows of the case's origin, or {@code null}: the JSON
     *                   documents then have no {@code provenance}
     * @param seg        the DICOM series the input was assembled from, for a SEG artifact; {@code null}: none
     */
    public record Options(ExportMode export, boolean preview, List<String> classes, boolean perClass,
                          Provenance provenance, SegSource seg) {
        public Options {
            classes = List.copyOf(classes);
        }

        /** No SEG (a NIfTI input). */
        public Options(ExportMode export, boolean preview, List<String> classes, boolean perClass, Provenance provenance) {
            this(export, preview, classes, perClass, provenance, null);
        }

        /** All classes, no per-class files, no provenance, no SEG. */
        public Options(ExportMode export, boolean preview) {
            this(export, preview, List.of(), false, null, null);
        }

        /** These options with a SEG of {@code source}'s series. */
        public Options withSeg(SegSource source) {
            return new Options(export, preview, classes, perClass, provenance, source);
        }

        /** From a case's option map ({@link CaseOptions}); {@code INVALID_REQUEST} for an unknown export mode. */
        public static Options of(Map<String, String> caseOptions, Provenance provenance) {
            ExportMode mode;
            try {
                mode = ExportMode.parse(CaseOptions.export(caseOptions));
            } catch (IllegalArgumentException e) {
                throw new StunetException(ErrorCode.INVALID_REQUEST, "case option export must be nearest or linear");
            }
            return new Options(mode, CaseOptions.preview(caseOptions), CaseOptions.classes(caseOptions),
                    CaseOptions.perClass(caseOptions), provenance);
        }
    }

    /**
     * Finishes a case.
     *
     * @param labels     the whole case's network-space labels (stitched, {@code z0 = 0})
     * @param properties the preprocessing record of the case (how to get back to the input grid)
     * @param input      the input volume as read (3-D): its header gives the mask's geometry,
     *                   its intensities the statistics and the preview
     * @param phase      told the name of each phase as it starts ("export", "statistics", "preview", "classes")
     * @throws StunetException {@code INVALID_REQUEST} listing the model's classes when a kept
     *                         class is unknown; {@code INVALID_MODEL} when per-class files are
     *                         asked for and a class name is not a plain file name
     */
    public FinishedCase finish(SlabLabels labels, PreprocessingProperties properties, Volume input, Options options,
                               Consumer<String> phase) {
        input.require3d();
        ClassSelection selection = ClassSelection.resolve(options.classes(), card.classes());
        if (options.perClass()) {
            selection.labels().forEach(k -> classFileName(card.classes().get(k)));
        }
        phase.accept("export");
        LabelMask mask = labels.bytes() != null
                ? MaskExporter.export(labels.bytes(), properties, options.export())
                : MaskExporter.export(labels.shorts(), properties, options.export());
        if (!selection.all()) {
            mask = keepOnly(mask, selection);
        }
        NiftiHeader header = input.header();
        List<CaseArtifact> artifacts = new ArrayList<>();
        artifacts.add(new CaseArtifact(CaseArtifact.Kind.MASK, MaskExporter.encode(mask, header)));

        phase.accept("statistics");
        Volume labelVolume = labelVolume(header, mask);
        StatsReport all = ClassStatistics.compute(input, labelVolume, card.classes());
        StatsReport report = new StatsReport(all.shape(), all.spacing(), all.classNames(),
                all.classes().stream().filter(c -> selection.keeps(c.label())).toList());

        if (options.preview()) {
            phase.accept("preview");
            Preview preview = new PreviewRenderer().render(input, labelVolume, card.classes(), Window.CT);
            artifacts.add(new CaseArtifact(CaseArtifact.Kind.PREVIEW, PreviewRenderer.encode(preview)));
        }
        if (options.perClass()) {
            phase.accept("classes");
            artifacts.addAll(classMasks(mask, selection, header));
        }
        ObjectNode provenance = options.provenance() == null ? null
                : options.provenance().toTree(options, selection, clock.instant());
        ObjectNode stats = StatsJson.toTree(report);
        if (provenance != null) {
            stats.set("provenance", provenance);
        }
        artifacts.add(new CaseArtifact(CaseArtifact.Kind.STATS, StatsJson.encode(stats)));
        artifacts.add(new CaseArtifact(CaseArtifact.Kind.LABELS,
                StatsJson.encode(LabelTable.toTree(selection, provenance == null ? null : provenance.deepCopy()))));
        if (options.seg() != null) {
            phase.accept("seg");
            options.seg().encode(labelVolume, card).ifPresent(bytes -> artifacts.add(new CaseArtifact(CaseArtifact.Kind.SEG, bytes)));
        }
        artifacts.sort(Comparator.comparing(CaseArtifact::kind));
        return new FinishedCase(artifacts, report);
    }

    /** The mask with every label the selection does not keep set to 0. */
    static LabelMask keepOnly(LabelMask mask, ClassSelection selection) {
        short[] in = mask.labels();
        short[] out = new short[in.length];
        boolean[] keep = selection.keep();
        for (int i = 0; i < in.length; i++) {
            int l = in[i] & 0xFFFF;
            out[i] = l < keep.length && keep[l] ? in[i] : 0;
        }
        return LabelMask.of(out, mask.shape());
    }

    /**
     * One uint8 mask per kept class (1 inside, 0 outside), present in the case or not, on the
     * input grid with the input's header: TotalSegmentator's per-class files.
     */
    private static List<CaseArtifact> classMasks(LabelMask mask, ClassSelection selection, NiftiHeader header) {
        short[] labels = mask.labels();
        byte[] binary = new byte[labels.length];
        List<CaseArtifact> out = new ArrayList<>();
        for (int k : selection.labels()) {
            short value = (short) k;
            for (int i = 0; i < labels.length; i++) {
                binary[i] = (byte) (labels[i] == value ? 1 : 0);
            }
            out.add(new CaseArtifact(CaseArtifact.Kind.CLASS_MASK, classFileName(selection.classNames().get(k)),
                    NiftiWriter.encodeLabels(binary, header, true)));
        }
        return out;
    }

    /** {@code CLASSNAME.nii.gz}; {@code INVALID_MODEL} when the class name is not a plain file name. */
    static String classFileName(String className) {
        if (!className.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new StunetException(ErrorCode.INVALID_MODEL, "class name '" + className
                    + "' cannot name a per-class file (letters, digits, '.', '_', '-')");
        }
        return className + ".nii.gz";
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
