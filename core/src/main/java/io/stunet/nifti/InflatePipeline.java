package io.stunet.nifti;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Overlaps gzip inflation with voxel decoding: one thread inflates fixed-size chunks into
 * a small ring of buffers while the caller decodes the previous chunk into the volume.
 * Exactly {@code bytes} bytes are read from the stream, never more. Small images skip the
 * thread.
 */
final class InflatePipeline {
    /** 4 MiB: a multiple of every voxel size, large enough to amortise the hand-off. */
    private static final int CHUNK = 1 << 22;
    private static final int BUFFERS = 3;

    private InflatePipeline() {
    }

    private record Chunk(byte[] buffer, int length, Throwable failure) {
    }

    static void pump(InputStream in, long bytes, VoxelSink sink) throws IOException {
        if (bytes <= 2L * CHUNK) {
            byte[] all = new byte[(int) bytes];
            NiftiReader.readFully(in, all, 0, all.length);
            sink.accept(ByteBuffer.wrap(all), 0, voxels(sink, bytes));
            return;
        }
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(BUFFERS);
        BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(BUFFERS + 1);
        for (int i = 0; i < BUFFERS; i++) {
            free.add(new byte[CHUNK]);
        }
        Thread producer = new Thread(() -> {
            long remaining = bytes;
            try {
                while (remaining > 0) {
                    byte[] buf = free.take();
                    int n = (int) Math.min(CHUNK, remaining);
                    NiftiReader.readFully(in, buf, 0, n);
                    full.put(new Chunk(buf, n, null));
                    remaining -= n;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                full.offer(new Chunk(null, 0, e));
            }
        }, "nifti-inflate");
        producer.setDaemon(true);
        producer.start();
        long done = 0;
        int perVoxel = bytesPerVoxel(sink);
        try {
            while (done < bytes) {
                Chunk c = full.take();
                if (c.failure() != null) {
                    if (c.failure() instanceof IOException io) {
                        throw io;
                    }
                    throw (RuntimeException) c.failure();
                }
                sink.accept(ByteBuffer.wrap(c.buffer(), 0, c.length()), (int) (done / perVoxel),
                        c.length() / perVoxel);
                done += c.length();
                free.put(c.buffer());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading voxel data");
        } finally {
            producer.interrupt();
            joinQuietly(producer);
        }
    }

    private static int bytesPerVoxel(VoxelSink sink) {
        return sink.storedType().bytes();
    }

    private static int voxels(VoxelSink sink, long bytes) {
        return (int) (bytes / bytesPerVoxel(sink));
    }

    private static void joinQuietly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
