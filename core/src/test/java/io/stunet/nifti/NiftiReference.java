package io.stunet.nifti;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.geometry.Affine;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Calls {@code tools/reference/nifti_reference.py} (nibabel) and decodes what it writes. */
public final class NiftiReference {
    public static final ObjectMapper JSON = new ObjectMapper();

    private NiftiReference() {
    }

    public static JsonNode call(String... args) {
        String out = Python.run(TestData.file("tools/reference/nifti_reference.py"), args);
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** nibabel's {@code get_fdata(dtype=float32)}, x fastest, optionally after {@code as_closest_canonical}. */
    public static float[] float32(Path file, Path scratch, boolean canonical) {
        Path out = scratch.resolve(file.getFileName() + (canonical ? ".canon.f32" : ".f32"));
        if (canonical) {
            call("dump", file.toString(), out.toString(), "--canonical");
        } else {
            call("dump", file.toString(), out.toString());
        }
        return readFloats(out);
    }

    public static float[] readFloats(Path p) {
        ByteBuffer b = ByteBuffer.wrap(readAll(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    public static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Affine affine(JsonNode rows) {
        double[][] m = new double[4][4];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                m[r][c] = rows.get(r).get(c).asDouble();
            }
        }
        return Affine.fromRows(m);
    }

    public static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    public static double[] doubles(JsonNode arr) {
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asDouble();
        }
        return out;
    }
}
