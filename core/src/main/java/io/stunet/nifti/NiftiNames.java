package io.stunet.nifti;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The file-name rule of NIfTI inputs, in one place for every way a case enters and leaves:
 * an input is a {@code .nii} or {@code .nii.gz} file (suffix compared case-insensitively),
 * and a case is called by the name without that suffix ({@code ct.nii.gz} and {@code ct.nii}
 * are both case {@code ct}), which output files are named after ({@code ct_seg.nii.gz}).
 */
public final class NiftiNames {
    private static final String NII = ".nii";
    private static final String NII_GZ = ".nii.gz";

    private NiftiNames() {
    }

    /** Whether a file name ends in {@code .nii} or {@code .nii.gz}. */
    public static boolean isNifti(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return lower.endsWith(NII) || lower.endsWith(NII_GZ);
    }

    /** {@code INVALID_REQUEST} unless the name ends in {@code .nii} or {@code .nii.gz}. */
    public static void requireNifti(String fileName) {
        if (!isNifti(fileName)) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "input name must end in .nii or .nii.gz");
        }
    }

    /** The case name: the file name without {@code .nii}/{@code .nii.gz}; other names unchanged. */
    public static String caseName(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        if (lower.endsWith(NII_GZ)) {
            return fileName.substring(0, fileName.length() - NII_GZ.length());
        }
        if (lower.endsWith(NII)) {
            return fileName.substring(0, fileName.length() - NII.length());
        }
        return fileName;
    }

    /**
     * {@link #caseName} for a name that output files are written under in a directory of
     * ours: anything that is not a plain file name (a path separator, {@code .}/{@code ..},
     * control or unencodable characters, empty) is refused with {@code INVALID_REQUEST}.
     */
    public static String outputName(String inputName) {
        String name = caseName(inputName);
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")
                || !StandardCharsets.UTF_8.newEncoder().canEncode(name) || name.chars().anyMatch(ch -> ch < 0x20)) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "input name is not a plain file name");
        }
        return name;
    }
}
