package io.stunet.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Locates the repository's bundled sample data ({@code data/}) and reference scripts from
 * any module's tests. Surefire sets {@code stunet.root} to the repository root; when a test
 * runs from an IDE we walk up from the working directory until {@code data/nifti} appears.
 */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        String configured = System.getProperty("stunet.root");
        if (configured != null && Files.isDirectory(Paths.get(configured, "data", "nifti"))) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve("data").resolve("nifti"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("repository root with data/nifti not found");
    }

    /** A sample NIfTI file from {@code data/nifti}. */
    public static Path nifti(String name) {
        return existing(root().resolve("data").resolve("nifti").resolve(name));
    }

    /** A file from {@code data/stunet} (official plans and label names). */
    public static Path stunet(String name) {
        return existing(root().resolve("data").resolve("stunet").resolve(name));
    }

    /** A path relative to the repository root (scripts, models). */
    public static Path file(String relative) {
        return existing(root().resolve(relative));
    }

    private static Path existing(Path p) {
        if (!Files.exists(p)) {
            throw new IllegalStateException("test data missing: " + p);
        }
        return p;
    }
}
