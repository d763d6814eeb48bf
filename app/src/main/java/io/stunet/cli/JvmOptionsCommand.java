package io.stunet.cli;

import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.predict.CaseFiles;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.Preprocessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code stunet jvm-options -- ARGS}: the JVM options {@code ./stunet} starts the program with
 * for the command line {@code ARGS}, printed on one line (nothing when the JVM's own defaults
 * apply). For {@code predict} and {@code run} the heap is planned from the input headers and
 * the model card before any voxel is read: the engine's class sums
 * ({@link InferenceEngine#heapNeed}, the figure its {@code VOLUME_TOO_LARGE} check uses) for
 * the largest case, plus that case's volumes, with the serial collector and a small young
 * generation (the heap is one long-lived accumulator whose cells are recycled; docs/deploy.md).
 * A heap bounded by the plan keeps peak RSS at what the case needs, where the JVM's default
 * (a quarter of RAM, G1) lets garbage and G1's own structures grow into it. Heap and
 * collector options the user already set (in {@code STUNET_JAVA_OPTS}, {@code
 * JAVA_TOOL_OPTIONS} or {@code JDK_JAVA_OPTIONS}) win: the plan then leaves that part out.
 * Other subcommands, {@code serve} included, get nothing: a service's cases are unknown at
 * start, so its heap is sized by its deployment (-Xmx or -XX:MaxRAMPercentage).
 */
@Command(name = "jvm-options", hidden = true,
        description = "Print the JVM options ./stunet uses for the given command line (one line).")
public final class JvmOptionsCommand implements Callable<Integer> {
    /** Young generation of the planned heap: small, as almost everything large is long-lived. */
    static final long YOUNG_BYTES = 64L << 20;
    /** Classes, model objects, picocli, Jackson, patch and feature buffers: measured well below this. */
    static final long FIXED_BYTES = 192L << 20;
    /** Embedded broker, Kafka clients and Vert.x of {@code run}, on top of {@link #FIXED_BYTES}. */
    static final long PIPELINE_BYTES = 256L << 20;
    /** No planned heap is smaller (tiny cases still read, export and write their files). */
    static final long MIN_HEAP_BYTES = 512L << 20;

    private static final List<String> USER_OPTION_VARIABLES = List.of("STUNET_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");
    private static final Pattern HEAP_OPTION = Pattern.compile(
            "-Xmx.*|-Xmn.*|-XX:(MaxHeapSize|NewSize|MaxNewSize|MaxRAM|MaxRAMPercentage|MaxRAMFraction)=.*");
    private static final Pattern GC_OPTION = Pattern.compile("-XX:\\+Use\\w*GC");

    @Parameters(paramLabel = "ARGS", description = "The command line to plan for, after --.")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        System.out.println(String.join(" ", plan(args, System.getenv())));
        return 0;
    }

    /**
     * The options for {@code args} under environment {@code env}; empty when the command is not
     * planned or cannot be (a bad option, a missing file): the program itself then reports it.
     */
    static List<String> plan(List<String> args, Map<String, String> env) {
        Long heap;
        try {
            heap = heapBytes(args);
        } catch (RuntimeException e) {
            return List.of();
        }
        if (heap == null) {
            return List.of();
        }
        List<String> user = userOptions(env);
        List<String> out = new ArrayList<>();
        if (user.stream().noneMatch(o -> GC_OPTION.matcher(o).matches())) {
            out.add("-XX:+UseSerialGC");
        }
        if (user.stream().noneMatch(o -> HEAP_OPTION.matcher(o).matches())) {
            out.add("-Xmn" + (YOUNG_BYTES >> 20) + "m");
            out.add("-Xmx" + ((heap + (1L << 20) - 1) >> 20) + "m");
        }
        return out;
    }

    private static List<String> userOptions(Map<String, String> env) {
        List<String> out = new ArrayList<>();
        for (String name : USER_OPTION_VARIABLES) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                out.addAll(List.of(v.trim().split("\\s+")));
            }
        }
        return out;
    }

    /** Planned maximum heap for a {@code predict} or {@code run} command line, null for other commands. */
    static Long heapBytes(List<String> args) {
        CommandLine.ParseResult parsed = StunetCommand.commandLine().parseArgs(args.toArray(String[]::new));
        if (!parsed.hasSubcommand()) {
            return null;
        }
        Object command = parsed.subcommand().commandSpec().userObject();
        if (command instanceof PredictCommand p) {
            return heapBytes(p.input(), p.model, p.seg, 1, 0);
        }
        if (command instanceof RunCommand r) {
            return heapBytes(r.input, r.model, r.seg, r.intake + 2, PIPELINE_BYTES);
        }
        return null;
    }

    /** Heap per byte of a DICOM input location (see {@link #heapBytes(Path, Path, SegmentationOptions, int, long)}). */
    private static final long DICOM_FACTOR = 6;

    private static long locationBytes(Path location) {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(location)) {
            return files.filter(java.nio.file.Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /**
     * The heap for the largest of the cases under {@code input}: the engine's check must pass
     * ({@code largestSlab <= HEAP_SHARE x heap}) and, during inference, the concurrent class sums,
     * {@code casesInFlight} cases' volumes and the fixed part must fit; so must reading and
     * preprocessing (stored voxels, their float32 copy, the reoriented copy, the network-space
     * result) and export (the mask on the input grid with its float32 statistics).
     */
    private static long heapBytes(Path input, Path model, SegmentationOptions seg, int casesInFlight, long extra) {
        ModelCard card = ModelCard.load(BundledPaths.resolve(model));
        Preprocessor preprocessor = new Preprocessor(ModelCardParameters.of(card));
        EngineOptions options = new EngineOptions().devices(seg.devices).batchSize(seg.batch).tta(seg.tta)
                .mirrorAxes(card.mirrorAxesArray()).step(seg.step).classes(card.numClasses())
                .patch(card.patchSizeArray()).inputChannels(card.inputChannels());
        int labelBytes = card.numClasses() > 255 ? 2 : 1;
        long heap = MIN_HEAP_BYTES;
        Path resolved = BundledPaths.resolve(input);
        List<Path> nifti = CaseFiles.list(resolved).stream()
                .filter(f -> io.stunet.nifti.NiftiNames.isNifti(f.getFileName().toString())).toList();
        if (nifti.isEmpty() && (java.nio.file.Files.isDirectory(resolved) || io.stunet.dicom.DicomCases.isZip(resolved))) {
            // DICOM: the files are held while a series is assembled; with the volume and its copies
            // through preprocessing and export, a few times the files' size (headers are not read here).
            heap = Math.max(heap, DICOM_FACTOR * locationBytes(resolved) + FIXED_BYTES + YOUNG_BYTES + extra);
        }
        for (Path file : nifti) {
            NiftiHeader h = NiftiReader.readHeader(file);
            int[] net = preprocessor.networkShapeBound(h);
            long netVoxels = (long) net[0] * net[1] * net[2];
            long stored = h.voxelCount() * h.dataType().bytes();
            long inputVoxels = h.voxelCount();
            long caseBytes = stored + netVoxels * (4L * card.inputChannels() + labelBytes);
            InferenceEngine.Need need = InferenceEngine.heapNeed(net, options, seg.slabs);
            long inference = need.concurrent() + casesInFlight * caseBytes;
            long preprocessing = stored + 2 * 4 * inputVoxels + 4 * card.inputChannels() * netVoxels;
            long export = stored + inputVoxels * (4 + 2 + 2) + netVoxels * labelBytes;
            long needed = Math.max(Math.max((long) (need.largestSlab() / InferenceEngine.HEAP_SHARE), inference),
                    Math.max(preprocessing, export));
            heap = Math.max(heap, needed + FIXED_BYTES + YOUNG_BYTES + extra);
        }
        return heap;
    }
}
