package io.stunet.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.stunet.error.StunetException;
import io.stunet.volume.Volume;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-memory codec (byte arrays, buffers, streams) against the file codec on the nibabel
 * corpus: every single-file image reads from its bytes exactly as from its path, encoding to
 * bytes gives exactly the file {@link NiftiWriter#write(Path, Volume)} writes (which nibabel
 * reads back as the original), and damaged bytes fail with the same typed error as the same
 * damaged file.
 */
class InMemoryCodecTest {
    @TempDir
    Path tmp;

    @Test
    void bytesReadAndEncodeLikeFiles() throws Exception {
        Path outDir = Files.createDirectory(tmp.resolve("ours"));
        ArrayNode pairs = NiftiReference.JSON.createArrayNode();
        int checked = 0;
        for (Path file : singleFileImages()) {
            String what = file.getFileName().toString();
            byte[] raw = Files.readAllBytes(file);
            Volume fromPath = NiftiReader.read(file);
            Volume fromBytes = NiftiReader.read(raw);
            assertSame(fromPath, fromBytes, what);
            byte[] padded = new byte[raw.length + 7];
            System.arraycopy(raw, 0, padded, 3, raw.length);
            Volume fromBuffer = NiftiReader.read(ByteBuffer.wrap(padded, 3, raw.length), NiftiReader.Options.defaults());
            assertSame(fromPath, fromBuffer, what + " (buffer)");
            assertSame(fromPath, NiftiReader.read(new ByteArrayInputStream(raw), NiftiReader.Options.defaults()),
                    what + " (stream)");
            assertArrayEquals(NiftiReader.readFloat32(file).floats(), NiftiReader.readFloat32(raw).floats(), what);
            assertArrayEquals(HeaderCodec.encode(NiftiReader.readHeader(file), false),
                    HeaderCodec.encode(NiftiReader.readHeader(raw), false), what);

            boolean gzip = what.endsWith(".gz");
            Path written = outDir.resolve(what);
            NiftiWriter.write(written, fromBytes);
            byte[] encoded = NiftiWriter.encode(fromBytes, gzip);
            assertArrayEquals(Files.readAllBytes(written), encoded, what + ": encoded bytes differ from the written file");
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            NiftiWriter.write(stream, fromBytes, gzip);
            assertArrayEquals(encoded, stream.toByteArray(), what);
            Path fromEncoded = outDir.resolve("enc-" + what);
            Files.write(fromEncoded, encoded);
            pairs.add(NiftiReference.JSON.createArrayNode().add(file.toString()).add(fromEncoded.toString()));
            checked++;
        }
        assertTrue(checked >= 9 * 2 * 2, "corpus has too few single-file images: " + checked);
        Path pairsFile = tmp.resolve("pairs.json");
        NiftiReference.JSON.writeValue(pairsFile.toFile(), pairs);
        JsonNode results = NiftiReference.call("compare", pairsFile.toString());
        assertEquals(pairs.size(), results.size());
        for (JsonNode r : results) {
            for (String key : List.of("same_dtype", "same_raw", "same_scaled", "same_affine", "same_qform", "same_codes")) {
                assertTrue(r.get(key).asBoolean(), key + " for " + r.get("ours").asText());
            }
        }
    }

    @Test
    void damagedBytesFailLikeDamagedFiles() throws Exception {
        int failures = 0;
        for (Path file : singleFileImages()) {
            String what = file.getFileName().toString();
            byte[] raw = Files.readAllBytes(file);
            for (int keep : new int[] {1, 100, raw.length / 2, raw.length - 1}) {
                byte[] cut = Arrays.copyOf(raw, keep);
                Path damaged = tmp.resolve("cut-" + keep + "-" + what);
                Files.write(damaged, cut);
                // A gzip stream cut inside its trailer still holds every voxel: both readers accept it.
                String onFile = outcome(() -> NiftiReader.read(damaged));
                String onBytes = outcome(() -> NiftiReader.read(cut));
                assertEquals(onFile, onBytes, what + " cut to " + keep);
                failures += onFile.startsWith("failed") ? 1 : 0;
            }
        }
        assertTrue(failures > 0, "no damaged image was refused");
    }

    /** The {@code .nii} and {@code .nii.gz} files of the nibabel corpus. */
    private List<Path> singleFileImages() throws Exception {
        Path corpus = Files.createDirectory(tmp.resolve("corpus"));
        List<Path> files = new java.util.ArrayList<>();
        for (JsonNode e : NiftiReference.call("roundtrip-corpus", corpus.toString())) {
            Path file = Path.of(e.get("file").asText());
            String name = file.getFileName().toString();
            if (name.endsWith(".nii") || name.endsWith(".nii.gz")) {
                files.add(file);
            }
        }
        return files;
    }

    /** The error code, or the stored bytes of what was read. */
    private static String outcome(java.util.function.Supplier<Volume> read) {
        try {
            return "read " + Arrays.hashCode(RoundTripTest.littleEndianBytes(read.get()));
        } catch (StunetException e) {
            return "failed " + e.code();
        }
    }

    private static void assertSame(Volume expected, Volume actual, String what) {
        assertEquals(expected.dataType(), actual.dataType(), what);
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertEquals(expected.affine(), actual.affine(), what);
        assertEquals(expected.header().byteOrder(), actual.header().byteOrder(), what);
        assertArrayEquals(HeaderCodec.encode(expected.header(), false), HeaderCodec.encode(actual.header(), false), what);
        assertArrayEquals(RoundTripTest.littleEndianBytes(expected), RoundTripTest.littleEndianBytes(actual), what);
    }
}
