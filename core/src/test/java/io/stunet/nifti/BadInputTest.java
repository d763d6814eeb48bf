package io.stunet.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.geometry.Affine;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of broken files generated from a valid one: each fails with its stable error
 * code, and none makes the reader allocate what the header claims (tests run with -Xmx4g
 * while some headers declare terabytes).
 */
class BadInputTest {
    @TempDir
    Path tmp;

    private byte[] nifti1;
    private byte[] nifti2;

    @BeforeEach
    void validFiles() throws IOException {
        NiftiHeader h = NiftiHeader.forGrid(8, 7, 6, Affine.diagonal(1, 1, 2, 0, 0, 0), DataType.INT16);
        short[] data = new short[8 * 7 * 6];
        for (int i = 0; i < data.length; i++) {
            data[i] = (short) (i * 7 - 100);
        }
        Path p1 = tmp.resolve("valid1.nii");
        NiftiWriter.write(p1, Volume.wrap(h, data));
        nifti1 = Files.readAllBytes(p1);
        Path p2 = tmp.resolve("valid2.nii");
        NiftiWriter.write(p2, Volume.wrap(h.withFormat(NiftiFormat.NIFTI2), data));
        nifti2 = Files.readAllBytes(p2);
        assertArrayEquals(data, NiftiReader.read(p1).shorts());
        assertArrayEquals(data, NiftiReader.read(p2).shorts());
    }

    @Test
    void truncatedVoxelData() throws IOException {
        byte[] cut = Arrays.copyOf(nifti1, nifti1.length - 10);
        assertCode(ErrorCode.TRUNCATED_DATA, write("cut.nii", cut));
        assertCode(ErrorCode.TRUNCATED_DATA, write("cut.nii.gz", gzip(cut)));
    }

    @Test
    void truncatedGzipStream() throws IOException {
        byte[] gz = gzip(nifti1);
        assertCode(ErrorCode.TRUNCATED_DATA, write("half.nii.gz", Arrays.copyOf(gz, gz.length / 2)));
        assertCode(ErrorCode.INVALID_NIFTI, write("tiny.nii.gz", Arrays.copyOf(gz, 12)));
    }

    @Test
    void corruptGzipHeader() throws IOException {
        byte[] gz = gzip(nifti1);
        gz[2] = 7;
        assertCode(ErrorCode.INVALID_NIFTI, write("method.nii.gz", gz));
    }

    @Test
    void badSizeofHdrAndMagic() throws IOException {
        assertCode(ErrorCode.INVALID_NIFTI, write("sizeof.nii", mutate(nifti1, b -> b.putInt(0, 123))));
        assertCode(ErrorCode.INVALID_NIFTI, write("magic.nii", mutate(nifti1, b -> b.put(344, (byte) 'x'))));
        assertCode(ErrorCode.INVALID_NIFTI, write("magic2.nii", mutate(nifti2, b -> b.put(5, (byte) 'x'))));
        assertCode(ErrorCode.INVALID_NIFTI, write("pairmagic.nii", mutate(nifti1, b -> b.put(345, (byte) 'i'))));
        assertCode(ErrorCode.INVALID_NIFTI, write("empty.nii", new byte[0]));
        assertCode(ErrorCode.INVALID_NIFTI, write("short.nii", Arrays.copyOf(nifti1, 200)));
        assertCode(ErrorCode.INVALID_NIFTI, write("noise.nii.gz", gzip(new byte[] {1, 2, 3, 4, 5})));
    }

