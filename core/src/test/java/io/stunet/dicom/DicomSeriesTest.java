package io.stunet.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiReference;
import io.stunet.nifti.NiftiWriter;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Series generated at test time from the bundled CT (pydicom writes them; dcmtk compresses
 * RLE, JPEG lossless and JPEG-LS), assembled by us, and compared with the NIfTI they came from and with
 * Debian's dcm2niix on the same files; faulty series must fail with typed errors.
 */
class DicomSeriesTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({
        "explicit, --shuffle",
        "implicit, --shuffle",
        "deflated, --seed=3",
        "rle, --shuffle",
        "jpegll, --shuffle",
        "jpegll14, --predictor=7",
        "jpegll14, --predictor=4",
        "jpegll14, --restart=1",
        "jpegll14, --restart=3",
        "jpegls, --shuffle",
    })
    void assemblesLikeTheSourceAndLikeDcm2niix(String ts, String option) {
        Path dir = tmp.resolve("series");
        JsonNode made = DicomReference.makeSeries(dir, "--ts=" + ts, option);
        Map<String, List<DicomFile>> groups = DicomSeries.scan(dir);
        assertEquals(1, groups.size());
        DicomSeries series = DicomSeries.assemble(groups.values().iterator().next());
        Volume v = series.volume();
        Volume source = NiftiReader.read(TestData.file("data/samples/example_ct_sm.nii.gz"));
        assertEquals(DataType.INT16, v.dataType(), "integral HU fit int16");
        assertArrayEquals(source.shape(), v.shape());
        assertTrue(v.affine().maxAbsDiff(NiftiReference.affine(made.get("affine"))) < 1e-3, v.affine().toString());
        assertArrayEquals(source.shorts(), v.shorts(), "voxels differ from the NIfTI the series was made from");
        assertEquals(30, series.info().slices());
        assertEquals(made.get("series").asText(), series.info().seriesInstanceUid());
        againstDcm2niix(dir, v);
    }

    /**
     * Enhanced multi-frame instances (geometry and rescale in the shared or in each frame's
     * functional groups, frames in shuffled order, split over several instances): the same
     * volume as the source and, for one instance, as dcm2niix makes of it. (dcm2niix 1.0.20220720
     * misplaces the volume when per-frame positions come in shuffled order, so that combination
     * is compared with the source only.)
     */
    @ParameterizedTest
    @CsvSource({
        "shared, 1, explicit, --shuffle",
        "perframe, 1, jpegll14, --seed=3",
        "perframe, 3, rle, --shuffle",
        "shared, 1, jpegls, --seed=3",
        "perframe, 1, explicit, --shuffle",
        "shared, 2, implicit, --shuffle",
    })
    void enhancedMultiFrameInstancesAssembleLikeTheSource(String groups, int instances, String ts, String order) {
        Path dir = tmp.resolve("enhanced");
        JsonNode made = DicomReference.makeSeries(dir, "--enhanced=" + groups, "--instances=" + instances, "--ts=" + ts,
                order);
        List<DicomFile> files = DicomSeries.scan(dir).values().iterator().next();
        assertEquals(instances, files.size());
        DicomSeries series = DicomSeries.assemble(files);
        Volume v = series.volume();
        Volume source = NiftiReader.read(TestData.file("data/samples/example_ct_sm.nii.gz"));
        assertEquals(DataType.INT16, v.dataType());
        assertArrayEquals(source.shape(), v.shape());
        assertTrue(v.affine().maxAbsDiff(NiftiReference.affine(made.get("affine"))) < 1e-3, v.affine().toString());
        assertArrayEquals(source.shorts(), v.shorts(), "voxels differ from the NIfTI the series was made from");
        SeriesInfo info = series.info();
        assertEquals(30, info.slices());
        assertEquals(instances, new java.util.HashSet<>(info.sopInstanceUids()).size());
        assertTrue(info.frameNumbers().stream().allMatch(f -> f >= 1 && f <= 30), info.frameNumbers().toString());
        assertTrue(DicomSeries.ENHANCED_SOP_CLASSES.contains(info.sopClassUids().get(0)), info.sopClassUids().get(0));
        SeriesInfo back = SeriesInfoJson.decode(SeriesInfoJson.encode(info));
        assertEquals(info.frameNumbers(), back.frameNumbers());
        if (instances == 1 && !(groups.equals("perframe") && order.equals("--shuffle"))) {
            againstDcm2niix(dir, v);
        }
    }

    /**
     * JPEG-LS near-lossless (NEAR 3): every voxel equal to dcmtk's decoding of the same files
     * (dcm2niix reads them after dcmdjpls) and within NEAR of the source, not all equal to it.
     */
    @Test
    void nearLosslessJpegLsMatchesDcmtkAndStaysWithinNear() {
        Path dir = tmp.resolve("near");
        DicomReference.makeSeries(dir, "--ts=jpeglsnear", "--near=3", "--shuffle");
        Map<String, List<DicomFile>> groups = DicomSeries.scan(dir);
        assertEquals(1, groups.size());
        DicomFile first = groups.values().iterator().next().get(0);
        assertEquals(TransferSyntax.JPEG_LS_NEAR_LOSSLESS, first.transferSyntax());
        Volume v = DicomSeries.assemble(groups.values().iterator().next()).volume();
        Volume source = NiftiReader.read(TestData.file("data/samples/example_ct_sm.nii.gz"));
        assertArrayEquals(source.shape(), v.shape());
        short[] ours = v.shorts();
        short[] src = source.shorts();
        int maxDiff = 0;
        for (int i = 0; i < ours.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[i] - src[i]));
        }
        assertTrue(maxDiff <= 3, "deviation from the source " + maxDiff + " exceeds NEAR 3");
        assertTrue(maxDiff > 0, "near-lossless coding changed no voxel: is NEAR applied?");
        againstDcm2niix(dir, v);
    }

    @Test
    void tiltedEnhancedInstanceIsRefused() {
        Path dir = tmp.resolve("enhanced-tilt");
        DicomReference.makeSeries(dir, "--enhanced=shared", "--fault=tilt");
        StunetException e = assertThrows(StunetException.class,
                () -> DicomSeries.assemble(DicomSeries.scan(dir).values().iterator().next()));
        assertEquals(ErrorCode.INVALID_SERIES, e.code(), e.getMessage());
    }

    @Test
    void obliqueRescaledSeriesIsFloatAndMatchesDcm2niix() {
        Path dir = tmp.resolve("oblique");
        DicomReference.makeSeries(dir, "--oblique=20", "--slope=0.5", "--modality=MR", "--shuffle");
        DicomSeries series = DicomSeries.assemble(DicomSeries.scan(dir).values().iterator().next());
        assertEquals(DataType.FLOAT32, series.volume().dataType());
        againstDcm2niix(dir, series.volume());
    }

    @Test
    void zipArchiveScansLikeAFolder() throws IOException {
        Path dir = tmp.resolve("z");
        DicomReference.makeSeries(dir, "--shuffle");
        Path zip = tmp.resolve("series.zip");
        try (OutputStream os = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(os);
             Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                z.putNextEntry(new ZipEntry("nested/" + p.getFileName()));
                z.write(Files.readAllBytes(p));
                z.closeEntry();
            }
            z.putNextEntry(new ZipEntry("README.txt"));
            z.write("not dicom".getBytes());
            z.closeEntry();
        }
        DicomSeries fromZip = DicomSeries.assemble(DicomSeries.scan(zip).values().iterator().next());
        DicomSeries fromDir = DicomSeries.assemble(DicomSeries.scan(dir).values().iterator().next());
        assertArrayEquals(fromDir.volume().shorts(), fromZip.volume().shorts());
        assertEquals(fromDir.info().sopInstanceUids(), fromZip.info().sopInstanceUids());
    }

    @ParameterizedTest
    @CsvSource({
        "tilt, INVALID_SERIES",
        "gap, INVALID_SERIES",
        "noipp, INVALID_SERIES",
        "truncate, INVALID_DICOM",
        "sopclass, INVALID_DICOM",
    })
    void faultySeriesFailTyped(String fault, ErrorCode expected) {
        Path dir = tmp.resolve(fault);
        DicomReference.makeSeries(dir, "--fault=" + fault);
        StunetException e = assertThrows(StunetException.class,
                () -> DicomSeries.assemble(DicomSeries.scan(dir).values().iterator().next()));
        assertEquals(expected, e.code(), e.getMessage());
    }

    @Test
    void mixedSeriesAndSizesAreRefused() {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        DicomReference.makeSeries(a);
        DicomReference.makeSeries(b, "--shape=61,50,30");
        List<DicomFile> both = new java.util.ArrayList<>(DicomSeries.scan(a).values().iterator().next());
        List<DicomFile> other = DicomSeries.scan(b).values().iterator().next();
        both.addAll(other);
        assertEquals(2, DicomSeries.groupBySeries(both).size());
        StunetException mixed = assertThrows(StunetException.class, () -> DicomSeries.assemble(both));
        assertEquals(ErrorCode.INVALID_SERIES, mixed.code());
        StunetException none = assertThrows(StunetException.class, () -> DicomSeries.assemble(List.of()));
        assertEquals(ErrorCode.INVALID_SERIES, none.code());
    }

    /**
     * A 512x512x300 series: assembled correctly (dcm2niix agrees) and timed; the figure is
     * printed for docs/dicom.md.
     */
    @Test
    void largeSeriesAssemblesFast() {
        Path dir = tmp.resolve("large");
        DicomReference.makeSeries(dir, "--shape=512,512,300", "--shuffle");
        long t0 = System.nanoTime();
        Map<String, List<DicomFile>> groups = DicomSeries.scan(dir);
        long t1 = System.nanoTime();
        DicomSeries series = DicomSeries.assemble(groups.values().iterator().next());
        long t2 = System.nanoTime();
        assertArrayEquals(new int[] {512, 512, 300}, series.volume().shape());
        JsonNode cmp = againstDcm2niix(dir, series.volume());
        System.out.printf("event=dicom_large_series read_ms=%.0f assemble_ms=%.0f dcm2niix_ms=%.0f%n",
                (t1 - t0) / 1e6, (t2 - t1) / 1e6, cmp.get("seconds").asDouble() * 1000);
    }

    private JsonNode againstDcm2niix(Path dir, Volume v) {
        Path ours = tmp.resolve("ours-" + System.nanoTime() + ".nii");
        NiftiWriter.write(ours, v);
        JsonNode cmp = DicomReference.call("dcm2niix", dir.toString(), ours.toString());
        assertEquals(cmp.get("ref_shape"), cmp.get("our_shape"), cmp.toString());
        assertTrue(cmp.get("affine_max_diff").asDouble() < 1e-3, "affine vs dcm2niix: " + cmp);
        assertTrue(cmp.get("voxels_equal").asBoolean(), "voxels vs dcm2niix: " + cmp.get("max_abs_diff"));
        return cmp;
    }
}
