package io.stunet.engine;

import io.stunet.model.ModelCard;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.util.List;

/**
 * Configuration of an {@link InferenceEngine}, with fluent setters. {@code classes},
 * {@code patch} (z, y, x) and {@code inputChannels} describe the model (from model.json);
 * the rest is deployment: devices ({@code cpu}, {@code gpu0}, ...; an entry may repeat to run
 * several model instances on one device), batch size B (network inputs per forward pass,
 * mirrored copies included), test-time mirroring and its axes, the sliding-window step, the
 * intake capacity (slabs accepted but not finished) and how many slabs a device works on at
 * once (batches are drawn across them).
 */
public final class EngineOptions {
    private List<String> devices = List.of("cpu");
    private int batchSize = 1;
    private boolean tta = true;
    private int[] mirrorAxes = {0, 1, 2};
    private double step = 0.5;
    private int classes;
    private int[] patch;
    private int inputChannels = 1;
    private int intakeCapacity = 4;
    private int activeSlabsPerDevice = 2;
    private EngineListener listener = EngineListener.NONE;
    private boolean batchInvariant = true;
    private boolean fusedHead = true;
    private boolean pipelined = false;
    private boolean collectAfterSlab = false;
    private Accumulation accumulation = Accumulation.AUTO;

    /**
     * Options for the model a card describes: its classes, patch size, input channels and
     * mirror axes; deployment settings keep their defaults for the caller to set.
     */
    public static EngineOptions forModel(ModelCard card) {
        return new EngineOptions()
                .mirrorAxes(card.mirrorAxesArray())
                .classes(card.numClasses())
                .patch(card.patchSizeArray())
                .inputChannels(card.inputChannels());
    }

    /** Where class sums live: on the host (Java arrays), on the model's device (tensors), or host for cpu and device for GPUs. */
    public enum Accumulation { AUTO, HOST, DEVICE }

    public List<String> devices() {
        return devices;
    }

    public EngineOptions devices(List<String> devices) {
        this.devices = List.copyOf(devices);
        return this;
    }

    public int batchSize() {
        return batchSize;
    }

    public EngineOptions batchSize(int batchSize) {
        this.batchSize = batchSize;
        return this;
    }

    public boolean tta() {
        return tta;
    }

    public EngineOptions tta(boolean tta) {
        this.tta = tta;
        return this;
    }

    public int[] mirrorAxes() {
        return mirrorAxes.clone();
    }

    public EngineOptions mirrorAxes(int... axes) {
        this.mirrorAxes = axes.clone();
        return this;
    }

    public double step() {
        return step;
    }

    public EngineOptions step(double step) {
        this.step = step;
        return this;
    }

    public int classes() {
        return classes;
    }

    public EngineOptions classes(int classes) {
        this.classes = classes;
        return this;
    }

    public int[] patch() {
        return patch == null ? null : patch.clone();
    }

    public EngineOptions patch(int... patch) {
        this.patch = patch.clone();
        return this;
    }

    public int inputChannels() {
        return inputChannels;
    }

    public EngineOptions inputChannels(int inputChannels) {
        this.inputChannels = inputChannels;
        return this;
    }

    public int intakeCapacity() {
        return intakeCapacity;
    }

    public EngineOptions intakeCapacity(int intakeCapacity) {
        this.intakeCapacity = intakeCapacity;
        return this;
    }

    /** Whether a device runs a full garbage collection after each slab it finishes (see the setter). */
    public boolean collectAfterSlab() {
        return collectAfterSlab;
    }

    /**
     * For batch runs in one JVM: after a slab finishes (its labels taken, its class sums now
     * garbage), a full collection runs before the device's next slab allocates its own, so that
     * the heap reuses the finished slab's memory instead of growing around it. Costs one full
     * collection per slab (tens of milliseconds when little else is live); a service whose
     * collector returns memory on its own leaves it off.
     */
    public EngineOptions collectAfterSlab(boolean collect) {
        this.collectAfterSlab = collect;
        return this;
    }

