package io.stunet.predict;

import io.stunet.dicom.DicomCases;
import io.stunet.dicom.DicomFile;
import io.stunet.dicom.DicomSeries;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.nifti.NiftiNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Which cases an input path holds, and what a case is called in output names. A NIfTI file,
 * or a directory with {@code .nii}/{@code .nii.gz} files directly inside, gives one case per
 * file (named by {@link NiftiNames#caseName}); a {@code .zip}, or a directory without NIfTI
 * files, is read as DICOM and gives one case per series, named by {@link DicomCases}.
 */
public final class CaseFiles {
    private CaseFiles() {
    }

    /** One case of an input: a NIfTI file, or a DICOM series (already read). */
    public sealed interface CaseInput {
        /** The case name output files are written under. */
        String name();
    }

    /** A NIfTI file. */
    public record NiftiInput(Path file) implements CaseInput {
        @Override
        public String name() {
            return caseName(file);
        }
    }

    /** One DICOM series of a folder or archive, assembled when the case runs. */
    public record DicomInput(DicomCases.NamedSeries series) implements CaseInput {
        @Override
        public String name() {
            return series.name();
        }

        /** The series as a volume plus its description (typed errors for a series that is not one volume). */
        public DicomSeries assemble() {
            return DicomSeries.assemble(series.instances());
        }
    }

    /** The cases of an input path (see the class comment), in a stable order; empty when there are none. */
    public static List<CaseInput> inputs(Path input) {
        if (Files.isDirectory(input) || (Files.isRegularFile(input) && DicomCases.isZip(input))) {
            List<Path> nifti = Files.isDirectory(input) ? list(input) : List.of();
            if (!nifti.isEmpty()) {
                return nifti.stream().<CaseInput>map(NiftiInput::new).toList();
            }
            Map<String, List<DicomFile>> series = DicomSeries.scan(input);
            if (series.isEmpty()) {
                return List.of();
            }
            return DicomCases.name(DicomCases.baseName(input), List.copyOf(series.values())).stream()
                    .<CaseInput>map(DicomInput::new).toList();
        }
        return list(input).stream().<CaseInput>map(NiftiInput::new).toList();
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
