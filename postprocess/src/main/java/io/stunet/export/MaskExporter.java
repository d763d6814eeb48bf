package io.stunet.export;

import io.stunet.geometry.Affine;
import io.stunet.geometry.PreprocessingProperties;
import io.stunet.geometry.Reorientation;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.resample.AxisPermutation;
import io.stunet.resample.LinearLabelResampler;
import io.stunet.resample.NearestResampler;
import io.stunet.resample.Shapes;
import io.stunet.volume.DataType;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The inverse of preprocessing for masks (NUMERICS §4): a network-space label map is resampled
 * to the cropped shape ({@link ExportMode}), transposed back, inserted into zeros of the
 * pre-crop shape at the crop box, and finally returned to the input's stored axis order. The
 * separate-z decision is the one preprocessing recorded, so linear export uses the same axis.
 */
public final class MaskExporter {
    private MaskExporter() {
    }

    /**
     * The mask on exactly the input's grid (its stored axis order, (z, y, x) flat).
     *
     * @param labels network-space (z, y, x) labels of shape {@code props.resampledShape()}
     */
    public static LabelMask export(short[] labels, PreprocessingProperties props, ExportMode mode) {
        short[] pre = toPreCropGrid(labels, props, mode);
        Reorientation.Spec spec = props.reorientation();
        if (spec == null) {
            return LabelMask.of(pre, props.shapeBeforeCrop());
        }
        Reorientation r = Reorientation.fromSpec(spec);
        short[] out = r.isIdentity() ? pre : r.invert(pre);
        int[] xyz = spec.inputShapeXyz();
        return LabelMask.of(out, new int[] {xyz[2], xyz[1], xyz[0]});
    }

    /** {@link #export(short[], PreprocessingProperties, ExportMode)} for a uint8 label map. */
    public static LabelMask export(byte[] labels, PreprocessingProperties props, ExportMode mode) {
        return export(LabelMask.widen(labels), props, mode);
    }

    /**
     * Writes the mask as uint8 (largest label below 256) or uint16 with the geometry of
     * {@code inputHeader} (qform, sform, codes, pixdim copied), the header of the input file.
     */
    public static void write(Path out, LabelMask mask, NiftiHeader inputHeader) {
        checkGrid(mask, inputHeader);
        if (mask.fitsUint8()) {
            NiftiWriter.writeLabels(out, mask.toUint8(), inputHeader);
        } else {
            NiftiWriter.writeLabels(out, mask.labels(), inputHeader);
        }
    }

    /** {@link #write} to the bytes of a {@code .nii.gz} file (identical to the file written). */
    public static byte[] encode(LabelMask mask, NiftiHeader inputHeader) {
        checkGrid(mask, inputHeader);
        return mask.fitsUint8()
                ? NiftiWriter.encodeLabels(mask.toUint8(), inputHeader, true)
                : NiftiWriter.encodeLabels(mask.labels(), inputHeader, true);
    }

    private static void checkGrid(LabelMask mask, NiftiHeader inputHeader) {
        if (inputHeader.nx() * (long) inputHeader.ny() * inputHeader.nz() != mask.labels().length) {
            throw new IllegalArgumentException("mask does not lie on the given header's grid");
        }
    }

    /**
     * A header for the input grid rebuilt from the properties alone (dimensions and the
     * voxel-to-world matrix as sform and qform), for when the input file is no longer at hand.
     */
    public static NiftiHeader inputGridHeader(PreprocessingProperties props) {
        Reorientation.Spec spec = props.reorientation();
        if (spec == null) {
            throw new IllegalArgumentException("properties without an input grid");
        }
        int[] xyz = spec.inputShapeXyz();
        return NiftiHeader.forGrid(xyz[0], xyz[1], xyz[2], Affine.of(spec.inputAffine()), DataType.UINT8);
    }

    /**
     * Labels on the (reoriented) pre-crop grid: everything but undoing the reorientation.
     *
     * @param labels network-space (z, y, x) labels of shape {@code props.resampledShape()}
     */
    public static short[] toPreCropGrid(short[] labels, PreprocessingProperties props, ExportMode mode) {
        int[] net = props.resampledShape();
        Shapes.checkLength(labels.length, net);
        int[] tf = props.transposeForward();
        int[] netCropped = AxisPermutation.permute(props.shapeAfterCrop(), tf);
        short[] resampled;
        if (Arrays.equals(net, netCropped)) {
            resampled = labels;
        } else if (mode == ExportMode.NEAREST) {
            resampled = NearestResampler.resample(labels, net, netCropped);
        } else if (props.separateZ()) {
            resampled = LinearLabelResampler.resampleSeparate(labels, net, netCropped, props.lowResAxis());
        } else {
            resampled = LinearLabelResampler.resample(labels, net, netCropped);
        }
        short[] cropped = AxisPermutation.apply(resampled, netCropped, AxisPermutation.inverse(tf));
        return uncrop(cropped, props);
    }

    /** Inserts the cropped labels into a zero volume of the pre-crop shape at the crop box. */
    static short[] uncrop(short[] cropped, PreprocessingProperties props) {
        int[] full = props.shapeBeforeCrop();
        int[] c = props.shapeAfterCrop();
        int[][] box = props.cropBbox();
        if (Arrays.equals(full, c)) {
            return cropped;
        }
        short[] out = new short[Shapes.voxels(full)];
        for (int z = 0; z < c[0]; z++) {
            for (int y = 0; y < c[1]; y++) {
                int dst = ((z + box[0][0]) * full[1] + y + box[1][0]) * full[2] + box[2][0];
                System.arraycopy(cropped, (z * c[1] + y) * c[2], out, dst, c[2]);
            }
        }
        return out;
    }
}
