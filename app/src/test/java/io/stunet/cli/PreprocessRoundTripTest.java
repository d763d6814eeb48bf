package io.stunet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.export.ExportMode;
import io.stunet.export.LabelMask;
import io.stunet.export.MaskExporter;
import io.stunet.model.ModelCard;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.preprocess.ModelCardParameters;
import io.stunet.preprocess.NormalizationSpec;
import io.stunet.preprocess.PreprocessedCase;
import io.stunet.preprocess.PreprocessingParameters;
import io.stunet.preprocess.Preprocessor;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import io.stunet.volume.Volume;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preprocessing followed by mask export lands exactly on the input: the written mask has the
 * input's dimensions, affines, codes and pixdim, and where no resampling happens the labels
 * come back unchanged (crop, transpose and reorientation are undone exactly). Also checks the
 * {@code stunet preprocess} command's outputs.
 */
class PreprocessRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void labelsSurviveCropAndReorientationExactlyForRasAndNonRasInputs() {
        Path ras = TestData.nifti("example_seg.nii.gz");
        Path pil = dir.resolve("seg_pil.nii.gz");
        Python.module("tools.stunet.reference_preprocess", "make-volume", "--source", ras.toString(), "--ornt", "PIL",
                "--output", pil.toString());
        for (Path file : new Path[] {ras, pil}) {
            Volume input = NiftiReader.read(file);
            double[] sp = input.spacing();
            // the model's target spacing equal to the input's: no resampling, so export must be exact
            PreprocessingParameters params = new PreprocessingParameters(canonicalZyx(file, sp),
                    java.util.List.of(NormalizationSpec.nonCt(false)), true, "RAS", new int[] {0, 1, 2}, 3.0);
            Preprocessor.Resampled r = new Preprocessor(params).resample(new float[][] {reoriented(input)},
                    reorientedShape(input), canonicalZyx(file, sp), reorientation(input), sp, "RAS");
            short[] net = new short[r.channels()[0].length];
            for (int i = 0; i < net.length; i++) {
                net[i] = (short) r.channels()[0][i];
            }
            LabelMask mask = MaskExporter.export(net, r.properties(), ExportMode.NEAREST);
            float[] original = input.toFloat32(0);
            short[] expected = new short[original.length];
            for (int i = 0; i < original.length; i++) {
                expected[i] = (short) original[i];
            }
            assertArrayEquals(expected, mask.labels(), "labels of " + file.getFileName());
            assertTrue(r.properties().shapeAfterCrop()[1] < r.properties().shapeBeforeCrop()[1]
                    || r.properties().shapeAfterCrop()[2] < r.properties().shapeBeforeCrop()[2],
                    "the case must exercise the crop");
        }
    }

    @Test
    void exportedMaskHasTheInputGeometryExactly() throws Exception {
        Path file = TestData.nifti("amos_0001_label.nii.gz");
        Volume input = NiftiReader.read(file);
        Preprocessor p = new Preprocessor(PreprocessingParameters.of(new double[] {1.5, 1.5, 1.5},
                NormalizationSpec.nonCt(false)));
        PreprocessedCase c = p.run(input);
        short[] net = new short[c.data().length];
        for (int i = 0; i < net.length; i++) {
            net[i] = (short) (c.data()[i] > 0 ? 1 : 0);
        }
        for (ExportMode mode : ExportMode.values()) {
            Path out = dir.resolve("mask-" + mode + ".nii.gz");
            LabelMask mask = MaskExporter.export(net, c.properties(), mode);
            MaskExporter.write(out, mask, input.header());
            assertSameGrid(input.header(), NiftiReader.readHeader(out));
            Path rebuilt = dir.resolve("rebuilt-" + mode + ".nii.gz");
            MaskExporter.write(rebuilt, mask, MaskExporter.inputGridHeader(c.properties()));
            NiftiHeader h = NiftiReader.readHeader(rebuilt);
            assertArrayEquals(input.header().shape(), h.shape());
            assertTrue(input.affine().maxAbsDiff(h.affine()) < 1e-4, "rebuilt header affine");
        }
    }

    @Test
    void preprocessCommandWritesVolumeAndProperties() throws Exception {
        Path out = dir.resolve("ct_pre.nii.gz");
        int rc = StunetCommand.commandLine().execute("preprocess", TestData.nifti("example_mr_sm.nii.gz").toString(),
                "--spacing", "2,1.5,1.5", "--norm", "nonCT", "--out", out.toString());
        assertEquals(0, rc);
        Path json = dir.resolve("ct_pre.json");
        assertTrue(Files.exists(json), "default properties path");
        PreprocessingProperties props = new ObjectMapper().readValue(json.toFile(), PreprocessingProperties.class);
        Volume written = NiftiReader.read(out);
        int[] s = props.resampledShape();
        assertArrayEquals(new int[] {s[2], s[1], s[0]}, new int[] {written.nx(), written.ny(), written.nz()});
        assertEquals(0.0, Preprocessor.networkAffine(props).maxAbsDiff(written.affine()), 1e-4);
        Volume input = NiftiReader.read(TestData.nifti("example_mr_sm.nii.gz"));
        PreprocessedCase direct = new Preprocessor(PreprocessingParameters.of(new double[] {2, 1.5, 1.5},
                NormalizationSpec.nonCt(false))).run(input);
        assertArrayEquals(direct.data(), written.toFloat32(0));
        assertEquals(direct.properties().toString(), props.toString());
        assertArrayEquals(input.header().shape(), props.inputShapeXyz());

        int bad = StunetCommand.commandLine().execute("preprocess", TestData.nifti("example_mr_sm.nii.gz").toString(),
                "--out", out.toString());
        assertEquals(2, bad, "neither --model nor --spacing is a usage error");
    }

    @Test
    void preprocessCommandTakesTheModelCardsParameters() throws Exception {
        Path out = dir.resolve("ct_model.nii.gz");
        Path model = TestData.file("models/demo");
        int rc = StunetCommand.commandLine().execute("preprocess", TestData.nifti("example_ct_sm.nii.gz").toString(),
                "--model", model.toString(), "--out", out.toString());
        assertEquals(0, rc);
        Volume input = NiftiReader.read(TestData.nifti("example_ct_sm.nii.gz"));
        PreprocessedCase direct = new Preprocessor(ModelCardParameters.of(ModelCard.load(model))).run(input);
        assertArrayEquals(direct.data(), NiftiReader.read(out).toFloat32(0));
    }

    static void assertSameGrid(NiftiHeader expected, NiftiHeader actual) {
        assertArrayEquals(expected.shape(), actual.shape(), "dimensions");
        assertEquals(expected.qformCode(), actual.qformCode(), "qform_code");
        assertEquals(expected.sformCode(), actual.sformCode(), "sform_code");
        assertArrayEquals(expected.pixdim(), actual.pixdim(), "pixdim");
        assertEquals(0.0, expected.affine().maxAbsDiff(actual.affine()), "affine");
        assertEquals(0.0, expected.qformAffine().maxAbsDiff(actual.qformAffine()), "qform");
    }

    private static io.stunet.geometry.Reorientation canonical(Volume v) {
        return io.stunet.geometry.Reorientation.toClosestCanonical(v.affine(), v.nx(), v.ny(), v.nz());
    }

    private static io.stunet.geometry.Reorientation.Spec reorientation(Volume v) {
        return canonical(v).spec();
    }

    private static float[] reoriented(Volume v) {
        return canonical(v).apply(v.toFloat32(0));
    }

    private static int[] reorientedShape(Volume v) {
        int[] xyz = canonical(v).outputShapeXyz();
        return new int[] {xyz[2], xyz[1], xyz[0]};
    }

    /** (z, y, x) spacing of the reoriented grid. */
    private static double[] canonicalZyx(Path file, double[] pixdim) {
        Volume v = NiftiReader.read(file);
        int[] axes = canonical(v).spec().axes();
        double[] xyz = new double[3];
        for (int i = 0; i < 3; i++) {
            xyz[axes[i]] = pixdim[i];
        }
        return new double[] {xyz[2], xyz[1], xyz[0]};
    }
}