    @Test
    void zeroNegativeAndOverflowingDims() throws IOException {
        assertCode(ErrorCode.INVALID_NIFTI, write("zero.nii", mutate(nifti1, b -> b.putShort(44, (short) 0))));
        assertCode(ErrorCode.INVALID_NIFTI, write("neg.nii", mutate(nifti1, b -> b.putShort(42, (short) -5))));
        assertCode(ErrorCode.INVALID_NIFTI, write("ndim0.nii", mutate(nifti1, b -> b.putShort(40, (short) 0))));
        assertCode(ErrorCode.INVALID_NIFTI, write("ndim9.nii", mutate(nifti1, b -> b.putShort(40, (short) 9))));
        assertCode(ErrorCode.INVALID_NIFTI, write("neg2.nii", mutate(nifti2, b -> b.putLong(24, -1))));
        byte[] overflow = mutate(nifti2, b -> {
            b.putLong(16, 7);
            for (int i = 1; i <= 7; i++) {
                b.putLong(16 + 8 * i, 1L << 20);
            }
        });
        assertCode(ErrorCode.VOLUME_TOO_LARGE, write("overflow.nii", overflow));
        byte[] big1 = mutate(nifti1, b -> {
            b.putShort(40, (short) 7);
            for (int i = 1; i <= 7; i++) {
                b.putShort(40 + 2 * i, Short.MAX_VALUE);
            }
        });
        assertCode(ErrorCode.VOLUME_TOO_LARGE, write("big1.nii.gz", gzip(big1)));
    }

    @Test
    void unnormalisedQuaternionIsRefusedWhenItDefinesTheAffine() throws IOException {
        // sform_code 0, qform_code 1, quaternion (b, c, d) with |bcd| > 1.
        byte[] bad = mutate(nifti1, b -> {
            b.putShort(252, (short) 1);
            b.putShort(254, (short) 0);
            b.putFloat(256, 0.9f);
            b.putFloat(260, 0.9f);
            b.putFloat(264, 0.9f);
        });
        assertCode(ErrorCode.INVALID_NIFTI, write("quat.nii", bad));
        // With an sform the quaternion is not used for the affine, as in nibabel.
        byte[] withSform = mutate(bad, b -> b.putShort(254, (short) 2));
        assertEquals(336, NiftiReader.read(write("quat_sform.nii", withSform)).frameSize());
    }

    @Test
    void unsupportedDatatype() throws IOException {
        assertCode(ErrorCode.UNSUPPORTED_DATATYPE, write("rgb.nii", mutate(nifti1, b -> b.putShort(70, (short) 128))));
        assertCode(ErrorCode.UNSUPPORTED_DATATYPE, write("cplx.nii", mutate(nifti2, b -> b.putShort(12, (short) 32))));
        assertCode(ErrorCode.UNSUPPORTED_DATATYPE, write("ld.nii.gz",
                gzip(mutate(nifti1, b -> b.putShort(70, (short) 1536)))));
    }

    @Test
    void voxOffsetPastEndOfFile() throws IOException {
        byte[] far = mutate(nifti1, b -> b.putFloat(108, 1e6f));
        assertCode(ErrorCode.INVALID_NIFTI, write("far.nii", far));
        assertCode(ErrorCode.INVALID_NIFTI, write("far.nii.gz", gzip(far)));
        assertCode(ErrorCode.INVALID_NIFTI, write("inside.nii", mutate(nifti1, b -> b.putFloat(108, 100f))));
        assertCode(ErrorCode.INVALID_NIFTI, write("nan.nii", mutate(nifti1, b -> b.putFloat(108, Float.NaN))));
        assertCode(ErrorCode.INVALID_NIFTI, write("far2.nii", mutate(nifti2, b -> b.putLong(168, 1L << 40))));
    }

    @Test
    void headerClaimingTeraVoxelsIsRefusedBeforeAllocation() throws IOException {
        byte[] tera = mutate(nifti2, b -> {
            b.putLong(24, 10_000);
            b.putLong(32, 10_000);
            b.putLong(40, 10_000);
        });
        byte[] headerOnly = Arrays.copyOf(tera, 544);
        StunetException e = assertCode(ErrorCode.VOLUME_TOO_LARGE, write("tera.nii", headerOnly));
        assertTrue(e.getMessage().contains("1000000000000"), e.getMessage());
        assertCode(ErrorCode.VOLUME_TOO_LARGE, write("tera.nii.gz", gzip(headerOnly)));
    }

