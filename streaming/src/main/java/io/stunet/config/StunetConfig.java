package io.stunet.config;

import io.stunet.error.ErrorCode;
import io.stunet.error.StunetException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The service configuration: every key is a named {@link ConfigKey} constant here with a
 * documented default. Values come from, in increasing precedence: the defaults, one YAML
 * ({@code .yaml}/{@code .yml}, nested maps or dotted keys) or properties file, environment
 * variables ({@code STUNET_KAFKA_BOOTSTRAP} for {@code kafka.bootstrap}), and explicit
 * overrides (command-line options). Every value is checked at load time; an unknown key in
 * the file or a value of the wrong type or range fails with {@code INVALID_CONFIG} naming
 * the key, so a typo stops the service at start instead of being silently ignored.
 * docs/configuration.md holds {@link #markdownTable()}; a test keeps the two in step.
 *
 * <p>Keys under {@value #KAFKA_CLIENT_PREFIX} are the one open family: they are Kafka client
 * properties (security, TLS, timeouts) passed unchanged to every producer, consumer and
 * admin client ({@code kafka.client.security.protocol}, environment
 * {@code STUNET_KAFKA_CLIENT_SECURITY_PROTOCOL}), over those of the properties file named by
 * {@link #KAFKA_CLIENT_PROPERTIES}. Properties the pipeline's guarantees rest on cannot be
 * set this way, and values of credential-like properties are masked like secrets.
 */
public final class StunetConfig {
    private static final List<ConfigKey> KEYS = new ArrayList<>();

    private static ConfigKey key(String name, ConfigKey.Type type, String def, long min, String doc) {
        ConfigKey k = new ConfigKey(name, type, def, min, false, doc);
        KEYS.add(k);
        return k;
    }

    private static ConfigKey secret(String name, String doc) {
        ConfigKey k = new ConfigKey(name, ConfigKey.Type.STRING, "", 0, true, doc);
        KEYS.add(k);
        return k;
    }

    private static final ConfigKey.Type STRING = ConfigKey.Type.STRING;
    private static final ConfigKey.Type INT = ConfigKey.Type.INT;
    private static final ConfigKey.Type BOOLEAN = ConfigKey.Type.BOOLEAN;
    private static final ConfigKey.Type PATH = ConfigKey.Type.PATH;

    public static final ConfigKey KAFKA_BOOTSTRAP = key("kafka.bootstrap", STRING, "", 0,
            "Kafka bootstrap servers (`host:port,...`). Empty: start the embedded single-node broker.");
    public static final ConfigKey KAFKA_EMBEDDED_DIR = key("kafka.embedded.dir", PATH, "work/kafka", 0,
            "Data directory of the embedded broker; a restart with the same directory resumes.");
    public static final ConfigKey KAFKA_EMBEDDED_PORT = key("kafka.embedded.port", INT, "0", 0,
            "Client port of the embedded broker on 127.0.0.1; 0 picks a free port.");
    public static final ConfigKey KAFKA_CLIENT_PROPERTIES = key("kafka.client.properties", PATH, "", 0,
            "Java properties file of Kafka client properties (TLS, SASL) for every producer, consumer and admin client; "
                    + "`kafka.client.<property>` keys override its entries. Not used with the embedded broker.");
    public static final ConfigKey KAFKA_STARTUP_TIMEOUT_MS = key("kafka.startup.timeout.ms", INT, "60000", 100,
            "How long start-up waits for the broker: creating the topics and every partition having a leader.");
    public static final ConfigKey KAFKA_GROUP_PREFIX = key("kafka.group.prefix", STRING, "stunet", 0,
            "Consumer groups are `<prefix>-<stage>`; instances of one stage share a group.");
    public static final ConfigKey KAFKA_MAX_POLL_INTERVAL_MS = key("kafka.max.poll.interval.ms", INT, "300000", 1000,
            "Consumer `max.poll.interval.ms`. Stages poll continuously, even when paused, so the default is ample.");
    public static final ConfigKey KAFKA_SESSION_TIMEOUT_MS = key("kafka.session.timeout.ms", INT, "45000", 1000,
            "Consumer `session.timeout.ms`: how long a stage instance that died without leaving (kill -9, lost host) keeps its partitions; the broker bounds it by `group.min.session.timeout.ms` (6000 by default).");
    public static final ConfigKey KAFKA_HEARTBEAT_INTERVAL_MS = key("kafka.heartbeat.interval.ms", INT, "3000", 100,
            "Consumer `heartbeat.interval.ms`; keep it at most a third of `kafka.session.timeout.ms`.");
    public static final ConfigKey TOPICS_CASE_PARTITIONS = key("topics.partitions.case", INT, "4", 1,
            "Partitions of the case-keyed topics created at start-up (submitted, completed, status, dlq).");
    public static final ConfigKey TOPICS_TILE_PARTITIONS = key("topics.partitions.tile", INT, "12", 1,
            "Partitions of the slab-keyed topics (tile.requested, tile.segmented); caps parallel infer consumers.");
    public static final ConfigKey TOPICS_REPLICATION = key("topics.replication", INT, "1", 1,
            "Replication factor of topics created at start-up.");
    public static final ConfigKey TOPICS_CREATE = key("topics.create", BOOLEAN, "true", 0,
            "Create missing topics at start-up and wait for their leaders. `false` where the platform owns the topics "
                    + "(Strimzi `KafkaTopic`s) and each service may only touch its own topics (ACLs).");
    public static final ConfigKey STORE_TYPE = key("store.type", STRING, "local", 0,
            "Claim-check store: `local` (a directory, shared volume in a cluster) or `s3` (S3-compatible).");
    public static final ConfigKey STORE_LOCAL_ROOT = key("store.local.root", PATH, "work/blobs", 0,
            "Root directory of the local store.");
    public static final ConfigKey STORE_S3_ENDPOINT = key("store.s3.endpoint", STRING, "", 0,
            "Endpoint URL of an S3-compatible server (MinIO, ...). Empty: AWS S3 for the region.");
    public static final ConfigKey STORE_S3_REGION = key("store.s3.region", STRING, "us-east-1", 0,
            "Region used for request signing.");
    public static final ConfigKey STORE_S3_BUCKET = key("store.s3.bucket", STRING, "stunet", 0,
            "Bucket holding the blobs.");
    public static final ConfigKey STORE_S3_PATH_STYLE = key("store.s3.path.style", BOOLEAN, "true", 0,
            "Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need.");
    public static final ConfigKey STORE_S3_ACCESS_KEY = secret("store.s3.access.key",
            "Access key id. Empty: the AWS default credential chain (environment, profile, instance role).");
    public static final ConfigKey STORE_S3_SECRET_KEY = secret("store.s3.secret.key",
            "Secret access key, with `store.s3.access.key`.");
    public static final ConfigKey STORE_S3_CREATE_BUCKET = key("store.s3.create.bucket", BOOLEAN, "false", 0,
            "Create the bucket at start-up when it does not exist.");
    public static final ConfigKey STORE_S3_MULTIPART_THRESHOLD = key("store.s3.multipart.threshold", INT, "16777216", 1,
            "Blobs larger than this many bytes are uploaded in parts; smaller ones in one PUT.");
    public static final ConfigKey STORE_S3_PART_SIZE = key("store.s3.part.size", INT, "8388608", 5 * 1024 * 1024,
            "Part size of multipart uploads in bytes (S3 minimum 5 MiB); also the upload memory per blob.");
    public static final ConfigKey STAGE_MAX_IN_FLIGHT = key("stage.max.in.flight", INT, "8", 1,
            "Records a stage instance handles at once; its partitions pause at this bound.");
    public static final ConfigKey STAGE_MAX_RETRIES = key("stage.max.retries", INT, "3", 0,
            "Retries of a record that failed with a retriable error before it is dead-lettered.");
    public static final ConfigKey STAGE_RETRY_BACKOFF_MS = key("stage.retry.backoff.ms", INT, "500", 1,
            "First retry delay in ms; doubles with every further attempt.");
    public static final ConfigKey STAGE_SHUTDOWN_GRACE_MS = key("stage.shutdown.grace.ms", INT, "30000", 0,
            "On shutdown, how long in-flight records may finish before they are released for redelivery.");
    public static final ConfigKey STAGE_COMMIT_INTERVAL_MS = key("stage.commit.interval.ms", INT, "100", 1,
            "How often a stage commits the offsets of finished records; longer means fewer commits and more redelivered (never lost) records after a crash.");
    public static final ConfigKey HTTP_HOST = key("http.host", STRING, "0.0.0.0", 0,
            "Interface the service HTTP server (API, `/metrics`, `/health/*`) binds to.");
    public static final ConfigKey HTTP_PORT = key("http.port", INT, "8080", 0,
            "Port of the service HTTP server; 0 picks a free port.");
    public static final ConfigKey MODEL_DIR = key("model.dir", PATH, "", 0,
            "Model directory (`model.json` + `model.pt`) the infer stage loads; required by infer and run.");
    public static final ConfigKey INFER_DEVICES = key("infer.devices", STRING, "cpu", 0,
            "Comma-separated inference devices (`cpu`, `gpu0`, `gpu1`, ...); one model instance each.");
    public static final ConfigKey INGEST_AUTH_TOKENS = secret("ingest.auth.tokens",
            "Comma-separated bearer tokens accepted by the ingest API (401 otherwise). Empty: no authentication.");
    public static final ConfigKey INGEST_MAX_BODY_BYTES = key("ingest.max.body.bytes", INT, "1073741824", 1,
            "Largest accepted upload in bytes (413 above).");
    public static final ConfigKey INGEST_URI_ROOTS = key("ingest.uri.roots", STRING, "", 0,
            "Comma-separated directories and `s3://bucket/prefix` roots that `{\"uri\": ...}` submissions may name. Empty: refused.");
    public static final ConfigKey INGEST_INBOX_DIR = key("ingest.inbox.dir", PATH, "", 0,
            "Directory watched for NIfTI files to submit (each taken once complete). Empty: no watcher.");
    public static final ConfigKey INGEST_UPLOAD_DIR = key("ingest.upload.dir", PATH, "work/uploads", 0,
            "Directory where uploads and remote inputs are spooled before they go to the store.");
    public static final ConfigKey INGEST_INBOX_STABLE_MS = key("ingest.inbox.stable.ms", INT, "2000", 0,
            "An inbox file without a `.done` marker is taken once its size and mtime stay unchanged this long.");
    public static final ConfigKey OUTBOX_DIR = key("postprocess.outbox.dir", PATH, "", 0,
            "Directory where postprocess also writes each finished mask and statistics. Empty: store only.");
    public static final ConfigKey PIPELINE_SLABS = key("pipeline.slabs", INT, "1", 1,
            "Z-slabs per case published by preprocess (one tile request each); exact, spreads a case over devices.");
    public static final ConfigKey INFER_BATCH = key("infer.batch", INT, "1", 1,
            "Network inputs per forward pass.");
    public static final ConfigKey INFER_TTA = key("infer.tta", BOOLEAN, "true", 0,
            "Test-time mirroring of the infer service; cases submitted with another `tta` option are refused.");
    public static final ConfigKey INFER_STEP = key("infer.step", STRING, "0.5", 0,
            "Sliding-window step (fraction of the patch) of the infer service; cases with another `step` are refused.");
    public static final ConfigKey INFER_INTAKE = key("infer.intake", INT, "4", 1,
            "Slabs the inference engine holds at once; when full, the infer stage pauses its partitions.");
    public static final ConfigKey INFER_COLLECT_AFTER_SLAB = key("infer.collect.after.slab", BOOLEAN, "false", 0,
            "Run a full garbage collection after each finished slab, so the next slab's class sums reuse its memory instead of growing the heap; `run` turns it on.");
    public static final ConfigKey STAGE_WORKER_THREADS = key("stage.worker.threads", INT, "2", 1,
            "Worker threads per stage for blocking work (store I/O, preprocessing, export).");
    public static final ConfigKey DICOM_SCP_ENABLED = key("dicom.scp.enabled", BOOLEAN, "false", 0,
            "Run the DIMSE storage SCP (C-STORE/C-ECHO receiver) with the ingest role.");
    public static final ConfigKey DICOM_SCP_BIND = key("dicom.scp.bind", STRING, "0.0.0.0", 0,
            "Interface the DIMSE storage SCP listens on.");
    public static final ConfigKey DICOM_SCP_PORT = key("dicom.scp.port", INT, "11112", 0,
            "TCP port of the DIMSE storage SCP; 0 picks a free port.");
    public static final ConfigKey DICOM_SCP_AE_TITLE = key("dicom.scp.ae.title", STRING, "STUNET", 0,
            "AE title of the storage SCP; associations calling another title are rejected.");
    public static final ConfigKey DICOM_SCP_MAX_ASSOCIATIONS = key("dicom.scp.max.associations", INT, "8", 1,
            "Associations served at once; further ones get a transient A-ASSOCIATE-RJ.");
    public static final ConfigKey DICOM_SCP_IDLE_TIMEOUT_MS = key("dicom.scp.idle.timeout.ms", INT, "60000", 100,
            "Longest wait for an association request, for each PDU and for the close after release; then A-ABORT.");
    public static final ConfigKey DICOM_SCP_RELEASE_ENDS_SERIES = key("dicom.scp.release.ends.series", BOOLEAN, "false", 0,
            "An association's release completes every series it sent, without waiting for the quiet period.");
    public static final ConfigKey DICOM_SERIES_QUIET_MS = key("dicom.series.quiet.ms", INT, "10000", 1,
            "A received series is complete after this many ms without a new instance.");
    public static final ConfigKey DICOM_SPOOL_DIR = key("dicom.spool.dir", PATH, "work/dicom", 0,
            "Directory of received DICOM instances (`incoming/`, `complete/` per series); resumed after a restart.");
    public static final ConfigKey DICOM_STOW_MAX_BYTES = key("dicom.stow.max.bytes", INT, "1073741824", 1,
            "Largest accepted STOW-RS request body in bytes (413 above).");
    public static final ConfigKey DICOM_STOW_REQUEST_ENDS_SERIES = key("dicom.stow.request.ends.series", BOOLEAN, "false", 0,
            "A STOW-RS request completes every series it stored, without waiting for the quiet period.");
    public static final ConfigKey DICOM_SEND_STOW_URL = key("dicom.send.stow.url", STRING, "", 0,
            "DICOMweb service root that receives each new DICOM SEG by STOW-RS (`POST {url}/studies`); empty: none sent.");
    public static final ConfigKey DICOM_SEND_STOW_TOKEN = secret("dicom.send.stow.token",
            "Bearer token sent with each STOW-RS request to `dicom.send.stow.url`; empty: no Authorization header.");
    public static final ConfigKey DICOM_SEND_STOW_TIMEOUT_MS = key("dicom.send.stow.timeout.ms", INT, "30000", 100,
            "Connect timeout and response timeout of a STOW-RS send; either is a retriable failure.");
    public static final ConfigKey DICOM_SEND_DIMSE = key("dicom.send.dimse", STRING, "", 0,
            "DIMSE application entity (a PACS) that receives each new DICOM SEG by C-STORE, as `AE@host:port`; empty: none sent.");
    public static final ConfigKey DICOM_SEND_DIMSE_CALLING_AE = key("dicom.send.dimse.calling.ae", STRING, "STUNET", 0,
            "Our AE title in the C-STORE associations to `dicom.send.dimse`.");
    public static final ConfigKey DICOM_SEND_DIMSE_TIMEOUT_MS = key("dicom.send.dimse.timeout.ms", INT, "30000", 100,
            "Longest one C-STORE send may take, connect to release; past it the send is a retriable failure.");

    /** Prefix of the pass-through Kafka client properties. */
    public static final String KAFKA_CLIENT_PREFIX = "kafka.client.";
    private static final String KAFKA_CLIENT_ENV_PREFIX = "STUNET_KAFKA_CLIENT_";

    /**
     * Client properties the code sets itself because delivery, commit or addressing
     * guarantees depend on them, with the key to use instead where there is one.
     */
    private static final Map<String, String> RESERVED_CLIENT_PROPERTIES = Map.of(
            "bootstrap.servers", "set kafka.bootstrap instead",
            "group.id", "consumer groups are <kafka.group.prefix>-<stage>",
            "enable.auto.commit", "stages commit offsets themselves, past durable work only",
            "acks", "records are published with acks=all",
            "enable.idempotence", "the producer is always idempotent",
            "key.serializer", "records are JSON through RecordCodec",
            "value.serializer", "records are JSON through RecordCodec",
            "key.deserializer", "records are JSON through RecordCodec",
            "value.deserializer", "records are JSON through RecordCodec");

    /** Property names whose values are credentials (JAAS with passwords, key material, tokens). */
    private static final java.util.regex.Pattern SENSITIVE_CLIENT_PROPERTY =
            java.util.regex.Pattern.compile("(?i).*(password|jaas|secret|token|credential|\\.key$|keystore\\.key|certificate\\.chain).*");

    private final Map<String, String> values;
    private final Map<String, String> clientProperties;

    private StunetConfig(Map<String, String> values, Map<String, String> clientProperties) {
        this.values = values;
        this.clientProperties = clientProperties;
    }

    /** Every key, in documentation order. */
    public static List<ConfigKey> keys() {
        return Collections.unmodifiableList(KEYS);
    }

    /** Defaults only. */
    public static StunetConfig defaults() {
        return load(null, Map.of(), Map.of());
    }

    /** The file (may be {@code null}), the process environment, and no overrides. */
    public static StunetConfig load(Path file) {
        return load(file, System.getenv(), Map.of());
    }

    /**
     * @param file      YAML or properties file, or {@code null}
     * @param env       environment variables ({@code STUNET_*} are read, others ignored)
     * @param overrides values by key name that win over everything else
     */
    public static StunetConfig load(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, ConfigKey> byName = new LinkedHashMap<>();
        for (ConfigKey k : KEYS) {
            byName.put(k.name(), k);
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (ConfigKey k : KEYS) {
            values.put(k.name(), k.defaultValue());
        }
        Map<String, String> client = new TreeMap<>();
        if (file != null) {
            for (Map.Entry<String, String> e : readFile(file).entrySet()) {
                if (byName.containsKey(e.getKey())) {
                    values.put(e.getKey(), e.getValue());
                } else if (e.getKey().startsWith(KAFKA_CLIENT_PREFIX)) {
                    client.put(e.getKey(), e.getValue());
                } else {
                    throw invalid(e.getKey(), "unknown configuration key in " + file.getFileName());
                }
            }
        }
        Set<String> declaredEnv = new HashSet<>();
        for (ConfigKey k : KEYS) {
            declaredEnv.add(k.envName());
            String v = env.get(k.envName());
            if (v != null) {
                values.put(k.name(), v);
            }
        }
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            if (name.startsWith(KAFKA_CLIENT_ENV_PREFIX) && !declaredEnv.contains(name)) {
                // Kafka client property names are lower case with dots, never underscores.
                client.put(KAFKA_CLIENT_PREFIX + name.substring(KAFKA_CLIENT_ENV_PREFIX.length())
                        .toLowerCase(Locale.ROOT).replace('_', '.'), e.getValue());
            }
        }
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (byName.containsKey(e.getKey())) {
                values.put(e.getKey(), e.getValue());
            } else if (e.getKey().startsWith(KAFKA_CLIENT_PREFIX)) {
                client.put(e.getKey(), e.getValue());
            } else {
                throw invalid(e.getKey(), "unknown configuration key");
            }
        }
        StunetConfig config = new StunetConfig(values, clientProperties(values.get(KAFKA_CLIENT_PROPERTIES.name()).trim(), client));
        config.validate();
        return config;
    }

    /** The properties file's entries, then the {@code kafka.client.*} keys, by Kafka property name; reserved ones refused. */
    private static Map<String, String> clientProperties(String file, Map<String, String> prefixed) {
        Map<String, String> out = new TreeMap<>();
        if (!file.isEmpty()) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | RuntimeException e) {
                throw invalid(KAFKA_CLIENT_PROPERTIES.name(), "cannot read Kafka client properties file " + file
                        + ": " + e.getClass().getSimpleName());
            }
            p.stringPropertyNames().forEach(k -> out.put(k.trim(), p.getProperty(k).trim()));
        }
        prefixed.forEach((k, v) -> out.put(k.substring(KAFKA_CLIENT_PREFIX.length()), v.trim()));
        for (String name : out.keySet()) {
            if (name.isEmpty()) {
                throw invalid(KAFKA_CLIENT_PREFIX, "a Kafka client property name is missing after the prefix");
            }
            String why = RESERVED_CLIENT_PROPERTIES.get(name);
            if (why != null) {
                throw invalid(KAFKA_CLIENT_PREFIX + name, "cannot be set as a Kafka client property: " + why);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Whether a Kafka client property's value is a credential and must never be printed. */
    public static boolean sensitiveClientProperty(String name) {
        return SENSITIVE_CLIENT_PROPERTY.matcher(name).matches();
    }

    private static Map<String, String> readFile(Path file) {
        String name = file.getFileName().toString().toLowerCase();
        try {
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                Object doc;
                try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
                }
                Map<String, String> flat = new TreeMap<>();
                if (doc != null) {
                    if (!(doc instanceof Map<?, ?> map)) {
                        throw invalid("(root)", "configuration file must be a YAML mapping");
                    }
                    flatten("", map, flat);
                }
                return flat;
            }
            if (name.endsWith(".properties")) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                }
                Map<String, String> flat = new TreeMap<>();
                p.stringPropertyNames().forEach(k -> flat.put(k.trim(), p.getProperty(k).trim()));
                return flat;
            }
            throw new StunetException(ErrorCode.INVALID_CONFIG,
                    "configuration file must end in .yaml, .yml or .properties: " + file.getFileName());
        } catch (IOException e) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, "cannot read configuration file " + file.getFileName()
                    + ": " + e.getMessage(), e);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new StunetException(ErrorCode.INVALID_CONFIG, "configuration file " + file.getFileName()
                    + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String k = prefix + e.getKey();
            Object v = e.getValue();
            if (v instanceof Map<?, ?> nested) {
                flatten(k + ".", nested, out);
            } else if (v instanceof List<?>) {
                throw invalid(k, "lists are not supported; use a comma-separated string");
            } else {
                out.put(k, v == null ? "" : v.toString());
            }
        }
    }

    private void validate() {
        for (ConfigKey k : KEYS) {
            switch (k.type()) {
                case INT -> getInt(k);
                case BOOLEAN -> getBoolean(k);
                default -> getString(k);
            }
        }
        String store = getString(STORE_TYPE);
        if (!store.equals("local") && !store.equals("s3")) {
            throw invalid(STORE_TYPE.name(), "must be 'local' or 's3', not '" + store + "'");
        }
        if (getInt(HTTP_PORT) > 65535) {
            throw invalid(HTTP_PORT.name(), "must be <= 65535");
        }
        if (getInt(KAFKA_EMBEDDED_PORT) > 65535) {
            throw invalid(KAFKA_EMBEDDED_PORT.name(), "must be <= 65535");
        }
        if (getString(STORE_S3_ACCESS_KEY).isEmpty() != getString(STORE_S3_SECRET_KEY).isEmpty()) {
            throw invalid(STORE_S3_SECRET_KEY.name(), "store.s3.access.key and store.s3.secret.key are set together");
        }
    }

    public String getString(ConfigKey key) {
        return values.get(key.name()).trim();
    }

    /** The value, or {@code null} when it is empty (an unset optional key). */
    public String getOptional(ConfigKey key) {
        String v = getString(key);
        return v.isEmpty() ? null : v;
    }

    public int getInt(ConfigKey key) {
        long v = getLong(key);
        if (v > Integer.MAX_VALUE) {
            throw invalid(key.name(), "must be <= " + Integer.MAX_VALUE);
        }
        return (int) v;
    }

    public long getLong(ConfigKey key) {
        String raw = getString(key);
        long v;
        try {
            v = Long.parseLong(raw.replace("_", ""));
        } catch (NumberFormatException e) {
            throw invalid(key.name(), "must be an integer, not '" + shown(key, raw) + "'");
        }
        if (v < key.min()) {
            throw invalid(key.name(), "must be >= " + key.min() + ", not " + v);
        }
        return v;
    }

    public boolean getBoolean(ConfigKey key) {
        String raw = getString(key).toLowerCase();
        return switch (raw) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw invalid(key.name(), "must be true or false, not '" + shown(key, raw) + "'");
        };
    }

    public Path getPath(ConfigKey key) {
        return Path.of(getString(key));
    }

    /** An optional path key: {@code null} when unset. */
    public Path getOptionalPath(ConfigKey key) {
        String v = getString(key);
        return v.isEmpty() ? null : Path.of(v);
    }

    /** A comma-separated key as its trimmed, non-empty items. */
    public List<String> getList(ConfigKey key) {
        List<String> out = new ArrayList<>();
        for (String item : getString(key).split(",")) {
            if (!item.isBlank()) {
                out.add(item.trim());
            }
        }
        return List.copyOf(out);
    }

    /** A millisecond key as a duration. */
    public Duration getMillis(ConfigKey key) {
        return Duration.ofMillis(getLong(key));
    }

    /**
     * Kafka client properties for every producer, consumer and admin client against
     * {@code kafka.bootstrap}: the {@code kafka.client.properties} file overlaid with the
     * {@code kafka.client.*} keys, by Kafka property name. Values may be credentials: never log them.
     */
    public Map<String, Object> kafkaClientProperties() {
        return Collections.unmodifiableMap(new TreeMap<String, Object>(clientProperties));
    }

    /** Every key with its value, secrets masked: what a service logs at start-up. */
    public Map<String, String> describe() {
        Map<String, String> out = new LinkedHashMap<>();
        for (ConfigKey k : KEYS) {
            String v = getString(k);
            out.put(k.name(), k.secret() && !v.isEmpty() ? "****" : v);
        }
        clientProperties.forEach((k, v) -> out.put(KAFKA_CLIENT_PREFIX + k, sensitiveClientProperty(k) ? "****" : v));
        return out;
    }

    /** The reference table for docs/configuration.md. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| key | environment variable | type | default | meaning |\n");
        sb.append("|---|---|---|---|---|\n");
        for (ConfigKey k : KEYS) {
            String def = k.defaultValue().isEmpty() ? "(empty)" : "`" + k.defaultValue() + "`";
            String type = k.type().name().toLowerCase() + (k.min() > 0 ? " >= " + k.min() : "");
            sb.append("| `").append(k.name()).append("` | `").append(k.envName()).append("` | ")
                    .append(type).append(" | ").append(def).append(" | ").append(k.doc()).append(" |\n");
        }
        return sb.toString();
    }

    private static String shown(ConfigKey key, String raw) {
        return key.secret() ? "****" : raw;
    }

    private static StunetException invalid(String key, String why) {
        return new StunetException(ErrorCode.INVALID_CONFIG, "configuration key " + key + ": " + why);
    }
}
