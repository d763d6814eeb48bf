package io.stunet.dicom;

/**
 * DICOM value representations. {@link #longLength()} tells whether explicit VR encoding
 * uses the 2 reserved bytes plus a 4-byte length (OB, OW, SQ, UN, UT, ...) instead of a
 * 2-byte length; {@link #isString()} which VRs hold text that the getters trim and split.
 */
public enum Vr {
    AE, AS, AT, CS, DA, DS, DT, FL, FD, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM,
    UC, UI, UL, UN, UR, US, UT, UV;

    private static final Vr[] BY_CODE = new Vr[1 << 16];

    static {
        for (Vr v : values()) {
            String n = v.name();
            BY_CODE[(n.charAt(0) << 8) | n.charAt(1)] = v;
        }
    }

    /** The VR spelt by two ASCII bytes, or null if they spell none. */
    static Vr fromCode(int first, int second) {
        return BY_CODE[((first & 0xff) << 8) | (second & 0xff)];
    }

    public boolean longLength() {
        return switch (this) {
            case OB, OD, OF, OL, OV, OW, SQ, SV, UC, UN, UR, UT, UV -> true;
            default -> false;
        };
    }

    public boolean isString() {
        return switch (this) {
            case AE, AS, CS, DA, DS, DT, IS, LO, LT, PN, SH, ST, TM, UC, UI, UR, UT -> true;
            default -> false;
        };
    }

    /** A string value as this VR stores it: its ISO 8859-1 bytes, padded to even length with {@link #padding()}. */
    public byte[] encode(String value) {
        byte[] b = value.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        if (b.length % 2 == 0) {
            return b;
        }
        byte[] p = java.util.Arrays.copyOf(b, b.length + 1);
        p[b.length] = padding();
        return p;
    }

    /** Byte a string value of this VR is padded with to an even length (NUL for UI, space otherwise). */
    byte padding() {
        return this == UI || this == OB || this == UN ? 0 : (byte) ' ';
    }
}
