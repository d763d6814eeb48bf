package io.stunet.dicom.dimse;

import io.stunet.dicom.DicomSeries;
import io.stunet.dicom.DicomWriter;

import java.util.List;
import java.util.Set;

/**
 * The UIDs the DIMSE and DICOMweb sides speak: the storage SOP classes and transfer syntaxes
 * the input side accepts (at association negotiation and in STOW-RS parts), Verification, the
 * DICOM application context and our implementation identity written into every Part 10
 * header and association.
 */
public final class DicomUids {
    private DicomUids() {
    }

    public static final String APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";
    public static final String VERIFICATION = "1.2.840.10008.1.1";

    public static final String IMPLICIT_VR_LE = "1.2.840.10008.1.2";
    public static final String EXPLICIT_VR_LE = "1.2.840.10008.1.2.1";
    public static final String DEFLATED_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1.99";
    public static final String RLE_LOSSLESS = "1.2.840.10008.1.2.5";
    /** JPEG Lossless, Non-Hierarchical (Process 14). */
    public static final String JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57";
    /** JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, selection value 1). */
    public static final String JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70";
    /** JPEG-LS Lossless Image Compression. */
    public static final String JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80";
    /** JPEG-LS Lossy (Near-Lossless) Image Compression. */
    public static final String JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81";

    /**
     * Storage SOP classes whose instances are received into the spool: exactly those that
     * series assembly turns into a volume (single-frame and enhanced CT, MR and PET).
     */
    public static final Set<String> STORAGE_CLASSES = union(DicomSeries.IMAGE_SOP_CLASSES, DicomSeries.ENHANCED_SOP_CLASSES);

    /** Transfer syntaxes accepted for storage, in no particular order (the proposer's order wins). */
    public static final Set<String> STORAGE_TRANSFER_SYNTAXES = Set.of(IMPLICIT_VR_LE, EXPLICIT_VR_LE,
            DEFLATED_EXPLICIT_VR_LE, RLE_LOSSLESS, JPEG_LOSSLESS, JPEG_LOSSLESS_SV1, JPEG_LS_LOSSLESS,
            JPEG_LS_NEAR_LOSSLESS);

    /** Verification has no data set; any uncompressed little-endian syntax will do. */
    public static final List<String> VERIFICATION_TRANSFER_SYNTAXES = List.of(IMPLICIT_VR_LE, EXPLICIT_VR_LE);

    /** Our implementation identity, the one every Part 10 header we write carries. */
    public static final String IMPLEMENTATION_CLASS_UID = DicomWriter.IMPLEMENTATION_CLASS_UID;
    public static final String IMPLEMENTATION_VERSION = DicomWriter.IMPLEMENTATION_VERSION;

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}