    @Test
    void sizeThatTheGzipFileCannotHoldIsRefusedBeforeAllocation() throws IOException {
        // 1.2 G voxels of int16 (2.4 GB, within a raised limit) from a few hundred bytes of gzip.
        byte[] liar = mutate(nifti2, b -> {
            b.putLong(24, 1200);
            b.putLong(32, 1000);
            b.putLong(40, 1000);
        });
        Path p = write("liar.nii.gz", gzip(Arrays.copyOf(liar, 544)));
        StunetException e = assertThrows(StunetException.class,
                () -> NiftiReader.read(p, NiftiReader.Options.defaults().withMaxVoxels(NiftiReader.ARRAY_LIMIT)));
        assertEquals(ErrorCode.TRUNCATED_DATA, e.code());
        assertTrue(e.getMessage().contains("cannot hold"), e.getMessage());
        Path plain = write("liar.nii", Arrays.copyOf(liar, 544));
        e = assertThrows(StunetException.class,
                () -> NiftiReader.read(plain, NiftiReader.Options.defaults().withMaxVoxels(NiftiReader.ARRAY_LIMIT)));
        assertEquals(ErrorCode.TRUNCATED_DATA, e.code());
    }

    @Test
    void configurableVoxelLimit() throws IOException {
        Path p = write("ok.nii", nifti1);
        assertEquals(336, NiftiReader.read(p, NiftiReader.Options.defaults().withMaxVoxels(336)).frameSize());
        StunetException e = assertThrows(StunetException.class,
                () -> NiftiReader.read(p, NiftiReader.Options.defaults().withMaxVoxels(335)));
        assertEquals(ErrorCode.VOLUME_TOO_LARGE, e.code());
    }

    @Test
    void decompressionBombStopsAtTheDeclaredSize() throws IOException {
        // A valid small image followed by 256 MiB of zeros: only the declared voxels are inflated.
        Path p = tmp.resolve("bomb.nii.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p), 1 << 16)) {
            out.write(nifti1);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) {
                out.write(zeros);
            }
        }
        long t0 = System.nanoTime();
        Volume v = NiftiReader.read(p);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(336, v.frameSize());
        assertEquals(-100, v.shorts()[0]);
        // Inflating 256 MiB takes far longer than reading 700 bytes; generous bound for a busy machine.
        assertTrue(millis < 5000, "took " + millis + " ms");
    }

    @Test
    void pairWithoutImageAndMissingFile() throws IOException {
        Path hdr = tmp.resolve("lonely.hdr");
        Files.write(hdr, Arrays.copyOf(mutate(nifti1, b -> {
            b.put(345, (byte) 'i');
            b.putFloat(108, 0);
        }), 348));
        assertCode(ErrorCode.INVALID_REQUEST, hdr);
        assertCode(ErrorCode.INVALID_REQUEST, tmp.resolve("absent.nii.gz"));
        Files.write(tmp.resolve("lonely.img"), new byte[100]);
        assertCode(ErrorCode.TRUNCATED_DATA, hdr);
    }

    @Test
    void fourDimensionalInputIsReadableButNotSegmentable() {
        Volume v = NiftiReader.read(TestData.nifti("example4d.nii.gz"));
        assertEquals(2, v.nt());
        StunetException e = assertThrows(StunetException.class, v::require3d);
        assertEquals(ErrorCode.UNSUPPORTED_DIMENSIONS, e.code());
        Volume single = NiftiReader.read(TestData.nifti("example_ct_sm.nii.gz"));
        assertEquals(single, single.require3d());
    }

    private StunetException assertCode(ErrorCode code, Path file) {
        StunetException e = assertThrows(StunetException.class, () -> NiftiReader.read(file), file.toString());
        assertEquals(code, e.code(), file.getFileName() + ": " + e.getMessage());
        if (code != ErrorCode.INVALID_REQUEST) {
            StunetException viaHeader = null;
            try {
                NiftiReader.readHeader(file);
            } catch (StunetException h) {
                viaHeader = h;
            }
            // Header-level problems are found by readHeader too; data problems only by read.
            if (viaHeader != null) {
                assertEquals(code, viaHeader.code(), "readHeader " + file.getFileName());
            }
        }
        return e;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static byte[] mutate(byte[] valid, Consumer<ByteBuffer> change) {
        byte[] copy = valid.clone();
        change.accept(ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN));
        return copy;
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bos)) {
            z.write(bytes);
        }
        return bos.toByteArray();
    }
}
