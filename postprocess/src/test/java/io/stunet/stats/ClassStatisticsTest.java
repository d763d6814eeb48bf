package io.stunet.stats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.nifti.NiftiReader;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Statistics of TotalSegmentator's own segmentation of the bundled CT, read with
 * {@code NiftiReader}, checked against {@code tools/stunet/reference_stats.py} (nibabel and
 * numpy on the same files) at test time.
 */
class ClassStatisticsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    // TotalSegmentator v2 "total": labels 1..117 plus background.
    private static final int CLASSES = 118;

    @TempDir
    static Path dir;
    static Volume ct;
    static Volume seg;
    static JsonNode reference;

    static JsonNode reference(String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of(TestData.nifti("example_ct_sm.nii.gz").toString(),
                TestData.nifti("example_seg.nii.gz").toString(), Integer.toString(CLASSES)));
        args.addAll(List.of(extra));
        return JSON.readTree(Python.run(TestData.file("tools/stunet/reference_stats.py"), args.toArray(String[]::new)));
    }

    @BeforeAll
    static void loadSampleAndReference() throws IOException {
        ct = NiftiReader.read(TestData.nifti("example_ct_sm.nii.gz"));
        seg = NiftiReader.read(TestData.nifti("example_seg.nii.gz"));
        reference = reference();
    }

    static int[] shape() {
        return new int[] {ct.nz(), ct.ny(), ct.nx()};
    }

    static double[] spacing() {
        double[] xyz = ct.spacing();
        return new double[] {xyz[2], xyz[1], xyz[0]};
    }

    static short[] widened(byte[] labels) {
        short[] s = new short[labels.length];
        for (int i = 0; i < labels.length; i++) {
            s[i] = (short) (labels[i] & 0xFF);
        }
        return s;
    }

    static List<String> names(int n) {
        List<String> names = new ArrayList<>();
        names.add("background");
        for (int k = 1; k < n; k++) {
            names.add("class_" + k);
        }
        return names;
    }

    static void assertMatchesReference(StatsReport report) {
        assertMatchesReference(report, reference);
    }

    static void assertMatchesReference(StatsReport report, JsonNode reference) {
        assertEquals(reference.get("voxelVolume").asDouble(), report.voxelVolume());
        assertEquals(CLASSES - 1, report.classes().size());
        for (ClassStat c : report.classes()) {
            JsonNode ref = reference.get("classes").get(Integer.toString(c.label()));
            String what = "label " + c.label();
            assertEquals(ref.get("voxels").asLong(), c.voxels(), what);
            assertEquals(ref.get("volume").asDouble(), c.volumeMm3(), what);
            double mean = ref.get("mean").asDouble();
            assertEquals(mean, c.meanIntensity(), 1e-12 * Math.max(1, Math.abs(mean)), what);
            assertEquals(ref.get("intensity").asDouble(), StatsJson.roundIntensity(c.meanIntensity()), what);
            assertEquals(ref.get("touchesBorder").asBoolean(), c.touchesBorder(), what);
        }
    }

    @Test
    void niftiFilesMatchNumpyReference() {
        assertEquals(DataType.UINT8, seg.dataType());
        StatsReport report = ClassStatistics.compute(ct, seg, names(CLASSES));
        assertMatchesReference(report);
        assertFalse(report.present().isEmpty());
        assertTrue(report.present().stream().anyMatch(c -> !c.touchesBorder()),
                "the sample must exercise the interior branch too");
    }

    @Test
    void uint16LabelsMatchNumpyReference() {
        assertMatchesReference(ClassStatistics.compute(ct.toFloat32(0), widened(seg.bytes()), shape(), spacing(),
                names(CLASSES)));
    }

    @Test
    void thinSlabsMatchNumpyReference() throws IOException {
        int[] shape = shape();
        int slice = shape[1] * shape[2];
        float[] image = ct.toFloat32(0);
        for (int[] range : new int[][] {{15, 16}, {10, 14}, {0, 5}}) {
            JsonNode expected = reference("--slices", Integer.toString(range[0]), Integer.toString(range[1]));
            StatsReport report = ClassStatistics.compute(
                    Arrays.copyOfRange(image, range[0] * slice, range[1] * slice),
                    Arrays.copyOfRange(seg.bytes(), range[0] * slice, range[1] * slice),
                    new int[] {range[1] - range[0], shape[1], shape[2]}, spacing(), names(CLASSES));
            assertMatchesReference(report, expected);
        }
    }

    @Test
    void resultIsIndependentOfThreadCount() throws Exception {
        StatsReport one = new ForkJoinPool(1).submit(() -> ClassStatistics.compute(ct, seg, names(CLASSES))).get();
        StatsReport many = new ForkJoinPool(7).submit(() -> ClassStatistics.compute(ct, seg, names(CLASSES))).get();
        assertEquals(one.classes(), many.classes());
    }

    @Test
    void labelWithoutClassNameIsRefused() {
        StunetException e = assertThrows(StunetException.class, () -> ClassStatistics.compute(ct, seg, names(100)));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    }

    @Test
    void labelMapOnAnotherGridIsRefused() {
        Volume mr = NiftiReader.read(TestData.nifti("example_mr_sm.nii.gz"));
        StunetException e = assertThrows(StunetException.class, () -> ClassStatistics.compute(mr, seg, names(CLASSES)));
        assertEquals(ErrorCode.INVALID_GEOMETRY, e.code());
    }

    @Test
    void repeatedClassNamesAreRefused() {
        List<String> names = names(CLASSES);
        names.set(5, names.get(4));
        StunetException e = assertThrows(StunetException.class, () -> ClassStatistics.compute(ct, seg, names));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    }

    @Test
    void jsonCarriesEveryClassWithTotalSegmentatorFields() throws IOException {
        StatsReport report = ClassStatistics.compute(ct, seg, names(CLASSES));
        Path out = dir.resolve("json").resolve("case_stats.json");
        StatsJson.write(report, out);
        StatsJson.write(report, out);
        try (var files = Files.list(out.getParent())) {
            assertEquals(List.of(out), files.toList(), "no temporary files left behind");
        }

        JsonNode doc = JSON.readTree(out.toFile());
        assertEquals(StatsJson.SCHEMA, doc.get("schema").asText());
        assertEquals(StatsJson.SCHEMA_VERSION, doc.get("schemaVersion").asInt());
        assertArrayEquals(new int[] {ct.nx(), ct.ny(), ct.nz()},
                JSON.convertValue(doc.get("shape"), int[].class));
        assertEquals(names(CLASSES), JSON.convertValue(doc.get("classNames"), List.class));
        JsonNode classes = doc.get("classes");
        assertEquals(CLASSES - 1, classes.size());
        for (int k = 1; k < CLASSES; k++) {
            JsonNode ref = reference.get("classes").get(Integer.toString(k));
            JsonNode entry = classes.get("class_" + k);
            assertEquals(k, entry.get("label").asInt());
            assertEquals(ref.get("voxels").asLong(), entry.get("voxels").asLong());
            assertEquals(ref.get("volume").asDouble(), entry.get("volume").asDouble());
            assertEquals(ref.get("intensity").asDouble(), entry.get("intensity").asDouble());
            assertEquals(ref.get("touchesBorder").asBoolean(), entry.get("touchesBorder").asBoolean());
        }
    }
}
