package io.stunet.export;

/**
 * A label map on a (z, y, x) grid with unsigned 16-bit labels, and the NIfTI datatype it is
 * written with: uint8 when the largest label is below 256, else uint16 (NUMERICS §4).
 *
 * @param labels   flat (z, y, x) labels, unsigned
 * @param shape    (z, y, x)
 * @param maxLabel largest label present
 */
public record LabelMask(short[] labels, int[] shape, int maxLabel) {
    /** Builds the mask and finds its largest label. */
    public static LabelMask of(short[] labels, int[] shape) {
        int max = 0;
        for (short l : labels) {
            max = Math.max(max, l & 0xFFFF);
        }
        return new LabelMask(labels, shape.clone(), max);
    }

    /** Whether the mask fits uint8. */
    public boolean fitsUint8() {
        return maxLabel < 256;
    }

    /** The labels as uint8; only valid when {@link #fitsUint8()}. */
    public byte[] toUint8() {
        if (!fitsUint8()) {
            throw new IllegalStateException("labels up to " + maxLabel + " do not fit uint8");
        }
        byte[] out = new byte[labels.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) labels[i];
        }
        return out;
    }

    /** Unsigned widening of a uint8 label map. */
    public static short[] widen(byte[] labels) {
        short[] out = new short[labels.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (short) (labels[i] & 0xFF);
        }
        return out;
    }
}
