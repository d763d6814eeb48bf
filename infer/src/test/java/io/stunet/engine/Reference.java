package io.stunet.engine;

import io.stunet.testing.Python;
import io.stunet.testing.TestData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Test plumbing around {@code tools/stunet/reference_window.py} and {@code tools/stunet/testnet.py}:
 * generates seeded TorchScript nets, writes raw float32 volumes and reads the reference's
 * labels and top-2 margins back.
 */
final class Reference {
    private Reference() {
    }

    static Path script() {
        return TestData.file("tools/stunet/reference_window.py");
    }

    /** A seeded tiny segmentation net saved as {@code dir/name.pt}. */
    static Path net(Path dir, String name, int channels, int classes, int width) {
        Path out = dir.resolve(name + ".pt");
        if (!Files.exists(out)) {
            Python.module("tools.stunet.testnet", "--out", out.toString(), "--channels", String.valueOf(channels),
                    "--classes", String.valueOf(classes), "--width", String.valueOf(width));
        }
        return out;
    }

    /** A smooth random (c, z, y, x) volume: a few sinusoids plus noise, so argmax maps have structure. */
    static float[] volume(int channels, int[] shape, long seed) {
        Random r = new Random(seed);
        float[] v = new float[channels * shape[0] * shape[1] * shape[2]];
        double[] f = new double[9];
        for (int i = 0; i < f.length; i++) {
            f[i] = 0.1 + 0.4 * r.nextDouble();
        }
        int i = 0;
        for (int c = 0; c < channels; c++) {
            for (int z = 0; z < shape[0]; z++) {
                for (int y = 0; y < shape[1]; y++) {
                    for (int x = 0; x < shape[2]; x++) {
                        double s = Math.sin(f[0] * z + f[1] * y + c) + Math.cos(f[2] * x - f[3] * z)
                                + 0.5 * Math.sin(f[4] * x * f[5] + f[6] * y) + 0.3 * r.nextGaussian();
                        v[i++] = (float) s;
                    }
                }
            }
        }
        return v;
    }

    static void writeFloats(Path file, float[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        try {
            Files.write(file, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] readFloats(Path file) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[b.remaining() / 4];
            b.asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] readInts(Path file) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int[] out = new int[b.remaining() / 4];
            b.asIntBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reference labels and top-2 probability margins of the official tiled prediction. */
    record Prediction(int[] labels, float[] margins) {
    }

    static Prediction predict(Path dir, Path model, float[] volume, int channels, int[] shape, int[] patch,
                              int classes, boolean tta, double step) {
        Path in = dir.resolve("ref-in-" + System.nanoTime() + ".f32");
        writeFloats(in, volume);
        Path prefix = dir.resolve("ref-out-" + System.nanoTime());
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("predict", "--model", model.toString(),
                "--input", in.toString(), "--shape", String.valueOf(channels), String.valueOf(shape[0]),
                String.valueOf(shape[1]), String.valueOf(shape[2]), "--patch", String.valueOf(patch[0]),
                String.valueOf(patch[1]), String.valueOf(patch[2]), "--classes", String.valueOf(classes),
                "--step", String.valueOf(step), "--out", prefix.toString()));
        if (tta) {
            args.add("--tta");
        }
        Python.run(script(), args.toArray(String[]::new));
        return new Prediction(readInts(Path.of(prefix + ".labels")), readFloats(Path.of(prefix + ".margin")));
    }
}
