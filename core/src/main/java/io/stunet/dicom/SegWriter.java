package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;
import io.stunet.error.StunetException;
import io.stunet.volume.Volume;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a label mask on a source series' grid as a DICOM Segmentation object (SOP class
 * 1.2.840.10008.5.1.4.1.1.66.4), BINARY, one segment per label value present (ascending, 0
 * is background). Frames: for each segment, one frame per source slice that contains it
 * (slices without the segment are left out), bit-packed 1-bit pixels in one stream. Shared
 * functional groups carry plane orientation and pixel measures; per-frame groups carry frame
 * content (dimension index: segment number, slice position index), plane position,
 * segment identification and the derivation image referencing the source slice. Patient,
 * clinical trial and study attributes are copied from the source; the series, instance and
 * dimension organization UIDs are new. Explicit VR little endian Part 10.
 */
public final class SegWriter {
    public static final String SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4";
    /** Manufacturer, model name and device serial number written into every object. */
    public static final String PROGRAM = "stunet";
    /** The code used when a class has no mapping: SNOMED CT 85756007 "Tissue" (SRT T-D0050). */
    public static final Code TISSUE = new Code("85756007", "SCT", "Tissue");

    /** A coded concept (CodeValue, CodingSchemeDesignator, CodeMeaning). */
    public record Code(String value, String scheme, String meaning) {
    }

    /**
     * One class of the label mask: its value, its name (the segment label) and optionally its
     * segmented property category and type (null: {@link #TISSUE}).
     */
    public record SegmentClass(int label, String name, Code category, Code type) {
        public SegmentClass(int label, String name) {
            this(label, name, null, null);
        }
    }

    private SegWriter() {
    }

    /** Builds the SEG dataset and writes it to {@code out}. */
    public static void write(Path out, Volume labels, SeriesInfo source, List<SegmentClass> classes,
                             String algorithmName, String softwareVersion) {
        DicomWriter.write(out, build(labels, source, classes, algorithmName, softwareVersion));
    }

