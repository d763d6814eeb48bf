package io.stunet.dicom;

/**
 * A parsed DICOM object: its file meta group (empty for a raw dataset received over the
 * network), its dataset, and the transfer syntax the dataset was encoded in (needed to
 * decode its pixel data).
 */
public record DicomFile(DicomDataset meta, DicomDataset dataset, TransferSyntax transferSyntax) {
}
