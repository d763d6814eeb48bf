package io.stunet.slab;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SlabLabelsTest {
    @Test
    void blobRoundTripsAndSlabsStitchBackToTheWholeMap() {
        Random r = new Random(3);
        int depth = 17;
        int h = 9;
        int w = 11;
        byte[] whole = new byte[depth * h * w];
        for (int i = 0; i < whole.length; i++) {
            whole[i] = (byte) (i / 40 % 7 == 0 ? r.nextInt(256) : i / 97);
        }
        int[] b = SlabPlan.bounds(depth, 4);
        List<SlabLabels> decoded = new ArrayList<>();
        for (int i = b.length - 2; i >= 0; i--) {
            SlabLabels s = new SlabLabels(b[i], b[i + 1], h, w, Arrays.copyOfRange(whole, b[i] * h * w, b[i + 1] * h * w), null);
            SlabLabels back = SlabLabels.decode(s.encode());
            assertEquals(s.z0(), back.z0());
            assertArrayEquals(s.bytes(), back.bytes());
            decoded.add(back);
        }
        assertArrayEquals(whole, SlabLabels.stitch(decoded, depth).bytes());
    }

    @Test
    void wideLabelsRoundTrip() {
        short[] s = new short[2 * 3 * 4];
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) (300 + i * 1000);
        }
        SlabLabels back = SlabLabels.decode(new SlabLabels(5, 7, 3, 4, null, s).encode());
        assertArrayEquals(s, back.shorts());
    }

    @Test
    void damagedBlobsAreCorrupt() {
        byte[] blob = new SlabLabels(0, 2, 2, 2, new byte[8], null).encode();
        assertEquals(ErrorCode.BLOB_CORRUPT, assertThrows(StunetException.class,
                () -> SlabLabels.decode(Arrays.copyOf(blob, blob.length - 3))).code());
        blob[0] ^= 1;
        assertEquals(ErrorCode.BLOB_CORRUPT, assertThrows(StunetException.class, () -> SlabLabels.decode(blob)).code());
        assertEquals(ErrorCode.BLOB_CORRUPT, assertThrows(StunetException.class,
                () -> SlabLabels.stitch(List.of(new SlabLabels(1, 2, 1, 1, new byte[1], null)), 2)).code());
    }
}
