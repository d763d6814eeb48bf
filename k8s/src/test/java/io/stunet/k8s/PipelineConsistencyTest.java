package io.stunet.k8s;

import io.stunet.metrics.ServiceRoutes;
import io.stunet.config.ConfigKey;
import io.stunet.config.StunetConfig;
import io.stunet.kafka.StageOptions;
import io.stunet.topics.TopicSpec;
import io.stunet.topics.Topics;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.stunet.k8s.Manifests.at;
import static io.stunet.k8s.Manifests.list;
import static io.stunet.k8s.Manifests.map;
import static io.stunet.k8s.Manifests.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manifests say the same as the code: topic names, partition counts, replication and
 * compaction equal {@link Topics} with the configured counts; the ConfigMap loads through
 * {@link StunetConfig} (unknown keys and bad values fail there) with each Deployment's
 * environment; every {@code STUNET_*} variable is a configuration key; consumer groups,
 * bootstrap address, ports and label selectors agree across Deployments, Services, PDBs,
 * NetworkPolicies, ScaledObjects and the ServiceMonitor; termination grace covers the
 * shutdown grace, which covers the worst-case record.
 */
class PipelineConsistencyTest {
    @TempDir
    Path tmp;

    private StunetConfig config(List<Map<String, Object>> docs, Map<String, String> env) throws IOException {
        String file = (String) map(Manifests.get(docs, "ConfigMap", "stunet-config"), "data").get("stunet.yaml");
        Path p = Files.createTempFile(tmp, "stunet", ".yaml");
        Files.writeString(p, file);
        return StunetConfig.load(p, env, Map.of());
    }

