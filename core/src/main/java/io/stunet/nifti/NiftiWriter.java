package io.stunet.nifti;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.files.AtomicFiles;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/**
 * Writes volumes as NIfTI: {@code .nii}, {@code .nii.gz} (gzip whenever the name ends in
 * {@code .gz}), or a {@code .hdr}/{@code .img} pair, or encodes a single-file image to bytes
 * (for a blob store or a stream); a file and the bytes of the same image are identical. Each
 * file is written through {@link AtomicFiles}, so readers never see half an output. Masks and float32 volumes take their geometry (qform, sform, codes, pixdim,
 * xyzt_units) from a reference header, which is how exported masks land exactly on the
 * input grid.
 */
public final class NiftiWriter {
    /** nibabel's default gzip level: fast, and what the reference tooling writes. */
    public static final int GZIP_LEVEL = 1;
    private static final int CHUNK = 1 << 20;

    private NiftiWriter() {
    }

    /** A uint8 mask (C order (z, y, x)) on the reference's 3-D grid. */
    public static void writeLabels(Path out, byte[] labelsZyx, NiftiHeader reference) {
        NiftiHeader h = reference.spatial().withDataType(DataType.UINT8).withIntentNone();
        write(out, Volume.wrap(h, labelsZyx));
    }

    /** A uint16 mask (C order (z, y, x)) on the reference's 3-D grid. */
    public static void writeLabels(Path out, short[] labelsZyx, NiftiHeader reference) {
        NiftiHeader h = reference.spatial().withDataType(DataType.UINT16).withIntentNone();
        write(out, Volume.wrap(h, labelsZyx));
    }

    /** {@link #writeLabels(Path, byte[], NiftiHeader)} as the bytes of a single-file image. */
    public static byte[] encodeLabels(byte[] labelsZyx, NiftiHeader reference, boolean gzip) {
        return encode(Volume.wrap(reference.spatial().withDataType(DataType.UINT8).withIntentNone(), labelsZyx), gzip);
    }

    /** {@link #writeLabels(Path, short[], NiftiHeader)} as the bytes of a single-file image. */
    public static byte[] encodeLabels(short[] labelsZyx, NiftiHeader reference, boolean gzip) {
        return encode(Volume.wrap(reference.spatial().withDataType(DataType.UINT16).withIntentNone(), labelsZyx), gzip);
    }

    /** The volume as a single-file image ({@code .nii}, or {@code .nii.gz} when {@code gzip}). */
    public static byte[] encode(Volume volume, boolean gzip) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(out, volume, gzip);
        return out.toByteArray();
    }

    /** Writes the volume as a single-file image to {@code out}, which is not closed. */
    public static void write(OutputStream out, Volume volume, boolean gzip) {
        try {
            through(out, gzip, s -> single(s, volume));
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot write the NIfTI output ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** A float32 volume (C order (z, y, x)) on the header's 3-D grid, unscaled. */
    public static void writeFloat32(Path out, float[] zyx, NiftiHeader header) {
        write(out, Volume.wrap(header.spatial().withDataType(DataType.FLOAT32), zyx));
    }

    /** Writes the volume with its own header (layout, byte order, geometry, scaling). */
    public static void write(Path out, Volume volume) {
        String name = out.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        boolean gzip = lower.endsWith(".gz");
        String stem = gzip ? lower.substring(0, lower.length() - 3) : lower;
        try {
            if (stem.endsWith(".hdr") || stem.endsWith(".img")) {
                String base = name.substring(0, stem.length() - 4);
                String suffix = gzip ? name.substring(name.length() - 3) : "";
                Path hdr = out.resolveSibling(base + ".hdr" + suffix);
                Path img = out.resolveSibling(base + ".img" + suffix);
                // Voxels first: a header that appears always has its image.
                atomically(img, gzip, s -> writeData(s, volume));
                atomically(hdr, gzip, s -> s.write(HeaderCodec.encode(volume.header(), true)));
            } else {
                atomically(out, gzip, s -> single(s, volume));
            }
        } catch (IOException e) {
            // No path in the message: output names usually carry the case or patient name.
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot write the NIfTI output ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** Writes {@code body} to {@code target} atomically, through gzip when asked. */
    private static void atomically(Path target, boolean gzip, AtomicFiles.Body body) throws IOException {
        AtomicFiles.write(target, out -> through(out, gzip, body));
    }

    /** Writes {@code body} to {@code out}, through gzip (level {@link #GZIP_LEVEL}) when asked. */
    private static void through(OutputStream out, boolean gzip, AtomicFiles.Body body) throws IOException {
        if (gzip) {
            GZIPOutputStream z = new GZIPOutputStream(out, 1 << 16) {
                {
                    def.setLevel(GZIP_LEVEL);
                }
            };
            body.write(z);
            z.finish();
        } else {
            body.write(out);
            out.flush();
        }
    }

    /** Header and voxels of a single-file image. */
    private static void single(OutputStream out, Volume volume) throws IOException {
        out.write(HeaderCodec.encode(volume.header(), false));
        writeData(out, volume);
    }

    private static void writeData(OutputStream out, Volume v) throws IOException {
        NiftiHeader h = v.header();
        DataType t = h.dataType();
        int count = (int) h.voxelCount();
        if (t.bytes() == 1) {
            out.write(v.bytes(), 0, count);
            return;
        }
        byte[] chunk = new byte[CHUNK];
        ByteBuffer buf = ByteBuffer.wrap(chunk).order(h.byteOrder());
        int perChunk = CHUNK / t.bytes();
        for (int pos = 0; pos < count; pos += perChunk) {
            int n = Math.min(perChunk, count - pos);
            buf.clear();
            switch (t) {
                case INT16, UINT16 -> buf.asShortBuffer().put(v.shorts(), pos, n);
                case INT32, UINT32 -> buf.asIntBuffer().put(v.ints(), pos, n);
                case INT64 -> buf.asLongBuffer().put(v.longs(), pos, n);
                case FLOAT32 -> buf.asFloatBuffer().put(v.floats(), pos, n);
                case FLOAT64 -> buf.asDoubleBuffer().put(v.doubles(), pos, n);
                default -> throw new IllegalStateException(t.toString());
            }
            out.write(chunk, 0, n * t.bytes());
        }
    }
}
