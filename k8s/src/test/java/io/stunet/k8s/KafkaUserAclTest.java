package io.stunet.k8s;

import io.stunet.broker.EmbeddedKafka;
import io.stunet.config.StunetConfig;
import io.stunet.error.StunetException;
import io.stunet.kafka.CaseStatusView;
import io.stunet.kafka.Outbound;
import io.stunet.kafka.StageConsumer;
import io.stunet.kafka.StageOptions;
import io.stunet.kafka.StreamingRuntime;
import io.stunet.records.BlobRef;
import io.stunet.records.CaseIds;
import io.stunet.records.CaseState;
import io.stunet.records.CaseStatus;
import io.stunet.records.CaseSubmitted;
import io.stunet.records.RecordCodec;
import io.stunet.records.StunetRecord;
import io.stunet.topics.TopicCreator;
import io.stunet.topics.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static io.stunet.k8s.Manifests.at;
import static io.stunet.k8s.Manifests.list;
import static io.stunet.k8s.Manifests.map;
import static io.stunet.k8s.Manifests.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KafkaUsers' ACLs are exactly the access the pipeline needs: per role, Read on the topic
 * it consumes and on its consumer group, Write on the topics it publishes to, Read on the
 * topics it views without a group, Describe with each; for KEDA, Describe on the topics and
 * groups its ScaledObjects watch. Nothing more, nothing less. Then each role's real clients
 * (the streaming runtime, a stage consumer, the publisher, the status view; an admin client
 * for KEDA) run against a broker enforcing those very ACLs: what a role needs works, a topic
 * outside its list is refused.
 */
class KafkaUserAclTest {
    /** A topic or group with the operations allowed on it. */
    private record Resource(String type, String name) implements Comparable<Resource> {
        @Override
        public int compareTo(Resource o) {
            return (type + "/" + name).compareTo(o.type + "/" + o.name);
        }
    }

    @TempDir
    Path tmp;

    private static StunetConfig config(List<Map<String, Object>> docs) throws Exception {
        String file = (String) map(Manifests.get(docs, "ConfigMap", "stunet-config"), "data").get("stunet.yaml");
        Path p = Files.createTempFile("stunet", ".yaml");
        try {
            Files.writeString(p, file);
            return StunetConfig.load(p, Map.of(), Map.of());
        } finally {
            Files.delete(p);
        }
    }

    private static void allow(Map<Resource, Set<String>> access, String type, String name, String... ops) {
        access.computeIfAbsent(new Resource(type, name), r -> new TreeSet<>()).addAll(List.of(ops));
    }

    /** KafkaUser name to the access the pipeline needs, derived from the services' topics and groups and the ScaledObjects. */
    private static Map<String, Map<Resource, Set<String>>> needed(List<Map<String, Object>> docs) throws Exception {
        StunetConfig c = config(docs);
        Map<String, Map<Resource, Set<String>>> out = new TreeMap<>();
        for (String role : PendingContract.ROLES) {
            Map<Resource, Set<String>> access = new TreeMap<>();
            String input = PendingContract.STAGE_INPUT_TOPICS.get(role);
            if (input != null) {
                allow(access, "topic", input, "Describe", "Read");
                allow(access, "group", StageOptions.fromConfig(c, role, input, "unused").getGroupId(), "Read");
            }
            for (String t : PendingContract.ROLE_OUTPUT_TOPICS.get(role)) {
                allow(access, "topic", t, "Describe", "Write");
            }
            for (String t : PendingContract.ROLE_VIEWED_TOPICS.getOrDefault(role, Set.of())) {
                allow(access, "topic", t, "Describe", "Read");
            }
            out.put("stunet-" + role, access);
        }
        Map<Resource, Set<String>> keda = new TreeMap<>();
        for (Map<String, Object> so : Manifests.ofKind(docs, "ScaledObject")) {
            for (Map<String, Object> t : list(so, "spec.triggers")) {
                allow(keda, "topic", (String) at(t, "metadata.topic"), "Describe");
                allow(keda, "group", (String) at(t, "metadata.consumerGroup"), "Describe");
            }
        }
        out.put(kedaUser(docs), keda);
        return out;
    }

