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
}
