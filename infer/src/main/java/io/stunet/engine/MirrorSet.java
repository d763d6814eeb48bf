package io.stunet.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Test-time mirroring as nnU-Net v1 does it: the flip sets {}, {x}, {y}, {x,y}, {z}, {x,z},
 * {y,z}, {x,y,z} in that order, each kept only if all its axes are allowed (mirror axes are
 * (z, y, x) indices), every result weighted by {@code 1 / 2^len(axes)}.
 */
public final class MirrorSet {
    /** One mirrored forward pass: which axes the input (and output) are flipped along. */
    public record Flip(boolean z, boolean y, boolean x) {
        public boolean any() {
            return z || y || x;
        }

        /** The flipped axes of a (classes, z, y, x) array: 1 = z, 2 = y, 3 = x, in that order. */
        public int[] channelFirstAxes() {
            int[] axes = new int[(z ? 1 : 0) + (y ? 1 : 0) + (x ? 1 : 0)];
            int i = 0;
            if (z) {
                axes[i++] = 1;
            }
            if (y) {
                axes[i++] = 2;
            }
            if (x) {
                axes[i] = 3;
            }
            return axes;
        }
    }

    private final List<Flip> flips;
    private final float scale;

    private MirrorSet(List<Flip> flips, float scale) {
        this.flips = List.copyOf(flips);
        this.scale = scale;
    }

    /** The flips for {@code tta} with allowed (z, y, x) axes {@code mirrorAxes}. */
    public static MirrorSet of(boolean tta, int[] mirrorAxes) {
        if (!tta) {
            return new MirrorSet(List.of(new Flip(false, false, false)), 1f);
        }
        boolean[] allowed = new boolean[3];
        for (int a : mirrorAxes) {
            if (a < 0 || a > 2) {
                throw new IllegalArgumentException("mirror axis must be 0, 1 or 2 (z, y, x), got " + a);
            }
            allowed[a] = true;
        }
        List<Flip> out = new ArrayList<>();
        for (int m = 0; m < 8; m++) {
            boolean x = (m & 1) != 0;
            boolean y = (m & 2) != 0;
            boolean z = (m & 4) != 0;
            if ((!x || allowed[2]) && (!y || allowed[1]) && (!z || allowed[0])) {
                out.add(new Flip(z, y, x));
            }
        }
        int axes = (allowed[0] ? 1 : 0) + (allowed[1] ? 1 : 0) + (allowed[2] ? 1 : 0);
        return new MirrorSet(out, (float) (1.0 / (1 << axes)));
    }

    public List<Flip> flips() {
        return flips;
    }

    public int size() {
        return flips.size();
    }

    /** Weight of each mirrored result ({@code 1 / num_results} in v1). */
    public float scale() {
        return scale;
    }
}
