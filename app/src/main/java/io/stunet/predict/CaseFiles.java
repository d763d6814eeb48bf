package io.stunet.predict;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.nifti.NiftiNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            return files.filter(p -> Files.isRegularFile(p) && NiftiNames.isNifti(p.getFileName().toString())).sorted().toList();
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot list " + input, e);
        }
    }

    /** The case name of a file ({@link NiftiNames#caseName}). */
    public static String caseName(Path file) {
        return NiftiNames.caseName(file.getFileName().toString());
    }
}
