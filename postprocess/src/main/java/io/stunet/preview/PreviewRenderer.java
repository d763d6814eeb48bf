package io.stunet.preview;

import io.stunet.error.ErrorCode;
import io.stunet.files.AtomicFiles;
import io.stunet.error.InvalidVolumeException;
import io.stunet.error.StunetException;
import io.stunet.geometry.Reorientation;
import io.stunet.volume.Volume;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Renders {@code NAME_preview.png}: the middle axial, coronal and sagittal slices of the input
 * in the radiological display convention (see {@link Plane}), at their physical aspect ratio,
 * gray-windowed, with each label drawn as a semi-transparent colour from {@link LabelColors},
 * and a legend of the classes present. Input is the volume after reorientation to RAS+, as
 * flat {@code (z, y, x)} arrays with spacing in the same order. The output depends only on
 * the inputs and the installed fonts; it carries no file name or header text, so no patient
 * data. Runs headless ({@code java.awt.headless} is set on first use).
 */
public final class PreviewRenderer {
    /** Largest panel side in pixels; the longest physical extent of the volume maps to it. */
    public static final int DEFAULT_MAX_PANEL = 512;
    /** Overlay opacity, 0..255; about 45% keeps the anatomy under a label readable. */
    public static final int DEFAULT_OPACITY = 115;

