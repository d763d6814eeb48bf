package io.stunet.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every rendered manifest deserializes into the fabric8 Kubernetes model: built-in kinds into
 * their typed classes with no field the model does not know (a misspelt or misplaced field
 * lands in {@code additionalProperties}, which is checked empty throughout the object graph),
 * custom resources (KEDA, Strimzi, Prometheus Operator) into generic resources of the
 * expected API group and version.
 * Strimzi's resources are typed too (its {@code io.strimzi:api} model) and held to the same
 * no-unknown-field rule; KEDA and the Prometheus Operator publish no Java model, so their
 * resources stay generic and {@code PipelineConsistencyTest} checks the fields they use.
 */
class TypedManifestsTest {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    static {
        SERIALIZATION.registerKubernetesResource(Kafka.class);
        SERIALIZATION.registerKubernetesResource(KafkaNodePool.class);
        SERIALIZATION.registerKubernetesResource(KafkaTopic.class);
        SERIALIZATION.registerKubernetesResource(KafkaUser.class);
    }

    private static final Map<String, Class<? extends HasMetadata>> TYPED = Map.ofEntries(
            Map.entry("Kafka", Kafka.class),
            Map.entry("KafkaNodePool", KafkaNodePool.class),
            Map.entry("KafkaTopic", KafkaTopic.class),
            Map.entry("KafkaUser", KafkaUser.class),
            Map.entry("Namespace", Namespace.class),
            Map.entry("ServiceAccount", ServiceAccount.class),
            Map.entry("Role", Role.class),
            Map.entry("RoleBinding", RoleBinding.class),
            Map.entry("ConfigMap", ConfigMap.class),
            Map.entry("Secret", Secret.class),
            Map.entry("Deployment", Deployment.class),
            Map.entry("Service", Service.class),
            Map.entry("PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("NetworkPolicy", NetworkPolicy.class));
    private static final Map<String, String> CUSTOM = Map.of(
            "ScaledObject", "keda.sh/v1alpha1",
            "TriggerAuthentication", "keda.sh/v1alpha1",
            "ServiceMonitor", "monitoring.coreos.com/v1");

    static KubernetesResource typed(Map<String, Object> doc) {
        return SERIALIZATION.unmarshal(SERIALIZATION.asJson(doc));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyManifestParsesIntoTheKubernetesModel(String overlay) {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        assertFalse(docs.isEmpty());
        for (Map<String, Object> doc : docs) {
            String kind = (String) doc.get("kind");
            String id = overlay + ": " + kind + "/" + Manifests.name(doc);
            KubernetesResource r = typed(doc);
            if (TYPED.containsKey(kind)) {
                assertInstanceOf(TYPED.get(kind), r, id);
                List<String> unknown = new ArrayList<>();
                unknownFields(r, kind, unknown);
                assertEquals(List.of(), unknown, id + " has fields the Kubernetes model does not know");
            } else {
                assertTrue(CUSTOM.containsKey(kind), id + ": unexpected kind");
                GenericKubernetesResource g = assertInstanceOf(GenericKubernetesResource.class, r, id);
                assertEquals(CUSTOM.get(kind), g.getApiVersion(), id);
                assertTrue(g.getAdditionalProperties().get("spec") instanceof Map<?, ?>, id + " has no spec");
            }
            HasMetadata h = (HasMetadata) r;
            assertFalse(h.getMetadata().getName() == null || h.getMetadata().getName().isEmpty(), id + " has no name");
            if (!kind.equals("Namespace")) {
                assertEquals("stunet", h.getMetadata().getNamespace(), id + " is not in the stunet namespace");
            }
        }
    }

    @Test
    void theSecretTemplateParsesAndIsNotApplied() {
        Map<String, Object> doc = Yaml.loadOne(Manifests.k8s().resolve("base/secret-template.yaml"));
        Secret s = assertInstanceOf(Secret.class, typed(doc));
        assertEquals("stunet-secrets", s.getMetadata().getName());
        List<String> unknown = new ArrayList<>();
        unknownFields(s, "Secret", unknown);
        assertEquals(List.of(), unknown);
        // Production secrets are created once by the operator, never overwritten by an apply.
        assertTrue(Manifests.ofKind(Manifests.overlay("gpu"), "Secret").isEmpty(), "the gpu overlay must not ship a Secret");
    }

    @Test
    void theUnknownFieldCheckCatchesAMisspeltField() {
        Map<String, Object> svc = Map.of("apiVersion", "v1", "kind", "Service",
                "metadata", Map.of("name", "x"),
                "spec", Map.of("selector", Map.of("a", "b"), "ports", List.of(Map.of("port", 80, "targetPrt", "http"))));
        List<String> unknown = new ArrayList<>();
        unknownFields(typed(svc), "Service", unknown);
        assertEquals(1, unknown.size(), unknown.toString());
        assertTrue(unknown.get(0).contains("targetPrt"), unknown.toString());

        Map<String, Object> topic = Map.of("apiVersion", "kafka.strimzi.io/v1beta2", "kind", "KafkaTopic",
                "metadata", Map.of("name", "t"), "spec", Map.of("partitons", 3));
        KubernetesResource typedTopic = typed(topic);
        assertInstanceOf(KafkaTopic.class, typedTopic);
        unknown.clear();
        unknownFields(typedTopic, "KafkaTopic", unknown);
        assertEquals(1, unknown.size(), unknown.toString());
        assertTrue(unknown.get(0).contains("partitons"), unknown.toString());
    }

    /** Collects every non-empty additionalProperties in a fabric8 model object graph. */
    static void unknownFields(Object o, String path, List<String> out) {
        if (o == null || o instanceof GenericKubernetesResource) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "[" + k + "]", out));
            return;
        }
        String type = o.getClass().getName();
        if (!type.startsWith("io.fabric8.kubernetes.api.model") && !type.startsWith("io.strimzi.api")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || m.isBridge() || !m.getName().startsWith("get") || Modifier.isStatic(m.getModifiers())
                    || m.getDeclaringClass() == Object.class || SKIP.contains(m.getName())) {
                continue;
            }
            Object v;
            try {
                v = m.invoke(o);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException(m.toString(), e);
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(v, path + "." + m.getName().substring(3), out);
            }
        }
    }

    /** Derived getters that compute values rather than expose fields. */
    private static final Set<String> SKIP = Set.of("getNumericalAmount", "getPlural", "getSingular",
            "getKind", "getApiVersion", "getFullResourceName", "getGroup", "getVersion", "getCRDName");
}
