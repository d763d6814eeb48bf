package io.stunet.records;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidRecordException;
import io.stunet.error.StunetException;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place where pipeline records become JSON and back. Every document starts with
 * {@code "schema"} and {@code "version"} (the schema's MAJOR version), then an optional
 * {@code "minor"} (absent means 0), then the record's components.
 *
 * <p>Versioning lets producers and consumers of adjacent releases share a topic during a
 * rolling upgrade. A MINOR bump is additive: new optional fields only, which older readers
 * ignore, so any minor of the major this build reads is accepted and unknown fields are
 * dropped. A MAJOR bump (a field removed, renamed, retyped or made required, or a new enum
 * constant) is refused with {@code UNSUPPORTED_RECORD_VERSION}, which a stage turns into a
 * dead letter that can be replayed once every consumer reads the new major. Everything
 * else that is wrong (malformed JSON, unknown schema, a missing required field, an
 * invariant broken) raises {@link InvalidRecordException} ({@code INVALID_RECORD}).
 * "minor" is written only when above 0, so documents of minor 0 are exactly what releases
 * before this scheme wrote and strictly read.
 */
public final class RecordCodec {
    /** Wire identity of a record type: name, the major version this build reads and writes, and its minor. */
    public record Schema(String name, int major, int minor, Class<? extends StunetRecord> type) {
    }

    private static final List<Schema> SCHEMAS = List.of(
            new Schema("stunet.case.submitted", 1, 0, CaseSubmitted.class),
            new Schema("stunet.tile.requested", 1, 0, TileRequested.class),
            new Schema("stunet.tile.segmented", 1, 0, TileSegmented.class),
            new Schema("stunet.case.completed", 1, 0, CaseCompleted.class),
            new Schema("stunet.case.status", 1, 0, CaseStatus.class),
            new Schema("stunet.dead.letter", 1, 0, DeadLetter.class));

    private static final Map<Class<?>, Schema> BY_TYPE = new LinkedHashMap<>();
    private static final Map<String, Schema> BY_NAME = new LinkedHashMap<>();

    static {
        for (Schema s : SCHEMAS) {
            BY_TYPE.put(s.type(), s);
            BY_NAME.put(s.name(), s);
        }
    }

    /** Lenient about unknown fields (additive minors), strict about everything else. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
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
        out.put("version", s.major());
        if (s.minor() > 0) {
            out.put("minor", s.minor());
        }
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
        JsonNode minor = obj.remove("minor");
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
        if (minor != null && (!minor.isInt() || minor.asInt() < 0)) {
            throw new InvalidRecordException("record " + s.name() + " has a minor version that is not a non-negative integer");
        }
        if (version.asInt() != s.major()) {
            throw new StunetException(ErrorCode.UNSUPPORTED_RECORD_VERSION, "unsupported major version "
                    + version.asInt() + (minor == null ? "" : "." + minor.asInt()) + " of " + s.name()
                    + " (this build reads major " + s.major() + ", any minor)");
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
