package io.stunet.preview;

import java.awt.Color;

/**
 * The overlay colour of every label value, fixed by formula so it never changes between runs,
 * cases or versions: hues advance by the golden ratio (neighbouring labels, such as adjacent
 * ribs or vertebrae, land far apart on the colour wheel) and saturation and brightness cycle
 * through three levels, which keeps labels whose hues come close again (about every 13th
 * label) apart. All colours are saturated enough to stand out on a gray image.
 */
public final class LabelColors {
    private static final double GOLDEN = 0.6180339887498949;
    private static final float[] SATURATION = {0.85f, 0.65f, 1.0f};
    private static final float[] BRIGHTNESS = {1.0f, 0.9f, 0.75f};

    private LabelColors() {
    }

    /** Colour of {@code label} (1 or more) as {@code 0xRRGGBB}. */
    public static int rgb(int label) {
        float hue = (float) ((label * GOLDEN) % 1.0);
        int level = label % 3;
        int band = (label / 3) % 3;
        return Color.HSBtoRGB(hue, SATURATION[level], BRIGHTNESS[band]) & 0xFFFFFF;
    }
}
