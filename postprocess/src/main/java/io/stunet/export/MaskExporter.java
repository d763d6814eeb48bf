package io.stunet.export;

import io.stunet.geometry.PreprocessingProperties;
import io.stunet.resample.AxisPermutation;
import io.stunet.resample.LinearLabelResampler;
import io.stunet.resample.NearestResampler;
import io.stunet.resample.Shapes;
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
