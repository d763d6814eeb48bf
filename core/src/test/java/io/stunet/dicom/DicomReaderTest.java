package io.stunet.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our reader against pydicom on pydicom's own test files (bundled in data/dicom): every
 * element pydicom sees, with the same raw value bytes and numbers, nested items included,
 * and the same decoded pixels (pydicom's pixel_array; dcmtk's dcmdjpeg for JPEG lossless and
 * dcmdjpls for JPEG-LS, which pydicom cannot decode without plugins).
 */
class DicomReaderTest {
    /** pydicom's test files as Debian's python3-pydicom installs them, for those not bundled in data/dicom. */
    static final Path PYDICOM_FILES = Path.of("/usr/lib/python3/dist-packages/pydicom/data/test_files");

    @TempDir
    Path tmp;

    /** A bundled test file (data/dicom), else pydicom's installed one of that name. */
    private static Path testFile(String name) {
        Path installed = PYDICOM_FILES.resolve(name);
        try {
            return DicomReference.sample(name);
        } catch (IllegalStateException notBundled) {
            assertTrue(Files.exists(installed), name + " is neither in data/dicom nor in " + PYDICOM_FILES);
            return installed;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_RLE.dcm", "image_dfl.dcm",
        "SC_rgb_rle_16bit.dcm", "SC_rgb_rle_2frame.dcm", "rtdose.dcm", "rtdose_rle.dcm", "rtplan.dcm", "test-SR.dcm",
        "reportsi.dcm", "liver_1frame.dcm", "SC_rgb_jpeg_gdcm.dcm", "nested_priv_SQ.dcm", "priv_SQ.dcm",
        "UN_sequence.dcm", "SC_rgb_small_odd.dcm", "JPEG2000.dcm", "SC_rgb_jpeg_dcmtk.dcm",
        "MR_small_jpeg_ls_lossless.dcm"})
    void elementsAndPixelsMatchPydicom(String name) throws Exception {
        Path file = testFile(name);
        Path pixels = tmp.resolve(name + ".bin");
        JsonNode ref = DicomReference.call("dump", file.toString(), pixels.toString());
        DicomFile ours = DicomReader.read(file);
        int compared = compare(ref.get("elements"), ours.dataset(), ours.transferSyntax().explicitVr(), name);
        assertTrue(compared > 0, name + ": no element compared");

        if (!ours.dataset().contains(Tag.PixelData)) {
            return;
        }
        if (!ours.transferSyntax().pixelsDecodable()) {
            StunetException e = assertThrows(StunetException.class, () -> PixelData.of(ours).frame(0));
            assertEquals(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX, e.code(), name);
            return;
        }
        if (ours.dataset().getInt(Tag.BitsAllocated, 0) == 1) {
            StunetException e = assertThrows(StunetException.class, () -> PixelData.of(ours));
            assertEquals(ErrorCode.UNSUPPORTED_DATATYPE, e.code(), name);
            return;
        }
        if (ref.has("pixels_error")) {
            // pydicom cannot make an image of it (no image pixel attributes): neither can we.
            assertThrows(StunetException.class, () -> PixelData.of(ours).frame(0), name);
            return;
        }
        assertNotNull(ref.get("pixels"), name + ": reference decoded no pixels");
        PixelData p = PixelData.of(ours);
        assertArrayEquals(Files.readAllBytes(pixels), allFrames(p), name + ": pixel bytes differ from pydicom");
    }