    private static final int PAD = 12;
    private static final int EDGE = 16;
    private static final int GAP = 8;
    private static final int SWATCH = 12;
    private static final int BACKGROUND = 0x000000;
    private static final Color TEXT = new Color(0xE6E6E6);
    private static final Color DIM_TEXT = new Color(0x8C8C8C);
    private static final Color EDGE_TEXT = new Color(0xF2C84B);
    private static final Font FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 13);

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private final int maxPanel;
    private final int opacity;

    public PreviewRenderer() {
        this(DEFAULT_MAX_PANEL, DEFAULT_OPACITY);
    }

    /**
     * @param maxPanel largest panel side in pixels (at least 16)
     * @param opacity  overlay opacity 0..255
     */
    public PreviewRenderer(int maxPanel, int opacity) {
        if (maxPanel < 16 || opacity < 0 || opacity > 255) {
            throw new IllegalArgumentException("maxPanel >= 16 and opacity in 0..255");
        }
        this.maxPanel = maxPanel;
        this.opacity = opacity;
    }

    /**
     * Preview of an input volume and its label map on the same grid, as read from NIfTI: both
     * are brought to the closest canonical RAS+ grid first (nibabel's
     * {@code as_closest_canonical}), with the spacing of that grid.
     *
     * @throws InvalidVolumeException {@code INVALID_GEOMETRY} if the grids differ,
     *                                {@code UNSUPPORTED_DATATYPE} for labels wider than 16 bits
     */
    public Preview render(Volume image, Volume labels, List<String> classNames, Window window) {
        image.require3d();
        labels.require3d();
        if (image.nx() != labels.nx() || image.ny() != labels.ny() || image.nz() != labels.nz()) {
            throw new InvalidVolumeException(ErrorCode.INVALID_GEOMETRY, "label map grid differs from image grid");
        }
        Reorientation ras = Reorientation.toClosestCanonical(image.affine(), image.nx(), image.ny(), image.nz());
        int[] xyz = ras.outputShapeXyz();
        double[] mm = ras.outputAffine().spacing();
        int[] shape = {xyz[2], xyz[1], xyz[0]};
        double[] spacing = {mm[2], mm[1], mm[0]};
        float[] values = ras.apply(image.toFloat32(0));
        return switch (labels.dataType()) {
            case UINT8, INT8 -> render(values, ras.apply(labels.bytes()), shape, spacing, classNames, window);
            case UINT16, INT16 -> render(values, ras.apply(labels.shorts()), shape, spacing, classNames, window);
            default -> throw new InvalidVolumeException(ErrorCode.UNSUPPORTED_DATATYPE,
                    "label maps must be 8- or 16-bit integers, got " + labels.dataType().numpyName());
        };
    }

    /** Preview of an unsigned 8-bit label map; see {@link #render(float[], short[], int[], double[], List, Window)}. */
    public Preview render(float[] image, byte[] labels, int[] shape, double[] spacing, List<String> classNames,
                          Window window) {
        check(image.length, labels.length, shape, spacing);
        return render(image, i -> labels[i] & 0xFF, shape, spacing, classNames, window);
    }

    /**
     * Renders the preview.
     *
     * @param image      input intensities in RAS+ order, flat {@code (z, y, x)}
     * @param labels     label map on the same grid (unsigned)
     * @param shape      {@code (z, y, x)}
     * @param spacing    voxel spacing in mm {@code (z, y, x)}, for the aspect ratio
     * @param classNames names by label value; labels beyond the list are called "label N"
     * @param window     gray window, e.g. {@link Window#CT}
     */
    public Preview render(float[] image, short[] labels, int[] shape, double[] spacing, List<String> classNames,
                          Window window) {
        check(image.length, labels.length, shape, spacing);
        return render(image, i -> labels[i] & 0xFFFF, shape, spacing, classNames, window);
    }

    /** Writes the preview as PNG atomically (temporary file in the same directory, then rename). */
    public static void write(Preview preview, Path file) {
        try {
            AtomicFiles.write(file, encode(preview));
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot write preview image", e);
        }
    }

    /** The preview as PNG bytes. */
    public static byte[] encode(Preview preview) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(preview.image(), "png", out)) {
                throw new StunetException(ErrorCode.INTERNAL, "no PNG writer available");
            }
        } catch (IOException e) {
            throw new StunetException(ErrorCode.INTERNAL, "cannot encode preview image", e);
        }
        return out.toByteArray();
    }

    private Preview render(float[] image, IntUnaryOperator labels, int[] shape, double[] spacing,
                           List<String> classNames, Window window) {
        boolean[] present = new boolean[1 << 16];
        for (int i = 0; i < image.length; i++) {
            present[labels.applyAsInt(i)] = true;
        }

        double[] extentMm = {shape[0] * spacing[0], shape[1] * spacing[1], shape[2] * spacing[2]};
        double pxPerMm = maxPanel / Math.max(extentMm[0], Math.max(extentMm[1], extentMm[2]));
        FontMetrics metrics = metrics(FONT);
        FontMetrics titleMetrics = metrics(TITLE_FONT);

        int top = PAD + titleMetrics.getHeight() + EDGE;
        int x = PAD;
        int rowHeight = 0;
        List<Panel> panels = new ArrayList<>();
        for (Plane plane : Plane.values()) {
            int width = Math.max(1, (int) Math.round(extentMm[plane.columnAxis()] * pxPerMm));
            int height = Math.max(1, (int) Math.round(extentMm[plane.rowAxis()] * pxPerMm));
            int slice = shape[plane.fixedAxis()] / 2;
            panels.add(new Panel(plane, slice, x + EDGE, top, width, height, shape));
            x += EDGE + width + EDGE + GAP;
            rowHeight = Math.max(rowHeight, height);
        }
        int width = Math.max(x - GAP + PAD, 480);

        List<Integer> shown = new ArrayList<>();
        for (int k = 1; k < present.length; k++) {
            if (present[k]) {
                shown.add(k);
            }
        }
        int lineHeight = Math.max(SWATCH, metrics.getHeight()) + 4;
        int legendTop = top + rowHeight + EDGE + PAD + titleMetrics.getHeight();
        int columnWidth = SWATCH + 6 + 16;
        for (int k : shown) {
            columnWidth = Math.max(columnWidth, SWATCH + 6 + metrics.stringWidth(name(classNames, k)) + 16);
        }
        int columns = Math.max(1, (width - 2 * PAD) / columnWidth);
        int rows = Math.max(1, (shown.size() + columns - 1) / columns);
        int height = legendTop + rows * lineHeight + PAD;

        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] pixels = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        Arrays.fill(pixels, BACKGROUND);
        boolean[] visible = new boolean[present.length];
        for (Panel panel : panels) {
            paint(panel, pixels, width, image, labels, window, visible);
        }

        List<LegendEntry> legend = new ArrayList<>();
        for (int i = 0; i < shown.size(); i++) {
            int k = shown.get(i);
            int col = i / rows;
            int row = i % rows;
            Rectangle swatch = new Rectangle(PAD + col * columnWidth,
                    legendTop + row * lineHeight + (lineHeight - SWATCH) / 2, SWATCH, SWATCH);
            legend.add(new LegendEntry(k, name(classNames, k), LabelColors.rgb(k), visible[k], swatch));
        }

        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_OFF);
            drawLabels(g, panels, shape, titleMetrics);
            g.setFont(TITLE_FONT);
            g.setColor(TEXT);
            g.drawString(shown.isEmpty() ? "No structures found" : "Structures (" + shown.size() + ")",
                    PAD, legendTop - 6);
            g.setFont(FONT);
            for (LegendEntry entry : legend) {
                Rectangle s = entry.swatch();
                g.setColor(new Color(entry.rgb()));
                g.fillRect(s.x, s.y, s.width, s.height);
                g.setColor(entry.visible() ? TEXT : DIM_TEXT);
                g.drawString(entry.name(), s.x + SWATCH + 6,
                        s.y + (SWATCH + metrics.getAscent() - metrics.getDescent()) / 2);
            }
        } finally {
            g.dispose();
        }
        return new Preview(out, panels, legend);
    }

    private void paint(Panel panel, int[] pixels, int stride, float[] image, IntUnaryOperator labels,
                       Window window, boolean[] visible) {
        for (int py = panel.y(); py < panel.y() + panel.height(); py++) {
            for (int px = panel.x(); px < panel.x() + panel.width(); px++) {
                int voxel = panel.voxelAt(px, py);
                int gray = window.gray(image[voxel]);
                int label = labels.applyAsInt(voxel);
                int rgb = gray << 16 | gray << 8 | gray;
                if (label != 0) {
                    visible[label] = true;
                    rgb = blend(gray, LabelColors.rgb(label), opacity);
                }
                pixels[py * stride + px] = rgb;
            }
        }
    }

    /** {@code gray} under {@code color} at {@code opacity}/255, rounded, per channel. */
    static int blend(int gray, int color, int opacity) {
        int rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int c = (color >> shift) & 0xFF;
            int v = (gray * (255 - opacity) + c * opacity + 127) / 255;
            rgb |= v << shift;
        }
        return rgb;
    }

    private static void drawLabels(Graphics2D g, List<Panel> panels, int[] shape, FontMetrics titleMetrics) {
        for (Panel p : panels) {
            Plane plane = p.plane();
            g.setFont(TITLE_FONT);
            g.setColor(TEXT);
            String title = plane.title() + "  " + (p.slice() + 1) + "/" + shape[plane.fixedAxis()];
            g.drawString(title, p.x() - EDGE, PAD + titleMetrics.getAscent());
            g.setFont(FONT);
            g.setColor(EDGE_TEXT);
            FontMetrics m = g.getFontMetrics();
            String[] edges = plane.edges();
            int midY = p.y() + p.height() / 2 + (m.getAscent() - m.getDescent()) / 2;
            int midX = p.x() + p.width() / 2;
            g.drawString(edges[0], p.x() - EDGE + (EDGE - m.stringWidth(edges[0])) / 2, midY);
            g.drawString(edges[1], p.x() + p.width() + (EDGE - m.stringWidth(edges[1])) / 2, midY);
            g.drawString(edges[2], midX - m.stringWidth(edges[2]) / 2, p.y() - 4);
            g.drawString(edges[3], midX - m.stringWidth(edges[3]) / 2, p.y() + p.height() + m.getAscent());
        }
    }

    private static String name(List<String> classNames, int label) {
        return label < classNames.size() ? classNames.get(label) : "label " + label;
    }

    private static FontMetrics metrics(Font font) {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_OFF);
            return g.getFontMetrics(font);
        } finally {
            g.dispose();
        }
    }

    private static void check(int imageLength, int labelLength, int[] shape, double[] spacing) {
        if (shape.length != 3 || spacing.length != 3) {
            throw new StunetException(ErrorCode.INTERNAL, "shape and spacing must have 3 entries (z, y, x)");
        }
        long voxels = (long) shape[0] * shape[1] * shape[2];
        if (shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0 || voxels != imageLength || voxels != labelLength) {
            throw new StunetException(ErrorCode.INTERNAL, "grid of " + voxels + " voxels but image has "
                    + imageLength + " and labels " + labelLength);
        }
        for (double s : spacing) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new StunetException(ErrorCode.INVALID_GEOMETRY, "spacing must be positive and finite");
            }
        }
    }

}
