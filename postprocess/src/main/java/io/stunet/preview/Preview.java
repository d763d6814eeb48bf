package io.stunet.preview;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A rendered preview: the RGB image and the layout that produced it (panels and legend), so
 * callers and tests can tell which pixel shows which voxel and which class.
 *
 * @param image  the preview, {@code TYPE_INT_RGB}
 * @param panels axial, coronal and sagittal panels, in that order
 * @param legend the classes present in the label map, in label order
 */
public record Preview(BufferedImage image, List<Panel> panels, List<LegendEntry> legend) {
    public Preview {
        panels = List.copyOf(panels);
        legend = List.copyOf(legend);
    }
}