    /** Compares every element of pydicom's dump with ours; returns how many were compared. */
    private static int compare(JsonNode ref, DicomDataset ours, boolean explicit, String where) {
        int n = 0;
        int refCount = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = ref.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            refCount++;
            int tag = (int) Long.parseLong(f.getKey(), 16);
            DicomElement e = ours.get(tag);
            String at = where + " " + Tag.toString(tag);
            assertNotNull(e, at + " missing");
            JsonNode r = f.getValue();
            if (r.has("items")) {
                assertTrue(e.isSequence(), at + " should be a sequence");
                assertEquals(r.get("items").size(), e.items().size(), at + " item count");
                for (int i = 0; i < e.items().size(); i++) {
                    n += compare(r.get("items").get(i), e.items().get(i), explicit, at + "[" + i + "]");
                }
                continue;
            }
            if (explicit && !r.get("vr").asText().equals("UN")) {
                assertEquals(r.get("vr").asText(), e.vr().name(), at + " VR");
            }
            if (r.has("hex")) {
                assertEquals(r.get("length").asInt(), e.length(), at + " length");
                byte[] head = e.bytes();
                byte[] want = HexFormat.of().parseHex(r.get("hex").asText());
                assertArrayEquals(want, java.util.Arrays.copyOf(head, want.length), at + " value bytes");
            }
            if (r.has("num") && e.vr() != Vr.UN) {
                double[] d = ours.getDoubles(tag);
                JsonNode num = r.get("num");
                assertEquals(num.size(), d.length, at + " value count");
                for (int i = 0; i < d.length; i++) {
                    assertEquals(num.get(i).asDouble(), d[i], Math.abs(d[i]) * 1e-12, at + " value " + i);
                }
            }
            n++;
        }
        int ourCount = ours.contains(Tag.PixelData) ? ours.size() - 1 : ours.size();
        assertEquals(refCount, ourCount, where + ": element count");
        return n;
    }

    @Test
    void rawDatasetWithoutMetaReadsGivenItsTransferSyntax() throws Exception {
        Path file = DicomReference.sample("ExplVR_LitEndNoMeta.dcm");
        JsonNode ref = DicomReference.call("dump", file.toString(), tmp.resolve("x.bin").toString());
        byte[] bytes = Files.readAllBytes(file);
        StunetException noPrefix = assertThrows(StunetException.class, () -> DicomReader.read(bytes));
        assertEquals(ErrorCode.INVALID_DICOM, noPrefix.code());
        DicomFile ours = DicomReader.readDataset(ByteBuffer.wrap(bytes), TransferSyntax.EXPLICIT_LE.uid());
        assertTrue(compare(ref.get("elements"), ours.dataset(), true, "no-meta") > 5);
    }

    @Test
    void writtenDatasetReadsBackInPydicomAndOurs() throws Exception {
        DicomFile src = DicomReader.read(DicomReference.sample("MR_small_implicit.dcm"));
        Path out = tmp.resolve("rewritten.dcm");
        DicomWriter.write(out, src.dataset());
        DicomFile back = DicomReader.read(out);
        assertEquals(TransferSyntax.EXPLICIT_LE, back.transferSyntax());
        JsonNode ref = DicomReference.call("dump", out.toString(), tmp.resolve("r.bin").toString());
        compare(ref.get("elements"), back.dataset(), true, "rewritten");
        JsonNode orig = DicomReference.call("dump", DicomReference.sample("MR_small_implicit.dcm").toString(),
                tmp.resolve("o.bin").toString());
        assertEquals(orig.get("elements").size(), ref.get("elements").size());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("o.bin")), Files.readAllBytes(tmp.resolve("r.bin")));
    }

    @Test
    void unsupportedSyntaxesAreTyped() {
        StunetException big = assertThrows(StunetException.class,
                () -> DicomReader.read(DicomReference.sample("MR_small_bigendian.dcm")));
        assertEquals(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX, big.code());
        StunetException raw = assertThrows(StunetException.class,
                () -> DicomReader.readDataset(new byte[16], "1.2.840.10008.1.2.2"));
        assertEquals(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX, raw.code());
        StunetException priv = assertThrows(StunetException.class,
                () -> DicomReader.readDataset(new byte[16], "1.2.3.4.private"));
        assertEquals(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX, priv.code());
    }

    @Test
    void truncatedFileIsInvalidDicom() {
        StunetException e = assertThrows(StunetException.class, () -> {
            DicomFile f = DicomReader.read(DicomReference.sample("MR_truncated.dcm"));
            PixelData.of(f).frame(0);
        });
        assertEquals(ErrorCode.INVALID_DICOM, e.code());
    }

    /** Every prefix, bit flips and garbage: either a result or a typed error, never another exception. */
    @ParameterizedTest
    @ValueSource(strings = {"CT_small.dcm", "MR_small_RLE.dcm", "image_dfl.dcm", "SC_rgb_jpeg_gdcm.dcm", "rtplan.dcm",
        "MR_small_jpeg_ls_lossless.dcm"})
    void damagedInputNeverCrashesUntyped(String name) throws Exception {
        byte[] good = Files.readAllBytes(testFile(name));
        int typed = 0;
        for (int len = 0; len < good.length; len += Math.max(1, good.length / 400)) {
            typed += survives(java.util.Arrays.copyOf(good, len));
        }
        Random rnd = new Random(42);
        for (int i = 0; i < 300; i++) {
            byte[] bad = good.clone();
            for (int k = 0; k < 4; k++) {
                int at = 132 + rnd.nextInt(bad.length - 132);
                bad[at] ^= (byte) (1 << rnd.nextInt(8));
            }
            typed += survives(bad);
        }
        byte[] garbage = new byte[4096];
        rnd.nextBytes(garbage);
        System.arraycopy(good, 0, garbage, 0, 132);
        typed += survives(garbage);
        assertTrue(typed > 0, name + ": no damaged input was refused");
    }

    /**
     * Colour JPEG-LS written by dcmtk (bundled RGB RLE files, decompressed with dcmdrle, then
     * dcmcjpls in one interleave mode): pixels equal dcmdjpls's; sample interleaving is refused typed.
     */
    @ParameterizedTest
    @CsvSource({
        "SC_rgb_rle_16bit.dcm, +il",
        "SC_rgb_rle_2frame.dcm, +in",
        "SC_rgb_rle_2frame.dcm, +il",
        "SC_rgb_rle_2frame.dcm, +is",
    })
    void colourJpegLsMatchesDcmdjpls(String name, String interleave) throws Exception {
        Path plain = tmp.resolve("plain.dcm");
        Path jls = tmp.resolve("jls.dcm");
        dcmtk("dcmdrle", DicomReference.sample(name).toString(), plain.toString());
        dcmtk("dcmcjpls", interleave, plain.toString(), jls.toString());
        DicomFile ours = DicomReader.read(jls);
        assertEquals(TransferSyntax.JPEG_LS_LOSSLESS, ours.transferSyntax());
        PixelData p = PixelData.of(ours);
        if (interleave.equals("+is")) {
            StunetException e = assertThrows(StunetException.class, () -> p.frame(0));
            assertEquals(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX, e.code(), e.getMessage());
            return;
        }
        Path pixels = tmp.resolve("jls.bin");
        JsonNode ref = DicomReference.call("dump", jls.toString(), pixels.toString());
        assertEquals("dcmdjpls", ref.get("pixels").get("via").asText());
        assertArrayEquals(Files.readAllBytes(pixels), allFrames(p), name + " " + interleave);
    }

    private static void dcmtk(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    /**
     * A JPEG-LS stream cut anywhere before its end marker, or with its scan data zeroed from the
     * middle on, is INVALID_DICOM (the decoder notices it ran out of data), never a wrong image.
     */
    @Test
    void truncatedJpegLsStreamIsInvalidDicom() throws Exception {
        DicomFile file = DicomReader.read(testFile("MR_small_jpeg_ls_lossless.dcm"));
        PixelData p = PixelData.of(file);
        ByteBuffer fragment = file.dataset().get(Tag.PixelData).fragment(1);
        byte[] jls = new byte[fragment.remaining()];
        fragment.get(jls);
        int eoi = jls.length - 2;
        while (eoi > 0 && !(jls[eoi] == (byte) 0xFF && jls[eoi + 1] == (byte) 0xD9)) {
            eoi--;
        }
        assertTrue(eoi > 100, "no EOI marker in the JPEG-LS stream");
        byte[] out = new byte[p.frameBytes()];
        JpegLsDecoder.decode(ByteBuffer.wrap(jls), p.rows(), p.columns(), 1, p.bytesPerSample(), out);
        for (int len = 0; len < eoi; len++) {
            byte[] cut = java.util.Arrays.copyOf(jls, len);
            StunetException e = assertThrows(StunetException.class,
                    () -> JpegLsDecoder.decode(ByteBuffer.wrap(cut), p.rows(), p.columns(), 1, p.bytesPerSample(), out),
                    "prefix of " + len + " bytes decoded");
            assertEquals(ErrorCode.INVALID_DICOM, e.code(), e.getMessage());
        }
        byte[] zeroed = jls.clone();
        java.util.Arrays.fill(zeroed, eoi / 2, eoi, (byte) 0);
        StunetException e = assertThrows(StunetException.class,
                () -> JpegLsDecoder.decode(ByteBuffer.wrap(zeroed), p.rows(), p.columns(), 1, p.bytesPerSample(), out));
        assertEquals(ErrorCode.INVALID_DICOM, e.code(), e.getMessage());
    }

    private static int survives(byte[] bytes) {
        try {
            DicomFile f = DicomReader.read(bytes);
            if (f.dataset().contains(Tag.PixelData)) {
                PixelData p = PixelData.of(f);
                for (int i = 0; i < p.frames(); i++) {
                    p.frame(i);
                }
            }
            return 0;
        } catch (StunetException e) {
            return 1;
        } catch (RuntimeException | StackOverflowError e) {
            fail("untyped failure on damaged input: " + e, e);
            return 0;
        }
    }

    /** Every decoded frame's bytes, one after the other (pydicom's pixel_array layout). */
    private static byte[] allFrames(PixelData p) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int f = 0; f < p.frames(); f++) {
            ByteBuffer b = p.frame(f);
            byte[] a = new byte[b.remaining()];
            b.get(a);
            all.writeBytes(a);
        }
        return all.toByteArray();
    }
}
