package io.stunet.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;
import io.stunet.error.StunetException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Case names of DICOM locations (folder, archive, several series) from generated series, and
 * the series description's JSON form read back field for field.
 */
class DicomCasesTest {
    @TempDir
    Path tmp;

    @Test
    void namesComeFromTheLocationAndTheSeriesNumber() throws Exception {
        Path study = tmp.resolve("study");
        DicomReference.makeSeries(study.resolve("a"), "--shape", "8,8,3");
        DicomReference.makeSeries(study.resolve("b"), "--shape", "8,8,2");

        List<DicomCases.NamedSeries> one = DicomCases.scan(study.resolve("a"));
        assertEquals(List.of("a"), one.stream().map(DicomCases.NamedSeries::name).toList());
        assertEquals(3, one.get(0).instances().size());

        // The generator gives every series SeriesNumber 2: shared numbers fall back to the scan order.
        List<DicomCases.NamedSeries> both = DicomCases.scan(study);
        assertEquals(List.of("study_1", "study_2"), both.stream().map(DicomCases.NamedSeries::name).toList());
        assertEquals(List.of(3, 2), both.stream().map(s -> s.instances().size()).toList());

        Path zip = tmp.resolve("archive.zip");
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out);
             Stream<Path> files = Files.walk(study.resolve("a"))) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                z.putNextEntry(new ZipEntry("x/" + f.getFileName()));
                Files.copy(f, z);
                z.closeEntry();
            }
        }
        assertEquals(List.of("archive"), DicomCases.scan(zip).stream().map(DicomCases.NamedSeries::name).toList());

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(ErrorCode.INVALID_DICOM, assertThrows(InvalidDicomException.class, () -> DicomCases.scan(empty)).code());
    }

    @Test
    void seriesInfoJsonRoundTrips() throws Exception {
        Path dir = tmp.resolve("s");
        DicomReference.makeSeries(dir, "--shape", "8,8,4", "--oblique", "10", "--ts", "implicit");
        SeriesInfo info = DicomSeries.assemble(DicomSeries.scan(dir).values().iterator().next()).info();
        SeriesInfo back = SeriesInfoJson.decode(SeriesInfoJson.encode(info));
        assertEquals(info.studyInstanceUid(), back.studyInstanceUid());
        assertEquals(info.seriesInstanceUid(), back.seriesInstanceUid());
        assertEquals(info.frameOfReferenceUid(), back.frameOfReferenceUid());
        assertEquals(info.modality(), back.modality());
        assertEquals(info.rows(), back.rows());
        assertEquals(info.columns(), back.columns());
        assertArrayEquals(info.orientation(), back.orientation());
        assertArrayEquals(info.pixelSpacing(), back.pixelSpacing());
        assertEquals(info.sliceSpacing(), back.sliceSpacing());
        assertEquals(info.sliceThickness(), back.sliceThickness());
        for (int k = 0; k < info.slices(); k++) {
            assertArrayEquals(info.positions().get(k), back.positions().get(k));
        }
        assertEquals(info.sopClassUids(), back.sopClassUids());
        assertEquals(info.sopInstanceUids(), back.sopInstanceUids());
        assertEquals(0.0, info.affine().maxAbsDiff(back.affine()));
        assertArrayEquals(encoded(info.patientStudy()), encoded(back.patientStudy()));
        assertEquals("GEN0001", back.patientStudy().getString(Tag.PatientID));

        StunetException bad = assertThrows(StunetException.class, () -> SeriesInfoJson.decode("{\"schema\":\"x\"}".getBytes()));
        assertEquals(ErrorCode.INVALID_RECORD, bad.code());
    }

    private static byte[] encoded(DicomDataset ds) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DicomWriter.writeDataset(out, ds);
        return out.toByteArray();
    }
}
