package io.stunet.dicom;

import java.util.HashMap;
import java.util.Map;

/**
 * The tags the codec reads or writes, as {@code (group << 16) | element} ints, and their
 * VRs: the dictionary an implicit VR dataset needs to interpret or re-encode them. Tags not
 * listed here read as {@link Vr#UN} from implicit VR data (their bytes are kept as they are).
 */
public final class Tag {
    public static final int FileMetaInformationGroupLength = 0x00020000;
    public static final int FileMetaInformationVersion = 0x00020001;
    public static final int MediaStorageSOPClassUID = 0x00020002;
    public static final int MediaStorageSOPInstanceUID = 0x00020003;
    public static final int TransferSyntaxUID = 0x00020010;
    public static final int ImplementationClassUID = 0x00020012;
    public static final int ImplementationVersionName = 0x00020013;
    public static final int SpecificCharacterSet = 0x00080005;
    public static final int ImageType = 0x00080008;
    public static final int InstanceCreationDate = 0x00080012;
    public static final int InstanceCreationTime = 0x00080013;
    public static final int SOPClassUID = 0x00080016;
    public static final int SOPInstanceUID = 0x00080018;
    public static final int StudyDate = 0x00080020;
    public static final int SeriesDate = 0x00080021;
    public static final int AcquisitionDate = 0x00080022;
    public static final int ContentDate = 0x00080023;
    public static final int StudyTime = 0x00080030;
    public static final int SeriesTime = 0x00080031;
    public static final int ContentTime = 0x00080033;
    public static final int AccessionNumber = 0x00080050;
    public static final int IssuerOfAccessionNumberSequence = 0x00080051;
    public static final int Modality = 0x00080060;
    public static final int Manufacturer = 0x00080070;
    public static final int InstitutionName = 0x00080080;
    public static final int ReferringPhysicianName = 0x00080090;
    public static final int CodeValue = 0x00080100;
    public static final int CodingSchemeDesignator = 0x00080102;
    public static final int CodingSchemeVersion = 0x00080103;
    public static final int CodeMeaning = 0x00080104;
    public static final int TimezoneOffsetFromUTC = 0x00080201;
    public static final int StudyDescription = 0x00081030;
    public static final int ProcedureCodeSequence = 0x00081032;
    public static final int SeriesDescription = 0x0008103E;
    public static final int PhysiciansOfRecord = 0x00081048;
    public static final int NameOfPhysiciansReadingStudy = 0x00081060;
    public static final int AdmittingDiagnosesDescription = 0x00081080;
    public static final int ManufacturerModelName = 0x00081090;
    public static final int ReferencedPerformedProcedureStepSequence = 0x00081111;
    public static final int ReferencedSeriesSequence = 0x00081115;
    public static final int ReferencedPatientSequence = 0x00081120;
    public static final int ReferencedImageSequence = 0x00081140;
    public static final int ReferencedInstanceSequence = 0x0008114A;
    public static final int ReferencedSOPClassUID = 0x00081150;
    public static final int ReferencedSOPInstanceUID = 0x00081155;
    public static final int ReferencedFrameNumber = 0x00081160;
    public static final int SourceImageSequence = 0x00082112;
    public static final int DerivationDescription = 0x00082111;
    public static final int AnatomicRegionSequence = 0x00082218;
    public static final int DerivationImageSequence = 0x00089124;
    public static final int DerivationCodeSequence = 0x00089215;
    public static final int PurposeOfReferenceCodeSequence = 0x0040A170;
    public static final int PatientName = 0x00100010;
    public static final int PatientID = 0x00100020;
    public static final int IssuerOfPatientID = 0x00100021;
    public static final int TypeOfPatientID = 0x00100022;
    public static final int IssuerOfPatientIDQualifiersSequence = 0x00100024;
    public static final int PatientBirthDate = 0x00100030;
    public static final int PatientBirthTime = 0x00100032;
    public static final int PatientSex = 0x00100040;
    public static final int OtherPatientIDsSequence = 0x00101002;
    public static final int PatientAge = 0x00101010;
    public static final int PatientSize = 0x00101020;
    public static final int PatientWeight = 0x00101030;
    public static final int EthnicGroup = 0x00102160;
    public static final int PatientComments = 0x00104000;
    public static final int PatientIdentityRemoved = 0x00120062;
    public static final int DeidentificationMethod = 0x00120063;
    public static final int DeidentificationMethodCodeSequence = 0x00120064;
    public static final int ClinicalTrialSponsorName = 0x00120010;
    public static final int ClinicalTrialProtocolID = 0x00120020;
    public static final int ClinicalTrialProtocolName = 0x00120021;
    public static final int ClinicalTrialSiteID = 0x00120030;
    public static final int ClinicalTrialSiteName = 0x00120031;
    public static final int ClinicalTrialSubjectID = 0x00120040;
    public static final int ClinicalTrialSubjectReadingID = 0x00120042;
    public static final int ClinicalTrialTimePointID = 0x00120050;
    public static final int BodyPartExamined = 0x00180015;
    public static final int SliceThickness = 0x00180050;
    public static final int KVP = 0x00180060;
    public static final int SpacingBetweenSlices = 0x00180088;
    public static final int DeviceSerialNumber = 0x00181000;
    public static final int SoftwareVersions = 0x00181020;
    public static final int GantryDetectorTilt = 0x00181120;
    public static final int PatientPosition = 0x00185100;
    public static final int StudyInstanceUID = 0x0020000D;
    public static final int SeriesInstanceUID = 0x0020000E;
    public static final int StudyID = 0x00200010;
    public static final int SeriesNumber = 0x00200011;
    public static final int AcquisitionNumber = 0x00200012;
    public static final int InstanceNumber = 0x00200013;
    public static final int ImagePositionPatient = 0x00200032;
    public static final int ImageOrientationPatient = 0x00200037;
    public static final int FrameOfReferenceUID = 0x00200052;
    public static final int PositionReferenceIndicator = 0x00201040;
    public static final int SliceLocation = 0x00201041;
    public static final int DimensionOrganizationUID = 0x00209164;
    public static final int DimensionOrganizationSequence = 0x00209221;
    public static final int DimensionIndexSequence = 0x00209222;
    public static final int DimensionIndexPointer = 0x00209165;
    public static final int FunctionalGroupPointer = 0x00209167;
    public static final int DimensionDescriptionLabel = 0x00209421;
    public static final int FrameContentSequence = 0x00209111;
    public static final int PlanePositionSequence = 0x00209113;
    public static final int PlaneOrientationSequence = 0x00209116;
    public static final int DimensionIndexValues = 0x00209157;
    public static final int SharedFunctionalGroupsSequence = 0x52009229;
    public static final int PerFrameFunctionalGroupsSequence = 0x52009230;
    public static final int PixelMeasuresSequence = 0x00289110;
    public static final int PixelValueTransformationSequence = 0x00289145;
    public static final int CTAcquisitionDetailsSequence = 0x00189304;
    public static final int SamplesPerPixel = 0x00280002;
    public static final int PhotometricInterpretation = 0x00280004;
    public static final int PlanarConfiguration = 0x00280006;
    public static final int NumberOfFrames = 0x00280008;
    public static final int Rows = 0x00280010;
    public static final int Columns = 0x00280011;
    public static final int PixelSpacing = 0x00280030;
    public static final int BitsAllocated = 0x00280100;
    public static final int BitsStored = 0x00280101;
    public static final int HighBit = 0x00280102;
    public static final int PixelRepresentation = 0x00280103;
    public static final int WindowCenter = 0x00281050;
    public static final int WindowWidth = 0x00281051;
    public static final int RescaleIntercept = 0x00281052;
    public static final int RescaleSlope = 0x00281053;
    public static final int RescaleType = 0x00281054;
    public static final int LossyImageCompression = 0x00282110;
    public static final int ContentLabel = 0x00700080;
    public static final int ContentDescription = 0x00700081;
    public static final int ContentCreatorName = 0x00700084;
    public static final int SegmentationType = 0x00620001;
    public static final int SegmentSequence = 0x00620002;
    public static final int SegmentedPropertyCategoryCodeSequence = 0x00620003;
    public static final int SegmentNumber = 0x00620004;
    public static final int SegmentLabel = 0x00620005;
    public static final int SegmentDescription = 0x00620006;
    public static final int SegmentAlgorithmType = 0x00620008;
    public static final int SegmentAlgorithmName = 0x00620009;
    public static final int SegmentIdentificationSequence = 0x0062000A;
    public static final int ReferencedSegmentNumber = 0x0062000B;
    public static final int RecommendedDisplayCIELabValue = 0x0062000D;
    public static final int SegmentedPropertyTypeCodeSequence = 0x0062000F;
    public static final int SegmentedPropertyTypeModifierCodeSequence = 0x00620011;
    public static final int PixelData = 0x7FE00010;
    public static final int Item = 0xFFFEE000;
    public static final int ItemDelimitationItem = 0xFFFEE00D;
    public static final int SequenceDelimitationItem = 0xFFFEE0DD;