    private static String kedaUser(List<Map<String, Object>> docs) {
        Map<String, Object> auth = Manifests.ofKind(docs, "TriggerAuthentication").get(0);
        Map<String, Object> ref = list(auth, "spec.configMapTargetRef").stream()
                .filter(r -> "username".equals(r.get("parameter"))).findFirst().orElseThrow();
        return (String) map(Manifests.get(docs, "ConfigMap", (String) ref.get("name")), "data").get(ref.get("key"));
    }

    /** KafkaUser name to its ACLs as written in the manifests. */
    private static Map<String, Map<Resource, Set<String>>> granted(List<Map<String, Object>> docs) {
        Map<String, Map<Resource, Set<String>>> out = new TreeMap<>();
        for (Map<String, Object> u : Manifests.ofKind(docs, "KafkaUser")) {
            String id = name(u);
            assertEquals("scram-sha-512", at(u, "spec.authentication.type"), id);
            assertEquals("simple", at(u, "spec.authorization.type"), id);
            Map<Resource, Set<String>> access = new TreeMap<>();
            for (Map<String, Object> acl : list(u, "spec.authorization.acls")) {
                assertEquals("literal", at(acl, "resource.patternType"), id + ": prefixes would reach beyond the pipeline's names");
                assertTrue(!acl.containsKey("type") || "allow".equals(acl.get("type")), id);
                assertTrue(!acl.containsKey("host") || "*".equals(acl.get("host")), id);
                @SuppressWarnings("unchecked")
                List<String> ops = (List<String>) acl.get("operations");
                allow(access, (String) at(acl, "resource.type"), (String) at(acl, "resource.name"), ops.toArray(String[]::new));
            }
            out.put(id, access);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyRolesAclsAreExactlyWhatThePipelineNeeds(String overlay) throws Exception {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        Map<String, Map<Resource, Set<String>>> needed = needed(docs);
        Map<String, Map<Resource, Set<String>>> granted = granted(docs);
        assertEquals(needed.keySet(), granted.keySet(), overlay + ": one KafkaUser per role plus KEDA's");
        for (String user : needed.keySet()) {
            assertEquals(needed.get(user), granted.get(user), overlay + ": ACLs of " + user);
        }
        String cluster = name(Manifests.ofKind(docs, "Kafka").get(0));
        for (Map<String, Object> u : Manifests.ofKind(docs, "KafkaUser")) {
            assertEquals(cluster, map(u, "metadata.labels").get("strimzi.io/cluster"), overlay + ": " + name(u));
        }
    }

    /* ---- the same ACLs enforced by a real broker ---- */

    private static final String ADMIN = "admin";

    private static Map<String, Object> sasl(String user, String password) {
        return Map.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT", SaslConfigs.SASL_MECHANISM, "PLAIN",
                SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + user + "\" password=\"" + password + "\";");
    }

    private static List<AclBinding> bindings(String user, Map<Resource, Set<String>> access) {
        List<AclBinding> out = new ArrayList<>();
        access.forEach((r, ops) -> {
            for (String op : ops) {
                out.add(new AclBinding(new ResourcePattern(ResourceType.fromString(r.type().toUpperCase(Locale.ROOT)), r.name(), PatternType.LITERAL),
                        new AccessControlEntry("User:" + user, "*", AclOperation.fromString(op.toUpperCase(Locale.ROOT)), AclPermissionType.ALLOW)));
            }
        });
        return out;
    }

    @Test
    void eachRoleRunsWithItsAclsOnABrokerThatEnforcesThem() throws Exception {
        List<Map<String, Object>> docs = Manifests.overlay("gpu");
        Map<String, Map<Resource, Set<String>>> granted = granted(docs);
        Map<String, String> passwords = new HashMap<>();
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        passwords.put(ADMIN, UUID.randomUUID().toString());
        granted.keySet().forEach(u -> passwords.put(u, UUID.randomUUID().toString()));
        jaas.append(" username=\"").append(ADMIN).append("\" password=\"").append(passwords.get(ADMIN)).append('"');
        passwords.forEach((u, pw) -> jaas.append(" user_").append(u).append("=\"").append(pw).append('"'));
        jaas.append(';');
        try (EmbeddedKafka kafka = EmbeddedKafka.start(tmp.resolve("kafka"), 0, Map.of(
                "listener.security.protocol.map", EmbeddedKafka.CLIENT_LISTENER + ":SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
                "sasl.enabled.mechanisms", "PLAIN",
                "sasl.mechanism.inter.broker.protocol", "PLAIN",
                "listener.name.client.plain.sasl.jaas.config", jaas.toString(),
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                // The broker itself reaches the controller over the loopback plaintext listener.
                "super.users", "User:" + ADMIN + ";User:ANONYMOUS"))) {
            String bootstrap = kafka.bootstrapServers();
            Map<String, Object> admin = new HashMap<>(sasl(ADMIN, passwords.get(ADMIN)));
            TopicCreator.ensure(bootstrap, admin, Topics.all(1, 1, (short) 1), Duration.ofSeconds(60));
            admin.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            try (Admin a = Admin.create(admin)) {
                List<AclBinding> all = new ArrayList<>();
                granted.forEach((u, access) -> all.addAll(bindings(u, access)));
                a.createAcls(all).all().get(30, TimeUnit.SECONDS);
            }
            Vertx vertx = Vertx.vertx();
            try {
                for (String role : PendingContract.STAGE_INPUT_TOPICS.keySet()) {
                    runStage(vertx, bootstrap, admin, role, passwords.get("stunet-" + role));
                }
                runIngest(vertx, bootstrap, passwords.get("stunet-ingest"));
                String kedaUser = kedaUser(docs);
                Map<String, Object> keda = new HashMap<>(sasl(kedaUser, passwords.get(kedaUser)));
                keda.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                try (Admin k = Admin.create(keda)) {
                    // What KEDA's lag computation asks: committed offsets of the group, log-end offsets of the topic.
                    for (Map<String, Object> so : Manifests.ofKind(docs, "ScaledObject")) {
                        Map<String, Object> t = list(so, "spec.triggers").get(0);
                        String group = (String) at(t, "metadata.consumerGroup");
                        TopicPartition tp = new TopicPartition((String) at(t, "metadata.topic"), 0);
                        Map<TopicPartition, OffsetAndMetadata> committed = k.listConsumerGroupOffsets(group)
                                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                        assertEquals(committed(admin, group, tp).offset(), committed.get(tp).offset(), "KEDA reads the lag of " + group);
                        assertEquals(endOffset(admin, tp.topic()),
                                k.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(30, TimeUnit.SECONDS).offset());
                    }
                }
                assertRefusedRead(bootstrap, keda, Topics.TILE_REQUESTED);
            } finally {
                vertx.close().await(30, TimeUnit.SECONDS);
            }
        }
    }

    private StunetConfig roleConfig(String bootstrap, String role, String password) {
        Map<String, String> o = new HashMap<>();
        o.put("kafka.bootstrap", bootstrap);
        sasl("stunet-" + role, password).forEach((k, v) -> o.put(StunetConfig.KAFKA_CLIENT_PREFIX + k, String.valueOf(v)));
        o.put("topics.create", "false");
        o.put("store.local.root", tmp.resolve("blobs-" + role).toString());
        o.put("stage.max.retries", "0");
        return StunetConfig.load(null, Map.of(), o);
    }

    private void runStage(Vertx vertx, String bootstrap, Map<String, Object> admin, String role, String password) throws Exception {
        String input = PendingContract.STAGE_INPUT_TOPICS.get(role);
        Set<String> outputs = PendingContract.ROLE_OUTPUT_TOPICS.get(role);
        CaseSubmitted record = submitted(role);
        produce(admin, input, record.caseId(), RecordCodec.encode(record));
        try (StreamingRuntime runtime = StreamingRuntime.start(vertx, roleConfig(bootstrap, role, password), role, null)) {
            List<String> handled = new CopyOnWriteArrayList<>();
            StageConsumer<StunetRecord> stage = runtime.stage(role, input, StunetRecord.class, in -> {
                handled.add(in.value().caseId());
                List<Outbound> outs = new ArrayList<>();
                for (String t : outputs) {
                    outs.add(Outbound.of(t, CaseStatus.of(in.value().caseId(), CaseState.PREPROCESSING, 0.5, role)));
                }
                return Future.succeededFuture(outs);
            }, null);
            stage.start();
            await(() -> role + " handles its input and commits (handled " + handled + ", " + (stage.isRunning() ? "running" : "stopped: "
                    + stage.stop().toCompletionStage().toCompletableFuture().handle((v, e) -> String.valueOf(e)).join()) + ")", () -> {
                try {
                    // The input topic may also hold what the upstream role wrote in this test.
                    OffsetAndMetadata om = committed(admin, "stunet-" + role, new TopicPartition(input, 0));
                    return om != null && om.offset() == endOffset(admin, input);
                } catch (Exception e) {
                    return false;
                }
            });
            stage.stop().await(30, TimeUnit.SECONDS);
            assertTrue(handled.contains(record.caseId()), role + " handled " + handled);
            for (String t : outputs) {
                assertTrue(endOffset(admin, t) >= 1, role + " wrote " + t);
            }
            Set<String> forbidden = new TreeSet<>(Set.of(Topics.CASE_SUBMITTED, Topics.TILE_REQUESTED, Topics.TILE_SEGMENTED,
                    Topics.CASE_COMPLETED));
            forbidden.removeAll(outputs);
            for (String t : forbidden) {
                assertRefusedWrite(runtime, t, role);
            }
        }
    }

    private void runIngest(Vertx vertx, String bootstrap, String password) throws Exception {
        try (StreamingRuntime runtime = StreamingRuntime.start(vertx, roleConfig(bootstrap, "ingest", password), "ingest", null);
             CaseStatusView view = runtime.statusView().start()) {
            CaseSubmitted c = submitted("ingest");
            for (String t : PendingContract.ROLE_OUTPUT_TOPICS.get("ingest")) {
                StunetRecord r = t.equals(Topics.CASE_SUBMITTED) ? c : CaseStatus.of(c.caseId(), CaseState.RECEIVED, 0, "ingest");
                runtime.publisher().publish(Outbound.of(t, r)).await(30, TimeUnit.SECONDS);
            }
            await(() -> "ingest's status view reads the status topic", () -> view.get(c.caseId()).isPresent());
            for (String t : List.of(Topics.TILE_REQUESTED, Topics.TILE_SEGMENTED, Topics.CASE_COMPLETED)) {
                assertRefusedWrite(runtime, t, "ingest");
            }
        }
    }

    private static void assertRefusedWrite(StreamingRuntime runtime, String topic, String role) throws Exception {
        Throwable err = runtime.publisher().publish(Outbound.of(topic, CaseStatus.of(submitted(role).caseId(), CaseState.RECEIVED, 0, role)))
                .toCompletionStage().toCompletableFuture().handle((v, e) -> e).get(60, TimeUnit.SECONDS);
        StunetException s = assertInstanceOf(StunetException.class, err, role + " may not write " + topic);
        assertTrue(s.getMessage().contains("Not authorized to access topics"), role + " -> " + topic + ": " + s.getMessage());
    }

    private static void assertRefusedRead(String bootstrap, Map<String, Object> client, String topic) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(new TopicPartition(topic, 0)));
            c.seekToBeginning(List.of(new TopicPartition(topic, 0)));
            RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> c.poll(Duration.ofSeconds(10)));
            assertTrue(e.getMessage().contains("Not authorized to access topics"), e.getMessage());
        }
    }

    private static CaseSubmitted submitted(String salt) {
        String sha = Integer.toHexString(salt.hashCode()).repeat(8).substring(0, 8).repeat(8);
        String model = "ab".repeat(32);
        String caseId = CaseIds.derive(sha, model, Map.of());
        return new CaseSubmitted(caseId, new BlobRef("cases/" + caseId + "/input.nii.gz", 10, sha), "x.nii.gz", model, Map.of(), 0);
    }

    private static void produce(Map<String, Object> admin, String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(admin, new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static OffsetAndMetadata committed(Map<String, Object> admin, String group, TopicPartition tp) throws Exception {
        try (Admin a = Admin.create(admin)) {
            return a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(tp);
        }
    }

    private static long endOffset(Map<String, Object> admin, String topic) throws Exception {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin a = Admin.create(admin)) {
            return a.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
        }
    }

    private static void await(Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what.get());
            }
            Thread.sleep(50);
        }
    }
}
