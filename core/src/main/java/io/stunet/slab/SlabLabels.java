package io.stunet.slab;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Argmax labels of one z-slab {@code [z0, z1)} in unpadded network space, C order (z, y, x),
 * and their blob format {@code cases/{caseId}/slabs/{i}.labels}: what the inference engine
 * produces per slab, what infer stores and postprocess reads, and (stitched, {@code z0 = 0})
 * a whole case's labels.
 * Exactly one of {@code bytes} (up to 256 classes) and {@code shorts} is non-null; both are
 * read unsigned. The blob is a 28-byte little-endian header ({@code STLB}, version, z0, z1,
 * height, width, bytes per label) followed by the deflated labels, which are mostly long runs.
 */
public record SlabLabels(int z0, int z1, int height, int width, byte[] bytes, short[] shorts) {
    private static final int MAGIC = 0x424c5453; // "STLB" little-endian
    private static final int VERSION = 1;
    private static final int HEADER = 28;

    public SlabLabels {
        if ((bytes == null) == (shorts == null)) {
            throw new IllegalArgumentException("exactly one of bytes and shorts");
        }
        long n = (long) (z1 - z0) * height * width;
        if (z0 < 0 || z1 <= z0 || height < 1 || width < 1 || n != (bytes != null ? bytes.length : shorts.length)) {
            throw new IllegalArgumentException("labels do not match the slab extent");
        }
    }

    public int voxels() {
        return (z1 - z0) * height * width;
    }

    /** Label at slab-relative index {@code i}, unsigned. */
    public int label(int i) {
        return bytes != null ? Byte.toUnsignedInt(bytes[i]) : Short.toUnsignedInt(shorts[i]);
    }

    /** The slab's extent {@code (z1 - z0, height, width)}. */
    public int[] shape() {
        return new int[] {z1 - z0, height, width};
    }

    /** The blob bytes. */
    public byte[] encode() {
        int width1 = bytes != null ? 1 : 2;
        ByteBuffer raw = ByteBuffer.allocate(voxels() * width1).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes != null) {
            raw.put(bytes);
        } else {
            raw.asShortBuffer().put(shorts);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(HEADER + raw.capacity() / 16 + 64);
        ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(MAGIC).putInt(VERSION).putInt(z0).putInt(z1).putInt(height).putInt(width).putInt(width1);
        out.writeBytes(h.array());
        Deflater d = new Deflater(Deflater.BEST_SPEED);
        try {
            d.setInput(raw.array());
            d.finish();
            byte[] buf = new byte[1 << 16];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
        } finally {
            d.end();
        }
        return out.toByteArray();
    }

    /** Parses a blob made by {@link #encode}; {@code BLOB_CORRUPT} when it is not one. */
    public static SlabLabels decode(byte[] blob) {
        if (blob.length < HEADER) {
            throw corrupt("too short");
        }
        ByteBuffer h = ByteBuffer.wrap(blob, 0, HEADER).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt() != MAGIC || h.getInt() != VERSION) {
            throw corrupt("bad magic or version");
        }
        int z0 = h.getInt();
        int z1 = h.getInt();
        int height = h.getInt();
        int width = h.getInt();
        int width1 = h.getInt();
        long n = (long) (z1 - z0) * height * width;
        if (z0 < 0 || z1 <= z0 || height < 1 || width < 1 || (width1 != 1 && width1 != 2) || n * width1 > Integer.MAX_VALUE - 8) {
            throw corrupt("bad extent");
        }
        byte[] raw = new byte[(int) n * width1];
        Inflater inf = new Inflater();
        try {
            inf.setInput(blob, HEADER, blob.length - HEADER);
            int off = 0;
            while (off < raw.length) {
                int r = inf.inflate(raw, off, raw.length - off);
                if (r == 0 && (inf.finished() || inf.needsInput())) {
                    break;
                }
                off += r;
            }
            if (off != raw.length || !inf.finished()) {
                throw corrupt("labels end early");
            }
        } catch (DataFormatException e) {
            throw corrupt("bad deflate stream");
        } finally {
            inf.end();
        }
        if (width1 == 1) {
            return new SlabLabels(z0, z1, height, width, raw, null);
        }
        short[] s = new short[(int) n];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
        return new SlabLabels(z0, z1, height, width, null, s);
    }

    /**
     * Concatenates slabs that together cover z in {@code [0, depth)} without gaps or overlaps
     * into one slab (the whole case).
     */
    public static SlabLabels stitch(List<SlabLabels> slabs, int depth) {
        List<SlabLabels> sorted = new ArrayList<>(slabs);
        sorted.sort(Comparator.comparingInt(SlabLabels::z0));
        if (sorted.isEmpty()) {
            throw new StunetException(ErrorCode.INTERNAL, "no slabs to stitch");
        }
        SlabLabels first = sorted.get(0);
        boolean wide = first.shorts() != null;
        int plane = first.height() * first.width();
        byte[] b = wide ? null : new byte[depth * plane];
        short[] s = wide ? new short[depth * plane] : null;
        int z = 0;
        for (SlabLabels slab : sorted) {
            if (slab.z0() != z || slab.height() != first.height() || slab.width() != first.width()
                    || (slab.shorts() != null) != wide) {
                throw new StunetException(ErrorCode.BLOB_CORRUPT, "slabs do not tile the volume at z=" + z);
            }
            if (wide) {
                System.arraycopy(slab.shorts(), 0, s, z * plane, slab.voxels());
            } else {
                System.arraycopy(slab.bytes(), 0, b, z * plane, slab.voxels());
            }
            z = slab.z1();
        }
        if (z != depth) {
            throw new StunetException(ErrorCode.BLOB_CORRUPT, "slabs end at z=" + z + ", volume depth is " + depth);
        }
        return new SlabLabels(0, depth, first.height(), first.width(), b, s);
    }

    private static StunetException corrupt(String why) {
        return new StunetException(ErrorCode.BLOB_CORRUPT, "slab labels blob: " + why);
    }
}
