package io.stunet.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the repository's Python reference scripts with Debian's interpreter
 * ({@code /usr/bin/python3}, overridable with {@code -Dstunet.python}) so tests can compare
 * against the very numpy/scipy/skimage/nibabel/torch functions the official code calls.
 */
public final class Python {
    private Python() {
    }

    public static String interpreter() {
        return System.getProperty("stunet.python", "/usr/bin/python3");
    }

    /** Runs {@code python3 script args...} from the repository root and returns stdout; fails on non-zero exit. */
    public static String run(Path script, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(interpreter());
        cmd.add(script.toString());
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /** Runs {@code python3 -m module args...} from the repository root. */
    public static String module(String module, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(interpreter());
        cmd.add("-m");
        cmd.add(module);
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    private static String exec(List<String> cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(TestData.root().toFile());
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("python timed out: " + cmd);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("python failed (" + p.exitValue() + "): " + cmd);
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + cmd, e);
        }
    }
}
