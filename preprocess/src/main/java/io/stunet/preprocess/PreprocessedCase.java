package io.stunet.preprocess;

import io.stunet.geometry.PreprocessingProperties;

/**
 * The network input of one case: float32 (c, z, y, x) in network space and the properties
 * that export needs to invert the preprocessing.
 *
 * @param data       flat (c, z, y, x) buffer, {@code channels * z * y * x} values
 * @param properties shapes, crop box, spacings and decisions of this case
 */
public record PreprocessedCase(float[] data, PreprocessingProperties properties) {
    /** (z, y, x) network-space shape. */
    public int[] shape() {
        return properties.resampledShape().clone();
    }

    public int channels() {
        return properties.channels();
    }
}
