package io.stunet.window;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Read access to a preprocessed (c, z, y, x) float32 volume, one x-row at a time, so the
 * engine never needs the whole case in memory: an in-memory array or the claim-check layout
 * on disk ({@code preprocessed.f32}, raw little-endian C order) are both sources.
 */
public interface VolumeSource {
    int channels();

    /** (z, y, x) shape of one channel. */
    int[] shape();

    /** Copies {@code dst.length} voxels of channel {@code c}, row (z, y), starting at x = {@code x0}. */
    void readRow(int c, int z, int y, int x0, float[] dst);

    /** A source over an in-memory (c, z, y, x) array; the array is not copied. */
    static VolumeSource of(float[] data, int channels, int[] shape) {
        long n = (long) channels * shape[0] * shape[1] * shape[2];
        if (data.length != n) {
            throw new StunetException(ErrorCode.INVALID_REQUEST,
                    "volume buffer has " + data.length + " values, shape needs " + n);
        }
        int[] s = shape.clone();
        return new VolumeSource() {
            @Override
            public int channels() {
                return channels;
            }

            @Override
            public int[] shape() {
                return s.clone();
            }

            @Override
            public void readRow(int c, int z, int y, int x0, float[] dst) {
                System.arraycopy(data, ((c * s[0] + z) * s[1] + y) * s[2] + x0, dst, 0, dst.length);
            }
        };
    }

    /**
     * A source over a raw little-endian float32 (c, z, y, x) file, read with positional reads;
     * thread-safe. Close it to release the file handle.
     */
    static FileVolumeSource ofFile(Path file, int channels, int[] shape) {
        return new FileVolumeSource(file, channels, shape);
    }

    /**
     * {@link VolumeSource} over a raw float32 file; close it to release the file handle. Rows are
     * read a block of whole-width rows of one plane at a time (at most {@link #BLOCK_BYTES}) and
     * kept per thread, because patch extraction asks for consecutive rows of a plane: one
     * positional read per block instead of one per row (a 128^3 patch was 16384 system calls).
     */
    final class FileVolumeSource implements VolumeSource, AutoCloseable {
        /** Bytes of whole-width rows read at once. */
        static final int BLOCK_BYTES = 1 << 18;
        private final FileChannel channel;
        private final int channels;
        private final int[] shape;
        private final ThreadLocal<Block> blocks = new ThreadLocal<>();

        /** One thread's last block: rows {@code [y0, y1)} of plane {@code z} of channel {@code c}, whole width. */
        private static final class Block {
            final ByteBuffer bytes;
            final FloatBuffer floats;
            int c = -1;
            int z = -1;
            int y0;
            int y1;

            Block(int capacity) {
                bytes = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
                floats = bytes.asFloatBuffer();
            }
        }

        private FileVolumeSource(Path file, int channels, int[] shape) {
            this.channels = channels;
            this.shape = shape.clone();
            try {
                this.channel = FileChannel.open(file, StandardOpenOption.READ);
                long need = 4L * channels * shape[0] * shape[1] * shape[2];
                long size = channel.size();
                if (size != need) {
                    channel.close();
                    throw new StunetException(ErrorCode.BLOB_CORRUPT, "volume file has " + size + " bytes, shape needs " + need);
                }
            } catch (IOException e) {
                throw new StunetException(ErrorCode.IO_FAILURE, "cannot open preprocessed volume", e);
            }
        }

        @Override
        public int channels() {
            return channels;
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public void readRow(int c, int z, int y, int x0, float[] dst) {
            int width = shape[2];
            int rows = Math.max(1, BLOCK_BYTES / (4 * width));
            Block b = blocks.get();
            if (b == null) {
                b = new Block(4 * width * rows);
                blocks.set(b);
            }
            if (b.c != c || b.z != z || y < b.y0 || y >= b.y1) {
                int y1 = Math.min(shape[1], y + rows);
                ByteBuffer bytes = b.bytes;
                bytes.clear().limit(4 * width * (y1 - y));
                long pos = 4L * (((long) c * shape[0] + z) * shape[1] + y) * width;
                b.c = -1;
                try {
                    while (bytes.hasRemaining()) {
                        int r = channel.read(bytes, pos + bytes.position());
                        if (r < 0) {
                            throw new StunetException(ErrorCode.TRUNCATED_DATA, "preprocessed volume ends early");
                        }
                    }
                } catch (IOException e) {
                    throw new StunetException(ErrorCode.IO_FAILURE, "cannot read preprocessed volume", e);
                }
                b.c = c;
                b.z = z;
                b.y0 = y;
                b.y1 = y1;
            }
            b.floats.get((y - b.y0) * width + x0, dst);
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw new StunetException(ErrorCode.IO_FAILURE, "cannot close preprocessed volume", e);
            }
        }
    }
}
