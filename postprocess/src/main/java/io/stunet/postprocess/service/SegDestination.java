package io.stunet.postprocess.service;

/**
 * A place each new DICOM SEG is delivered to: a DICOMweb service ({@link StowSender}) or a
 * DIMSE application entity such as a PACS ({@link CStoreSender}). Blocking, called on a
 * worker thread; a failed delivery throws {@code UNAVAILABLE}, so the stage retries the case
 * and, after its retries, dead-letters it with the destination's answer.
 */
public interface SegDestination {
    /** Delivers one SEG (a Part 10 object) of a case. */
    void deliver(String caseId, byte[] seg);

    /** The protocol, as the delivery metrics tag it: {@code stow} or {@code dimse}. */
    String kind();

    /** Where it delivers, for logs (no credentials). */
    String address();

    /**
     * Checks that the destination answers, where the protocol has a request for that (C-ECHO
     * for DIMSE; STOW-RS has none, so nothing is checked); throws {@code UNAVAILABLE} if not.
     */
    default void check() {
    }
}
