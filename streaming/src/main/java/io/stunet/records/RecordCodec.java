package io.stunet.records;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.InvalidRecordException;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place where pipeline records become JSON and back. Every document starts with
 * {@code "schema"} and {@code "version"}, followed by the record's components. Decoding is
 * strict: unknown schema or version, unknown or missing fields, or malformed JSON all raise
 * {@link InvalidRecordException} ({@code INVALID_RECORD}), which a stage turns into a dead
 * letter. A schema change that is not purely additive gets a new version number here.
 */
public final class RecordCodec {
    /** Wire identity of a record type. */
    public record Schema(String name, int version, Class<? extends StunetRecord> type) {
    }

    private static final List<Schema> SCHEMAS = List.of(
            new Schema("stunet.case.submitted", 1, CaseSubmitted.class),
            new Schema("stunet.tile.requested", 1, TileRequested.class),
            new Schema("stunet.tile.segmented", 1, TileSegmented.class),
            new Schema("stunet.case.completed", 1, CaseCompleted.class),
            new Schema("stunet.case.status", 1, CaseStatus.class),
            new Schema("stunet.dead.letter", 1, DeadLetter.class));

    private static final Map<Class<?>, Schema> BY_TYPE = new LinkedHashMap<>();
    private static final Map<String, Schema> BY_NAME = new LinkedHashMap<>();

    static {
        for (Schema s : SCHEMAS) {
            BY_TYPE.put(s.type(), s);
            BY_NAME.put(s.name(), s);
        }
    }

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private RecordCodec() {
    }

    /** Every schema this build reads and writes. */
    public static List<Schema> schemas() {
        return SCHEMAS;
    }

    /** The schema of a record type. */
    public static Schema schemaOf(Class<? extends StunetRecord> type) {
        Schema s = BY_TYPE.get(type);
        if (s == null) {
            throw new IllegalArgumentException("not a pipeline record type: " + type.getName());
        }
        return s;
    }

    /** UTF-8 JSON of a record, schema and version first. */
    public static byte[] encode(StunetRecord record) {
        Schema s = schemaOf(record.getClass());
        ObjectNode out = MAPPER.createObjectNode();
        out.put("schema", s.name());
        out.put("version", s.version());
        out.setAll((ObjectNode) MAPPER.valueToTree(record));
        try {
            return MAPPER.writeValueAsBytes(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("records are always serializable", e);
        }
    }

    /** Decodes a record whose type is known from the topic; any other schema is an error. */
    public static <T extends StunetRecord> T decode(byte[] bytes, Class<T> type) {
        StunetRecord r = decode(bytes);
        if (!type.isInstance(r)) {
            throw new InvalidRecordException("expected schema " + schemaOf(type).name()
                    + " but got " + schemaOf(r.getClass()).name());
        }
        return type.cast(r);
    }

    /** Decodes any known record, dispatching on its schema name. */
    public static StunetRecord decode(byte[] bytes) {
        if (bytes == null) {
            throw new InvalidRecordException("record has no value");
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new InvalidRecordException("record is not valid JSON: " + firstLine(e), e);
        }
        if (!(tree instanceof ObjectNode obj)) {
            throw new InvalidRecordException("record is not a JSON object");
        }
        JsonNode name = obj.remove("schema");
        JsonNode version = obj.remove("version");
        if (name == null || !name.isTextual()) {
            throw new InvalidRecordException("record has no schema name");
        }
        Schema s = BY_NAME.get(name.asText());
        if (s == null) {
            throw new InvalidRecordException("unknown record schema '" + printable(name.asText(), 64) + "'");
        }
        if (version == null || !version.isInt()) {
            throw new InvalidRecordException("record " + s.name() + " has no integer version");
        }
        if (version.asInt() != s.version()) {
            throw new InvalidRecordException("unsupported version " + version.asInt() + " of " + s.name()
                    + " (this build reads version " + s.version() + ")");
        }
        try {
            return MAPPER.treeToValue(obj, s.type());
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new InvalidRecordException("malformed " + s.name() + " record: " + firstLine(e), e);
        }
    }

    private static String firstLine(Exception e) {
        String m = e instanceof JsonProcessingException j && j.getOriginalMessage() != null
                ? j.getOriginalMessage() : String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return printable(nl < 0 ? m : m.substring(0, nl), 200);
    }

    /** Record content may be attacker-chosen; keep what goes into messages short and plain. */
    private static String printable(String s, int max) {
        String cut = s.length() > max ? s.substring(0, max) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
