package io.stunet.dicom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import io.stunet.geometry.Affine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@link SeriesInfo} as a JSON document ({@code "schema": "stunet.dicom-series"}), the form in
 * which a DICOM case's source description travels from ingest to postprocess through the
 * blob store. Doubles are written in full precision; the patient/study elements are kept raw
 * as one explicit VR little endian data set in base64, so character sets and values reach
 * the SEG exactly as read. It holds patient data: it belongs in the blob store only, never in
 * records or logs.
 */
public final class SeriesInfoJson {
    public static final String SCHEMA = "stunet.dicom-series";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SeriesInfoJson() {
    }

    public static byte[] encode(SeriesInfo s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("schema", SCHEMA).put("schemaVersion", 1);
        o.put("studyInstanceUid", s.studyInstanceUid()).put("seriesInstanceUid", s.seriesInstanceUid())
                .put("frameOfReferenceUid", s.frameOfReferenceUid()).put("modality", s.modality())
                .put("rows", s.rows()).put("columns", s.columns())
                .put("sliceSpacing", s.sliceSpacing()).put("sliceThickness", s.sliceThickness());
        doubles(o.putArray("orientation"), s.orientation());
        doubles(o.putArray("pixelSpacing"), s.pixelSpacing());
        doubles(o.putArray("affine"), s.affine().toArray());
        ArrayNode positions = o.putArray("positions");
        s.positions().forEach(p -> doubles(positions.addArray(), p));
        s.sopClassUids().forEach(o.putArray("sopClassUids")::add);
        s.sopInstanceUids().forEach(o.putArray("sopInstanceUids")::add);
        s.frameNumbers().forEach(o.putArray("frameNumbers")::add);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        DicomWriter.writeDataset(raw, s.patientStudy());
        o.put("patientStudy", Base64.getEncoder().encodeToString(raw.toByteArray()));
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new StunetException(ErrorCode.INTERNAL, "cannot encode the series description", e);
        }
    }

    /** Parses {@link #encode}'s output; {@code INVALID_RECORD} when it is not one. */
    public static SeriesInfo decode(byte[] json) {
        try {
            JsonNode o = JSON.readTree(json);
            if (o == null || !SCHEMA.equals(o.path("schema").asText())) {
                throw new StunetException(ErrorCode.INVALID_RECORD, "not a " + SCHEMA + " document");
            }
            List<double[]> positions = new ArrayList<>();
            o.get("positions").forEach(p -> positions.add(doubles(p)));
            List<String> classes = new ArrayList<>();
            o.get("sopClassUids").forEach(u -> classes.add(u.asText()));
            List<String> instances = new ArrayList<>();
            o.get("sopInstanceUids").forEach(u -> instances.add(u.asText()));
            // Documents written before multi-frame sources were assembled have no frame numbers: all single-frame.
            List<Integer> frames = new ArrayList<>();
            if (o.has("frameNumbers")) {
                o.get("frameNumbers").forEach(u -> frames.add(u.asInt()));
            } else {
                instances.forEach(u -> frames.add(0));
            }
            DicomDataset patientStudy = DicomReader.readDataset(Base64.getDecoder().decode(o.get("patientStudy").asText()),
                    TransferSyntax.EXPLICIT_LE.uid()).dataset();
            return new SeriesInfo(text(o, "studyInstanceUid"), text(o, "seriesInstanceUid"), text(o, "frameOfReferenceUid"),
                    text(o, "modality"), o.get("rows").asInt(), o.get("columns").asInt(), doubles(o.get("orientation")),
                    doubles(o.get("pixelSpacing")), o.get("sliceSpacing").asDouble(), o.get("sliceThickness").asDouble(),
                    List.copyOf(positions), List.copyOf(classes), List.copyOf(instances), List.copyOf(frames), patientStudy,
                    Affine.of(doubles(o.get("affine"))));
        } catch (IOException | RuntimeException e) {
            if (e instanceof StunetException s && s.code() == ErrorCode.INVALID_RECORD) {
                throw s;
            }
            throw new StunetException(ErrorCode.INVALID_RECORD, "unreadable series description: " + e.getClass().getSimpleName(), e);
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static void doubles(ArrayNode a, double[] v) {
        for (double d : v) {
            a.add(d);
        }
    }

    private static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }
}