    private static final Map<Integer, Vr> VRS = new HashMap<>();

    static {
        Map<Integer, Vr> m = VRS;
        m.put(0x00020000, Vr.UL);
        m.put(0x00020001, Vr.OB);
        m.put(0x00020002, Vr.UI);
        m.put(0x00020003, Vr.UI);
        m.put(0x00020010, Vr.UI);
        m.put(0x00020012, Vr.UI);
        m.put(0x00020013, Vr.SH);
        m.put(0x00080005, Vr.CS);
        m.put(0x00080008, Vr.CS);
        m.put(0x00080012, Vr.DA);
        m.put(0x00080013, Vr.TM);
        m.put(0x00080016, Vr.UI);
        m.put(0x00080018, Vr.UI);
        m.put(0x00080020, Vr.DA);
        m.put(0x00080021, Vr.DA);
        m.put(0x00080022, Vr.DA);
        m.put(0x00080023, Vr.DA);
        m.put(0x00080030, Vr.TM);
        m.put(0x00080031, Vr.TM);
        m.put(0x00080033, Vr.TM);
        m.put(0x00080050, Vr.SH);
        m.put(0x00080051, Vr.SQ);
        m.put(0x00080060, Vr.CS);
        m.put(0x00080070, Vr.LO);
        m.put(0x00080080, Vr.LO);
        m.put(0x00080090, Vr.PN);
        m.put(0x00080100, Vr.SH);
        m.put(0x00080102, Vr.SH);
        m.put(0x00080103, Vr.SH);
        m.put(0x00080104, Vr.LO);
        m.put(0x00080201, Vr.SH);
        m.put(0x00081030, Vr.LO);
        m.put(0x00081032, Vr.SQ);
        m.put(0x0008103E, Vr.LO);
        m.put(0x00081048, Vr.PN);
        m.put(0x00081060, Vr.PN);
        m.put(0x00081080, Vr.LO);
        m.put(0x00081090, Vr.LO);
        m.put(0x00081111, Vr.SQ);
        m.put(0x00081115, Vr.SQ);
        m.put(0x00081120, Vr.SQ);
        m.put(0x00081140, Vr.SQ);
        m.put(0x0008114A, Vr.SQ);
        m.put(0x00081150, Vr.UI);
        m.put(0x00081155, Vr.UI);
        m.put(0x00081160, Vr.IS);
        m.put(0x00082112, Vr.SQ);
        m.put(0x00082111, Vr.ST);
        m.put(0x00082218, Vr.SQ);
        m.put(0x00089124, Vr.SQ);
        m.put(0x00089215, Vr.SQ);
        m.put(0x0040A170, Vr.SQ);
        m.put(0x00100010, Vr.PN);
        m.put(0x00100020, Vr.LO);
        m.put(0x00100021, Vr.LO);
        m.put(0x00100022, Vr.CS);
        m.put(0x00100024, Vr.SQ);
        m.put(0x00100030, Vr.DA);
        m.put(0x00100032, Vr.TM);
        m.put(0x00100040, Vr.CS);
        m.put(0x00101002, Vr.SQ);
        m.put(0x00101010, Vr.AS);
        m.put(0x00101020, Vr.DS);
        m.put(0x00101030, Vr.DS);
        m.put(0x00102160, Vr.SH);
        m.put(0x00104000, Vr.LT);
        m.put(0x00120062, Vr.CS);
        m.put(0x00120063, Vr.LO);
        m.put(0x00120064, Vr.SQ);
        m.put(0x00120010, Vr.LO);
        m.put(0x00120020, Vr.LO);
        m.put(0x00120021, Vr.LO);
        m.put(0x00120030, Vr.LO);
        m.put(0x00120031, Vr.LO);
        m.put(0x00120040, Vr.LO);
        m.put(0x00120042, Vr.LO);
        m.put(0x00120050, Vr.LO);
        m.put(0x00180015, Vr.CS);
        m.put(0x00180050, Vr.DS);
        m.put(0x00180060, Vr.DS);
        m.put(0x00180088, Vr.DS);
        m.put(0x00181000, Vr.LO);
        m.put(0x00181020, Vr.LO);
        m.put(0x00181120, Vr.DS);
        m.put(0x00185100, Vr.CS);
        m.put(0x0020000D, Vr.UI);
        m.put(0x0020000E, Vr.UI);
        m.put(0x00200010, Vr.SH);
        m.put(0x00200011, Vr.IS);
        m.put(0x00200012, Vr.IS);
        m.put(0x00200013, Vr.IS);
        m.put(0x00200032, Vr.DS);
        m.put(0x00200037, Vr.DS);
        m.put(0x00200052, Vr.UI);
        m.put(0x00201040, Vr.LO);
        m.put(0x00201041, Vr.DS);
        m.put(0x00209164, Vr.UI);
        m.put(0x00209221, Vr.SQ);
        m.put(0x00209222, Vr.SQ);
        m.put(0x00209165, Vr.AT);
        m.put(0x00209167, Vr.AT);
        m.put(0x00209421, Vr.LO);
        m.put(0x00209111, Vr.SQ);
        m.put(0x00209113, Vr.SQ);
        m.put(0x00209116, Vr.SQ);
        m.put(0x00209157, Vr.UL);
        m.put(0x52009229, Vr.SQ);
        m.put(0x52009230, Vr.SQ);
        m.put(0x00289110, Vr.SQ);
        m.put(0x00280002, Vr.US);
        m.put(0x00280004, Vr.CS);
        m.put(0x00280006, Vr.US);
        m.put(0x00280008, Vr.IS);
        m.put(0x00280010, Vr.US);
        m.put(0x00280011, Vr.US);
        m.put(0x00280030, Vr.DS);
        m.put(0x00280100, Vr.US);
        m.put(0x00280101, Vr.US);
        m.put(0x00280102, Vr.US);
        m.put(0x00280103, Vr.US);
        m.put(0x00281050, Vr.DS);
        m.put(0x00281051, Vr.DS);
        m.put(0x00281052, Vr.DS);
        m.put(0x00281053, Vr.DS);
        m.put(0x00281054, Vr.LO);
        m.put(0x00282110, Vr.CS);
        m.put(0x00700080, Vr.CS);
        m.put(0x00700081, Vr.LO);
        m.put(0x00700084, Vr.PN);
        m.put(0x00620001, Vr.CS);
        m.put(0x00620002, Vr.SQ);
        m.put(0x00620003, Vr.SQ);
        m.put(0x00620004, Vr.US);
        m.put(0x00620005, Vr.LO);
        m.put(0x00620006, Vr.ST);
        m.put(0x00620008, Vr.CS);
        m.put(0x00620009, Vr.LO);
        m.put(0x0062000A, Vr.SQ);
        m.put(0x0062000B, Vr.US);
        m.put(0x0062000D, Vr.US);
        m.put(0x0062000F, Vr.SQ);
        m.put(0x00620011, Vr.SQ);
        m.put(0x7FE00010, Vr.OW);
        m.put(0xFFFEE000, Vr.UN);
        m.put(0xFFFEE00D, Vr.UN);
        m.put(0xFFFEE0DD, Vr.UN);
    }

