package io.stunet.nifti;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;
import io.stunet.volume.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Byte layout of NIfTI-1 (348 bytes) and NIfTI-2 (540 bytes) headers, both byte orders. */
final class HeaderCodec {
    static final byte[] MAGIC1_SINGLE = {'n', '+', '1', 0};
    static final byte[] MAGIC1_PAIR = {'n', 'i', '1', 0};
    static final byte[] MAGIC2_SINGLE = {'n', '+', '2', 0, '\r', '\n', 0x1a, '\n'};
    static final byte[] MAGIC2_PAIR = {'n', 'i', '2', 0, '\r', '\n', 0x1a, '\n'};

    private HeaderCodec() {
    }

    /** The layout and byte order announced by the first four bytes ({@code sizeof_hdr}). */
    static NiftiHeader probe(byte[] first4) {
        ByteBuffer le = ByteBuffer.wrap(first4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer be = ByteBuffer.wrap(first4).order(ByteOrder.BIG_ENDIAN);
        NiftiHeader h = new NiftiHeader();
        for (NiftiFormat f : NiftiFormat.values()) {
            if (le.getInt(0) == f.headerSize()) {
                h.format = f;
                h.byteOrder = ByteOrder.LITTLE_ENDIAN;
                return h;
            }
            if (be.getInt(0) == f.headerSize()) {
                h.format = f;
                h.byteOrder = ByteOrder.BIG_ENDIAN;
                return h;
            }
        }
        throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "sizeof_hdr is neither 348 nor 540");
    }

    /** Decodes a complete header; {@code pair} tells whether the voxels live in a separate .img. */
    static NiftiHeader decode(byte[] raw, boolean pair) {
        NiftiHeader h = probe(Arrays.copyOf(raw, 4));
        ByteBuffer b = ByteBuffer.wrap(raw).order(h.byteOrder);
        if (h.format == NiftiFormat.NIFTI1) {
            decode1(b, h, pair);
        } else {
            decode2(b, h, pair);
        }
        validate(h, pair);
        return h;
    }

    private static void decode1(ByteBuffer b, NiftiHeader h, boolean pair) {
        byte[] magic = bytes(b, 344, 4);
        checkMagic(magic, MAGIC1_SINGLE, MAGIC1_PAIR, pair);
        h.dimInfo = b.get(39) & 0xff;
        long[] dim = new long[8];
        for (int i = 0; i < 8; i++) {
            dim[i] = b.getShort(40 + 2 * i);
        }
        h.dim = dim;
        h.intentP1 = b.getFloat(56);
        h.intentP2 = b.getFloat(60);
        h.intentP3 = b.getFloat(64);
        h.intentCode = b.getShort(68);
        int datatype = b.getShort(70);
        h.sliceStart = b.getShort(74);
        double[] pixdim = new double[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = b.getFloat(76 + 4 * i);
        }
        h.pixdim = pixdim;
        h.voxOffset = b.getFloat(108);
        h.sclSlope = b.getFloat(112);
        h.sclInter = b.getFloat(116);
        h.sliceEnd = b.getShort(120);
        h.sliceCode = b.get(122) & 0xff;
        h.xyztUnits = b.get(123) & 0xff;
        h.calMax = b.getFloat(124);
        h.calMin = b.getFloat(128);
        h.sliceDuration = b.getFloat(132);
        h.toffset = b.getFloat(136);
        h.descrip = string(b, 148, 80);
        h.auxFile = string(b, 228, 24);
        h.qformCode = b.getShort(252);
        h.sformCode = b.getShort(254);
        h.quaternB = b.getFloat(256);
        h.quaternC = b.getFloat(260);
        h.quaternD = b.getFloat(264);
        h.qoffsetX = b.getFloat(268);
        h.qoffsetY = b.getFloat(272);
        h.qoffsetZ = b.getFloat(276);
        h.srowX = floats(b, 280, 4);
        h.srowY = floats(b, 296, 4);
        h.srowZ = floats(b, 312, 4);
        h.intentName = string(b, 328, 16);
        checkDims(h.dim);
        h.dataType = DataType.fromNiftiCode(datatype);
    }

