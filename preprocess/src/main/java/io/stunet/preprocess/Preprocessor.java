package io.stunet.preprocess;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;
import io.stunet.geometry.Affine;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.geometry.Reorientation;
import io.stunet.nifti.NiftiHeader;
import io.stunet.resample.AxisPermutation;
import io.stunet.resample.LinearLabelResampler;
import io.stunet.resample.SplineResampler;
import io.stunet.volume.Volume;

/**
 * nnU-Net v1's {@code preprocess_test_case} in the order of NUMERICS §1-2: reorient to closest
 * canonical RAS+ (when the parameters ask) -> crop to nonzero -> transpose_forward -> NaN to 0
 * -> resample (cubic spline, or the separate-z path) -> normalize. {@link #run(Volume)} starts
 * from a read NIfTI volume; {@link #resample} and {@link #normalize} are the pure steps on
 * (z, y, x) float32 channels of the reoriented grid, usable (and tested) on their own.
 */
public final class Preprocessor {
    private final PreprocessingParameters params;

    public Preprocessor(PreprocessingParameters params) {
        this.params = params;
    }

    public PreprocessingParameters parameters() {
        return params;
    }

    /**
     * Channels cropped, transposed and resampled, before normalization.
     *
     * @param channels   (z, y, x) buffers in network space, one per channel
     * @param inside     resampled nonzero mask (1 inside), or null when no channel normalizes with it
     * @param properties what export needs
     */
    public record Resampled(float[][] channels, short[] inside, PreprocessingProperties properties) {
    }

    /**
     * The whole sequence on a volume: frames of a 4-D file are the input channels (a 3-D file
     * is one channel); the channel count must match the parameters.
     */
    public PreprocessedCase run(Volume volume) {
        int channels = volume.nt();
        if (channels != params.channels()) {
            throw new InvalidVolumeException(ErrorCode.UNSUPPORTED_DIMENSIONS,
                    "model expects " + params.channels() + " channel(s), volume has " + channels);
        }
        Grid g = grid(volume.header());
        float[][] data = new float[channels][];
        for (int c = 0; c < channels; c++) {
            float[] frame = volume.toFloat32(c);
            data[c] = g.reorientation().isIdentity() ? frame : g.reorientation().apply(frame);
        }
        return normalize(resample(data, g.shape(), g.spacing(), g.reorientation().spec(), volume.spacing(),
                params.orientation()));
    }

    /** The reoriented (z, y, x) grid the steps after reading work on. */
    private record Grid(Reorientation reorientation, int[] shape, double[] spacing) {
    }

    private Grid grid(NiftiHeader h) {
        Reorientation r = params.reorient()
                ? Reorientation.toClosestCanonical(h.affine(), h.nx(), h.ny(), h.nz())
                : Reorientation.identity(h.affine(), h.nx(), h.ny(), h.nz());
        double[] pixdim = h.spacing();
        int[] axes = r.spec().axes();
        double[] spacingXyz = new double[3];
        for (int i = 0; i < 3; i++) {
            spacingXyz[axes[i]] = pixdim[i];
        }
        int[] outXyz = r.outputShapeXyz();
        return new Grid(r, new int[] {outXyz[2], outXyz[1], outXyz[0]}, new double[] {spacingXyz[2], spacingXyz[1], spacingXyz[0]});
    }

    /** The pure sequence on reoriented channels: {@link #resample} then {@link #normalize}. */
    public PreprocessedCase run(float[][] channels, int[] shape, double[] spacing) {
        return normalize(resample(channels, shape, spacing, null, null, params.orientation()));
    }