    public int activeSlabsPerDevice() {
        return activeSlabsPerDevice;
    }

    public EngineOptions activeSlabsPerDevice(int n) {
        this.activeSlabsPerDevice = n;
        return this;
    }

    public Accumulation accumulation() {
        return accumulation;
    }

    public EngineOptions accumulation(Accumulation accumulation) {
        this.accumulation = accumulation;
        return this;
    }

    public boolean batchInvariant() {
        return batchInvariant;
    }

    /**
     * When true (the default) every network input of a batch gets its own forward call, because
     * libtorch's CPU kernels are not batch-invariant bit for bit (measured: most logits of a patch
     * change in the last bits between batch 1 and batch 3) and the tiling guarantee needs each
     * patch's output to be independent of its batch-mates. Batches still group inputs for
     * scheduling and extraction. Set false to let the device run true batched passes (faster on
     * GPUs) at the price of last-bit differences between batch sizes.
     */
    public EngineOptions batchInvariant(boolean batchInvariant) {
        this.batchInvariant = batchInvariant;
        return this;
    }

    public boolean fusedHead() {
        return fusedHead;
    }

    /**
     * When true (the default) and the model exports its head separately (tools/stunet/export.py:
     * {@code features}, {@code head_weight}, {@code head_bias}), host accumulation runs the network
     * up to the head and applies the 1x1x1 head fused with softmax and accumulation
     * ({@link io.stunet.tiling.SegmentationHead}): the tile's logits never exist, which saves
     * {@code classes x patch x 4} bytes per output and the time to write and re-read them. The
     * logits differ from the network's own head in the last bits (summation order), like any
     * two conv implementations. False runs the full network and libtorch's softmax.
     */
    public EngineOptions fusedHead(boolean fusedHead) {
        this.fusedHead = fusedHead;
        return this;
    }

    public boolean pipelined() {
        return pipelined;
    }

    /**
     * When true a device slot with host accumulation overlaps its work: while one output is
     * accumulated on the host, the next forward pass already runs, so the cores one stage leaves
     * idle serve the other. At most one finished output waits for the accumulator (one more
     * output's memory, e.g. 134 MB of 16-channel 128^3 features). Accumulation order per slab is
     * unchanged, so masks are bit-identical either way. Off by default: on the 2-core benchmark
     * both stages already keep the cores busy (21.2 s against 21.7 s, +0.11 GiB, see
     * docs/benchmarks.md); it pays where the network and the accumulation take similar time on
     * more cores. Device (GPU) accumulation is always sequential: it runs asynchronously on the
     * device anyway.
     */
    public EngineOptions pipelined(boolean pipelined) {
        this.pipelined = pipelined;
        return this;
    }

    public EngineListener listener() {
        return listener;
    }

    public EngineOptions listener(EngineListener listener) {
        this.listener = listener == null ? EngineListener.NONE : listener;
        return this;
    }

    void validate() {
        if (devices.isEmpty()) {
            throw bad("at least one device is required");
        }
        if (batchSize < 1) {
            throw bad("batch size must be >= 1");
        }
        if (classes < 1 || classes > 65536) {
            throw bad("classes must be in [1, 65536]");
        }
        if (patch == null || patch.length != 3 || patch[0] < 1 || patch[1] < 1 || patch[2] < 1) {
            throw bad("patch must be three positive sizes (z, y, x)");
        }
        if (inputChannels < 1) {
            throw bad("input channels must be >= 1");
        }
        if (!(step > 0 && step <= 1)) {
            throw bad("step must be in (0, 1]");
        }
        if (intakeCapacity < 1 || activeSlabsPerDevice < 1) {
            throw bad("intake capacity and active slabs per device must be >= 1");
        }
    }

    private static StunetException bad(String message) {
        return new StunetException(ErrorCode.INVALID_REQUEST, message);
    }
}