    private Tag() {
    }

    /** The dictionary VR of a tag: group lengths are UL, listed tags their VR, others UN. */
    public static Vr vrOf(int tag) {
        if ((tag & 0xffff) == 0) {
            return Vr.UL;
        }
        Vr v = VRS.get(tag);
        if (v == null && ((tag >>> 16) & 1) == 0) {
            v = Dictionary.VRS.get(tag);
        }
        return v == null ? Vr.UN : v;
    }

    /** The full PS3.6 tag-to-VR table, loaded on first use of a tag not listed above. */
    private static final class Dictionary {
        static final Map<Integer, Vr> VRS = load();

        private static Map<Integer, Vr> load() {
            Map<Integer, Vr> m = new HashMap<>(8192);
            try (java.io.InputStream in = Tag.class.getResourceAsStream("dictionary.txt")) {
                if (in == null) {
                    throw new IllegalStateException("dictionary.txt missing from the classpath");
                }
                String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
                for (String line : text.split("\n")) {
                    if (line.length() >= 11 && line.charAt(0) != '#') {
                        m.put((int) Long.parseLong(line.substring(0, 8), 16), Vr.valueOf(line.substring(9, 11)));
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return m;
        }
    }

    /** {@code (gggg,eeee)} in upper-case hex, for messages. */
    public static String toString(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xffff);
    }
}