    /** The values of stunet-secrets: the dev Secret (cpu) or the template (gpu, created by hand). */
    private static Map<String, String> secretValues(List<Map<String, Object>> docs) {
        List<Map<String, Object>> secrets = Manifests.ofKind(docs, "Secret");
        Map<String, Object> secret = secrets.isEmpty()
                ? Yaml.loadOne(Manifests.k8s().resolve("base/secret-template.yaml"))
                : Manifests.get(docs, "Secret", "stunet-secrets");
        Map<String, String> out = new LinkedHashMap<>();
        map(secret, "stringData").forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    /** What a stage container sees: the Secret (envFrom) overridden by its literal env. */
    private static Map<String, String> environment(List<Map<String, Object>> docs, Map<String, Object> container) {
        Map<String, String> env = new HashMap<>();
        for (Map<String, Object> from : list(container, "envFrom")) {
            assertEquals("stunet-secrets", at(from, "secretRef.name"));
            env.putAll(secretValues(docs));
        }
        env.putAll(Manifests.env(container));
        return env;
    }

    private static Map<String, Map<String, Object>> topics(List<Map<String, Object>> docs) {
        return Manifests.ofKind(docs, "KafkaTopic").stream()
                .collect(Collectors.toMap(t -> (String) at(t, "spec.topicName"), Function.identity()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void kafkaTopicsAreTheTopicsTheServicesCreate(String overlay) throws IOException {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        StunetConfig c = config(docs, Map.of());
        List<TopicSpec> expected = Topics.all(c.getInt(StunetConfig.TOPICS_CASE_PARTITIONS),
                c.getInt(StunetConfig.TOPICS_TILE_PARTITIONS), (short) c.getInt(StunetConfig.TOPICS_REPLICATION));
        Map<String, Map<String, Object>> topics = topics(docs);
        assertEquals(expected.stream().map(TopicSpec::name).collect(Collectors.toSet()), topics.keySet(), overlay);
        String cluster = name(Manifests.ofKind(docs, "Kafka").get(0));
        for (TopicSpec spec : expected) {
            Map<String, Object> t = topics.get(spec.name());
            String id = overlay + ": " + spec.name();
            assertEquals(spec.name(), name(t), id + " metadata.name");
            assertEquals(spec.partitions(), ((Number) at(t, "spec.partitions")).intValue(), id + " partitions");
            assertEquals((int) spec.replication(), ((Number) at(t, "spec.replicas")).intValue(), id + " replicas");
            assertEquals(spec.configs(), map(t, "spec.config"), id + " config");
            assertEquals(cluster, map(t, "metadata.labels").get("strimzi.io/cluster"), id + " cluster label");
        }
        assertEquals("compact", map(topics.get(Topics.STATUS), "spec.config").get("cleanup.policy"));
        // The shipped defaults are the code's defaults: a cluster created from the manifests and
        // a service started without a config file agree on partition counts.
        assertEquals(Topics.DEFAULT_CASE_PARTITIONS, c.getInt(StunetConfig.TOPICS_CASE_PARTITIONS));
        assertEquals(Topics.DEFAULT_TILE_PARTITIONS, c.getInt(StunetConfig.TOPICS_TILE_PARTITIONS));
        int brokers = ((Number) at(Manifests.ofKind(docs, "KafkaNodePool").get(0), "spec.replicas")).intValue();
        assertTrue(c.getInt(StunetConfig.TOPICS_REPLICATION) <= brokers, overlay + ": replication above broker count");
        Map<String, Object> kafkaConfig = map(Manifests.ofKind(docs, "Kafka").get(0), "spec.kafka.config");
        assertEquals(c.getInt(StunetConfig.TOPICS_REPLICATION), kafkaConfig.get("default.replication.factor"), overlay);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyStageLoadsTheConfigMapWithItsEnvironment(String overlay) throws IOException {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        Set<String> known = StunetConfig.keys().stream().map(ConfigKey::envName).collect(Collectors.toSet());
        for (Map.Entry<String, Map<String, Object>> e : Manifests.stages(docs).entrySet()) {
            Map<String, Object> d = e.getValue();
            Map<String, Object> c = Manifests.serviceContainer(d);
            String id = overlay + ": " + e.getKey();
            Map<String, String> env = environment(docs, c);
            for (String var : env.keySet()) {
                if (var.startsWith("STUNET_")) {
                    assertTrue(known.contains(var), id + ": " + var + " is no configuration key");
                }
            }
            StunetConfig config = config(docs, env);
            // --config names the ConfigMap's key where the config volume is mounted.
            @SuppressWarnings("unchecked")
            List<Object> args = (List<Object>) c.get("args");
            String file = (String) args.get(args.indexOf(PendingContract.CONFIG_OPTION) + 1);
            Map<String, Object> mount = list(c, "volumeMounts").stream()
                    .filter(m -> file.startsWith(m.get("mountPath") + "/")).findFirst().orElseThrow();
            Map<String, Object> volume = list(d, "spec.template.spec.volumes").stream()
                    .filter(v -> v.get("name").equals(mount.get("name"))).findFirst().orElseThrow();
            assertEquals("stunet-config", at(volume, "configMap.name"), id);
            assertEquals("stunet.yaml", file.substring(((String) mount.get("mountPath")).length() + 1), id);
            // The HTTP port the service binds is the container port the probes and Service use.
            int port = config.getInt(StunetConfig.HTTP_PORT);
            assertEquals(List.of(port), list(c, "ports").stream().filter(p -> "http".equals(p.get("name")))
                    .map(p -> p.get("containerPort")).toList(), id);
            assertEquals(e.getKey(), args.get(args.indexOf(PendingContract.ROLES_OPTION) + 1));
            // Kafka: this role's own KafkaUser credentials, and the cluster CA where the truststore points.
            Map<String, Object> jaas = list(c, "env").stream()
                    .filter(v -> "STUNET_KAFKA_CLIENT_SASL_JAAS_CONFIG".equals(v.get("name"))).findFirst()
                    .orElseThrow(() -> new AssertionError(id + ": no Kafka credentials"));
            String user = "stunet-" + e.getKey();
            assertEquals(Map.of("name", user, "key", "sasl.jaas.config"), map(jaas, "valueFrom.secretKeyRef"), id);
            Manifests.get(docs, "KafkaUser", user);
            String truststore = (String) config.kafkaClientProperties().get("ssl.truststore.location");
            Map<String, Object> caMount = list(c, "volumeMounts").stream()
                    .filter(m -> truststore.startsWith(m.get("mountPath") + "/")).findFirst()
                    .orElseThrow(() -> new AssertionError(id + ": nothing mounted at " + truststore));
            Map<String, Object> caVolume = list(d, "spec.template.spec.volumes").stream()
                    .filter(v -> v.get("name").equals(caMount.get("name"))).findFirst().orElseThrow();
            String cluster = name(Manifests.ofKind(docs, "Kafka").get(0));
            assertEquals(cluster + "-cluster-ca-cert", at(caVolume, "secret.secretName"), id);
            assertEquals(List.of(Map.of("key", "ca.crt", "path", truststore.substring(((String) caMount.get("mountPath")).length() + 1))),
                    at(caVolume, "secret.items"), id);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void secretsHoldOnlySecretConfigurationKeys(String overlay) {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        Map<String, ConfigKey> byEnv = StunetConfig.keys().stream().collect(Collectors.toMap(ConfigKey::envName, Function.identity()));
        Map<String, String> secret = secretValues(docs);
        assertEquals(Yaml.loadOne(Manifests.k8s().resolve("base/secret-template.yaml")).get("stringData") instanceof Map<?, ?> m
                ? m.keySet() : Set.of(), secret.keySet(), overlay + ": the Secret's keys differ from the template's");
        for (String key : secret.keySet()) {
            assertTrue(byEnv.containsKey(key) && byEnv.get(key).secret(),
                    overlay + ": " + key + " is not a secret configuration key");
        }
        // Secret keys never appear as literal values in a manifest.
        for (Map<String, Object> d : Manifests.ofKind(docs, "Deployment")) {
            for (Map<String, Object> c : Manifests.allContainers(d)) {
                for (String var : Manifests.env(c).keySet()) {
                    assertFalse(secret.containsKey(var), overlay + ": " + name(d) + " sets secret " + var + " literally");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void kafkaAddressIsTheSameEverywhere(String overlay) throws IOException {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        StunetConfig c = config(docs, Map.of());
        Map<String, Object> kafka = Manifests.ofKind(docs, "Kafka").get(0);
        List<Map<String, Object>> listeners = list(kafka, "spec.kafka.listeners");
        assertEquals(1, listeners.size(), overlay + ": one listener, TLS with SCRAM; no plaintext way in");
        Map<String, Object> listener = listeners.get(0);
        assertEquals("internal", listener.get("type"), overlay);
        assertEquals(Boolean.TRUE, listener.get("tls"), overlay);
        assertEquals("scram-sha-512", at(listener, "authentication.type"), overlay);
        assertEquals("simple", at(kafka, "spec.kafka.authorization.type"), overlay);
        String bootstrap = name(kafka) + "-kafka-bootstrap." + at(kafka, "metadata.namespace") + ".svc:" + listener.get("port");
        assertEquals(bootstrap, c.getString(StunetConfig.KAFKA_BOOTSTRAP), overlay + ": kafka.bootstrap");
        Map<String, Object> client = c.kafkaClientProperties();
        assertEquals("SASL_SSL", client.get("security.protocol"), overlay);
        assertEquals("SCRAM-SHA-512", client.get("sasl.mechanism"), overlay);
        assertFalse(c.getBoolean(StunetConfig.TOPICS_CREATE), overlay + ": the users may not create topics");
        for (Map<String, Object> so : Manifests.ofKind(docs, "ScaledObject")) {
            for (Map<String, Object> t : list(so, "spec.triggers")) {
                String id = overlay + ": " + name(so);
                assertEquals(bootstrap, at(t, "metadata.bootstrapServers"), id);
                assertEquals("scram_sha512", at(t, "metadata.sasl"), id);
                assertEquals("enable", at(t, "metadata.tls"), id);
                Map<String, Object> auth = Manifests.get(docs, "TriggerAuthentication", (String) at(t, "authenticationRef.name"));
                Map<String, Map<String, Object>> params = new HashMap<>();
                for (String ref : List.of("secretTargetRef", "configMapTargetRef")) {
                    list(auth, "spec." + ref).forEach(p -> params.put((String) p.get("parameter"), p));
                }
                assertEquals(Set.of("username", "password", "ca"), params.keySet(), id);
                String user = (String) map(Manifests.get(docs, "ConfigMap", (String) params.get("username").get("name")), "data")
                        .get(params.get("username").get("key"));
                assertEquals(user, params.get("password").get("name"), id + ": password from the KafkaUser's own Secret");
                Manifests.get(docs, "KafkaUser", user);
                assertEquals(name(kafka) + "-cluster-ca-cert", params.get("ca").get("name"), id);
            }
        }
        // The stages may reach the brokers on exactly that port.
        Map<String, Object> egress = Manifests.get(docs, "NetworkPolicy", "stunet-egress");
        boolean allowed = list(egress, "spec.egress").stream().anyMatch(rule ->
                list(rule, "to").stream().anyMatch(to -> name(kafka).equals(map(to, "podSelector.matchLabels").get("strimzi.io/cluster")))
                        && list(rule, "ports").stream().anyMatch(p -> listener.get("port").equals(p.get("port"))));
        assertTrue(allowed, overlay + ": no egress rule to the Kafka listener");
        // Strimzi's listener policy admits the stage pods.
        Map<String, String> stageLabels = stageLabels(docs);
        assertTrue(list(listener, "networkPolicyPeers").stream().anyMatch(peer ->
                        stageLabels.entrySet().containsAll(map(peer, "podSelector.matchLabels").entrySet())
                                && !map(peer, "podSelector.matchLabels").isEmpty()),
                overlay + ": the Kafka listener does not admit the stage pods");
    }

    private static Map<String, String> stageLabels(List<Map<String, Object>> docs) {
        @SuppressWarnings("unchecked")
        Map<String, String> labels = (Map<String, String>) (Map<?, ?>) map(Manifests.stages(docs).get("infer"), "spec.template.metadata.labels");
        return labels;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void scaledObjectsWatchTheStagesConsumerGroups(String overlay) throws IOException {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        Map<String, Map<String, Object>> stages = Manifests.stages(docs);
        Map<String, Map<String, Object>> topics = topics(docs);
        Set<String> scaled = new HashSet<>();
        for (Map<String, Object> so : Manifests.ofKind(docs, "ScaledObject")) {
            String target = (String) at(so, "spec.scaleTargetRef.name");
            String role = stages.entrySet().stream().filter(s -> name(s.getValue()).equals(target))
                    .map(Map.Entry::getKey).findFirst().orElseThrow(() -> new AssertionError(target + " is no stage Deployment"));
            assertTrue(scaled.add(role), role + " scaled twice");
            assertFalse(map(stages.get(role), "spec").containsKey("replicas"),
                    overlay + ": " + target + " sets replicas, which every apply would reset under the autoscaler");
            Map<String, Object> container = Manifests.serviceContainer(stages.get(role));
            StunetConfig c = config(docs, environment(docs, container));
            String id = overlay + ": " + name(so);
            String topic = PendingContract.STAGE_INPUT_TOPICS.get(role);
            assertNotNull(topic, id + ": " + role + " consumes no topic");
            List<Map<String, Object>> triggers = list(so, "spec.triggers");
            assertEquals(1, triggers.size(), id);
            Map<String, Object> t = triggers.get(0);
            assertEquals("kafka", t.get("type"), id);
            assertEquals(topic, at(t, "metadata.topic"), id);
            String group = StageOptions.fromConfig(c, role, topic, c.getString(StunetConfig.KAFKA_BOOTSTRAP)).getGroupId();
            assertEquals(group, at(t, "metadata.consumerGroup"), id);
            int min = ((Number) at(so, "spec.minReplicaCount")).intValue();
            int max = ((Number) at(so, "spec.maxReplicaCount")).intValue();
            int partitions = ((Number) at(topics.get(topic), "spec.partitions")).intValue();
            assertTrue(min >= 1, id + ": minReplicaCount must be at least 1");
            assertTrue(max >= min && max <= partitions, id + ": maxReplicaCount " + max + " outside [" + min + ", " + partitions + "]");
            int lag = Integer.parseInt((String) at(t, "metadata.lagThreshold"));
            assertTrue(lag >= 1, id);
            if (role.equals("infer")) {
                // Lag counts uncommitted in-flight slabs: the threshold is one replica's full load of 1-2 slabs.
                assertTrue(lag <= 2, id + ": lag threshold above two slabs per replica");
                assertEquals(c.getInt(StunetConfig.STAGE_MAX_IN_FLIGHT), lag, id + ": lag threshold != infer's in-flight bound");
            }
        }
        assertEquals(PendingContract.STAGE_INPUT_TOPICS.keySet(), scaled, overlay + ": every consuming stage is scaled");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void shutdownFinishesTheWorstCaseRecordBeforeTheKill(String overlay) throws IOException {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        for (Map.Entry<String, Map<String, Object>> e : Manifests.stages(docs).entrySet()) {
            Map<String, Object> d = e.getValue();
            Map<String, Object> c = Manifests.serviceContainer(d);
            String id = overlay + ": " + e.getKey();
            long graceMs = config(docs, environment(docs, c)).getLong(StunetConfig.STAGE_SHUTDOWN_GRACE_MS);
            Number preStop = at(c, "lifecycle.preStop.sleep.seconds");
            assertNotNull(preStop, id + " has no preStop sleep");
            int termination = ((Number) at(d, "spec.template.spec.terminationGracePeriodSeconds")).intValue();
            assertTrue(termination * 1000L >= preStop.longValue() * 1000 + graceMs + 10_000,
                    id + ": terminationGracePeriodSeconds " + termination + " < preStop + stage.shutdown.grace.ms + 10 s");
            if (PendingContract.STAGE_INPUT_TOPICS.containsKey(e.getKey())) {
                String worst = (String) map(d, "metadata.annotations").get("stunet.io/worst-case-record-seconds");
                assertNotNull(worst, id + " declares no worst-case record time");
                assertTrue(graceMs >= Long.parseLong(worst) * 1000, id + ": shutdown grace shorter than the worst-case record");
            }
        }
        // infer keeps its pod-deletion cost current so scale-in prefers idle pods.
        Map<String, Object> infer = Manifests.stages(docs).get("infer");
        assertTrue(map(infer, "spec.template.metadata.annotations").containsKey("controller.kubernetes.io/pod-deletion-cost"));
        Map<String, Object> sidecar = Manifests.containers(infer).stream().filter(x -> "deletion-cost".equals(x.get("name")))
                .findFirst().orElseThrow();
        assertTrue(String.valueOf(sidecar.get("args")).contains("controller.kubernetes.io/pod-deletion-cost"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void selectorsPickExactlyTheirStage(String overlay) throws IOException {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        List<Map<String, Object>> deployments = Manifests.ofKind(docs, "Deployment");
        for (Map<String, Object> d : deployments) {
            assertTrue(labels(d).entrySet().containsAll(map(d, "spec.selector.matchLabels").entrySet()),
                    overlay + ": " + name(d) + " selector does not match its own pods");
        }
        int port = config(docs, Map.of()).getInt(StunetConfig.HTTP_PORT);
        Map<String, Map<String, Object>> stages = Manifests.stages(docs);
        for (Map.Entry<String, Map<String, Object>> e : stages.entrySet()) {
            String dep = name(e.getValue());
            Map<String, Object> svc = Manifests.get(docs, "Service", dep);
            assertEquals(List.of(dep), selected(deployments, map(svc, "spec.selector")), overlay + ": Service " + dep);
            assertTrue(list(svc, "spec.ports").stream().anyMatch(p -> "http".equals(p.get("name")) && "http".equals(p.get("targetPort"))
                    && Integer.valueOf(port).equals(p.get("port"))), overlay + ": Service " + dep + " http port");
            Map<String, Object> pdb = Manifests.get(docs, "PodDisruptionBudget", dep);
            assertEquals(List.of(dep), selected(deployments, map(pdb, "spec.selector.matchLabels")), overlay + ": PDB " + dep);
        }
        for (Map<String, Object> np : Manifests.ofKind(docs, "NetworkPolicy")) {
            List<String> hit = selected(deployments, map(np, "spec.podSelector.matchLabels"));
            assertFalse(hit.isEmpty(), overlay + ": NetworkPolicy " + name(np) + " selects no pod");
            for (Map<String, Object> rule : list(np, "spec.ingress")) {
                for (Map<String, Object> p : list(rule, "ports")) {
                    assertEquals(port, p.get("port"), overlay + ": NetworkPolicy " + name(np) + " opens a port no stage listens on");
                }
            }
        }
        Map<String, Object> sm = Manifests.get(docs, "ServiceMonitor", "stunet");
        Map<String, Object> smSelector = map(sm, "spec.selector.matchLabels");
        List<String> monitored = Manifests.ofKind(docs, "Service").stream().filter(s -> labels(s).entrySet().containsAll(smSelector.entrySet()))
                .map(Manifests::name).sorted().toList();
        assertEquals(stages.values().stream().map(Manifests::name).sorted().toList(), monitored, overlay + ": ServiceMonitor targets");
        Map<String, Object> endpoint = list(sm, "spec.endpoints").get(0);
        assertEquals(ServiceRoutes.METRICS_PATH, endpoint.get("path"));
        assertEquals("http", endpoint.get("port"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void inferFetchesTheModelFromTheConfiguredStore(String overlay) throws IOException {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        Map<String, Object> infer = Manifests.stages(docs).get("infer");
        StunetConfig c = config(docs, Map.of());
        Map<String, Object> fetch = list(infer, "spec.template.spec.initContainers").get(0);
        Map<String, String> env = Manifests.env(fetch);
        assertEquals(c.getString(StunetConfig.STORE_S3_ENDPOINT), env.get("STUNET_STORE_S3_ENDPOINT"), overlay);
        assertEquals(c.getString(StunetConfig.STORE_S3_BUCKET), env.get("MODEL_BUCKET"), overlay);
        Map<String, Object> service = Manifests.serviceContainer(infer);
        String modelDir = config(docs, environment(docs, service)).getString(StunetConfig.MODEL_DIR);
        assertFalse(modelDir.isEmpty(), overlay + ": infer has no model.dir");
        // One engine device per GPU the pod gets; CPU inference where it gets none.
        String devices = config(docs, environment(docs, service)).getString(StunetConfig.INFER_DEVICES);
        Object gpus = map(service, "resources.limits").get("nvidia.com/gpu");
        int gpuCount = gpus == null ? 0 : Integer.parseInt(String.valueOf(gpus));
        List<String> expected = gpuCount == 0 ? List.of("cpu")
                : java.util.stream.IntStream.range(0, gpuCount).mapToObj(i -> "gpu" + i).toList();
        assertEquals(expected, List.of(devices.split(",")), overlay + ": infer.devices");
        String fetchMount = (String) list(fetch, "volumeMounts").stream().filter(m -> "models".equals(m.get("name")))
                .findFirst().orElseThrow().get("mountPath");
        String serviceMount = (String) list(Manifests.serviceContainer(infer), "volumeMounts").stream()
                .filter(m -> "models".equals(m.get("name"))).findFirst().orElseThrow().get("mountPath");
        assertEquals(fetchMount, serviceMount);
        assertTrue(modelDir.startsWith(serviceMount + "/") && String.valueOf(fetch.get("args")).contains(modelDir),
                overlay + ": the model is fetched to " + fetch.get("args") + ", infer reads " + modelDir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void theStoreAndTheModelBelongToTheOverlay(String overlay) throws IOException {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        StunetConfig c = config(docs, Map.of());
        String host = java.net.URI.create(c.getString(StunetConfig.STORE_S3_ENDPOINT)).getHost();
        if (host.contains(".svc")) {
            // An in-cluster endpoint must be a Service this overlay deploys (the cpu overlay's MinIO).
            String[] parts = host.split("\\.");
            Map<String, Object> service = Manifests.get(docs, "Service", parts[0]);
            assertEquals(parts[1], at(service, "metadata.namespace"), overlay + ": " + host);
        }
        Map<String, Object> fetch = list(Manifests.stages(docs).get("infer"), "spec.template.spec.initContainers").get(0);
        String model = Manifests.env(fetch).get("MODEL_PREFIX");
        if (overlay.equals("gpu")) {
            assertFalse(model.endsWith("/demo"), "production serves a real STU-Net model, not the demo: " + model);
            assertTrue(Manifests.ofKind(docs, "Deployment").stream().noneMatch(d -> name(d).contains("minio")),
                    "production brings no MinIO of its own");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> labels(Map<String, Object> doc) {
        Object template = at(doc, "spec.template.metadata.labels");
        return template != null ? (Map<String, Object>) template : map(doc, "metadata.labels");
    }

    private static List<String> selected(List<Map<String, Object>> deployments, Map<String, Object> selector) {
        return deployments.stream().filter(d -> labels(d).entrySet().containsAll(selector.entrySet())).map(Manifests::name).toList();
    }
}
