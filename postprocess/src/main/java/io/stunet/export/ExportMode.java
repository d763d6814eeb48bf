package io.stunet.export;

/**
 * How a network-space label map is resampled back to the cropped input shape (NUMERICS §4):
 * {@link #NEAREST} is order 0 (TotalSegmentator, STU-Net {@code --mode fastest}), the default;
 * {@link #LINEAR} is nnU-Net v1's per-label order-1 resize with the separate-z rule
 * ({@code --mode fast}).
 */
public enum ExportMode {
    NEAREST,
    LINEAR;

    /** Parses {@code nearest} / {@code linear} (case-insensitive). */
    public static ExportMode parse(String text) {
        return valueOf(text.trim().toUpperCase(java.util.Locale.ROOT));
    }
}
