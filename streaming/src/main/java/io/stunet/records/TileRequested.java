package io.stunet.records;

import java.util.List;
import java.util.Objects;

/**
 * One z-slab of a preprocessed case to segment. Preprocess publishes {@code slabCount} of
 * these on {@code stunet.tile.requested}, keyed {@code caseId/slab}, so the slabs of one case
 * spread over partitions and devices.
 *
 * <p>The slab owns output planes {@code [zStart, zEnd)} of the preprocessed grid and reads
 * input planes {@code [readZStart, readZEnd)}, which include the overlap the sliding window
 * needs at the slab borders. The preprocessed volume is raw little-endian float32 in C order
 * {@code (c, z, y, x)} with the given {@code shape}, so the planes of one channel are one
 * byte range of {@code volume}.
 *
 * @param shape       preprocessed shape {@code (c, z, y, x)}
 * @param volume      {@code cases/{caseId}/preprocessed.f32}
 * @param properties  {@code cases/{caseId}/preprocessed.json}
 * @param modelSha256 model the slab must be segmented with
 */
public record TileRequested(String caseId, int slab, int slabCount, int zStart, int zEnd,
                            int readZStart, int readZEnd, List<Integer> shape,
                            BlobRef volume, BlobRef properties, String modelSha256) implements StunetRecord {
    public TileRequested {
        Objects.requireNonNull(caseId, "caseId");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(volume, "volume");
        Objects.requireNonNull(properties, "properties");
        Objects.requireNonNull(modelSha256, "modelSha256");
        shape = List.copyOf(shape);
        if (shape.size() != 4) {
            throw new IllegalArgumentException("shape must be (c, z, y, x)");
        }
        if (slabCount < 1 || slab < 0 || slab >= slabCount) {
            throw new IllegalArgumentException("slab " + slab + " of " + slabCount);
        }
        if (readZStart > zStart || zStart >= zEnd || zEnd > readZEnd || readZStart < 0 || readZEnd > shape.get(1)) {
            throw new IllegalArgumentException("inconsistent z ranges");
        }
    }

    /** The record key on tile topics: {@code caseId/slab}. */
    public String key() {
        return TileKey.of(caseId, slab);
    }
}
