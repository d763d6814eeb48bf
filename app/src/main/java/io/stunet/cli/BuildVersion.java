package io.stunet.cli;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The build's version (the Maven project version, filtered into
 * {@code stunet-version.properties} at build time): what {@code stunet -V} prints and what
 * the DICOM SEG records as SoftwareVersions. Read once here, so the pure steps receive it as
 * a value.
 */
public final class BuildVersion {
    private static volatile String cached;

    private BuildVersion() {
    }

    /** The version; {@code INTERNAL} when the resource is missing (a broken build). */
    public static String get() {
        String v = cached;
        if (v != null) {
            return v;
        }
        Properties p = new Properties();
        try (InputStream in = BuildVersion.class.getResourceAsStream("/stunet-version.properties")) {
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
        return v;
    }
}
