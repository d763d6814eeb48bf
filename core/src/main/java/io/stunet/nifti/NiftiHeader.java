package io.stunet.nifti;

import io.stunet.geometry.Affine;
import io.stunet.geometry.AxisOrientation;
import io.stunet.volume.DataType;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The fields of a NIfTI-1 or NIfTI-2 header that matter for reading the voxels and for
 * writing an output with identical geometry (dims, datatype, pixdim, qform/sform codes and
 * parameters, xyzt_units, scaling, intent, description). Immutable; the {@code with...}
 * methods derive headers for new data, e.g. a uint8 mask on the same grid
 * ({@link #withDataType}) or a volume on a new grid ({@link #forGrid}). Values are kept as
 * read (NIfTI-1 floats widened exactly to double), so writing them back is lossless.
 */
public final class NiftiHeader {
    NiftiFormat format = NiftiFormat.NIFTI1;
    ByteOrder byteOrder = ByteOrder.LITTLE_ENDIAN;
    long[] dim = {3, 1, 1, 1, 1, 1, 1, 1};
    DataType dataType = DataType.FLOAT32;
    double[] pixdim = {1, 1, 1, 1, 1, 1, 1, 1};
    double voxOffset;
    double sclSlope = 1;
    double sclInter;
    int dimInfo;
    int intentCode;
    double intentP1;
    double intentP2;
    double intentP3;
    String intentName = "";
    long sliceStart;
    long sliceEnd;
    int sliceCode;
    double sliceDuration;
    int xyztUnits = 2 | 8;
    double calMin;
    double calMax;
    double toffset;
    String descrip = "";
    String auxFile = "";
    int qformCode;
    int sformCode;
    double quaternB;
    double quaternC;
    double quaternD;
    double qoffsetX;
    double qoffsetY;
    double qoffsetZ;
    double[] srowX = {1, 0, 0, 0};
    double[] srowY = {0, 1, 0, 0};
    double[] srowZ = {0, 0, 1, 0};

    NiftiHeader() {
    }

    private NiftiHeader copy() {
        NiftiHeader h = new NiftiHeader();
        h.format = format;
        h.byteOrder = byteOrder;
        h.dim = dim.clone();
        h.dataType = dataType;
        h.pixdim = pixdim.clone();
        h.voxOffset = voxOffset;
        h.sclSlope = sclSlope;
        h.sclInter = sclInter;
        h.dimInfo = dimInfo;
        h.intentCode = intentCode;
        h.intentP1 = intentP1;
        h.intentP2 = intentP2;
        h.intentP3 = intentP3;
        h.intentName = intentName;
        h.sliceStart = sliceStart;
        h.sliceEnd = sliceEnd;
        h.sliceCode = sliceCode;
        h.sliceDuration = sliceDuration;
        h.xyztUnits = xyztUnits;
        h.calMin = calMin;
        h.calMax = calMax;
        h.toffset = toffset;
        h.descrip = descrip;
        h.auxFile = auxFile;
        h.qformCode = qformCode;
        h.sformCode = sformCode;
        h.quaternB = quaternB;
        h.quaternC = quaternC;
        h.quaternD = quaternD;
        h.qoffsetX = qoffsetX;
        h.qoffsetY = qoffsetY;
        h.qoffsetZ = qoffsetZ;
        h.srowX = srowX.clone();
        h.srowY = srowY.clone();
        h.srowZ = srowZ.clone();
        return h;
    }

    /**
     * A header for a 3-D volume of the given type on a new grid: sform and qform both set
     * from {@code affine} (code 2, "aligned"), pixdim from the column norms, units mm/s,
     * no scaling, little-endian NIfTI-1.
     */
    public static NiftiHeader forGrid(int nx, int ny, int nz, Affine affine, DataType type) {
        NiftiHeader h = new NiftiHeader();
        h.dataType = type;
        h.dim = new long[] {3, nx, ny, nz, 1, 1, 1, 1};
        checkShape(h.dim);
        return h.withAffineInPlace(affine, 2, 2);
    }

    /** The same header for data of another type on the same grid; scaling and display range reset. */
    public NiftiHeader withDataType(DataType type) {
        NiftiHeader h = copy();
        h.dataType = type;
        h.sclSlope = 1;
        h.sclInter = 0;
        h.calMin = 0;
        h.calMax = 0;
        return h;
    }

    /** The same geometry with another shape (nibabel order); spatial pixdim kept. */
    public NiftiHeader withShape(int... shape) {
        if (shape.length < 1 || shape.length > 7) {
            throw new IllegalArgumentException("1 to 7 dimensions: " + Arrays.toString(shape));
        }
        NiftiHeader h = copy();
        h.dim = new long[] {shape.length, 1, 1, 1, 1, 1, 1, 1};
        for (int i = 0; i < shape.length; i++) {
            h.dim[i + 1] = shape[i];
        }
        checkShape(h.dim);
        return h;
    }

    /** The spatial grid of this header as a 3-D header (drops a trailing time axis). */
    public NiftiHeader spatial() {
        return withShape(nx(), ny(), nz());
    }

    /**
     * The same header with sform and qform replaced by {@code affine} (codes kept, or set to
     * 2 where they were 0); pixdim[1..3] become the column norms.
     */
    public NiftiHeader withAffine(Affine affine) {
        return copy().withAffineInPlace(affine, qformCode == 0 ? 2 : qformCode, sformCode == 0 ? 2 : sformCode);
    }

    /** The same header with intent code, parameters and name cleared (plain data, e.g. a label map). */
    public NiftiHeader withIntentNone() {
        NiftiHeader h = copy();
        h.intentCode = 0;
        h.intentP1 = 0;
        h.intentP2 = 0;
        h.intentP3 = 0;
        h.intentName = "";
        return h;
    }

    /** The same header with explicit scaling ({@code value = raw * slope + inter}). */
    public NiftiHeader withScaling(double slope, double inter) {
        NiftiHeader h = copy();
        h.sclSlope = slope;
        h.sclInter = inter;
        return h;
    }

    /** The same header written in another layout (NIfTI-1/2). */
    public NiftiHeader withFormat(NiftiFormat f) {
        NiftiHeader h = copy();
        h.format = f;
        return h;
    }

    /** The same header written with another byte order. */
    public NiftiHeader withByteOrder(ByteOrder order) {
        NiftiHeader h = copy();
        h.byteOrder = order;
        return h;
    }

    /** The same header with another description (at most 80 bytes, Latin-1, are written). */
    public NiftiHeader withDescrip(String text) {
        NiftiHeader h = copy();
        h.descrip = text == null ? "" : text;
        return h;
    }

    private NiftiHeader withAffineInPlace(Affine affine, int qcode, int scode) {
        srowX = new double[] {affine.get(0, 0), affine.get(0, 1), affine.get(0, 2), affine.get(0, 3)};
        srowY = new double[] {affine.get(1, 0), affine.get(1, 1), affine.get(1, 2), affine.get(1, 3)};
        srowZ = new double[] {affine.get(2, 0), affine.get(2, 1), affine.get(2, 2), affine.get(2, 3)};
        sformCode = scode;
        qformCode = qcode;
        // nibabel set_qform: zooms from column norms, qfac makes the rotation proper, the
        // nearest orthogonal matrix gives the quaternion.
        double[] zooms = affine.spacing();
        double[][] r = new double[3][3];
        for (int c = 0; c < 3; c++) {
            double z = zooms[c] == 0 ? 1 : zooms[c];
            for (int row = 0; row < 3; row++) {
                r[row][c] = affine.get(row, c) / z;
            }
        }
        double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1])
                - r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0])
                + r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
        double qfac = det > 0 ? 1 : -1;
        if (qfac < 0) {
            for (int row = 0; row < 3; row++) {
                r[row][2] = -r[row][2];
            }
        }
        double[] q = Quaternions.fromRotation(Quaternions.orthogonalize(r));
        quaternB = q[1];
        quaternC = q[2];
        quaternD = q[3];
        qoffsetX = affine.get(0, 3);
        qoffsetY = affine.get(1, 3);
        qoffsetZ = affine.get(2, 3);
        pixdim = pixdim.clone();
        pixdim[0] = qfac;
        pixdim[1] = zooms[0];
        pixdim[2] = zooms[1];
        pixdim[3] = zooms[2];
        return this;
    }

    static void checkShape(long[] dim) {
        for (int i = 1; i <= dim[0]; i++) {
            if (dim[i] < 1) {
                throw new IllegalArgumentException("dimensions must be positive: " + Arrays.toString(dim));
            }
        }
    }

    public NiftiFormat format() {
        return format;
    }

    public ByteOrder byteOrder() {
        return byteOrder;
    }

    public DataType dataType() {
        return dataType;
    }

    /** Number of dimensions ({@code dim[0]}). */
    public int ndim() {
        return (int) dim[0];
    }

    /** Shape in nibabel order (nx, ny, nz[, nt, ...]), {@code dim[1..dim[0]]}. */
    public int[] shape() {
        int[] s = new int[(int) dim[0]];
        for (int i = 0; i < s.length; i++) {
            s[i] = (int) dim[i + 1];
        }
        return s;
    }

    public int nx() {
        return dim[0] >= 1 ? (int) dim[1] : 1;
    }

    public int ny() {
        return dim[0] >= 2 ? (int) dim[2] : 1;
    }

    public int nz() {
        return dim[0] >= 3 ? (int) dim[3] : 1;
    }

    /** Number of 3-D frames: the product of the dimensions beyond the third (1 for 3-D). */
    public int nt() {
        long t = 1;
        for (int i = 4; i <= dim[0]; i++) {
            t *= dim[i];
        }
        return (int) t;
    }

    /** Voxels in one 3-D frame. */
    public long voxelsPerFrame() {
        return (long) nx() * ny() * nz();
    }

    /** Voxels in the whole file. */
    public long voxelCount() {
        return voxelsPerFrame() * nt();
    }

    /** A copy of {@code pixdim[0..7]} ({@code pixdim[0]} is qfac). */
    public double[] pixdim() {
        return pixdim.clone();
    }

    /** Voxel size (sx, sy, sz) from pixdim (1 for absent axes), as nibabel's zooms. */
    public double[] spacing() {
        double[] s = new double[3];
        for (int i = 0; i < 3; i++) {
            s[i] = i < dim[0] ? Math.abs(pixdim[i + 1]) : 1.0;
        }
        return s;
    }

    /** The byte offset of the voxel data in the (image) file as read; recomputed on write. */
    public double voxOffset() {
        return voxOffset;
    }

    public double sclSlope() {
        return sclSlope;
    }

    public double sclInter() {
        return sclInter;
    }

    /**
     * Whether voxel values are scaled: slope nonzero and finite, and not the identity
     * (slope 1, intercept 0), as nibabel's {@code get_slope_inter}/{@code apply_read_scaling}.
     */
    public boolean hasScaling() {
        return sclSlope != 0 && Double.isFinite(sclSlope) && !(sclSlope == 1 && sclInter == 0);
    }

    public int dimInfo() {
        return dimInfo;
    }

    public int intentCode() {
        return intentCode;
    }

    public double intentP1() {
        return intentP1;
    }

    public double intentP2() {
        return intentP2;
    }

    public double intentP3() {
        return intentP3;
    }

    public String intentName() {
        return intentName;
    }

    public long sliceStart() {
        return sliceStart;
    }

    public long sliceEnd() {
        return sliceEnd;
    }

    public int sliceCode() {
        return sliceCode;
    }

    public double sliceDuration() {
        return sliceDuration;
    }

    public int xyztUnits() {
        return xyztUnits;
    }

    public double calMin() {
        return calMin;
    }

    public double calMax() {
        return calMax;
    }

    public double toffset() {
        return toffset;
    }

    /** Free text from the writer; may identify the source, so it is never logged. */
    public String descrip() {
        return descrip;
    }

    public String auxFile() {
        return auxFile;
    }

    public int qformCode() {
        return qformCode;
    }

    public int sformCode() {
        return sformCode;
    }

    public double quaternB() {
        return quaternB;
    }

    public double quaternC() {
        return quaternC;
    }

    public double quaternD() {
        return quaternD;
    }

    public double qoffsetX() {
        return qoffsetX;
    }

    public double qoffsetY() {
        return qoffsetY;
    }

    public double qoffsetZ() {
        return qoffsetZ;
    }

    /** {@code pixdim[0]}: -1 flips the third axis of the qform; anything but -1 counts as 1 (nibabel's fix). */
    public double qfac() {
        return pixdim[0] == -1 ? -1 : 1;
    }

    public double[] srowX() {
        return srowX.clone();
    }

    public double[] srowY() {
        return srowY.clone();
    }

    public double[] srowZ() {
        return srowZ.clone();
    }

    /** The sform matrix (srow_x/y/z). */
    public Affine sformAffine() {
        return Affine.fromRows(new double[][] {srowX, srowY, srowZ});
    }

    /** The qform matrix from quaternion, pixdim, qfac and offsets (nibabel {@code get_qform}). */
    public Affine qformAffine() {
        double[] q = Quaternions.fillPositive(quaternB, quaternC, quaternD,
                format == NiftiFormat.NIFTI1 ? -3 * Math.ulp(1.0f) : -3 * Math.ulp(1.0));
        double[][] r = Quaternions.toRotation(q);
        double[] vox = {Math.abs(pixdim[1]), Math.abs(pixdim[2]), Math.abs(pixdim[3]) * qfac()};
        double[] m = new double[16];
        for (int row = 0; row < 3; row++) {
            for (int c = 0; c < 3; c++) {
                m[4 * row + c] = r[row][c] * vox[c];
            }
        }
        m[3] = qoffsetX;
        m[7] = qoffsetY;
        m[11] = qoffsetZ;
        m[15] = 1;
        return Affine.of(m);
    }

    /**
     * The affine used when neither form is coded (nibabel {@code get_base_affine}): pixdim
     * on the diagonal with x flipped, origin at the grid centre.
     */
    public Affine baseAffine() {
        int n = (int) Math.min(dim[0], 3);
        double[] shape = {1, 1, 1};
        double[] zooms = {1, 1, 1};
        for (int i = 0; i < n; i++) {
            shape[i] = dim[i + 1];
            zooms[i] = Math.abs(pixdim[i + 1]);
        }
        zooms[0] = -zooms[0];
        return Affine.diagonal(zooms[0], zooms[1], zooms[2],
                -(shape[0] - 1) / 2.0 * zooms[0], -(shape[1] - 1) / 2.0 * zooms[1], -(shape[2] - 1) / 2.0 * zooms[2]);
    }

    /** Voxel to RAS+ as nibabel: sform if coded, else qform if coded, else {@link #baseAffine()}. */
    public Affine affine() {
        if (sformCode != 0) {
            return sformAffine();
        }
        if (qformCode != 0) {
            return qformAffine();
        }
        return baseAffine();
    }

    /** Axis codes of {@link #affine()}. */
    public String axcodes() {
        return AxisOrientation.of(affine()).axcodes();
    }

    @Override
    public String toString() {
        // Never includes descrip/aux_file: they may carry identifying text.
        return "NiftiHeader[" + format.label() + ", " + Arrays.toString(shape()) + ", " + dataType.numpyName()
                + ", qform_code=" + qformCode + ", sform_code=" + sformCode + "]";
    }
}