    /**
     * Crop, transpose, NaN to 0 and resample. {@code channels} are (z, y, x) buffers of
     * {@code shape} with (z, y, x) {@code spacing}, already reoriented by {@code reorientation}
     * (null when they do not come from a file); they are not modified.
     */
    public Resampled resample(float[][] channels, int[] shape, double[] spacing, Reorientation.Spec reorientation,
                              double[] inputSpacingXyz, String orientation) {
        if (channels.length != params.channels()) {
            throw new IllegalArgumentException("model expects " + params.channels() + " channels, got " + channels.length);
        }
        for (double sp : spacing) {
            if (!(sp > 0) || Double.isInfinite(sp)) {
                throw new InvalidVolumeException(ErrorCode.INVALID_GEOMETRY,
                        "voxel spacing must be positive and finite: " + java.util.Arrays.toString(spacing));
            }
        }
        NonzeroCrop crop;
        if (params.cropToNonzero()) {
            crop = NonzeroCrop.of(channels, shape);
        } else {
            boolean[] all = new boolean[channels[0].length];
            java.util.Arrays.fill(all, true);
            crop = new NonzeroCrop(all, new int[][] {{0, shape[0]}, {0, shape[1]}, {0, shape[2]}}, shape.clone());
        }
        int[] cropped = crop.croppedShape();
        int[] tf = params.transposeForward();
        int[] netShape = AxisPermutation.permute(cropped, tf);
        double[] netSpacing = AxisPermutation.permute(spacing, tf);
        double[] target = params.targetSpacing();
        int[] newShape = ResamplingRules.targetShape(netShape, netSpacing, target);
        ResamplingRules.SeparateZ sep = ResamplingRules.separateZ(netSpacing, target, params.anisotropyThreshold());

        float[][] out = new float[channels.length][];
        for (int c = 0; c < channels.length; c++) {
            float[] data = AxisPermutation.apply(crop.crop(channels[c]), cropped, tf);
            for (int i = 0; i < data.length; i++) {
                if (Float.isNaN(data[i])) {
                    data[i] = 0f;
                }
            }
            out[c] = resampleData(data, netShape, newShape, sep);
        }
        short[] inside = null;
        if (params.normalization().stream().anyMatch(NormalizationSpec::useMaskForNorm)) {
            short[] mask = AxisPermutation.apply(crop.croppedMaskLabels(), cropped, tf);
            inside = resampleMask(mask, netShape, newShape, sep);
        }
        PreprocessingProperties props = new PreprocessingProperties(PreprocessingProperties.SCHEMA_VERSION,
                reorientation, inputSpacingXyz == null ? null : inputSpacingXyz.clone(), orientation, tf.clone(),
                shape.clone(), crop.bbox(),
                cropped, spacing.clone(), target.clone(), newShape, sep.separate(), sep.axis(), channels.length);
        return new Resampled(out, inside, props);
    }

    /** Normalizes every channel in place and packs them as (c, z, y, x). */
    public PreprocessedCase normalize(Resampled r) {
        int n = r.channels()[0].length;
        for (int c = 0; c < r.channels().length; c++) {
            Normalization.apply(r.channels()[c], params.normalization().get(c), r.inside());
        }
        float[] packed;
        if (r.channels().length == 1) {
            packed = r.channels()[0];
        } else {
            packed = new float[n * r.channels().length];
            for (int c = 0; c < r.channels().length; c++) {
                System.arraycopy(r.channels()[c], 0, packed, c * n, n);
            }
        }
        return new PreprocessedCase(packed, r.properties());
    }

    /**
     * Voxel-to-world matrix of the network-space grid as a NIfTI of the flat (z, y, x) network
     * array: the reoriented input affine, shifted to the crop box, with the transpose and the
     * resampling ({@code src = (dst + 0.5) * in / out - 0.5}) folded in.
     */
    public static Affine networkAffine(PreprocessingProperties props) {
        if (props.reorientation() == null) {
            throw new IllegalArgumentException("properties without an input grid have no world geometry");
        }
        Affine oriented = Reorientation.fromSpec(props.reorientation()).outputAffine();
        int[] tf = props.transposeForward();
        int[] netCropped = AxisPermutation.permute(props.shapeAfterCrop(), tf);
        int[] net = props.resampledShape();
        double[][] t = new double[4][4];
        t[3][3] = 1;
        for (int v = 0; v < 3; v++) {
            int netAxis = 2 - v;
            int zyxAxis = tf[netAxis];
            int xyzAxis = 2 - zyxAxis;
            double scale = (double) netCropped[netAxis] / net[netAxis];
            t[xyzAxis][v] = scale;
            t[xyzAxis][3] = props.cropBbox()[zyxAxis][0] + 0.5 * scale - 0.5;
        }
        return oriented.multiply(Affine.fromRows(t));
    }

    static float[] resampleData(float[] data, int[] shape, int[] newShape, ResamplingRules.SeparateZ sep) {
        if (java.util.Arrays.equals(shape, newShape)) {
            return data;
        }
        return sep.separate()
                ? SplineResampler.resizeSeparate(data, shape, newShape, sep.axis())
                : SplineResampler.resize(data, shape, newShape);
    }

    static short[] resampleMask(short[] mask, int[] shape, int[] newShape, ResamplingRules.SeparateZ sep) {
        if (java.util.Arrays.equals(shape, newShape)) {
            return mask;
        }
        return sep.separate()
                ? LinearLabelResampler.resampleSeparate(mask, shape, newShape, sep.axis())
                : LinearLabelResampler.resample(mask, shape, newShape);
    }
}
