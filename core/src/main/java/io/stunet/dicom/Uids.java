package io.stunet.dicom;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.UUID;

/** New DICOM UIDs in the {@code 2.25.<UUID as decimal>} form (PS3.5 B.2), which needs no registered root. */
public final class Uids {
    private Uids() {
    }

    /** A new UID from a random (version 4) UUID. */
    public static String random() {
        UUID u = UUID.randomUUID();
        byte[] b = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits()).array();
        return "2.25." + new BigInteger(1, b);
    }
}
