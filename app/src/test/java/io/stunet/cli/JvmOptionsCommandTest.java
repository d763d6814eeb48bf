package io.stunet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.engine.EngineOptions;
import io.stunet.engine.InferenceEngine;
import io.stunet.geometry.Affine;
import io.stunet.model.ModelCard;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.PreprocessedCase;
import io.stunet.preprocess.Preprocessor;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heap {@code ./stunet} plans for {@code predict} and {@code run}: large enough for the
 * engine's own admission check on the real preprocessed case, growing with the volume, and
 * leaving heap and collector to the user when they set them.
 */
class JvmOptionsCommandTest {
    @TempDir
    Path tmp;

    private static final String MODEL = TestData.file("models/demo").toString();

    @Test
    void predictGetsTheSerialCollectorAndAHeapTheEngineAccepts() {
        Path ct = TestData.nifti("example_ct_sm.nii.gz");
        List<String> plan = JvmOptionsCommand.plan(List.of("predict", ct.toString(), "--model", MODEL, "--no-tta"), Map.of());
        assertTrue(plan.contains("-XX:+UseSerialGC"), plan.toString());
        assertTrue(plan.contains("-Xmn64m"), plan.toString());
        long heap = xmx(plan);

        // The engine's check on the case as preprocessing really shapes it.
        ModelCard card = ModelCard.load(Path.of(MODEL));
        PreprocessedCase pre = new Preprocessor(ModelCardParameters.of(card)).run(NiftiReader.read(ct));
        InferenceEngine.Need need = InferenceEngine.heapNeed(pre.shape(), new EngineOptions().classes(card.numClasses())
                .patch(card.patchSizeArray()).tta(false), 1);
        assertTrue(need.largestSlab() > 0);
        assertTrue(need.largestSlab() <= InferenceEngine.HEAP_SHARE * (heap - JvmOptionsCommand.YOUNG_BYTES), plan.toString());
        assertTrue(heap >= JvmOptionsCommand.MIN_HEAP_BYTES);
    }

    @Test
    void theHeapGrowsWithTheVolumeAndCoversTheUncroppedBound() throws IOException {
        Path small = header(tmp.resolve("small.nii"), 200, 200, 100, 1.0);
        Path large = header(tmp.resolve("large.nii"), 512, 512, 600, 0.8);
        long smallHeap = xmx(JvmOptionsCommand.plan(List.of("predict", small.toString(), "--model", MODEL), Map.of()));
        long largeHeap = xmx(JvmOptionsCommand.plan(List.of("predict", large.toString(), "--model", MODEL), Map.of()));
        assertTrue(largeHeap > smallHeap, smallHeap + " vs " + largeHeap);

        ModelCard card = ModelCard.load(Path.of(MODEL));
        int[] bound = new Preprocessor(ModelCardParameters.of(card)).networkShapeBound(NiftiReader.readHeader(large));
        // 600 slices at 0.8 mm resampled to the card's spacing, whatever the in-plane axes.
        assertEquals(Math.round(600 * 0.8 / card.targetSpacingArray()[0]), bound[0], Arrays.toString(bound));
        InferenceEngine.Need need = InferenceEngine.heapNeed(bound, new EngineOptions().classes(card.numClasses())
                .patch(card.patchSizeArray()), 1);
        assertTrue(need.largestSlab() <= InferenceEngine.HEAP_SHARE * (largeHeap - JvmOptionsCommand.YOUNG_BYTES));

        // More slabs: smaller slabs, so the engine's check needs less.
        long slabbed = xmx(JvmOptionsCommand.plan(List.of("predict", large.toString(), "--model", MODEL, "--slabs", "4"), Map.of()));
        assertTrue(slabbed <= largeHeap, slabbed + " vs " + largeHeap);
    }

    @Test
    void runPlansForTheCasesItHoldsAtOnce() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("cases"));
        Path big = header(dir.resolve("a.nii"), 512, 512, 300, 0.8);
        long run = xmx(JvmOptionsCommand.plan(List.of("run", "--input", dir.toString(), "--model", MODEL), Map.of()));
        long predict = xmx(JvmOptionsCommand.plan(List.of("predict", big.toString(), "--model", MODEL), Map.of()));
        assertTrue(run > predict, run + " vs " + predict);
    }

    @Test
    void heapAndCollectorSetByTheUserWin() {
        List<String> args = List.of("predict", TestData.nifti("example_ct_sm.nii.gz").toString(), "--model", MODEL);
        List<String> heapSet = JvmOptionsCommand.plan(args, Map.of("STUNET_JAVA_OPTS", "-Xmx3g -Dx=y"));
        assertEquals(List.of("-XX:+UseSerialGC"), heapSet);
        List<String> ram = JvmOptionsCommand.plan(args, Map.of("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=70"));
        assertEquals(List.of("-XX:+UseSerialGC"), ram);
        List<String> gcSet = JvmOptionsCommand.plan(args, Map.of("JDK_JAVA_OPTIONS", "-XX:+UseG1GC"));
        assertFalse(gcSet.contains("-XX:+UseSerialGC"), gcSet.toString());
        assertTrue(gcSet.stream().anyMatch(o -> o.startsWith("-Xmx")), gcSet.toString());
    }

    @Test
    void otherCommandsAndBadCommandLinesKeepTheJvmDefaults() {
        assertEquals(List.of(), JvmOptionsCommand.plan(List.of("inspect", "x.nii"), Map.of()));
        assertEquals(List.of(), JvmOptionsCommand.plan(List.of("serve", "--stages", "infer"), Map.of()));
        assertEquals(List.of(), JvmOptionsCommand.plan(List.of("predict", "--no-such-option"), Map.of()));
        assertEquals(List.of(), JvmOptionsCommand.plan(List.of("predict", tmp.resolve("missing.nii").toString(), "--model", MODEL),
                Map.of()));
        assertEquals(List.of(), JvmOptionsCommand.plan(List.of(), Map.of()));
    }

    private static long xmx(List<String> plan) {
        String xmx = plan.stream().filter(o -> o.startsWith("-Xmx")).findFirst().orElseThrow(() -> new AssertionError(plan));
        assertTrue(xmx.endsWith("m"), xmx);
        return Long.parseLong(xmx.substring(4, xmx.length() - 1)) << 20;
    }

    /**
     * A .nii file whose header declares an {@code nx x ny x nz} int16 volume but holds 8 voxels:
     * written for a 2 x 2 x 2 grid, then dim[1..3] (offset 42, int16) rewritten. The plan must
     * not read voxels, so it must not notice.
     */
    private static Path header(Path file, int nx, int ny, int nz, double spacing) throws IOException {
        Affine affine = Affine.fromRows(new double[][] {{spacing, 0, 0, 0}, {0, spacing, 0, 0}, {0, 0, spacing, 0}, {0, 0, 0, 1}});
        NiftiWriter.write(file, Volume.wrap(NiftiHeader.forGrid(2, 2, 2, affine, DataType.INT16), new short[8]));
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(42, (short) nx).putShort(44, (short) ny).putShort(46, (short) nz);
        Files.write(file, bytes);
        return file;
    }
}
