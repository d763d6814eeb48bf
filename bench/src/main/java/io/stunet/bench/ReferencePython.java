package io.stunet.bench;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the repository's Python reference scripts ({@code tools/reference/...}) for the
 * {@code bench} subcommands. The repository root is {@code -Dstunet.root}, else found from
 * the location of the program's jar ({@code app/target/stunet.jar}), else the working
 * directory; the interpreter is Debian's {@code /usr/bin/python3} unless
 * {@code -Dstunet.python} says otherwise.
 */
final class ReferencePython {
    private ReferencePython() {
    }

    static Path root() {
        String configured = System.getProperty("stunet.root");
        if (configured != null) {
            return Paths.get(configured);
        }
        try {
            Path jar = Paths.get(ReferencePython.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = jar.getParent(); dir != null; dir = dir.getParent()) {
                if (Files.isDirectory(dir.resolve("tools").resolve("reference"))) {
                    return dir;
                }
            }
        } catch (URISyntaxException | SecurityException e) {
            // Fall through to the working directory.
        }
        return Paths.get("").toAbsolutePath();
    }

    static String interpreter() {
        return System.getProperty("stunet.python", "/usr/bin/python3");
    }

    /** Runs {@code python3 tools/reference/SCRIPT args...}; returns stdout or fails with INTERNAL. */
    static String run(String script, String... args) {
        return runFile(root().resolve("tools").resolve("reference").resolve(script), args);
    }

    /** Runs {@code python3 PATH args...} for a script anywhere under tools/; returns stdout or fails with INTERNAL. */
    static String runFile(Path path, String... args) {
        String script = path.getFileName().toString();
        if (!Files.isRegularFile(path)) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "reference script not found: " + path);
        }
        List<String> cmd = new ArrayList<>(List.of(interpreter(), path.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) {
                throw new StunetException(ErrorCode.INTERNAL, "reference script " + script + " exited with " + rc);
            }
            return out;
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot run " + interpreter() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StunetException(ErrorCode.INTERNAL, "interrupted while running " + script, e);
        }
    }
}
