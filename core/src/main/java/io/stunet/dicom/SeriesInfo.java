package io.stunet.dicom;

import io.stunet.geometry.Affine;
import java.util.List;

/**
 * What a derived object (a DICOM SEG) needs to know about the source series, separate from
 * its voxels: the identifying UIDs, the per-slice SOP Class/Instance UIDs, frame numbers and
 * positions in the order of the volume's k axis, the shared orientation and spacings, and the
 * patient, clinical trial and study module elements copied raw (bytes and VR as read,
 * SpecificCharacterSet included) from the first slice.
 *
 * @param orientation ImageOrientationPatient: row direction cosines then column direction cosines (LPS)
 * @param pixelSpacing PixelSpacing as in DICOM: row spacing (between rows), column spacing
 * @param sliceSpacing distance between adjacent slice positions along the normal, in mm
 * @param positions ImagePositionPatient (LPS) of each slice, volume k order
 * @param frameNumbers for each slice, its frame number (from 1) in a multi-frame (enhanced)
 *     instance, or 0 when the slice is a single-frame instance
 * @param affine voxel (column, row, slice) to RAS+ mm, as NIfTI stores it
 */
public record SeriesInfo(
        String studyInstanceUid,
        String seriesInstanceUid,
        String frameOfReferenceUid,
        String modality,
        int rows,
        int columns,
        double[] orientation,
        double[] pixelSpacing,
        double sliceSpacing,
        double sliceThickness,
        List<double[]> positions,
        List<String> sopClassUids,
        List<String> sopInstanceUids,
        List<Integer> frameNumbers,
        DicomDataset patientStudy,
        Affine affine) {

    /** Number of slices. */
    public int slices() {
        return sopInstanceUids.size();
    }
}
