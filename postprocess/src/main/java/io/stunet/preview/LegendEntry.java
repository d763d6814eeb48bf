package io.stunet.preview;

import java.awt.Rectangle;

/**
 * One line of the preview's legend: a class present in the label map, its overlay colour,
 * whether any of its voxels lies on the three slices shown (classes present elsewhere are
 * still listed, in a dimmer text colour), and where its colour swatch was drawn.
 *
 * @param label   label value
 * @param name    class name
 * @param rgb     overlay colour, {@code 0xRRGGBB}
 * @param visible whether the class appears on at least one of the panels
 * @param swatch  the square filled with {@code rgb} in the preview image
 */
public record LegendEntry(int label, String name, int rgb, boolean visible, Rectangle swatch) {
    public LegendEntry {
        swatch = new Rectangle(swatch);
    }

    @Override
    public Rectangle swatch() {
        return new Rectangle(swatch);
    }
}
