package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The cases a DICOM input location holds and what each is called, for every path that takes
 * a folder or a {@code .zip} of DICOM files ({@code predict}, {@code run}, ingest's inbox).
 * The name never comes from the data (it could identify the patient): it is the folder's
 * name, or the archive's without {@code .zip}; when the location holds several series, each
 * gets {@code NAME_s<SeriesNumber>}, or {@code NAME_<n>} (n = 1, 2, ... in order of first
 * appearance by file path) when a SeriesNumber is missing, not an integer or shared by two
 * of the series.
 */
public final class DicomCases {
    private DicomCases() {
    }

    /** One series of an input location and its case name. */
    public record NamedSeries(String name, List<DicomFile> instances) {
        public NamedSeries {
            instances = List.copyOf(instances);
        }
    }

    /** Whether a path names a zip archive (by name), the other DICOM location besides a folder. */
    public static boolean isZip(Path path) {
        return path.getFileName() != null && path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip");
    }

    /**
     * Reads every series under a folder (recursively) or in a zip archive ({@link DicomSeries#scan})
     * and names them; {@code INVALID_DICOM} when the location holds no DICOM series at all.
     */
    public static List<NamedSeries> scan(Path folderOrZip) {
        Map<String, List<DicomFile>> bySeries = DicomSeries.scan(folderOrZip);
        if (bySeries.isEmpty()) {
            throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "no DICOM series found in the input");
        }
        return name(baseName(folderOrZip), List.copyOf(bySeries.values()));
    }

    /** The case name of a folder or archive holding one series. */
    public static String baseName(Path folderOrZip) {
        String file = folderOrZip.toAbsolutePath().normalize().getFileName().toString();
        return isZip(folderOrZip) ? file.substring(0, file.length() - 4) : file;
    }

    /** Names the series of one location called {@code base} (see the class comment). */
    public static List<NamedSeries> name(String base, List<List<DicomFile>> series) {
        if (series.size() == 1) {
            return List.of(new NamedSeries(base, series.get(0)));
        }
        List<String> numbers = new ArrayList<>(series.size());
        Set<String> seen = new HashSet<>();
        boolean usable = true;
        for (List<DicomFile> s : series) {
            String n = s.get(0).dataset().getString(Tag.SeriesNumber);
            n = n == null ? "" : n.trim();
            usable &= n.matches("[0-9]{1,9}") && seen.add(n);
            numbers.add(n);
        }
        List<NamedSeries> out = new ArrayList<>(series.size());
        for (int i = 0; i < series.size(); i++) {
            String suffix = usable ? "_s" + Integer.parseInt(numbers.get(i)) : "_" + (i + 1);
            out.add(new NamedSeries(base + suffix, series.get(i)));
        }
        return out;
    }
}
