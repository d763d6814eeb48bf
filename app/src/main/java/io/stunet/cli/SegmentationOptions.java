package io.stunet.cli;

import io.stunet.cases.ClassSelection;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.export.ExportMode;
import io.stunet.model.ModelCard;
import io.stunet.postprocess.CaseFinisher;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The segmentation options {@code predict} and {@code run} share, so both commands accept the
 * same flags with the same defaults and produce the same masks for the same flags.
 */
final class SegmentationOptions {
    @Option(names = "--tta", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Test-time mirroring over the model's mirror axes (default: on, as nnU-Net v1).")
    boolean tta;

    @Option(names = "--step", defaultValue = "0.5",
            description = "Sliding-window step as a fraction of the patch (default: ${DEFAULT-VALUE}).")
    double step;

    @Option(names = "--batch", defaultValue = "1", description = "Network inputs per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--devices", split = ",", defaultValue = "cpu",
            description = "Devices, e.g. cpu or gpu0,gpu1; a device may be listed twice (default: ${DEFAULT-VALUE}).")
    List<String> devices;

    @Option(names = "--slabs", defaultValue = "1", description = "Split each case into N z-slabs (exact; spreads a case over devices).")
    int slabs;

    @Option(names = "--export", defaultValue = "nearest", description = "Export to the input grid: nearest (default) or linear.")
    String export;

    @Option(names = "--preview", description = "Also write NAME_preview.png (three mid-slices with the labels).")
    boolean preview;

    @Option(names = "--classes", split = ",", paramLabel = "NAME",
            description = "Keep only these classes: the other labels become 0 (label values unchanged) in the mask, "
                    + "statistics, label table and per-class files (default: all).")
    List<String> classes = new ArrayList<>();

    @Option(names = "--per-class", description = "Also write one binary mask per kept class, NAME_seg/CLASS.nii.gz.")
    boolean perClass;

    /** The output options of the finishing step (no provenance: each case gets its own). */
    CaseFinisher.Options outputs() {
        return new CaseFinisher.Options(exportMode(), preview, classes, perClass, null);
    }

    /**
     * Checks, before any case runs, the values that need a parse or the model: the export mode and
     * the class names against the model's. A bad value is a usage error (exit status 2) whose
     * message keeps the error code and names the valid values.
     */
    void check(CommandLine commandLine, ModelCard card) {
        try {
            exportMode();
            ClassSelection.resolve(classes, card.classes());
        } catch (StunetException e) {
            throw new ParameterException(commandLine, e.summary());
        }
    }

    /** The export mode, or a typed error naming the bad value. */
    ExportMode exportMode() {
        try {
            return ExportMode.parse(export);
        } catch (IllegalArgumentException e) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "--export must be nearest or linear: " + export);
        }
    }
}
