package io.stunet.predict;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The program version of this build, from {@code stunet-version.properties} (filtered by
 * Maven from the project version): what {@code stunet -V} prints and what every case's
 * provenance records, read in one place so the two always agree.
 */
public final class StunetVersion {
    private static volatile String cached;

    private StunetVersion() {
    }

    /** The version, e.g. {@code 0.1.0}; {@code INTERNAL} when the build left the file out. */
    public static String get() {
        String v = cached;
        if (v == null) {
            Properties p = new Properties();
            try (InputStream in = StunetVersion.class.getResourceAsStream("/stunet-version.properties")) {
                if (in == null) {
                    throw new StunetException(ErrorCode.INTERNAL, "stunet-version.properties is missing from the class path");
                }
                p.load(in);
            } catch (IOException e) {
                throw new StunetException(ErrorCode.INTERNAL, "cannot read stunet-version.properties", e);
            }
            v = p.getProperty("version");
            if (v == null || v.isBlank()) {
                throw new StunetException(ErrorCode.INTERNAL, "stunet-version.properties has no version");
            }
            cached = v;
        }
        return v;
    }
}
