package io.stunet.engine;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;
import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidModelException;
import io.stunet.error.StunetException;
import io.stunet.tiling.SegmentationHead;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One TorchScript model instance loaded on one device through DJL's PyTorch engine, offline
 * (the native library comes from the pytorch-native jar on the classpath; nothing is
 * downloaded). The forward pass is called directly on the block with NDArrays owned by a
 * caller's {@link NDManager}, so the caller controls when native memory is released. Not
 * thread-safe: used by exactly one device thread.
 */
public final class DeviceModel implements AutoCloseable {
    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final String name;
    private final Device device;
    private final ZooModel<NDList, NDList> model;
    private final Block block;
    private final ParameterStore parameters;
    /** The exported 1x1x1 head, or null when the file has no split-head methods (older exports). */
    private final SegmentationHead head;
    /**
     * One direct input buffer reused for every call. Handing DJL a heap buffer makes it allocate
     * a fresh direct buffer per call, which the JVM frees only on GC: measured as hundreds of MB
     * of RSS creeping up over long volumes.
     */
    private ByteBuffer staging;

    private DeviceModel(String name, Device device, ZooModel<NDList, NDList> model) {
        this.name = name;
        this.device = device;
        this.model = model;
        this.block = model.getBlock();
        this.parameters = new ParameterStore(model.getNDManager(), false);
        this.head = readHead(block, model.getNDManager());
    }

    /**
     * The head from the TorchScript methods {@code head_weight()} ((classes, features)) and
     * {@code head_bias()} that tools/stunet/export.py writes next to {@code features(x)}; null
     * when the module lacks them.
     */
    private static SegmentationHead readHead(Block block, NDManager manager) {
        if (!(block instanceof PtSymbolBlock pt) || !(manager instanceof PtNDManager ptManager)) {
            return null;
        }
        IValue w;
        try {
            w = IValueUtils.runMethod(pt, "head_weight");
        } catch (RuntimeException e) {
            return null;
        }
        try (IValue b = IValueUtils.runMethod(pt, "head_bias"); IValue wv = w;
             PtNDArray wa = wv.toTensor(ptManager); PtNDArray ba = b.toTensor(ptManager)) {
            Shape shape = wa.getShape();
            if (shape.dimension() != 2 || ba.getShape().dimension() != 1 || ba.getShape().get(0) != shape.get(0)
                    || wa.getDataType() != DataType.FLOAT32 || ba.getDataType() != DataType.FLOAT32) {
                throw new InvalidModelException("head_weight/head_bias have shapes " + shape + " and " + ba.getShape()
                        + "; expected float32 (classes, features) and (classes)");
            }
            return new SegmentationHead((int) shape.get(0), (int) shape.get(1),
                    wa.toFloatArray(), ba.toFloatArray());
        }
    }

    /** Loads {@code modelFile} (a {@code .pt} file, or a directory holding {@code model.pt}) on {@code deviceName}. */
    public static DeviceModel load(Path modelFile, String deviceName) {
        Path file = Files.isDirectory(modelFile) ? modelFile.resolve("model.pt") : modelFile;
        if (!Files.isRegularFile(file)) {
            throw new InvalidModelException("TorchScript model file not found: " + file.getFileName());
        }
        Device device = parseDevice(deviceName);
        String base = file.getFileName().toString();
        if (base.endsWith(".pt")) {
            base = base.substring(0, base.length() - 3);
        }
        Criteria<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optEngine("PyTorch")
                .optModelPath(file.toAbsolutePath().getParent())
                .optModelName(base)
                .optDevice(device)
                .optTranslator(new NoopTranslator())
                .optOption("mapLocation", "true")
                .build();
        try {
            return new DeviceModel(deviceName, device, criteria.loadModel());
        } catch (MalformedModelException e) {
            throw new InvalidModelException("TorchScript model cannot be loaded: " + e.getMessage(), e);
        } catch (ModelNotFoundException | IOException e) {
            throw new StunetException(ErrorCode.ENGINE_FAILURE, "cannot load model on " + deviceName + ": " + e.getMessage(), e);
        }
    }

    /** {@code cpu} or {@code gpuN}. */
    static Device parseDevice(String name) {
        if ("cpu".equals(name)) {
            return Device.cpu();
        }
        if (name.matches("gpu\\d+")) {
            return Device.gpu(Integer.parseInt(name.substring(3)));
        }
        throw new StunetException(ErrorCode.INVALID_REQUEST, "device must be cpu or gpuN, got '" + name + "'");
    }

    public String name() {
        return name;
    }

    public Device device() {
        return device;
    }

    /** A fresh manager on this model's device; close it to free everything created under it. */
    public NDManager newManager() {
        return model.getNDManager().newSubManager(device);
    }

    /**
     * Runs the network on {@code n} inputs packed in {@code batch} from {@code offset} as
     * (n, c, z, y, x); returns the logits (n, classes, z, y, x), owned by {@code manager}.
     */
    public NDArray forward(NDManager manager, float[] batch, int offset, int n, int channels, int[] patch) {
        NDArray input = input(manager, batch, offset, n, channels, patch);
        try {
            NDList out = block.forward(parameters, new NDList(input), false);
            NDArray logits = out.get(0);
            for (int i = 1; i < out.size(); i++) {
                out.get(i).close();
            }
            return logits;
        } catch (RuntimeException e) {
            throw new StunetException(ErrorCode.ENGINE_FAILURE, "forward pass failed on " + name + ": " + e.getMessage(), e);
        } finally {
            input.close();
        }
    }

    /** The split head, or null if this model only has {@code forward}. */
    public SegmentationHead head() {
        return head;
    }

    /**
     * Runs the network up to its head on {@code n} inputs: returns the features (n, head
     * channels, z, y, x), owned by {@code manager}. Only for models with a {@link #head()}.
     */
    public NDArray features(NDManager manager, float[] batch, int offset, int n, int channels, int[] patch) {
        if (head == null) {
            throw new IllegalStateException("model on " + name + " has no split head");
        }
        NDArray input = input(manager, batch, offset, n, channels, patch);
        try (IValue in = IValue.from((PtNDArray) input); IValue out = IValueUtils.runMethod((PtSymbolBlock) block, "features", in)) {
            return out.toTensor((PtNDManager) manager);
        } catch (RuntimeException e) {
            throw new StunetException(ErrorCode.ENGINE_FAILURE, "features pass failed on " + name + ": " + e.getMessage(), e);
        } finally {
            input.close();
        }
    }

    private NDArray input(NDManager manager, float[] batch, int offset, int n, int channels, int[] patch) {
        Shape shape = new Shape(n, channels, patch[0], patch[1], patch[2]);
        int floats = (int) shape.size();
        if (staging == null || staging.capacity() < 4 * floats) {
            staging = ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder());
        }
        staging.clear();
        staging.asFloatBuffer().put(batch, offset, floats);
        staging.limit(4 * floats);
        return manager.create(staging, shape, DataType.FLOAT32);
    }

    @Override
    public void close() {
        model.close();
    }
}