    private static void decode2(ByteBuffer b, NiftiHeader h, boolean pair) {
        byte[] magic = bytes(b, 4, 8);
        checkMagic(magic, MAGIC2_SINGLE, MAGIC2_PAIR, pair);
        int datatype = b.getShort(12);
        long[] dim = new long[8];
        for (int i = 0; i < 8; i++) {
            dim[i] = b.getLong(16 + 8 * i);
        }
        h.dim = dim;
        h.intentP1 = b.getDouble(80);
        h.intentP2 = b.getDouble(88);
        h.intentP3 = b.getDouble(96);
        double[] pixdim = new double[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = b.getDouble(104 + 8 * i);
        }
        h.pixdim = pixdim;
        h.voxOffset = b.getLong(168);
        h.sclSlope = b.getDouble(176);
        h.sclInter = b.getDouble(184);
        h.calMax = b.getDouble(192);
        h.calMin = b.getDouble(200);
        h.sliceDuration = b.getDouble(208);
        h.toffset = b.getDouble(216);
        h.sliceStart = b.getLong(224);
        h.sliceEnd = b.getLong(232);
        h.descrip = string(b, 240, 80);
        h.auxFile = string(b, 320, 24);
        h.qformCode = b.getInt(344);
        h.sformCode = b.getInt(348);
        h.quaternB = b.getDouble(352);
        h.quaternC = b.getDouble(360);
        h.quaternD = b.getDouble(368);
        h.qoffsetX = b.getDouble(376);
        h.qoffsetY = b.getDouble(384);
        h.qoffsetZ = b.getDouble(392);
        h.srowX = doubles(b, 400, 4);
        h.srowY = doubles(b, 432, 4);
        h.srowZ = doubles(b, 464, 4);
        h.sliceCode = b.getInt(496);
        h.xyztUnits = b.getInt(500);
        h.intentCode = b.getInt(504);
        h.intentName = string(b, 508, 16);
        h.dimInfo = b.get(524) & 0xff;
        checkDims(h.dim);
        h.dataType = DataType.fromNiftiCode(datatype);
    }

