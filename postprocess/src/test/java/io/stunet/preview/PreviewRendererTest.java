package io.stunet.preview;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.geometry.Reorientation;
import io.stunet.nifti.NiftiReader;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import io.stunet.volume.Volume;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The preview of TotalSegmentator's segmentation of the bundled CT (and of the bundled MR,
 * stored LPS, without labels), read with {@code NiftiReader}, checked pixel by pixel against
 * display slices that {@code tools/stunet/reference_preview.py} cuts from nibabel's RAS+
 * canonical volume.
 */
class PreviewRendererTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Reference ctViews;
    static Reference mrViews;

    /** The reference display slices, each {@code [rows][cols]} flattened, and the canonical grid. */
    record Reference(JsonNode grid, Path folder) {
        short[] viewLabels(Plane plane) throws IOException {
            ByteBuffer b = read(folder.resolve(viewName(plane) + ".u16"));
            short[] v = new short[b.remaining() / 2];
            b.asShortBuffer().get(v);
            return v;
        }

        float[] viewImage(Plane plane) throws IOException {
            ByteBuffer b = read(folder.resolve(viewName(plane) + ".f32"));
            float[] v = new float[b.remaining() / 4];
            b.asFloatBuffer().get(v);
            return v;
        }

        int[] viewShape(Plane plane) {
            JsonNode s = grid.get(viewName(plane));
            return new int[] {s.get(0).asInt(), s.get(1).asInt()};
        }

        int[] shape() {
            return JSON.convertValue(grid.get("shape"), int[].class);
        }

        double[] spacing() {
            return JSON.convertValue(grid.get("spacing"), double[].class);
        }
    }

    static String viewName(Plane plane) {
        return plane.name().toLowerCase(Locale.ROOT);
    }

    static ByteBuffer read(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    }

    static Reference reference(String name, String... niftis) throws IOException {
        Path folder = dir.resolve(name);
        List<String> args = new ArrayList<>();
        for (String n : niftis) {
            args.add(TestData.nifti(n).toString());
        }
        args.add(folder.toString());
        Python.run(TestData.file("tools/stunet/reference_preview.py"), args.toArray(String[]::new));
        return new Reference(JSON.readTree(folder.resolve("grid.json").toFile()), folder);
    }

    static Volume ct;
    static Volume seg;

    @BeforeAll
    static void loadSamples() throws IOException {
        ct = NiftiReader.read(TestData.nifti("example_ct_sm.nii.gz"));
        seg = NiftiReader.read(TestData.nifti("example_seg.nii.gz"));
        ctViews = reference("ct", "example_ct_sm.nii.gz", "example_seg.nii.gz");
        mrViews = reference("mr", "example_mr_sm.nii.gz");
    }

    static Preview renderCt() {
        return new PreviewRenderer().render(ct, seg, names(), Window.CT);
    }

    static List<String> names() {
        List<String> names = new ArrayList<>(List.of("background"));
        for (int k = 1; k < 118; k++) {
            names.add("class_" + k);
        }
        return names;
    }

    static BufferedImage writeAndDecode(Preview preview, String file) throws IOException {
        Path png = dir.resolve(file);
        PreviewRenderer.write(preview, png);
        BufferedImage decoded = ImageIO.read(png.toFile());
        assertEquals(preview.image().getWidth(), decoded.getWidth());
        assertEquals(preview.image().getHeight(), decoded.getHeight());
        return decoded;
    }

    /** Every panel pixel shows the windowed gray of the reference slice, blended with the label colour. */
    static void assertPanelsMatchReference(Preview preview, BufferedImage png, Reference s, Window window)
            throws IOException {
        for (Panel panel : preview.panels()) {
            int[] viewShape = s.viewShape(panel.plane());
            short[] labels = s.viewLabels(panel.plane());
            float[] image = s.viewImage(panel.plane());
            int rows = viewShape[0];
            int cols = viewShape[1];
            for (int py = 0; py < panel.height(); py++) {
                int r = (int) Math.min(rows - 1, ((2L * py + 1) * rows) / (2L * panel.height()));
                for (int px = 0; px < panel.width(); px++) {
                    int c = (int) Math.min(cols - 1, ((2L * px + 1) * cols) / (2L * panel.width()));
                    int label = labels[r * cols + c] & 0xFFFF;
                    int gray = window.gray(image[r * cols + c]);
                    int expected = label == 0 ? gray * 0x010101
                            : PreviewRenderer.blend(gray, LabelColors.rgb(label), PreviewRenderer.DEFAULT_OPACITY);
                    int actual = png.getRGB(panel.x() + px, panel.y() + py) & 0xFFFFFF;
                    if (expected != actual) {
                        throw new AssertionError(panel.plane() + " pixel (" + px + ", " + py + "): expected "
                                + Integer.toHexString(expected) + " got " + Integer.toHexString(actual));
                    }
                }
            }
        }
    }

    @Test
    void ctPreviewShowsRadiologicalViewsWithLabelColours() throws IOException {
        Preview preview = renderCt();
        BufferedImage png = writeAndDecode(preview, "ct_preview.png");
        assertPanelsMatchReference(preview, png, ctViews, Window.CT);
        for (Panel p : preview.panels()) {
            assertArrayEquals(ctViews.shape(), p.shape());
        }
    }

    @Test
    void panelsKeepThePhysicalAspectRatio() {
        double[] spacing = {5.0, 0.8, 0.8};
        int[] shape = {ct.nz(), ct.ny(), ct.nx()};
        Preview preview = new PreviewRenderer().render(ct.toFloat32(0), seg.bytes(), shape, spacing, names(),
                Window.CT);
        for (Panel p : preview.panels()) {
            double mmWide = shape[p.plane().columnAxis()] * spacing[p.plane().columnAxis()];
            double mmHigh = shape[p.plane().rowAxis()] * spacing[p.plane().rowAxis()];
            double expected = mmWide / mmHigh * p.height();
            assertTrue(Math.abs(p.width() - expected) <= 1.0 + mmWide / mmHigh,
                    p.plane() + " is " + p.width() + "x" + p.height());
        }
        assertEquals(PreviewRenderer.DEFAULT_MAX_PANEL,
                preview.panels().stream().mapToInt(p -> Math.max(p.width(), p.height())).max().orElseThrow());
    }

    @Test
    void legendListsExactlyThePresentClassesWithTheirColours() throws IOException {
        TreeSet<Integer> present = new TreeSet<>();
        for (byte b : seg.bytes()) {
            if (b != 0) {
                present.add(b & 0xFF);
            }
        }
        Preview preview = renderCt();
        BufferedImage png = writeAndDecode(preview, "legend_preview.png");
        assertEquals(List.copyOf(present), preview.legend().stream().map(LegendEntry::label).toList());
        TreeSet<Integer> onSlices = new TreeSet<>();
        for (Plane plane : Plane.values()) {
            for (short l : ctViews.viewLabels(plane)) {
                if (l != 0) {
                    onSlices.add(l & 0xFFFF);
                }
            }
        }
        for (LegendEntry e : preview.legend()) {
            assertEquals("class_" + e.label(), e.name());
            assertEquals(LabelColors.rgb(e.label()), e.rgb());
            assertEquals(onSlices.contains(e.label()), e.visible(), e.name());
            Rectangle s = e.swatch();
            for (int y = s.y; y < s.y + s.height; y++) {
                for (int x = s.x; x < s.x + s.width; x++) {
                    assertEquals(e.rgb(), png.getRGB(x, y) & 0xFFFFFF, e.name());
                }
            }
        }
    }

    @Test
    void coloursOfTheFirst120LabelsAreDistinct() {
        TreeSet<Integer> colours = new TreeSet<>();
        for (int k = 1; k <= 120; k++) {
            int rgb = LabelColors.rgb(k);
            for (int other : colours) {
                int d = Math.abs((rgb >> 16) - (other >> 16)) + Math.abs((rgb >> 8 & 0xFF) - (other >> 8 & 0xFF))
                        + Math.abs((rgb & 0xFF) - (other & 0xFF));
                assertTrue(d >= 24, "label " + k + " too close to another colour");
            }
            colours.add(rgb);
        }
    }

    @Test
    void renderingIsDeterministic() throws IOException {
        PreviewRenderer renderer = new PreviewRenderer();
        PreviewRenderer.write(renderer.render(ct, seg, names(), Window.CT), dir.resolve("a.png"));
        PreviewRenderer.write(renderer.render(ct, seg, names(), Window.CT), dir.resolve("b.png"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.png")), Files.readAllBytes(dir.resolve("b.png")));
    }

    @Test
    void lpsMrWithoutLabelsUsesAPercentileWindowAndAnEmptyLegend() throws IOException {
        Volume mr = NiftiReader.read(TestData.nifti("example_mr_sm.nii.gz"));
        assertEquals("LPS", mr.affine().axcodes());
        Reorientation ras = Reorientation.toClosestCanonical(mr.affine(), mr.nx(), mr.ny(), mr.nz());
        float[] image = ras.apply(mr.toFloat32(0));
        Window window = Window.percentiles(image);
        JsonNode p = mrViews.grid().get("percentiles");
        assertEquals(p.get(0).asDouble(), window.level() - window.width() / 2);
        assertEquals(p.get(1).asDouble(), window.level() + window.width() / 2);
        Preview preview = new PreviewRenderer().render(image, new byte[image.length], mrViews.shape(),
                mrViews.spacing(), List.of("background"), window);
        assertTrue(preview.legend().isEmpty());
        assertPanelsMatchReference(preview, writeAndDecode(preview, "mr_preview.png"), mrViews, window);
    }
}
