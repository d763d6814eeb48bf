package io.stunet.predict;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Which files of an input path are cases, and what a case is called in output names. */
public final class CaseFiles {
    private CaseFiles() {
    }

    /** The file itself, or the {@code .nii}/{@code .nii.gz} files directly inside a directory, sorted by name. */
    public static List<Path> list(Path input) {
        if (Files.isRegularFile(input)) {
            return List.of(input);
        }
        if (!Files.isDirectory(input)) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "input does not exist: " + input);
        }
        try (Stream<Path> files = Files.list(input)) {
            return files.filter(p -> Files.isRegularFile(p) && isNifti(p)).sorted().toList();
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot list " + input, e);
        }
    }

    /** {@code ct.nii.gz} and {@code ct.nii} are both case {@code ct}. */
    public static String caseName(Path file) {
        String n = file.getFileName().toString();
        String lower = n.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".nii.gz")) {
            return n.substring(0, n.length() - 7);
        }
        if (lower.endsWith(".nii")) {
            return n.substring(0, n.length() - 4);
        }
        return n;
    }

    static boolean isNifti(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".nii") || n.endsWith(".nii.gz");
    }
}
