package io.stunet.tiling;

/**
 * Argmax labels of the z-slab {@code [z0, z1)} of a case in unpadded network space, C order
 * (z, y, x) over {@code (z1 - z0) x height x width}. Exactly one of {@code bytes} (up to 256
 * classes, values read unsigned) and {@code shorts} (more classes, read unsigned) is non-null.
 */
public record LabelSlab(int z0, int z1, int height, int width, byte[] bytes, short[] shorts) {
    /** Label at slab-relative index {@code i}. */
    public int label(int i) {
        return bytes != null ? Byte.toUnsignedInt(bytes[i]) : Short.toUnsignedInt(shorts[i]);
    }

    public int voxels() {
        return (z1 - z0) * height * width;
    }
}