    /**
     * The SEG dataset for {@code labels} (an integer volume of shape (columns, rows, slices)
     * on the source's grid). A mask with no foreground voxel is refused (INVALID_REQUEST): a
     * segmentation object must hold at least one frame.
     */
    public static DicomDataset build(Volume labels, SeriesInfo source, List<SegmentClass> classes,
                                     String algorithmName, String softwareVersion) {
        int cols = source.columns();
        int rows = source.rows();
        int slices = source.slices();
        if (labels.nx() != cols || labels.ny() != rows || labels.nz() != slices || labels.nt() != 1) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "label volume " + labels.nx() + "x" + labels.ny() + "x"
                    + labels.nz() + " is not on the series grid " + cols + "x" + rows + "x" + slices);
        }
        if (labels.affine().maxAbsDiff(source.affine()) > 1e-3) {
            throw new StunetException(ErrorCode.INVALID_GEOMETRY, "label volume affine differs from the series affine");
        }
        int plane = rows * cols;
        // Which labels occur in which slice.
        TreeMap<Integer, boolean[]> present = new TreeMap<>();
        for (int k = 0; k < slices; k++) {
            for (int p = 0; p < plane; p++) {
                int v = (int) labels.rawValue(k * plane + p);
                if (v != 0) {
                    present.computeIfAbsent(v, x -> new boolean[slices])[k] = true;
                }
            }
        }
        if (present.isEmpty()) {
            throw new StunetException(ErrorCode.INVALID_REQUEST, "the label mask is empty; a SEG needs at least one segment");
        }
        Map<Integer, SegmentClass> byLabel = new TreeMap<>();
        for (SegmentClass c : classes) {
            byLabel.put(c.label(), c);
        }

        List<int[]> frames = new ArrayList<>(); // (segment number, label, slice)
        List<DicomDataset> segments = new ArrayList<>();
        int segmentNumber = 0;
        for (Map.Entry<Integer, boolean[]> e : present.entrySet()) {
            segmentNumber++;
            int label = e.getKey();
            SegmentClass c = byLabel.getOrDefault(label, new SegmentClass(label, "label " + label));
            segments.add(new DicomDataset()
                    .putInts(Tag.SegmentNumber, Vr.US, segmentNumber)
                    .putString(Tag.SegmentLabel, Vr.LO, c.name())
                    .putString(Tag.SegmentAlgorithmType, Vr.CS, "AUTOMATIC")
                    .putString(Tag.SegmentAlgorithmName, Vr.LO, algorithmName)
                    .putSequence(Tag.SegmentedPropertyCategoryCodeSequence,
                            List.of(code(c.category() == null ? TISSUE : c.category())))
                    .putSequence(Tag.SegmentedPropertyTypeCodeSequence,
                            List.of(code(c.type() == null ? TISSUE : c.type()))));
            for (int k = 0; k < slices; k++) {
                if (e.getValue()[k]) {
                    frames.add(new int[] {segmentNumber, label, k});
                }
            }
        }

        long bits = (long) frames.size() * plane;
        long bytes = (bits + 7) / 8;
        bytes += bytes % 2;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new StunetException(ErrorCode.VOLUME_TOO_LARGE, "SEG pixel data of " + bytes + " bytes");
        }
        byte[] pixels = new byte[(int) bytes];
        long bit = 0;
        for (int[] f : frames) {
            int base = f[2] * plane;
            for (int p = 0; p < plane; p++, bit++) {
                if ((int) labels.rawValue(base + p) == f[1]) {
                    pixels[(int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
                }
            }
        }

        String now = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd"));
        String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss"));
        String dimensionOrg = Uids.random();
        DicomDataset ds = new DicomDataset();
        for (DicomElement e : source.patientStudy().elements()) {
            ds.put(e);
        }
        // Type 2 attributes of the patient and general study modules: present, empty when the source lacks them.
        for (int[] t : new int[][] {{Tag.PatientName, 0}, {Tag.PatientID, 1}, {Tag.PatientBirthDate, 2},
            {Tag.PatientSex, 3}, {Tag.StudyDate, 4}, {Tag.StudyTime, 5}, {Tag.ReferringPhysicianName, 6},
            {Tag.StudyID, 7}, {Tag.AccessionNumber, 8}}) {
            if (!ds.contains(t[0])) {
                ds.putString(t[0], Tag.vrOf(t[0]));
            }
        }
        ds.putString(Tag.StudyInstanceUID, Vr.UI, source.studyInstanceUid());
        ds.putString(Tag.ImageType, Vr.CS, "DERIVED", "PRIMARY");
        ds.putString(Tag.InstanceCreationDate, Vr.DA, now);
        ds.putString(Tag.InstanceCreationTime, Vr.TM, time);
        ds.putString(Tag.SOPClassUID, Vr.UI, SOP_CLASS);
        ds.putString(Tag.SOPInstanceUID, Vr.UI, Uids.random());
        ds.putString(Tag.SeriesDate, Vr.DA, now);
        ds.putString(Tag.SeriesTime, Vr.TM, time);
        ds.putString(Tag.ContentDate, Vr.DA, now);
        ds.putString(Tag.ContentTime, Vr.TM, time);
        ds.putString(Tag.Modality, Vr.CS, "SEG");
        ds.putString(Tag.Manufacturer, Vr.LO, PROGRAM);
        ds.putString(Tag.SeriesDescription, Vr.LO, "Segmentation (" + algorithmName + ")");
        ds.putString(Tag.ManufacturerModelName, Vr.LO, PROGRAM);
        ds.putString(Tag.DeviceSerialNumber, Vr.LO, PROGRAM);
        ds.putString(Tag.SoftwareVersions, Vr.LO, softwareVersion);
        ds.putString(Tag.SeriesInstanceUID, Vr.UI, Uids.random());
        ds.putString(Tag.SeriesNumber, Vr.IS, "300");
        ds.putString(Tag.InstanceNumber, Vr.IS, "1");
        ds.putString(Tag.FrameOfReferenceUID, Vr.UI, source.frameOfReferenceUid());
        ds.putString(Tag.PositionReferenceIndicator, Vr.LO);

        // One item per source instance: a multi-frame instance holds several slices.
        List<DicomDataset> referenced = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int k = 0; k < slices; k++) {
            if (seen.add(source.sopInstanceUids().get(k))) {
                referenced.add(new DicomDataset()
                        .putString(Tag.ReferencedSOPClassUID, Vr.UI, source.sopClassUids().get(k))
                        .putString(Tag.ReferencedSOPInstanceUID, Vr.UI, source.sopInstanceUids().get(k)));
            }
        }
        ds.putSequence(Tag.ReferencedSeriesSequence, List.of(new DicomDataset()
                .putString(Tag.SeriesInstanceUID, Vr.UI, source.seriesInstanceUid())
                .putSequence(Tag.ReferencedInstanceSequence, referenced)));

        ds.putSequence(Tag.DimensionOrganizationSequence, List.of(
                new DicomDataset().putString(Tag.DimensionOrganizationUID, Vr.UI, dimensionOrg)));
        ds.putSequence(Tag.DimensionIndexSequence, List.of(
                dimension(dimensionOrg, Tag.ReferencedSegmentNumber, Tag.SegmentIdentificationSequence, "ReferencedSegmentNumber"),
                dimension(dimensionOrg, Tag.ImagePositionPatient, Tag.PlanePositionSequence, "ImagePositionPatient")));

        ds.putInts(Tag.SamplesPerPixel, Vr.US, 1);
        ds.putString(Tag.PhotometricInterpretation, Vr.CS, "MONOCHROME2");
        ds.putString(Tag.NumberOfFrames, Vr.IS, Integer.toString(frames.size()));
        ds.putInts(Tag.Rows, Vr.US, rows);
        ds.putInts(Tag.Columns, Vr.US, cols);
        ds.putInts(Tag.BitsAllocated, Vr.US, 1);
        ds.putInts(Tag.BitsStored, Vr.US, 1);
        ds.putInts(Tag.HighBit, Vr.US, 0);
        ds.putInts(Tag.PixelRepresentation, Vr.US, 0);
        ds.putString(Tag.LossyImageCompression, Vr.CS, "00");
        ds.putString(Tag.SegmentationType, Vr.CS, "BINARY");
        ds.putSequence(Tag.SegmentSequence, segments);
        ds.putString(Tag.ContentLabel, Vr.CS, "SEGMENTATION");
        ds.putString(Tag.ContentDescription, Vr.LO, algorithmName);
        ds.putString(Tag.ContentCreatorName, Vr.PN);

        double[] iop = source.orientation();
        ds.putSequence(Tag.SharedFunctionalGroupsSequence, List.of(new DicomDataset()
                .putSequence(Tag.PlaneOrientationSequence, List.of(
                        new DicomDataset().putDecimals(Tag.ImageOrientationPatient, iop)))
                .putSequence(Tag.PixelMeasuresSequence, List.of(new DicomDataset()
                        .putDecimals(Tag.PixelSpacing, source.pixelSpacing())
                        .putDecimals(Tag.SliceThickness, source.sliceThickness())
                        .putDecimals(Tag.SpacingBetweenSlices, source.sliceSpacing())))));

        DicomDataset derivationCode = code(new Code("113076", "DCM", "Segmentation"));
        DicomDataset purpose = code(new Code("121322", "DCM", "Source image for image processing operation"));
        List<DicomDataset> perFrame = new ArrayList<>(frames.size());
        for (int[] f : frames) {
            int k = f[2];
            DicomDataset sourceImage = new DicomDataset()
                    .putString(Tag.ReferencedSOPClassUID, Vr.UI, source.sopClassUids().get(k))
                    .putString(Tag.ReferencedSOPInstanceUID, Vr.UI, source.sopInstanceUids().get(k));
            if (source.frameNumbers().get(k) > 0) {
                sourceImage.putString(Tag.ReferencedFrameNumber, Vr.IS, Integer.toString(source.frameNumbers().get(k)));
            }
            sourceImage.putSequence(Tag.PurposeOfReferenceCodeSequence, List.of(purpose));
            perFrame.add(new DicomDataset()
                    .putSequence(Tag.DerivationImageSequence, List.of(new DicomDataset()
                            .putSequence(Tag.DerivationCodeSequence, List.of(derivationCode))
                            .putSequence(Tag.SourceImageSequence, List.of(sourceImage))))
                    .putSequence(Tag.FrameContentSequence, List.of(new DicomDataset()
                            .putInts(Tag.DimensionIndexValues, Vr.UL, f[0], k + 1)))
                    .putSequence(Tag.PlanePositionSequence, List.of(new DicomDataset()
                            .putDecimals(Tag.ImagePositionPatient, source.positions().get(k))))
                    .putSequence(Tag.SegmentIdentificationSequence, List.of(new DicomDataset()
                            .putInts(Tag.ReferencedSegmentNumber, Vr.US, f[0]))));
        }
        ds.putSequence(Tag.PerFrameFunctionalGroupsSequence, perFrame);
        ds.putBytes(Tag.PixelData, Vr.OB, pixels);
        return ds;
    }

    private static DicomDataset dimension(String org, int pointer, int group, String label) {
        return new DicomDataset()
                .putString(Tag.DimensionOrganizationUID, Vr.UI, org)
                .putInts(Tag.DimensionIndexPointer, Vr.AT, pointer)
                .putInts(Tag.FunctionalGroupPointer, Vr.AT, group)
                .putString(Tag.DimensionDescriptionLabel, Vr.LO, label);
    }

    private static DicomDataset code(Code c) {
        if (c.value() == null || c.scheme() == null || c.meaning() == null) {
            throw new InvalidDicomException(ErrorCode.INVALID_REQUEST, "a code needs value, scheme and meaning");
        }
        return new DicomDataset()
                .putString(Tag.CodeValue, Vr.SH, c.value())
                .putString(Tag.CodingSchemeDesignator, Vr.SH, c.scheme())
                .putString(Tag.CodeMeaning, Vr.LO, c.meaning());
    }
}