    private static void checkMagic(byte[] magic, byte[] single, byte[] pairMagic, boolean pair) {
        if (Arrays.equals(magic, single) && !pair || Arrays.equals(magic, pairMagic) && pair) {
            return;
        }
        if (Arrays.equals(magic, single) || Arrays.equals(magic, pairMagic)) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, pair
                    ? "header of a .hdr/.img pair has the single-file magic"
                    : "single-file NIfTI has the .hdr/.img pair magic");
        }
        throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "bad NIfTI magic");
    }

    private static void checkDims(long[] dim) {
        if (dim[0] < 1 || dim[0] > 7) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "dim[0] = " + dim[0] + " is not in 1..7");
        }
        long total = 1;
        for (int i = 1; i <= dim[0]; i++) {
            if (dim[i] < 1) {
                throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "dim[" + i + "] = " + dim[i]
                        + " is not positive");
            }
            if (dim[i] > Integer.MAX_VALUE) {
                throw new InvalidVolumeException(ErrorCode.VOLUME_TOO_LARGE, "dim[" + i + "] = " + dim[i]);
            }
            try {
                total = Math.multiplyExact(total, dim[i]);
            } catch (ArithmeticException e) {
                throw new InvalidVolumeException(ErrorCode.VOLUME_TOO_LARGE, "voxel count overflows 64 bits");
            }
        }
    }

    private static void validate(NiftiHeader h, boolean pair) {
        if (!(h.voxOffset >= 0) || h.voxOffset != Math.floor(h.voxOffset) || h.voxOffset > Long.MAX_VALUE / 2) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "vox_offset " + h.voxOffset + " is not a valid offset");
        }
        if (!pair && h.voxOffset < h.format.headerSize()) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "vox_offset " + (long) h.voxOffset
                    + " lies inside the header");
        }
        if (h.sclSlope != 0 && Double.isFinite(h.sclSlope) && !Double.isFinite(h.sclInter)) {
            throw new InvalidVolumeException(ErrorCode.INVALID_NIFTI, "valid scl_slope but non-finite scl_inter");
        }
        if (h.sformCode == 0 && h.qformCode != 0) {
            // The affine comes from the quaternion: a broken one must fail here, not deep in a stage.
            h.qformAffine();
        }
    }

    /** The header bytes followed, for single files, by the 4-byte extension flag (no extensions). */
    static byte[] encode(NiftiHeader h, boolean pair) {
        NiftiFormat f = h.format;
        for (int i = 1; i <= h.dim[0]; i++) {
            if (h.dim[i] > Short.MAX_VALUE) {
                f = NiftiFormat.NIFTI2;
            }
        }
        int size = f.headerSize() + (pair ? 0 : 4);
        ByteBuffer b = ByteBuffer.allocate(size).order(h.byteOrder);
        b.putInt(0, f.headerSize());
        long offset = pair ? 0 : size;
        if (f == NiftiFormat.NIFTI1) {
            b.put(38, (byte) 'r');
            b.put(39, (byte) h.dimInfo);
            for (int i = 0; i < 8; i++) {
                b.putShort(40 + 2 * i, (short) h.dim[i]);
            }
            b.putFloat(56, (float) h.intentP1);
            b.putFloat(60, (float) h.intentP2);
            b.putFloat(64, (float) h.intentP3);
            b.putShort(68, (short) h.intentCode);
            b.putShort(70, (short) h.dataType.niftiCode());
            b.putShort(72, (short) h.dataType.bitpix());
            b.putShort(74, (short) h.sliceStart);
            for (int i = 0; i < 8; i++) {
                b.putFloat(76 + 4 * i, (float) h.pixdim[i]);
            }
            b.putFloat(108, offset);
            b.putFloat(112, (float) h.sclSlope);
            b.putFloat(116, (float) h.sclInter);
            b.putShort(120, (short) h.sliceEnd);
            b.put(122, (byte) h.sliceCode);
            b.put(123, (byte) h.xyztUnits);
            b.putFloat(124, (float) h.calMax);
            b.putFloat(128, (float) h.calMin);
            b.putFloat(132, (float) h.sliceDuration);
            b.putFloat(136, (float) h.toffset);
            putString(b, 148, 80, h.descrip);
            putString(b, 228, 24, h.auxFile);
            b.putShort(252, (short) h.qformCode);
            b.putShort(254, (short) h.sformCode);
            b.putFloat(256, (float) h.quaternB);
            b.putFloat(260, (float) h.quaternC);
            b.putFloat(264, (float) h.quaternD);
            b.putFloat(268, (float) h.qoffsetX);
            b.putFloat(272, (float) h.qoffsetY);
            b.putFloat(276, (float) h.qoffsetZ);
            for (int i = 0; i < 4; i++) {
                b.putFloat(280 + 4 * i, (float) h.srowX[i]);
                b.putFloat(296 + 4 * i, (float) h.srowY[i]);
                b.putFloat(312 + 4 * i, (float) h.srowZ[i]);
            }
            putString(b, 328, 16, h.intentName);
            b.put(344, pair ? MAGIC1_PAIR : MAGIC1_SINGLE);
        } else {
            b.put(4, pair ? MAGIC2_PAIR : MAGIC2_SINGLE);
            b.putShort(12, (short) h.dataType.niftiCode());
            b.putShort(14, (short) h.dataType.bitpix());
            for (int i = 0; i < 8; i++) {
                b.putLong(16 + 8 * i, h.dim[i]);
            }
            b.putDouble(80, h.intentP1);
            b.putDouble(88, h.intentP2);
            b.putDouble(96, h.intentP3);
            for (int i = 0; i < 8; i++) {
                b.putDouble(104 + 8 * i, h.pixdim[i]);
            }
            b.putLong(168, offset);
            b.putDouble(176, h.sclSlope);
            b.putDouble(184, h.sclInter);
            b.putDouble(192, h.calMax);
            b.putDouble(200, h.calMin);
            b.putDouble(208, h.sliceDuration);
            b.putDouble(216, h.toffset);
            b.putLong(224, h.sliceStart);
            b.putLong(232, h.sliceEnd);
            putString(b, 240, 80, h.descrip);
            putString(b, 320, 24, h.auxFile);
            b.putInt(344, h.qformCode);
            b.putInt(348, h.sformCode);
            b.putDouble(352, h.quaternB);
            b.putDouble(360, h.quaternC);
            b.putDouble(368, h.quaternD);
            b.putDouble(376, h.qoffsetX);
            b.putDouble(384, h.qoffsetY);
            b.putDouble(392, h.qoffsetZ);
            for (int i = 0; i < 4; i++) {
                b.putDouble(400 + 8 * i, h.srowX[i]);
                b.putDouble(432 + 8 * i, h.srowY[i]);
                b.putDouble(464 + 8 * i, h.srowZ[i]);
            }
            b.putInt(496, h.sliceCode);
            b.putInt(500, h.xyztUnits);
            b.putInt(504, h.intentCode);
            putString(b, 508, 16, h.intentName);
            b.put(524, (byte) h.dimInfo);
        }
        return b.array();
    }

    private static byte[] bytes(ByteBuffer b, int at, int n) {
        byte[] out = new byte[n];
        b.get(at, out);
        return out;
    }

    private static double[] floats(ByteBuffer b, int at, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = b.getFloat(at + 4 * i);
        }
        return out;
    }

    private static double[] doubles(ByteBuffer b, int at, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = b.getDouble(at + 8 * i);
        }
        return out;
    }

    private static String string(ByteBuffer b, int at, int n) {
        byte[] s = bytes(b, at, n);
        int len = 0;
        while (len < n && s[len] != 0) {
            len++;
        }
        return new String(s, 0, len, StandardCharsets.ISO_8859_1);
    }

    private static void putString(ByteBuffer b, int at, int n, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
        b.put(at, bytes, 0, Math.min(bytes.length, n));
    }
}
