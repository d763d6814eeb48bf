package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;

/**
 * The transfer syntaxes the codec reads, and which of them it decodes pixel data of. Datasets
 * of every listed syntax except big endian parse; pixel data decodes for the native ones, RLE
 * lossless, JPEG lossless (process 14, any predictor, and its selection value 1 subset) and
 * JPEG-LS lossless and near-lossless ({@link JpegLsDecoder}). Other encapsulated syntaxes
 * (JPEG baseline/extended, JPEG 2000, ...) parse as
 * {@link #ENCAPSULATED_OTHER} and fail at pixel decoding with
 * {@link ErrorCode#UNSUPPORTED_TRANSFER_SYNTAX}.
 */
public enum TransferSyntax {
    IMPLICIT_LE("1.2.840.10008.1.2", false, false, false, true),
    EXPLICIT_LE("1.2.840.10008.1.2.1", true, false, false, true),
    DEFLATED_EXPLICIT_LE("1.2.840.10008.1.2.1.99", true, true, false, true),
    RLE_LOSSLESS("1.2.840.10008.1.2.5", true, false, true, true),
    JPEG_LOSSLESS("1.2.840.10008.1.2.4.57", true, false, true, true),
    JPEG_LOSSLESS_SV1("1.2.840.10008.1.2.4.70", true, false, true, true),
    JPEG_LS_LOSSLESS("1.2.840.10008.1.2.4.80", true, false, true, true),
    /** JPEG-LS near-lossless: decoded values differ from the original by at most the stream's NEAR. */
    JPEG_LS_NEAR_LOSSLESS("1.2.840.10008.1.2.4.81", true, false, true, true),
    /** Any other encapsulated syntax (1.2.840.10008.1.2.4.*): the dataset parses, its pixels do not decode. */
    ENCAPSULATED_OTHER(null, true, false, true, false);

    private final String uid;
    private final boolean explicitVr;
    private final boolean deflated;
    private final boolean encapsulated;
    private final boolean pixelsDecodable;

    TransferSyntax(String uid, boolean explicitVr, boolean deflated, boolean encapsulated, boolean pixelsDecodable) {
        this.uid = uid;
        this.explicitVr = explicitVr;
        this.deflated = deflated;
        this.encapsulated = encapsulated;
        this.pixelsDecodable = pixelsDecodable;
    }

    /**
     * The syntax of a UID; big endian, unknown and private syntaxes are refused with
     * {@link ErrorCode#UNSUPPORTED_TRANSFER_SYNTAX}.
     */
    public static TransferSyntax of(String uid) {
        String u = uid == null ? "" : uid.trim();
        for (TransferSyntax t : values()) {
            if (u.equals(t.uid)) {
                return t;
            }
        }
        if (u.startsWith("1.2.840.10008.1.2.4.")) {
            return ENCAPSULATED_OTHER;
        }
        throw new InvalidDicomException(ErrorCode.UNSUPPORTED_TRANSFER_SYNTAX,
                "transfer syntax " + (u.isEmpty() ? "(none)" : u) + " is not supported"
                        + (u.equals("1.2.840.10008.1.2.2") ? " (big endian)" : ""));
    }

    /** The UID, or null for {@link #ENCAPSULATED_OTHER}. */
    public String uid() {
        return uid;
    }

    public boolean explicitVr() {
        return explicitVr;
    }

    public boolean deflated() {
        return deflated;
    }

    public boolean encapsulated() {
        return encapsulated;
    }

    public boolean pixelsDecodable() {
        return pixelsDecodable;
    }
}
