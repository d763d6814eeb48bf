package io.stunet.tiling;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A whole case's argmax labels in unpadded network space, (z, y, x) C order, stitched from
 * its slabs. Bytes when the model has at most 256 classes, shorts otherwise (both unsigned).
 */
public record LabelMap(int[] shape, byte[] bytes, short[] shorts) {
    public int label(int i) {
        return bytes != null ? Byte.toUnsignedInt(bytes[i]) : Short.toUnsignedInt(shorts[i]);
    }

    public int voxels() {
        return shape[0] * shape[1] * shape[2];
    }

    /** Concatenates slabs that together cover z in [0, depth) without gaps or overlaps. */
    public static LabelMap stitch(List<LabelSlab> slabs, int depth) {
        List<LabelSlab> sorted = new ArrayList<>(slabs);
        sorted.sort(Comparator.comparingInt(LabelSlab::z0));
        if (sorted.isEmpty()) {
            throw new StunetException(ErrorCode.INTERNAL, "no slabs to stitch");
        }
        int h = sorted.get(0).height();
        int w = sorted.get(0).width();
        boolean wide = sorted.get(0).shorts() != null;
        int plane = h * w;
        byte[] b = wide ? null : new byte[depth * plane];
        short[] s = wide ? new short[depth * plane] : null;
        int z = 0;
        for (LabelSlab slab : sorted) {
            if (slab.z0() != z || slab.height() != h || slab.width() != w || (slab.shorts() != null) != wide) {
                throw new StunetException(ErrorCode.INTERNAL, "slabs do not tile the volume at z=" + z);
            }
            if (wide) {
                System.arraycopy(slab.shorts(), 0, s, z * plane, slab.voxels());
            } else {
                System.arraycopy(slab.bytes(), 0, b, z * plane, slab.voxels());
            }
            z = slab.z1();
        }
        if (z != depth) {
            throw new StunetException(ErrorCode.INTERNAL, "slabs end at z=" + z + ", volume depth is " + depth);
        }
        return new LabelMap(new int[] {depth, h, w}, b, s);
    }
}
