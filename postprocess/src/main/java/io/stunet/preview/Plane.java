package io.stunet.preview;

/**
 * The three orthogonal views of a RAS+ volume and how each lies on screen in the
 * radiological convention: axial seen from the feet (patient's right on the left, anterior
 * up), coronal seen from the front (right on the left, superior up), sagittal seen from the
 * patient's left (anterior on the left, superior up). Both screen axes of every view run
 * against the RAS+ array axes, so each in-plane index is flipped.
 */
public enum Plane {
    AXIAL("Axial", "R", "L", "A", "P"),
    CORONAL("Coronal", "R", "L", "S", "I"),
    SAGITTAL("Sagittal", "A", "P", "S", "I");

    private final String title;
    private final String left;
    private final String right;
    private final String top;
    private final String bottom;

    Plane(String title, String left, String right, String top, String bottom) {
        this.title = title;
        this.left = left;
        this.right = right;
        this.top = top;
        this.bottom = bottom;
    }

    public String title() {
        return title;
    }

    /** Anatomical direction at the left, right, top and bottom edge of the view. */
    public String[] edges() {
        return new String[] {left, right, top, bottom};
    }

    /** The array axis {@code (0 = z, 1 = y, 2 = x)} this view holds fixed. */
    public int fixedAxis() {
        return switch (this) {
            case AXIAL -> 0;
            case CORONAL -> 1;
            case SAGITTAL -> 2;
        };
    }

    /** The array axis that runs along screen columns. */
    public int columnAxis() {
        return this == SAGITTAL ? 1 : 2;
    }

    /** The array axis that runs along screen rows. */
    public int rowAxis() {
        return this == AXIAL ? 1 : 0;
    }
}
