package io.stunet.nifti;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;
import io.stunet.error.StunetException;
import io.stunet.volume.Volume;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads NIfTI-1 and NIfTI-2 images ({@code .nii}, {@code .nii.gz}, {@code .hdr}/{@code .img}
 * pairs, optionally gzipped; either byte order) into a {@link Volume}, from a file or from
 * the bytes of a single-file image already in memory (a blob, an upload): both go through the
 * same decoding, so a service never spills a blob to a temporary file to read it. The declared size is
 * checked against {@link Options#maxVoxels()} and against what the file can possibly hold
 * before anything is allocated; gzip is inflated straight into the voxel array and reading
 * stops at the declared size, so neither a lying header nor a decompression bomb makes us
 * allocate or inflate more than the limit. Failures are {@link InvalidVolumeException}s
 * with the codes INVALID_NIFTI, UNSUPPORTED_DATATYPE, VOLUME_TOO_LARGE, TRUNCATED_DATA.
 */
public final class NiftiReader {
    /** Default voxel limit: 2^30 (e.g. 1024^3, or 4 GiB of float32). */
    public static final long DEFAULT_MAX_VOXELS = 1L << 30;
    /** Java arrays cannot be longer than this. */
    public static final long ARRAY_LIMIT = Integer.MAX_VALUE - 8;
    /** Deflate cannot expand input by more than about 1032:1; anything beyond is a lie. */
    private static final long MAX_DEFLATE_RATIO = 1032;
    private static final int GZIP_BUFFER = 1 << 16;

    /**
     * Reading limits.
     *
     * @param maxVoxels largest voxel count (all frames) accepted; larger headers fail with
     *                  VOLUME_TOO_LARGE before allocation
     */
    public record Options(long maxVoxels) {
        public Options {
            if (maxVoxels < 1 || maxVoxels > ARRAY_LIMIT) {
                throw new IllegalArgumentException("maxVoxels must be in 1.." + ARRAY_LIMIT);
            }
        }

        public static Options defaults() {
            return new Options(DEFAULT_MAX_VOXELS);
        }

        public Options withMaxVoxels(long n) {
            return new Options(n);
        }
    }

    private NiftiReader() {
    }

    public static Volume read(Path path) {
        return read(path, Options.defaults());
    }

    public static Volume read(Path path, Options options) {
        return load(path, options, false);
    }

    private static Volume load(Path path, Options options, boolean toFloat) {
        try {
            NiftiFiles files = NiftiFiles.resolve(path);
            if (!files.pair()) {
                return files.headerGzip() ? readGzip(files.header(), null, options, toFloat)
                        : readPlain(files.header(), null, options, toFloat);
            }
            NiftiHeader header = readHeader(files);
            return files.imageGzip() ? readGzip(files.image(), header, options, toFloat)
                    : readPlain(files.image(), header, options, toFloat);
        } catch (NoSuchFileException e) {
            throw notFound(e);
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    /**
     * Reads a single-file image ({@code .nii} or {@code .nii.gz}; compression recognised by the
     * gzip magic bytes) held in memory, with the same checks as a file.
     */
    public static Volume read(byte[] image) {
        return read(ByteBuffer.wrap(image), Options.defaults());
    }

    public static Volume read(byte[] image, Options options) {
        return read(ByteBuffer.wrap(image), options);
    }

    /** {@link #read(byte[])} for the remaining bytes of a buffer (its position is left alone). */
    public static Volume read(ByteBuffer image, Options options) {
        return decode(image.slice(), options, false);
    }

    /**
     * Reads a single-file image from a stream, which is read to its end first (the size of
     * the data is what bounds a lying header); the stream is not closed.
     */
    public static Volume read(InputStream image, Options options) {
        try {
            return read(image.readAllBytes(), options);
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    /** {@link #readFloat32(Path)} for a single-file image in memory. */
    public static Volume readFloat32(byte[] image) {
        return decode(ByteBuffer.wrap(image), Options.defaults(), true);
    }

    /** The header of a single-file image in memory (validated), without decoding the voxels. */
    public static NiftiHeader readHeader(byte[] image) {
        ByteBuffer buf = ByteBuffer.wrap(image);
        try (InputStream in = isGzip(buf) ? gunzip(new BufferInput(buf)) : new BufferInput(buf)) {
            return readHeader(in, false);
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    private static Volume decode(ByteBuffer image, Options options, boolean toFloat) {
        try {
            if (isGzip(image)) {
                return decodeGzip(gunzip(new BufferInput(image)), image.remaining(), null, options, toFloat);
            }
            NiftiHeader h = readHeader(new BufferInput(image), false);
            return decodePlain(h, image.remaining(), (offset, n) -> image.slice((int) offset, (int) n),
                    options, toFloat);
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    private static boolean isGzip(ByteBuffer b) {
        return b.remaining() >= 2 && (b.get(b.position()) & 0xff) == 0x1f && (b.get(b.position() + 1) & 0xff) == 0x8b;
    }

    /**
     * Reads straight to scaled float32, the form the segmentation path consumes, without
     * holding the stored-type array: the result's header is the file's header with datatype
     * FLOAT32 and scaling reset (the values are already scaled; {@link #readHeader} gives
     * the original). Values equal {@code read(path).toFloat32(t)} bit for bit.
     */
    public static Volume readFloat32(Path path) {
        return readFloat32(path, Options.defaults());
    }

    public static Volume readFloat32(Path path, Options options) {
        return load(path, options, true);
    }

    /** The header alone (validated: dims, datatype, offset), without touching the voxel data. */
    public static NiftiHeader readHeader(Path path) {
        try {
            return readHeader(NiftiFiles.resolve(path));
        } catch (NoSuchFileException e) {
            throw notFound(e);
        } catch (IOException e) {
            throw readFailure(e);
        }
    }

    // Messages name neither the file nor its directory: paths often carry patient names.
    private static StunetException notFound(NoSuchFileException e) {
        return new StunetException(ErrorCode.INVALID_REQUEST, "input file (or the .img/.hdr of a pair) not found", e);
    }

    private static StunetException readFailure(IOException e) {
        return new StunetException(ErrorCode.IO_FAILURE, "cannot read the input file ("
                + e.getClass().getSimpleName() + ")", e);
    }

    private static NiftiHeader readHeader(NiftiFiles files) throws IOException {
        try (InputStream in = open(files.header(), files.headerGzip())) {
            return readHeader(in, files.pair());
        }
    }

    private static InputStream open(Path p, boolean gzip) throws IOException {
        InputStream raw = Files.newInputStream(p);
        return gzip ? gunzip(raw) : raw;
    }

    /** A gzip stream over {@code raw}; closes {@code raw} when it is not gzip. */
    private static InputStream gunzip(InputStream raw) throws IOException {
        try {
            return new GZIPInputStream(raw, GZIP_BUFFER);
        } catch (ZipException | EOFException e) {
            raw.close();
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "not a readable gzip stream", e);
        }
    }

    private static NiftiHeader readHeader(InputStream in, boolean pair) throws IOException {
        byte[] first = readHeaderBytes(in, 4);
        NiftiHeader probe = HeaderCodec.probe(first);
        byte[] raw = new byte[probe.format.headerSize()];
        System.arraycopy(first, 0, raw, 0, 4);
        byte[] rest = readHeaderBytes(in, raw.length - 4);
        System.arraycopy(rest, 0, raw, 4, rest.length);
        return HeaderCodec.decode(raw, pair);
    }

    private static byte[] readHeaderBytes(InputStream in, int n) throws IOException {
        byte[] b;
        try {
            b = in.readNBytes(n);
        } catch (EOFException e) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "file ends inside the header", e);
        } catch (ZipException e) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "corrupt gzip stream in the header", e);
        }
        if (b.length < n) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "file ends inside the header");
        }
        return b;
    }

    private static long checkedBytes(NiftiHeader h, Options options) {
        long voxels = h.voxelCount();
        if (voxels > options.maxVoxels()) {
            throw new InvalidVolumeException(ErrorCode.VOLUME_TOO_LARGE, "header declares " + voxels
                    + " voxels, limit is " + options.maxVoxels());
        }
        return voxels * h.dataType.bytes();
    }

    private static Volume readPlain(Path file, NiftiHeader pairHeader, Options options, boolean toFloat)
            throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            NiftiHeader h = pairHeader;
            if (h == null) {
                h = readHeader(Channels.newInputStream(ch), false);
            }
            return decodePlain(h, ch.size(), (offset, n) -> ch.map(FileChannel.MapMode.READ_ONLY, offset, n),
                    options, toFloat);
        }
    }

    /** Uncompressed voxel bytes addressed by offset: a mapped file or a buffer in memory. */
    @FunctionalInterface
    private interface Slices {
        ByteBuffer slice(long offset, long length) throws IOException;
    }

    /** Voxels of an uncompressed image of {@code size} bytes whose header is {@code h}. */
    private static Volume decodePlain(NiftiHeader h, long size, Slices data, Options options, boolean toFloat)
            throws IOException {
        long bytes = checkedBytes(h, options);
        long offset = (long) h.voxOffset;
        if (offset > size) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "vox_offset " + offset
                    + " lies past the end of the file (" + size + " bytes)");
        }
        if (size - offset < bytes) {
            throw new InvalidVolumeException(ErrorCode.TRUNCATED_DATA, "file holds " + (size - offset)
                    + " bytes of voxel data, header declares " + bytes);
        }
        VoxelSink sink = new VoxelSink(h, toFloat);
        int elem = h.dataType.bytes();
        long done = 0;
        // Pieces of at most 1 GiB (whole voxels), bulk-decoded: one copy, no per-voxel calls.
        long piece = (1L << 30) / elem * elem;
        while (done < bytes) {
            long n = Math.min(piece, bytes - done);
            sink.acceptParallel(data.slice(offset + done, n), (int) (done / elem), (int) (n / elem));
            done += n;
        }
        return sink.volume();
    }

    private static Volume readGzip(Path file, NiftiHeader pairHeader, Options options, boolean toFloat)
            throws IOException {
        return decodeGzip(open(file, true), Files.size(file), pairHeader, options, toFloat);
    }

    /** Reads (and closes) the inflating stream {@code in} of {@code compressed} gzip bytes. */
    private static Volume decodeGzip(InputStream gz, long compressed, NiftiHeader pairHeader, Options options,
                                     boolean toFloat) throws IOException {
        try (InputStream in = gz) {
            NiftiHeader h = pairHeader;
            if (h == null) {
                h = readHeader(in, false);
            }
            long bytes = checkedBytes(h, options);
            long offset = (long) h.voxOffset;
            long canHold = compressed * MAX_DEFLATE_RATIO + (1 << 16);
            if (offset > canHold) {
                throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "vox_offset " + offset
                        + " lies past the end of what a " + compressed + "-byte gzip file can hold");
            }
            if (offset + bytes > canHold) {
                throw new InvalidVolumeException(ErrorCode.TRUNCATED_DATA, "a " + compressed
                        + "-byte gzip file cannot hold the " + bytes + " bytes of voxel data the header declares");
            }
            long skip = pairHeader == null ? offset - h.format.headerSize() : offset;
            try {
                in.skipNBytes(skip);
            } catch (EOFException e) {
                throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "vox_offset " + offset
                        + " lies past the end of the data", e);
            }
            VoxelSink sink = new VoxelSink(h, toFloat);
            try {
                InflatePipeline.pump(in, bytes, sink);
            } catch (EOFException e) {
                throw new InvalidVolumeException(ErrorCode.TRUNCATED_DATA, "gzip stream ends before the "
                        + bytes + " bytes of voxel data the header declares", e);
            } catch (ZipException e) {
                throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "corrupt gzip stream", e);
            }
            return sink.volume();
        } catch (ZipException e) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "corrupt gzip stream", e);
        }
    }

    /** An input stream over a buffer's remaining bytes (read from a duplicate). */
    private static final class BufferInput extends InputStream {
        private final ByteBuffer buf;

        BufferInput(ByteBuffer buf) {
            this.buf = buf.duplicate();
        }

        @Override
        public int read() {
            return buf.hasRemaining() ? buf.get() & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (!buf.hasRemaining()) {
                return -1;
            }
            int n = Math.min(len, buf.remaining());
            buf.get(b, off, n);
            return n;
        }
    }

    static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int r = in.read(b, off, len);
            if (r < 0) {
                throw new EOFException();
            }
            off += r;
            len -= r;
        }
    }
}
