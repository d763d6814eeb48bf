package io.stunet.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus written by nibabel (every datatype, both byte orders, .nii / .nii.gz / .hdr+.img,
 * NIfTI-1 and -2, scaled files, an extension) reads as nibabel reads it; read -> write ->
 * read is identical; nibabel reads what we wrote with the same data and geometry.
 */
class RoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void everyDatatypeByteOrderAndLayoutRoundTrips() throws Exception {
        Path corpus = Files.createDirectory(tmp.resolve("corpus"));
        Path outDir = Files.createDirectory(tmp.resolve("ours"));
        JsonNode manifest = NiftiReference.call("roundtrip-corpus", corpus.toString());
        assertTrue(manifest.size() >= 9 * 2 * 3, "corpus too small");
        ArrayNode pairs = NiftiReference.JSON.createArrayNode();
        List<String> seenDtypes = new ArrayList<>();
        for (JsonNode e : manifest) {
            Path file = Path.of(e.get("file").asText());
            String what = file.getFileName().toString();
            Volume v = NiftiReader.read(file);
            assertEquals(e.get("dtype").asText(), v.dataType().numpyName(), what);
            assertEquals(e.get("format").asText(), v.header().format().label(), what);
            assertEquals(e.get("endian").asText().equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN,
                    v.header().byteOrder(), what);
            assertArrayEquals(NiftiReference.ints(e.get("shape")), v.shape(), what);
            assertEquals(NiftiReference.affine(e.get("affine")), v.affine(), what);
            assertEquals(e.get("qform_code").asInt(), v.header().qformCode(), what);
            assertEquals(e.get("sform_code").asInt(), v.header().sformCode(), what);
            assertArrayEquals(NiftiReference.readAll(Path.of(file + ".native")), littleEndianBytes(v), what);
            float[] f32 = NiftiReference.readFloats(Path.of(file + ".f32"));
            int n = v.frameSize();
            for (int t = 0; t < v.nt(); t++) {
                float[] frame = v.toFloat32(t);
                for (int i = 0; i < n; i++) {
                    if (Float.floatToIntBits(f32[t * n + i]) != Float.floatToIntBits(frame[i])) {
                        throw new AssertionError(what + " voxel " + i + ": " + f32[t * n + i] + " != " + frame[i]);
                    }
                }
            }
            float[] direct = NiftiReader.readFloat32(file).floats();
            assertEquals(f32.length, direct.length, what);
            for (int i = 0; i < f32.length; i++) {
                if (Float.floatToIntBits(f32[i]) != Float.floatToIntBits(direct[i])) {
                    throw new AssertionError(what + " readFloat32 voxel " + i + ": " + f32[i] + " != " + direct[i]);
                }
            }
            seenDtypes.add(v.dataType().numpyName());

            Path ours = outDir.resolve(what);
            NiftiWriter.write(ours, v);
            Volume back = NiftiReader.read(ours);
            assertArrayEquals(littleEndianBytes(v), littleEndianBytes(back), what);
            assertEquals(v.affine(), back.affine(), what);
            assertEquals(v.header().qformAffine(), back.header().qformAffine(), what);
            assertEquals(v.header().qformCode(), back.header().qformCode(), what);
            assertEquals(v.header().sformCode(), back.header().sformCode(), what);
            assertEquals(v.header().xyztUnits(), back.header().xyztUnits(), what);
            assertEquals(v.header().byteOrder(), back.header().byteOrder(), what);
            assertEquals(v.header().descrip(), back.header().descrip(), what);
            pairs.add(NiftiReference.JSON.createArrayNode().add(file.toString()).add(ours.toString()));
        }
        for (DataType t : DataType.values()) {
            assertTrue(seenDtypes.contains(t.numpyName()), "corpus lacks " + t);
        }
        Path pairsFile = tmp.resolve("pairs.json");
        NiftiReference.JSON.writeValue(pairsFile.toFile(), pairs);
        JsonNode results = NiftiReference.call("compare", pairsFile.toString());
        assertEquals(pairs.size(), results.size());
        for (JsonNode r : results) {
            for (String key : List.of("same_dtype", "same_raw", "same_scaled", "same_affine", "same_qform",
                    "same_codes")) {
                assertTrue(r.get(key).asBoolean(), key + " for " + r.get("ours").asText());
            }
        }
    }

    /** The stored values as little-endian bytes, the layout the reference script dumps. */
    static byte[] littleEndianBytes(Volume v) {
        int n = v.frameSize() * v.nt();
        ByteBuffer b = ByteBuffer.allocate(n * v.dataType().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        switch (v.dataType()) {
            case UINT8, INT8 -> b.put(v.bytes());
            case INT16, UINT16 -> b.asShortBuffer().put(v.shorts());
            case INT32, UINT32 -> b.asIntBuffer().put(v.ints());
            case INT64 -> b.asLongBuffer().put(v.longs());
            case FLOAT32 -> b.asFloatBuffer().put(v.floats());
            case FLOAT64 -> b.asDoubleBuffer().put(v.doubles());
            default -> throw new IllegalStateException();
        }
        return b.array();
    }
}
