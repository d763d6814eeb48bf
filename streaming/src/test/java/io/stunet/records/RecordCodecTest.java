package io.stunet.records;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stunet.error.ErrorCode;
import io.stunet.error.InvalidRecordException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RecordCodecTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CASE = CaseIds.derive("ab".repeat(32), "cd".repeat(32), Map.of("tta", "true"));
    private static final BlobRef VOLUME = new BlobRef("cases/" + CASE + "/preprocessed.f32", 4096, "ef".repeat(32));
    private static final BlobRef META = new BlobRef("cases/" + CASE + "/preprocessed.json", 512, "01".repeat(32));

    static List<StunetRecord> samples() {
        return List.of(
                new CaseSubmitted(CASE, new BlobRef("cases/" + CASE + "/input.nii.gz", 1234, "aa".repeat(32)),
                        "scan.nii.gz", "cd".repeat(32), Map.of("tta", "true", "device", "cpu"), 1_700_000_000_000L),
                new TileRequested(CASE, 1, 3, 40, 80, 24, 96, List.of(1, 120, 64, 64), VOLUME, META, "cd".repeat(32)),
                new TileSegmented(CASE, 2, 3, 80, 120, new BlobRef("cases/" + CASE + "/slabs/2.labels", 99, "bb".repeat(32)),
                        "gpu0", 1234),
                new CaseCompleted(CASE, "scan.nii.gz", new BlobRef("cases/" + CASE + "/mask.nii.gz", 10, "cc".repeat(32)),
                        new BlobRef("cases/" + CASE + "/stats.json", 20, "dd".repeat(32)), 3, 1_700_000_000_500L),
                CaseStatus.of(CASE, CaseState.INFERRING, 0.5, "infer"),
                CaseStatus.failed(CASE, ErrorCode.INVALID_NIFTI, "bad magic", "preprocess"),
                new DeadLetter(CASE, "stunet.case.submitted", 2, 17, CASE,
                        Base64.getEncoder().encodeToString("{not json".getBytes(StandardCharsets.UTF_8)),
                        "preprocess", ErrorCode.INVALID_RECORD, "record is not valid JSON", 1, 1_700_000_001_000L));
    }

    @Test
    void everyRecordTypeSurvivesARoundTrip() {
        List<StunetRecord> samples = samples();
        assertEquals(RecordCodec.schemas().stream().map(RecordCodec.Schema::type).collect(Collectors.toSet()),
                samples.stream().map(Object::getClass).collect(Collectors.toSet()), "samples cover every schema");
        for (StunetRecord r : samples) {
            byte[] bytes = RecordCodec.encode(r);
            assertEquals(r, RecordCodec.decode(bytes));
            assertEquals(r, RecordCodec.decode(bytes, r.getClass()));
        }
    }

    @Test
    void documentsStartWithSchemaNameAndVersion() throws Exception {
        for (StunetRecord r : samples()) {
            JsonNode tree = JSON.readTree(RecordCodec.encode(r));
            List<String> fields = iteratorToList(tree.fieldNames());
            assertEquals(List.of("schema", "version"), fields.subList(0, 2));
            RecordCodec.Schema s = RecordCodec.schemaOf(r.getClass());
            assertEquals(s.name(), tree.get("schema").asText());
            assertEquals(s.major(), tree.get("version").asInt());
            assertEquals(0, s.minor(), "minor 0 is not written, so previous releases read these documents");
            Set<String> components = java.util.Arrays.stream(r.getClass().getRecordComponents())
                    .map(java.lang.reflect.RecordComponent::getName).collect(Collectors.toSet());
            assertEquals(components, Set.copyOf(fields.subList(2, fields.size())));
        }
    }

    @Test
    void deadLetterCarriesTheOriginalBytes() {
        byte[] original = RecordCodec.encode(samples().get(1));
        DeadLetter d = new DeadLetter(CASE, "t", 0, 0, null, Base64.getEncoder().encodeToString(original),
                "infer", ErrorCode.ENGINE_FAILURE, "m", 3, 0);
        assertArrayEquals(original, ((DeadLetter) RecordCodec.decode(RecordCodec.encode(d))).originalValue());
    }

    @Test
    void malformedJsonIsAnInvalidRecord() {
        assertInvalid("{not json".getBytes(StandardCharsets.UTF_8), "not valid JSON");
        assertInvalid("[1,2]".getBytes(StandardCharsets.UTF_8), "not a JSON object");
        assertInvalid(new byte[]{(byte) 0xff, 0x00, 0x13}, "not valid JSON");
        assertInvalid(null, "no value");
    }

    @Test
    void unknownSchemaOrMissingVersionIsAnInvalidRecord() throws Exception {
        ObjectNode tile = (ObjectNode) JSON.readTree(RecordCodec.encode(samples().get(1)));
        assertInvalid(bytes(tile.deepCopy().put("schema", "stunet.something.else")), "unknown record schema");
        ObjectNode noVersion = tile.deepCopy();
        noVersion.remove("version");
        assertInvalid(bytes(noVersion), "no integer version");
        ObjectNode noSchema = tile.deepCopy();
        noSchema.remove("schema");
        assertInvalid(bytes(noSchema), "no schema name");
    }

    @Test
    void missingOrInconsistentFieldsAreInvalidRecords() throws Exception {
        ObjectNode tile = (ObjectNode) JSON.readTree(RecordCodec.encode(samples().get(1)));
        ObjectNode missing = tile.deepCopy();
        missing.remove("slabCount");
        assertInvalid(bytes(missing), "malformed stunet.tile.requested");
        assertInvalid(bytes(tile.deepCopy().put("slab", 7)), "malformed stunet.tile.requested");
        assertInvalid(bytes(tile.deepCopy().put("zEnd", 10)), "malformed stunet.tile.requested");
        assertInvalid(bytes(tile.deepCopy().put("slab", "one")), "malformed stunet.tile.requested");
    }

    @Test
    void aNewerMinorWithAdditionalFieldsIsReadAndTheFieldsIgnored() throws Exception {
        for (StunetRecord r : samples()) {
            ObjectNode doc = (ObjectNode) JSON.readTree(RecordCodec.encode(r));
            doc.put("minor", 7);
            doc.put("addedInMinor7", "x");
            doc.putObject("nested").put("deep", 1);
            assertEquals(r, RecordCodec.decode(bytes(doc), r.getClass()));
        }
        ObjectNode tile = (ObjectNode) JSON.readTree(RecordCodec.encode(samples().get(1)));
        ((ObjectNode) tile.get("volume")).put("storageClass", "cold");
        assertEquals(samples().get(1), RecordCodec.decode(bytes(tile)), "unknown fields of nested values are ignored too");
        assertInvalid(bytes(tile.deepCopy().put("minor", -1)), "minor version");
        assertInvalid(bytes(tile.deepCopy().put("minor", "2")), "minor version");
    }

    @Test
    void anotherMajorVersionIsUnsupportedNotInvalid() throws Exception {
        ObjectNode tile = (ObjectNode) JSON.readTree(RecordCodec.encode(samples().get(1)));
        for (int major : new int[]{0, 2, 3}) {
            io.stunet.error.StunetException e = assertThrows(io.stunet.error.StunetException.class,
                    () -> RecordCodec.decode(bytes(tile.deepCopy().put("version", major).put("minor", 1))));
            assertEquals(ErrorCode.UNSUPPORTED_RECORD_VERSION, e.code());
            assertEquals("unsupported major version " + major + ".1 of stunet.tile.requested (this build reads major 1, any minor)",
                    e.getMessage());
        }
    }

    @Test
    void typedDecodeRefusesAnotherSchema() {
        byte[] status = RecordCodec.encode(samples().get(4));
        InvalidRecordException e = assertThrows(InvalidRecordException.class,
                () -> RecordCodec.decode(status, TileRequested.class));
        assertEquals(ErrorCode.INVALID_RECORD, e.code());
    }

    @Test
    void tileKeysCarryTheCaseIdFirst() {
        TileRequested t = (TileRequested) samples().get(1);
        assertEquals(CASE + "/1", t.key());
        assertEquals(CASE, TileKey.caseIdOf(t.key()));
        assertEquals(CASE, TileKey.caseIdOf(CASE));
    }

    private static void assertInvalid(byte[] bytes, String messagePart) {
        InvalidRecordException e = assertThrows(InvalidRecordException.class, () -> RecordCodec.decode(bytes));
        assertEquals(ErrorCode.INVALID_RECORD, e.code());
        if (!e.getMessage().contains(messagePart)) {
            throw new AssertionError("message '" + e.getMessage() + "' lacks '" + messagePart + "'");
        }
    }

    private static byte[] bytes(JsonNode n) throws Exception {
        return JSON.writeValueAsBytes(n);
    }

    private static <T> List<T> iteratorToList(java.util.Iterator<T> it) {
        List<T> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
