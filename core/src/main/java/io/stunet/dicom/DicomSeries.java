package io.stunet.dicom;

import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidDicomException;
import io.stunet.error.StunetException;
import io.stunet.geometry.Affine;
import io.stunet.nifti.NiftiHeader;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A series of DICOM images assembled into one volume the way dcm2niix does: single-frame
 * instances (CT, MR, PET Image Storage) and multi-frame enhanced instances (Enhanced and Legacy
 * Converted Enhanced CT, MR, PET), each frame a slice whose position, orientation, pixel
 * spacing and rescale come from its per-frame functional groups, else from the shared ones.
 * Slices are sorted along the normal of the orientation by the projection of their position,
 * checked for one orientation, size and pixel spacing, no gantry tilt and uniform slice
 * spacing, rescaled to int16 when the values are integers in range and to float32 otherwise,
 * with the NIfTI affine (LPS negated in x and y to RAS). Refusals are typed:
 * {@link ErrorCode#INVALID_SERIES} for geometry, and {@link ErrorCode#INVALID_DICOM} for
 * objects that are not CT, MR or PET images.
 */
public final class DicomSeries {
    /** Single-frame SOP classes assembled: CT, MR and PET Image Storage. */
    public static final Set<String> IMAGE_SOP_CLASSES = Set.of(
            "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.128");
    /**
     * Multi-frame SOP classes assembled, each frame a slice: Enhanced CT, Legacy Converted
     * Enhanced CT, Enhanced MR, Legacy Converted Enhanced MR, Enhanced PET and Legacy Converted
     * Enhanced PET Image Storage.
     */
    public static final Set<String> ENHANCED_SOP_CLASSES = Set.of(
            "1.2.840.10008.5.1.4.1.1.2.1", "1.2.840.10008.5.1.4.1.1.2.2", "1.2.840.10008.5.1.4.1.1.4.1",
            "1.2.840.10008.5.1.4.1.1.4.4", "1.2.840.10008.5.1.4.1.1.130", "1.2.840.10008.5.1.4.1.1.128.1");
    /** Largest difference between direction cosines (or pixel spacings in mm) of slices still taken as equal. */
    public static final double ORIENTATION_TOLERANCE = 1e-4;
    /** A slice gap may differ from the mean gap by this fraction of it (or {@link #MIN_GAP_TOLERANCE_MM}, the larger). */
    public static final double GAP_TOLERANCE = 0.01;
    public static final double MIN_GAP_TOLERANCE_MM = 0.01;
    /** Largest in-plane offset between slice positions, as a fraction of their distance along the normal (about 0.06 degrees). */
    public static final double TILT_TOLERANCE = 1e-3;

    /** Patient, clinical trial subject, general study, patient study and clinical trial study attributes a derived object copies. */
    static final int[] PATIENT_STUDY_TAGS = {
        Tag.SpecificCharacterSet, Tag.StudyDate, Tag.StudyTime, Tag.AccessionNumber, Tag.IssuerOfAccessionNumberSequence,
        Tag.ReferringPhysicianName, Tag.TimezoneOffsetFromUTC, Tag.StudyDescription, Tag.ProcedureCodeSequence,
        Tag.PhysiciansOfRecord, Tag.NameOfPhysiciansReadingStudy, Tag.AdmittingDiagnosesDescription,
        Tag.ReferencedPatientSequence, Tag.PatientName, Tag.PatientID, Tag.IssuerOfPatientID, Tag.TypeOfPatientID,
        Tag.IssuerOfPatientIDQualifiersSequence, Tag.PatientBirthDate, Tag.PatientBirthTime, Tag.PatientSex,
        Tag.OtherPatientIDsSequence, Tag.PatientAge, Tag.PatientSize, Tag.PatientWeight, Tag.EthnicGroup,
        Tag.PatientComments, Tag.ClinicalTrialSponsorName, Tag.ClinicalTrialProtocolID, Tag.ClinicalTrialProtocolName,
        Tag.ClinicalTrialSiteID, Tag.ClinicalTrialSiteName, Tag.ClinicalTrialSubjectID, Tag.ClinicalTrialSubjectReadingID,
        Tag.ClinicalTrialTimePointID, Tag.PatientIdentityRemoved, Tag.DeidentificationMethod,
        Tag.DeidentificationMethodCodeSequence, Tag.StudyInstanceUID, Tag.StudyID,
    };

    private final Volume volume;
    private final SeriesInfo info;

    private DicomSeries(Volume volume, SeriesInfo info) {
        this.volume = volume;
        this.info = info;
    }

    /** The voxels: (columns, rows, slices), int16 or float32 rescaled values, RAS affine. */
    public Volume volume() {
        return volume;
    }

    public SeriesInfo info() {
        return info;
    }

    /** Groups parsed objects by SeriesInstanceUID, in order of first appearance; objects without one are refused. */
    public static Map<String, List<DicomFile>> groupBySeries(List<DicomFile> files) {
        Map<String, List<DicomFile>> out = new LinkedHashMap<>();
        for (DicomFile f : files) {
            String uid = f.dataset().getString(Tag.SeriesInstanceUID);
            if (uid == null || uid.isEmpty()) {
                throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "object without SeriesInstanceUID");
            }
            out.computeIfAbsent(uid, k -> new ArrayList<>()).add(f);
        }
        return out;
    }

    /**
     * Reads every DICOM Part 10 file under a folder (recursively) or inside a .zip archive and
     * groups them by series. Files without the DICM prefix and DICOMDIR/objects without a
     * SeriesInstanceUID are skipped; a Part 10 file that fails to parse fails the scan (a
     * series silently missing a slice would be worse).
     */
    public static Map<String, List<DicomFile>> scan(Path folderOrZip) {
        List<DicomFile> found = new ArrayList<>();
        try {
            if (Files.isDirectory(folderOrZip)) {
                List<Path> paths;
                try (Stream<Path> s = Files.walk(folderOrZip)) {
                    paths = s.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path p : paths) {
                    addIfDicom(found, Files.readAllBytes(p));
                }
            } else {
                try (InputStream raw = Files.newInputStream(folderOrZip);
                     ZipInputStream zip = new ZipInputStream(new BufferedInputStream(raw))) {
                    ZipEntry e;
                    boolean any = false;
                    while ((e = zip.getNextEntry()) != null) {
                        any = true;
                        if (!e.isDirectory()) {
                            addIfDicom(found, zip.readAllBytes());
                        }
                    }
                    if (!any) {
                        throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "not a folder or a zip archive of DICOM files");
                    }
                }
            }
        } catch (IOException e) {
            throw new StunetException(ErrorCode.IO_FAILURE, "cannot read DICOM input: " + e.getMessage(), e);
        }
        return groupBySeries(found);
    }

    private static void addIfDicom(List<DicomFile> found, byte[] bytes) {
        if (bytes.length < 132 || bytes[128] != 'D' || bytes[129] != 'I' || bytes[130] != 'C' || bytes[131] != 'M') {
            return;
        }
        DicomFile f = DicomReader.read(bytes);
        String series = f.dataset().getString(Tag.SeriesInstanceUID);
        if (series != null && !series.isEmpty()) {
            found.add(f);
        }
    }

    /** Assembles the instances of one series (any order) into a volume; see the class comment for the rules. */
    public static DicomSeries assemble(List<DicomFile> instances) {
        if (instances.isEmpty()) {
            throw new InvalidDicomException(ErrorCode.INVALID_SERIES, "no instances to assemble");
        }
        try {
            return assembleChecked(instances);
        } catch (NumberFormatException e) {
            throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "a numeric attribute of the series does not parse", e);
        }
    }

    /**
     * One slice: a single-frame instance ({@code frameNumber} 0) or frame {@code frameNumber}
     * (from 1) of a multi-frame one, with its geometry and rescale.
     */
    private record Slice(DicomFile file, int frameNumber, int rows, int columns, double[] position, double[] orientation,
                         double[] spacing, double thickness, double tilt, double slope, double intercept) {
        int frameIndex() {
            return Math.max(0, frameNumber - 1);
        }
    }

    /** The slices of one instance: itself, or each frame of a multi-frame enhanced instance. */
    private static List<Slice> slicesOf(DicomFile f) {
        DicomDataset ds = f.dataset();
        String sop = ds.getString(Tag.SOPClassUID);
        int rows = ds.getInt(Tag.Rows, 0);
        int cols = ds.getInt(Tag.Columns, 0);
        if (sop != null && IMAGE_SOP_CLASSES.contains(sop)) {
            if (ds.getInt(Tag.NumberOfFrames, 1) != 1) {
                throw series("multi-frame instance of a single-frame SOP class");
            }
            return List.of(new Slice(f, 0, rows, cols, ds.getDoubles(Tag.ImagePositionPatient),
                    ds.getDoubles(Tag.ImageOrientationPatient), ds.getDoubles(Tag.PixelSpacing),
                    ds.getDouble(Tag.SliceThickness, Double.NaN), ds.getDouble(Tag.GantryDetectorTilt, 0),
                    ds.getDouble(Tag.RescaleSlope, 1), ds.getDouble(Tag.RescaleIntercept, 0)));
        }
        if (sop == null || !ENHANCED_SOP_CLASSES.contains(sop)) {
            throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "SOP class " + sop
                    + " is not a CT, MR or PET image storage class");
        }
        int frames = ds.getInt(Tag.NumberOfFrames, 0);
        List<DicomDataset> perFrame = ds.getSequence(Tag.PerFrameFunctionalGroupsSequence);
        if (frames < 1 || perFrame.size() != frames) {
            throw series("multi-frame instance with " + frames + " frames and " + perFrame.size() + " per-frame functional groups");
        }
        List<DicomDataset> sharedItems = ds.getSequence(Tag.SharedFunctionalGroupsSequence);
        DicomDataset shared = sharedItems.isEmpty() ? new DicomDataset() : sharedItems.get(0);
        List<Slice> out = new ArrayList<>(frames);
        for (int i = 0; i < frames; i++) {
            DicomDataset own = perFrame.get(i);
            DicomDataset measures = group(own, shared, Tag.PixelMeasuresSequence);
            DicomDataset rescale = group(own, shared, Tag.PixelValueTransformationSequence);
            DicomDataset ct = group(own, shared, Tag.CTAcquisitionDetailsSequence);
            out.add(new Slice(f, i + 1, rows, cols,
                    group(own, shared, Tag.PlanePositionSequence).getDoubles(Tag.ImagePositionPatient),
                    group(own, shared, Tag.PlaneOrientationSequence).getDoubles(Tag.ImageOrientationPatient),
                    measures.getDoubles(Tag.PixelSpacing), measures.getDouble(Tag.SliceThickness, Double.NaN),
                    ct.getDouble(Tag.GantryDetectorTilt, 0),
                    rescale.getDouble(Tag.RescaleSlope, 1), rescale.getDouble(Tag.RescaleIntercept, 0)));
        }
        return out;
    }

    /** The item of functional group {@code sequence}: the frame's own, else the shared one, else empty. */
    private static DicomDataset group(DicomDataset perFrame, DicomDataset shared, int sequence) {
        List<DicomDataset> own = perFrame.getSequence(sequence);
        if (!own.isEmpty()) {
            return own.get(0);
        }
        List<DicomDataset> common = shared.getSequence(sequence);
        return common.isEmpty() ? new DicomDataset() : common.get(0);
    }

    private static DicomSeries assembleChecked(List<DicomFile> instances) {
        DicomDataset first = instances.get(0).dataset();
        String seriesUid = first.getString(Tag.SeriesInstanceUID);
        List<Slice> slices = new ArrayList<>();
        for (DicomFile f : instances) {
            if (!seriesUid.equals(f.dataset().getString(Tag.SeriesInstanceUID))) {
                throw series("instances of more than one series");
            }
            slices.addAll(slicesOf(f));
        }
        Slice reference = slices.get(0);
        int rows = reference.rows();
        int cols = reference.columns();
        double[] iop = reference.orientation();
        double[] spacing = reference.spacing();
        if (iop == null || iop.length != 6) {
            throw series("ImageOrientationPatient missing or not 6 values");
        }
        if (spacing == null || spacing.length != 2 || !(spacing[0] > 0) || !(spacing[1] > 0)) {
            throw series("PixelSpacing missing or not 2 positive values");
        }
        double[] rowDir = unit(Arrays.copyOfRange(iop, 0, 3));
        double[] colDir = unit(Arrays.copyOfRange(iop, 3, 6));
        double[] normal = cross(rowDir, colDir);
        if (Math.abs(dot(rowDir, colDir)) > 1e-3 || norm(normal) < 0.99) {
            throw series("ImageOrientationPatient directions are not orthonormal");
        }
        for (Slice s : slices) {
            if (s.rows() != rows || s.columns() != cols) {
                throw series("slices of different sizes (" + rows + "x" + cols + " and " + s.rows() + "x" + s.columns() + ")");
            }
            double[] o = s.orientation();
            if (o == null || o.length != 6 || maxAbsDiff(o, iop) > ORIENTATION_TOLERANCE) {
                throw series("slices of different orientations");
            }
            double[] sp = s.spacing();
            if (sp == null || sp.length != 2 || maxAbsDiff(sp, spacing) > ORIENTATION_TOLERANCE) {
                throw series("slices of different pixel spacings");
            }
            double[] p = s.position();
            if (p == null || p.length != 3) {
                throw series("a slice without ImagePositionPatient");
            }
            if (Math.abs(s.tilt()) > 0.01) {
                throw series("gantry tilt of " + s.tilt() + " degrees");
            }
        }
        slices.sort(Comparator.comparingDouble(s -> dot(s.position(), normal)));
        int n = slices.size();
        double[] origin = slices.get(0).position();
        double sliceSpacing;
        double[] sliceVector;
        if (n == 1) {
            double thickness = Double.isNaN(reference.thickness()) ? 1 : reference.thickness();
            sliceSpacing = first.getDouble(Tag.SpacingBetweenSlices, thickness);
            if (!(sliceSpacing > 0)) {
                sliceSpacing = 1;
            }
            sliceVector = scale(normal, sliceSpacing);
        } else {
            double extent = dot(slices.get(n - 1).position(), normal) - dot(slices.get(0).position(), normal);
            sliceSpacing = extent / (n - 1);
            if (!(sliceSpacing > 1e-4)) {
                throw series("slices share one position (duplicates or several volumes in one series)");
            }
            double tolerance = Math.max(MIN_GAP_TOLERANCE_MM, GAP_TOLERANCE * sliceSpacing);
            for (int k = 1; k < n; k++) {
                double gap = dot(slices.get(k).position(), normal) - dot(slices.get(k - 1).position(), normal);
                if (Math.abs(gap - sliceSpacing) > tolerance) {
                    throw series(String.format(java.util.Locale.ROOT,
                            "non-uniform slice spacing: gap %.4f mm between slices %d and %d, mean %.4f mm", gap, k - 1, k,
                            sliceSpacing));
                }
            }
            for (int k = 1; k < n; k++) {
                double[] d = sub(slices.get(k).position(), origin);
                double along = dot(d, normal);
                double off = norm(sub(d, scale(normal, along)));
                if (off > Math.max(MIN_GAP_TOLERANCE_MM, TILT_TOLERANCE * Math.abs(along))) {
                    throw series(String.format(java.util.Locale.ROOT,
                            "slice positions are not along the slice normal (gantry tilt): %.3f mm off at slice %d", off, k));
                }
            }
            sliceVector = scale(sub(slices.get(n - 1).position(), origin), 1.0 / (n - 1));
        }
        // LPS voxel-to-world, then x and y negated for RAS (NIfTI's convention).
        double[][] m = new double[4][4];
        for (int r = 0; r < 3; r++) {
            double sign = r < 2 ? -1 : 1;
            m[r][0] = sign * rowDir[r] * spacing[1];
            m[r][1] = sign * colDir[r] * spacing[0];
            m[r][2] = sign * sliceVector[r];
            m[r][3] = sign * origin[r];
        }
        m[3][3] = 1;
        Affine affine = Affine.fromRows(m);

        Volume volume = pixels(slices, rows, cols, affine);

        List<String> classes = new ArrayList<>(n);
        List<String> instancesUids = new ArrayList<>(n);
        List<Integer> frameNumbers = new ArrayList<>(n);
        List<double[]> positions = new ArrayList<>(n);
        for (Slice s : slices) {
            classes.add(s.file().dataset().getString(Tag.SOPClassUID));
            instancesUids.add(s.file().dataset().getString(Tag.SOPInstanceUID));
            frameNumbers.add(s.frameNumber());
            positions.add(s.position().clone());
        }
        DicomDataset firstSorted = slices.get(0).file().dataset();
        DicomDataset patientStudy = new DicomDataset();
        for (int tag : PATIENT_STUDY_TAGS) {
            DicomElement e = firstSorted.get(tag);
            if (e != null) {
                patientStudy.put(e);
            }
        }
        SeriesInfo info = new SeriesInfo(firstSorted.getString(Tag.StudyInstanceUID), seriesUid,
                firstSorted.getString(Tag.FrameOfReferenceUID), firstSorted.getString(Tag.Modality), rows, cols,
                iop.clone(), spacing.clone(), sliceSpacing,
                Double.isNaN(slices.get(0).thickness()) ? sliceSpacing : slices.get(0).thickness(),
                List.copyOf(positions), List.copyOf(classes), List.copyOf(instancesUids), List.copyOf(frameNumbers),
                patientStudy, affine);
        return new DicomSeries(volume, info);
    }

    /** Decodes and rescales every slice, in parallel; int16 when every value fits, float32 otherwise. */
    private static Volume pixels(List<Slice> slices, int rows, int cols, Affine affine) {
        int n = slices.size();
        int plane = rows * cols;
        if ((long) plane * n > Integer.MAX_VALUE - 8) {
            throw new InvalidDicomException(ErrorCode.VOLUME_TOO_LARGE, (long) plane * n + " voxels do not fit one array");
        }
        PixelData[] pixel = new PixelData[n];
        int[] frame = new int[n];
        double[] slope = new double[n];
        double[] inter = new double[n];
        boolean integral = true;
        java.util.Map<DicomFile, PixelData> byInstance = new java.util.IdentityHashMap<>();
        for (int k = 0; k < n; k++) {
            Slice s = slices.get(k);
            pixel[k] = byInstance.computeIfAbsent(s.file(), PixelData::of);
            if (pixel[k].samplesPerPixel() != 1) {
                throw series("colour images are not assembled into a volume");
            }
            frame[k] = s.frameIndex();
            if (frame[k] >= pixel[k].frames()) {
                throw new InvalidDicomException(ErrorCode.INVALID_DICOM, "frame " + (frame[k] + 1) + " of "
                        + pixel[k].frames() + " in the pixel data");
            }
            slope[k] = s.slope();
            inter[k] = s.intercept();
            integral &= slope[k] == 1 && inter[k] == Math.rint(inter[k]);
        }
        if (integral) {
            short[] out = new short[plane * n];
            AtomicBoolean overflow = new AtomicBoolean();
            IntStream.range(0, n).parallel().forEach(k -> {
                if (!overflow.get() && !decodeInt16(pixel[k], frame[k], (int) inter[k], out, k * plane)) {
                    overflow.set(true);
                }
            });
            if (!overflow.get()) {
                return Volume.wrap(NiftiHeader.forGrid(cols, rows, n, affine, DataType.INT16), out);
            }
        }
        float[] out = new float[plane * n];
        IntStream.range(0, n).parallel().forEach(k -> decodeFloat(pixel[k], frame[k], slope[k], inter[k], out, k * plane));
        return Volume.wrap(NiftiHeader.forGrid(cols, rows, n, affine, DataType.FLOAT32), out);
    }

    private static boolean decodeInt16(PixelData p, int frame, int intercept, short[] out, int at) {
        ByteBuffer f = p.frame(frame);
        int count = p.rows() * p.columns();
        int bps = p.bytesPerSample();
        for (int i = 0; i < count; i++) {
            int v = p.signedSample(sample(f, i, bps)) + intercept;
            if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
                return false;
            }
            out[at + i] = (short) v;
        }
        return true;
    }

    private static void decodeFloat(PixelData p, int frame, double slope, double intercept, float[] out, int at) {
        ByteBuffer f = p.frame(frame);
        int count = p.rows() * p.columns();
        int bps = p.bytesPerSample();
        boolean unsigned32 = bps == 4 && p.pixelRepresentation() == 0;
        for (int i = 0; i < count; i++) {
            int raw = p.signedSample(sample(f, i, bps));
            double v = unsigned32 ? raw & 0xffffffffL : raw;
            out[at + i] = (float) (v * slope + intercept);
        }
    }

    private static int sample(ByteBuffer f, int i, int bps) {
        return switch (bps) {
            case 1 -> f.get(i) & 0xff;
            case 2 -> f.getShort(2 * i) & 0xffff;
            default -> f.getInt(4 * i);
        };
    }

    private static InvalidDicomException series(String message) {
        return new InvalidDicomException(ErrorCode.INVALID_SERIES, message);
    }

    private static double[] unit(double[] v) {
        double n = norm(v);
        if (!(n > 0.5)) {
            throw series("ImageOrientationPatient direction is not a unit vector");
        }
        return scale(v, 1 / n);
    }

    private static double dot(double[] a, double[] b) {
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    private static double[] sub(double[] a, double[] b) {
        return new double[] {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    }

    private static double[] scale(double[] a, double s) {
        return new double[] {a[0] * s, a[1] * s, a[2] * s};
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
