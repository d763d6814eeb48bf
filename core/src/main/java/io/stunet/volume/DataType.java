package io.stunet.volume;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidVolumeException;

/**
 * The voxel datatypes the pipeline reads and writes, with their NIfTI codes and numpy names.
 * Unsigned 16/32-bit values are kept in Java's signed {@code short[]}/{@code int[]} and read
 * back unsigned, so every type uses exactly its on-disk size in memory.
 */
public enum DataType {
    UINT8(2, 1, "uint8"),
    INT8(256, 1, "int8"),
    INT16(4, 2, "int16"),
    UINT16(512, 2, "uint16"),
    INT32(8, 4, "int32"),
    UINT32(768, 4, "uint32"),
    INT64(1024, 8, "int64"),
    FLOAT32(16, 4, "float32"),
    FLOAT64(64, 8, "float64");

    private final int niftiCode;
    private final int bytes;
    private final String numpyName;

    DataType(int niftiCode, int bytes, String numpyName) {
        this.niftiCode = niftiCode;
        this.bytes = bytes;
        this.numpyName = numpyName;
    }

    /** The NIfTI {@code datatype} header code. */
    public int niftiCode() {
        return niftiCode;
    }

    /** Bytes per voxel. */
    public int bytes() {
        return bytes;
    }

    /** NIfTI {@code bitpix}. */
    public int bitpix() {
        return bytes * 8;
    }

    /** numpy's name for the type ({@code "int16"}), as {@code inspect --json} reports it. */
    public String numpyName() {
        return numpyName;
    }

    /** Whether values are integers (scaling may still turn them into floats). */
    public boolean isInteger() {
        return this != FLOAT32 && this != FLOAT64;
    }

    /** The type for a NIfTI datatype code; anything else is {@link ErrorCode#UNSUPPORTED_DATATYPE}. */
    public static DataType fromNiftiCode(int code) {
        for (DataType t : values()) {
            if (t.niftiCode == code) {
                return t;
            }
        }
        throw new InvalidVolumeException(ErrorCode.UNSUPPORTED_DATATYPE,
                "NIfTI datatype code " + code + " is not supported");
    }

    /** The type from numpy's name ({@code "uint16"}). */
    public static DataType fromNumpyName(String name) {
        for (DataType t : values()) {
            if (t.numpyName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown datatype " + name);
    }

    /** The mask datatype for labels up to {@code maxLabel}: uint8 below 256, else uint16. */
    public static DataType forMaxLabel(int maxLabel) {
        if (maxLabel < 0 || maxLabel > 65535) {
            throw new IllegalArgumentException("label out of range: " + maxLabel);
        }
        return maxLabel < 256 ? UINT8 : UINT16;
    }
}
