package io.stunet.window;

/**
 * Copies one network input out of a (c, z, y, x) volume: the patch at a tile's padded-space
 * corner, zeros where it reaches into the padding (nnU-Net pads with constant 0 in normalized
 * units), optionally mirrored along any of the three spatial axes so test-time mirroring can
 * build flipped inputs without a flip pass over a full tensor.
 */
public final class PatchExtractor {
    private PatchExtractor() {
    }

    /**
     * Writes the patch into {@code out[outOffset ...]} as (c, pz, py, px). {@code source} supplies
     * rows of the unpadded volume; {@code flipZ/Y/X} mirror the patch along that axis.
     */
    public static void extract(VolumeSource source, SlidingWindowPlan plan, Tile tile,
                               boolean flipZ, boolean flipY, boolean flipX, float[] out, int outOffset) {
        int[] p = plan.patch();
        int[] shape = plan.shape();
        int[] below = plan.padBelow();
        int channels = source.channels();
        int pz = p[0], py = p[1], px = p[2];
        int x0 = tile.x() - below[2];
        int xs = Math.max(0, x0);
        int xe = Math.min(shape[2], x0 + px);
        float[] row = new float[Math.max(0, xe - xs)];
        for (int c = 0; c < channels; c++) {
            for (int dz = 0; dz < pz; dz++) {
                int z = tile.z() - below[0] + dz;
                int oz = flipZ ? pz - 1 - dz : dz;
                for (int dy = 0; dy < py; dy++) {
                    int y = tile.y() - below[1] + dy;
                    int oy = flipY ? py - 1 - dy : dy;
                    int base = outOffset + ((c * pz + oz) * py + oy) * px;
                    if (z < 0 || z >= shape[0] || y < 0 || y >= shape[1] || xe <= xs) {
                        java.util.Arrays.fill(out, base, base + px, 0f);
                        continue;
                    }
                    source.readRow(c, z, y, xs, row);
                    for (int dx = 0; dx < px; dx++) {
                        int x = x0 + dx;
                        float v = (x >= xs && x < xe) ? row[x - xs] : 0f;
                        out[base + (flipX ? px - 1 - dx : dx)] = v;
                    }
                }
            }
        }
    }
}
