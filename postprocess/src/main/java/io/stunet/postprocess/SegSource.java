package io.stunet.postprocess;

import io.stunet.dicom.DicomWriter;
import io.stunet.dicom.SegWriter;
import io.stunet.dicom.SeriesInfo;
import io.stunet.model.ModelCard;
import io.stunet.volume.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a case needs to be finished as a DICOM Segmentation too: the source series (its UIDs,
 * frame of reference, patient/study module, grid) and the software version written as the
 * SEG's SoftwareVersions, given by the caller (the build version) so this step reads no
 * resources. Segments are named by the model card's classes; their category and anatomic type
 * are the card's {@code classCodes} where it gives them, else SegWriter's generic tissue code.
 *
 * @param series          the source series, as {@code DicomSeries} assembled it
 * @param softwareVersion our version, for the SEG's equipment module
 */
public record SegSource(SeriesInfo series, String softwareVersion) {
    public SegSource {
        Objects.requireNonNull(series, "series");
        Objects.requireNonNull(softwareVersion, "softwareVersion");
    }

    /**
     * The SEG (Part 10 bytes) of a label volume on the series grid; empty when no class is
     * present (a Segmentation object needs at least one segment, so a case without findings
     * has no SEG).
     */
    Optional<byte[]> encode(Volume labels, ModelCard card) {
        boolean any = false;
        for (int i = 0, n = labels.frameSize(); i < n && !any; i++) {
            any = labels.rawValue(i) != 0;
        }
        if (!any) {
            return Optional.empty();
        }
        List<SegWriter.SegmentClass> classes = new ArrayList<>(card.classes().size());
        for (int label = 1; label < card.classes().size(); label++) {
            String name = card.classes().get(label);
            ModelCard.ClassCode coded = card.classCodes().get(name);
            classes.add(coded == null ? new SegWriter.SegmentClass(label, name)
                    : new SegWriter.SegmentClass(label, name, code(coded.category()), code(coded.type())));
        }
        String algorithm = "STU-Net " + card.name();
        return Optional.of(DicomWriter.toBytes(SegWriter.build(labels, series, classes, algorithm, softwareVersion)));
    }

    private static SegWriter.Code code(ModelCard.Code c) {
        return new SegWriter.Code(c.value(), c.scheme(), c.meaning());
    }
}
