package io.stunet.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.error.InvalidModelException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model card ({@code model.json}) of a model directory: everything inference needs to
 * know besides the TorchScript weights, as written by {@code python3 -m tools.stunet.export}
 * (schema in docs/architecture.md). {@link #load(Path)} validates the card completely, so a
 * card that loads is internally consistent (patch size divisible by the pooling, one
 * normalization entry per input channel, transposes that invert each other, ...). Every
 * spatial list is in {@code (z, y, x)} order after {@code transposeForward}.
 *
 * @param directory the model directory the card was read from
 * @param name model name
 * @param variant {@code S}, {@code B}, {@code L}, {@code H} or {@code custom}
 * @param architecture network shape (informational; the TorchScript file is authoritative)
 * @param inputChannels number of input channels (modalities)
 * @param classes name of each output channel, index = label value; size = network outputs
 * @param patchSize sliding-window patch {@code (z, y, x)}
 * @param targetSpacing spacing the network works at, mm {@code (z, y, x)}
 * @param transposeForward axis permutation applied after cropping
 * @param transposeBackward its inverse, applied at export
 * @param normalization one entry per input channel
 * @param cropToNonzero whether preprocessing crops to the nonzero bounding box
 * @param orientation whether inputs are reoriented to closest canonical RAS first
 * @param mirrorAxes axes test-time mirroring may flip (0 = z, 1 = y, 2 = x)
 * @param anisotropyThreshold spacing ratio above which resampling treats one axis separately
 * @param source provenance of the weights, or {@code null} when the card does not say
 * @param modelFileName TorchScript file name inside {@code directory}
 * @param modelSha256 expected sha256 of that file (lower-case hex), or {@code null}
 * @param classCodes optional coded concepts per class name (DICOM SEG segment category and
 *                   type); classes without an entry get a generic code
 */
public record ModelCard(
        Path directory,
        String name,
        String variant,
        Architecture architecture,
        int inputChannels,
        List<String> classes,
        List<Integer> patchSize,
        List<Double> targetSpacing,
        List<Integer> transposeForward,
        List<Integer> transposeBackward,
        List<Normalization> normalization,
        boolean cropToNonzero,
        Orientation orientation,
        List<Integer> mirrorAxes,
        double anisotropyThreshold,
        Source source,
        String modelFileName,
        String modelSha256,
        Map<String, ClassCode> classCodes) {

    /** Value of the {@code schema} field. */
    public static final String SCHEMA = "stunet.model";
    /** The only {@code schemaVersion} this reader understands. */
    public static final int SCHEMA_VERSION = 1;
    /** Name of the card inside a model directory. */
    public static final String CARD_FILE = "model.json";

    private static final Set<String> VARIANTS = Set.of("S", "B", "L", "H", "custom");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public ModelCard {
        classes = List.copyOf(classes);
        patchSize = List.copyOf(patchSize);
        targetSpacing = List.copyOf(targetSpacing);
        transposeForward = List.copyOf(transposeForward);
        transposeBackward = List.copyOf(transposeBackward);
        normalization = List.copyOf(normalization);
        mirrorAxes = List.copyOf(mirrorAxes);
        classCodes = classCodes == null ? Map.of() : Map.copyOf(classCodes);
    }

    /** A coded concept (DICOM CodeValue, CodingSchemeDesignator, CodeMeaning), e.g. SCT 10200004 "Liver". */
    public record Code(String value, String scheme, String meaning) {
    }

    /** How a class is coded in a DICOM SEG: its segmented property category and type. */
    public record ClassCode(Code category, Code type) {
    }

    /**
     * Network shape as recorded by the exporter. {@code depths} holds the residual blocks of
     * each stage (decoder stages mirror the encoder's); the card writes it as one integer when
     * all stages agree and as a list otherwise, and both read into this per-stage form.
     */
    public record Architecture(List<Integer> depths, List<Integer> dims, List<List<Integer>> poolKernels,
                               List<List<Integer>> convKernels) {
        public Architecture {
            depths = List.copyOf(depths);
            dims = List.copyOf(dims);
            poolKernels = poolKernels.stream().map(List::copyOf).toList();
            convKernels = convKernels.stream().map(List::copyOf).toList();
        }

        /** Per-axis factor every network input size must be a multiple of. */
        public int[] divisor() {
            int[] d = {1, 1, 1};
            for (List<Integer> k : poolKernels) {
                for (int a = 0; a < 3; a++) {
                    d[a] *= k.get(a);
                }
            }
            return d;
        }
    }

    /** Intensity normalization schemes of nnU-Net v1 (v2's CT / z-score map onto these). */
    public enum Scheme {
        /** Clip to the dataset's [0.5, 99.5] percentiles, then subtract the mean and divide by sd. */
        CT("CT"),
        /** Per-image z-score: {@code (x - mean) / (std + 1e-8)}. */
        NON_CT("nonCT");

        private final String json;

        Scheme(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }

        static Scheme parse(String value) {
            for (Scheme s : values()) {
                if (s.json.equals(value)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown normalization scheme '" + value + "' (CT, nonCT)");
        }
    }

    /**
     * Normalization of one input channel. {@code mean}, {@code sd}, {@code lowerBound} and
     * {@code upperBound} are the dataset statistics of a {@link Scheme#CT} channel and
     * {@code NaN} for {@link Scheme#NON_CT}.
     */
    public record Normalization(Scheme scheme, boolean useMaskForNorm, double mean, double sd,
                                double lowerBound, double upperBound) {
    }

    /** Orientation handling before preprocessing. */
    public enum Orientation {
        /** Reorient to closest canonical RAS+ (axis permutation and flips only). */
        RAS("RAS"),
        /** Use the stored voxel order as is. */
        NONE("none");

        private final String json;

        Orientation(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    /** Where the weights came from: {@code nnunet-v1}, {@code nnunet-v2} or {@code demo}. */
    public record Source(String format, String checkpoint, String sha256) {
    }

    /** Number of network outputs (label values {@code 0 .. numClasses()-1}). */
    public int numClasses() {
        return classes.size();
    }

    /** The TorchScript file. */
    public Path modelFile() {
        return directory.resolve(modelFileName);
    }

    public int[] patchSizeArray() {
        return patchSize.stream().mapToInt(Integer::intValue).toArray();
    }

    public double[] targetSpacingArray() {
        return targetSpacing.stream().mapToDouble(Double::doubleValue).toArray();
    }

    public int[] transposeForwardArray() {
        return transposeForward.stream().mapToInt(Integer::intValue).toArray();
    }

    public int[] transposeBackwardArray() {
        return transposeBackward.stream().mapToInt(Integer::intValue).toArray();
    }

    public int[] mirrorAxesArray() {
        return mirrorAxes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Reads and validates {@code modelDir/model.json}, checks that the model file exists
     *  and, when the card carries {@code modelSha256}, that its checksum matches. */
    public static ModelCard load(Path modelDir) {
        return load(modelDir, true);
    }

    /**
     * Like {@link #load(Path)}; {@code verifyChecksum = false} skips hashing the model file
     * (seconds for the multi-gigabyte variants) when the caller has verified it before.
     */
    public static ModelCard load(Path modelDir, boolean verifyChecksum) {
        Path cardFile = modelDir.resolve(CARD_FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(cardFile));
        } catch (NoSuchFileException e) {
            throw new InvalidModelException("model directory " + modelDir + " has no " + CARD_FILE, e);
        } catch (JsonProcessingException e) {
            throw new InvalidModelException(cardFile + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new InvalidModelException("cannot read " + cardFile + ": " + e.getMessage(), e);
        }
        ModelCard card = parse(root, modelDir, cardFile.toString());
        if (!Files.isRegularFile(card.modelFile())) {
            throw new InvalidModelException("model file " + card.modelFile() + " named by " + cardFile + " is missing");
        }
        if (verifyChecksum && card.modelSha256() != null) {
            String actual = sha256(card.modelFile());
            if (!actual.equals(card.modelSha256())) {
                throw new InvalidModelException("sha256 of " + card.modelFile() + " is " + actual
                        + " but " + cardFile + " expects " + card.modelSha256());
            }
        }
        return card;
    }

    /** Parses and validates a card held in memory (no file checks); {@code where} names it in errors. */
    public static ModelCard parse(JsonNode root, Path directory, String where) {
        Fields f = new Fields(root, where);
        String schema = f.string(root, "schema");
        if (!SCHEMA.equals(schema)) {
            throw f.error("schema is '" + schema + "', expected '" + SCHEMA + "'");
        }
        int version = f.integer(root, "schemaVersion");
        if (version != SCHEMA_VERSION) {
            throw f.error("schemaVersion " + version + " is not supported (this reader knows " + SCHEMA_VERSION + ")");
        }
        String name = f.string(root, "name");
        if (name.isBlank()) {
            throw f.error("name is empty");
        }
        String variant = f.string(root, "variant");
        if (!VARIANTS.contains(variant)) {
            throw f.error("variant '" + variant + "' is not one of " + VARIANTS);
        }
        Architecture architecture = parseArchitecture(f, f.object(root, "architecture"));
        int inputChannels = f.integer(root, "inputChannels");
        if (inputChannels < 1) {
            throw f.error("inputChannels must be at least 1, got " + inputChannels);
        }
        List<String> classes = f.strings(root, "classes");
        if (classes.isEmpty()) {
            throw f.error("classes is empty");
        }
        Set<String> seen = new HashSet<>();
        for (String c : classes) {
            if (c.isBlank() || !seen.add(c)) {
                throw f.error("class names must be non-empty and unique, offending name '" + c + "'");
            }
        }
        List<Integer> patch = f.ints(root, "patchSize", 3);
        int[] divisor = architecture.divisor();
        for (int a = 0; a < 3; a++) {
            if (patch.get(a) < 1 || patch.get(a) % divisor[a] != 0) {
                throw f.error("patchSize " + patch + " is not a positive multiple of the pooling divisor "
                        + List.of(divisor[0], divisor[1], divisor[2]));
            }
        }
        List<Double> spacing = f.doubles(root, "targetSpacing", 3);
        for (double s : spacing) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw f.error("targetSpacing " + spacing + " must be positive and finite");
            }
        }
        List<Integer> forward = f.ints(root, "transposeForward", 3);
        List<Integer> backward = f.ints(root, "transposeBackward", 3);
        checkPermutation(f, "transposeForward", forward);
        checkPermutation(f, "transposeBackward", backward);
        for (int a = 0; a < 3; a++) {
            if (backward.get(forward.get(a)) != a) {
                throw f.error("transposeBackward " + backward + " is not the inverse of transposeForward " + forward);
            }
        }
        JsonNode normNode = f.array(root, "normalization");
        if (normNode.size() != inputChannels) {
            throw f.error("normalization has " + normNode.size() + " entries for " + inputChannels + " input channels");
        }
        List<Normalization> normalization = new ArrayList<>();
        for (int c = 0; c < normNode.size(); c++) {
            normalization.add(parseNormalization(f, normNode.get(c), c));
        }
        boolean crop = f.bool(root, "cropToNonzero");
        String orientationText = f.string(root, "orientation");
        Orientation orientation = null;
        for (Orientation o : Orientation.values()) {
            if (o.json.equals(orientationText)) {
                orientation = o;
            }
        }
        if (orientation == null) {
            throw f.error("orientation '" + orientationText + "' is not 'RAS' or 'none'");
        }
        List<Integer> mirror = f.ints(root, "mirrorAxes", -1);
        if (mirror.size() > 3 || new HashSet<>(mirror).size() != mirror.size()
                || mirror.stream().anyMatch(a -> a < 0 || a > 2)) {
            throw f.error("mirrorAxes " + mirror + " must be distinct axes among 0, 1, 2");
        }
        double threshold = f.number(root, "anisotropyThreshold");
        if (!(threshold > 0) || Double.isInfinite(threshold)) {
            throw f.error("anisotropyThreshold must be positive, got " + threshold);
        }
        Source source = null;
        if (root.hasNonNull("source")) {
            JsonNode s = f.object(root, "source");
            source = new Source(f.string(s, "format"), f.string(s, "checkpoint"), f.string(s, "sha256"));
        }
        String modelFile = f.string(root, "modelFile");
        if (modelFile.isEmpty() || modelFile.contains("/") || modelFile.contains("\\") || modelFile.startsWith(".")) {
            throw f.error("modelFile '" + modelFile + "' must be a plain file name inside the model directory");
        }
        String sha = null;
        if (root.hasNonNull("modelSha256")) {
            sha = f.string(root, "modelSha256");
            if (!sha.matches("[0-9a-f]{64}")) {
                throw f.error("modelSha256 must be 64 lower-case hex digits");
            }
        }
        Map<String, ClassCode> codes = new LinkedHashMap<>();
        if (root.hasNonNull("classCodes")) {
            JsonNode c = f.object(root, "classCodes");
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) c::fields) {
                if (!classes.contains(e.getKey())) {
                    throw f.error("classCodes names '" + e.getKey() + "', which is not one of the classes");
                }
                if (!e.getValue().isObject()) {
                    throw f.error("classCodes." + e.getKey() + " must be an object");
                }
                codes.put(e.getKey(), new ClassCode(code(f, e.getValue(), "category", e.getKey()),
                        code(f, e.getValue(), "type", e.getKey())));
            }
        }
        return new ModelCard(directory, name, variant, architecture, inputChannels, classes, patch, spacing,
                forward, backward, normalization, crop, orientation, mirror, threshold, source, modelFile, sha, codes);
    }

    private static Code code(Fields f, JsonNode node, String field, String className) {
        JsonNode c = f.object(node, field);
        Code code = new Code(f.string(c, "value"), f.string(c, "scheme"), f.string(c, "meaning"));
        if (code.value().isBlank() || code.scheme().isBlank() || code.meaning().isBlank()) {
            throw f.error("classCodes." + className + "." + field + " needs a value, scheme and meaning");
        }
        return code;
    }

    private static Architecture parseArchitecture(Fields f, JsonNode node) {
        List<Integer> dims = f.ints(node, "dims", -1);
        if (dims.size() < 2 || dims.stream().anyMatch(d -> d < 1)) {
            throw f.error("architecture.dims " + dims + " needs at least two positive widths");
        }
        List<Integer> depths;
        if (node.path("depth").isArray()) {
            depths = f.ints(node, "depth", dims.size());
        } else {
            depths = Collections.nCopies(dims.size(), f.integer(node, "depth"));
        }
        if (depths.stream().anyMatch(d -> d < 1)) {
            throw f.error("architecture.depth " + node.get("depth") + " must give every stage at least 1 block");
        }
        List<List<Integer>> pools = f.intLists(node, "poolKernels");
        List<List<Integer>> convs = f.intLists(node, "convKernels");
        if (pools.size() != dims.size() - 1) {
            throw f.error("architecture.poolKernels has " + pools.size() + " entries for " + dims.size() + " stages");
        }
        if (convs.size() != dims.size()) {
            throw f.error("architecture.convKernels has " + convs.size() + " entries for " + dims.size() + " stages");
        }
        for (List<Integer> k : pools) {
            if (k.stream().anyMatch(v -> v < 1)) {
                throw f.error("architecture.poolKernels entry " + k + " must be positive");
            }
        }
        for (List<Integer> k : convs) {
            if (k.stream().anyMatch(v -> v < 1 || v % 2 == 0)) {
                throw f.error("architecture.convKernels entry " + k + " must be odd and positive");
            }
        }
        return new Architecture(depths, dims, pools, convs);
    }

    private static Normalization parseNormalization(Fields f, JsonNode node, int channel) {
        if (node == null || !node.isObject()) {
            throw f.error("normalization[" + channel + "] is not an object");
        }
        Scheme scheme;
        try {
            scheme = Scheme.parse(f.string(node, "scheme"));
        } catch (IllegalArgumentException e) {
            throw f.error("normalization[" + channel + "]: " + e.getMessage());
        }
        boolean useMask = f.bool(node, "useMaskForNorm");
        if (scheme == Scheme.NON_CT) {
            return new Normalization(scheme, useMask, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = f.number(node, "mean");
        double sd = f.number(node, "sd");
        double lower = f.number(node, "lowerBound");
        double upper = f.number(node, "upperBound");
        if (!(sd > 0) || !(lower <= upper) || !Double.isFinite(mean) || !Double.isFinite(sd)
                || !Double.isFinite(lower) || !Double.isFinite(upper)) {
            throw f.error("normalization[" + channel + "]: CT needs finite mean, sd > 0 and lowerBound <= upperBound");
        }
        return new Normalization(scheme, useMask, mean, sd, lower, upper);
    }

    private static void checkPermutation(Fields f, String field, List<Integer> p) {
        if (!new HashSet<>(p).equals(Set.of(0, 1, 2))) {
            throw f.error(field + " " + p + " is not a permutation of 0, 1, 2");
        }
    }

    /** Lower-case hex sha256 of a file, streamed. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new InvalidModelException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
        }
    }

    /** Typed field access with one error style: "{file}: field 'x' must be ...". */
    private record Fields(JsonNode root, String where) {
        Fields {
            if (root == null || !root.isObject()) {
                throw new InvalidModelException(where + ": the card must be a JSON object");
            }
        }

        InvalidModelException error(String message) {
            return new InvalidModelException(where + ": " + message);
        }

        private JsonNode required(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                throw error("required field '" + field + "' is missing");
            }
            return v;
        }

        String string(JsonNode node, String field) {
            JsonNode v = required(node, field);
            if (!v.isTextual()) {
                throw error("field '" + field + "' must be a string");
            }
            return v.textValue();
        }

        int integer(JsonNode node, String field) {
            JsonNode v = required(node, field);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw error("field '" + field + "' must be an integer");
            }
            return v.intValue();
        }

        double number(JsonNode node, String field) {
            JsonNode v = required(node, field);
            if (!v.isNumber()) {
                throw error("field '" + field + "' must be a number");
            }
            return v.doubleValue();
        }

        boolean bool(JsonNode node, String field) {
            JsonNode v = required(node, field);
            if (!v.isBoolean()) {
                throw error("field '" + field + "' must be true or false");
            }
            return v.booleanValue();
        }

        JsonNode object(JsonNode node, String field) {
            JsonNode v = required(node, field);
            if (!v.isObject()) {
                throw error("field '" + field + "' must be an object");
            }
            return v;
        }

        JsonNode array(JsonNode node, String field) {
            JsonNode v = required(node, field);
            if (!v.isArray()) {
                throw error("field '" + field + "' must be an array");
            }
            return v;
        }

        /** Integers of an array; {@code size < 0} accepts any length. */
        List<Integer> ints(JsonNode node, String field, int size) {
            JsonNode a = array(node, field);
            return intsOf(a, field, size);
        }

        private List<Integer> intsOf(JsonNode a, String field, int size) {
            if (size >= 0 && a.size() != size) {
                throw error("field '" + field + "' must have " + size + " entries, has " + a.size());
            }
            List<Integer> out = new ArrayList<>();
            for (JsonNode v : a) {
                if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                    throw error("field '" + field + "' must contain integers");
                }
                out.add(v.intValue());
            }
            return out;
        }

        List<List<Integer>> intLists(JsonNode node, String field) {
            List<List<Integer>> out = new ArrayList<>();
            for (JsonNode v : array(node, field)) {
                if (!v.isArray()) {
                    throw error("field '" + field + "' must contain arrays of 3 integers");
                }
                out.add(intsOf(v, field, 3));
            }
            return out;
        }

        List<Double> doubles(JsonNode node, String field, int size) {
            JsonNode a = array(node, field);
            if (a.size() != size) {
                throw error("field '" + field + "' must have " + size + " entries, has " + a.size());
            }
            List<Double> out = new ArrayList<>();
            for (JsonNode v : a) {
                if (!v.isNumber()) {
                    throw error("field '" + field + "' must contain numbers");
                }
                out.add(v.doubleValue());
            }
            return out;
        }

        List<String> strings(JsonNode node, String field) {
            List<String> out = new ArrayList<>();
            for (JsonNode v : array(node, field)) {
                if (!v.isTextual()) {
                    throw error("field '" + field + "' must contain strings");
                }
                out.add(v.textValue());
            }
            return out;
        }
    }
}
