package io.stunet.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Default paths of the bundled sample data and demo model ({@code data/samples},
 * {@code models/demo}). A relative path is taken from the working directory when it exists
 * there, else from the installation directory that the {@code ./stunet} launcher passes as
 * {@code -Dstunet.home}, so the defaults work from any directory.
 */
final class BundledPaths {
    static final String SAMPLES = "data/samples";
    static final String DEMO_MODEL = "models/demo";

    private BundledPaths() {
    }

    static Path resolve(Path path) {
        if (path.isAbsolute() || Files.exists(path)) {
            return path;
        }
        String home = System.getProperty("stunet.home");
        if (home != null) {
            Path candidate = Paths.get(home).resolve(path);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        return path;
    }
}
