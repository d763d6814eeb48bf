package io.stunet.k8s;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.stunet.k8s.Manifests.list;
import static io.stunet.k8s.Manifests.map;
import static io.stunet.k8s.Manifests.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KEDA and the Prometheus Operator publish no Java model, so the fields of their resources
 * are held to the documented field names here (a misspelt trigger parameter would otherwise
 * be ignored by KEDA, silently disabling a setting), trigger parameters must be strings
 * (KEDA's CRD types them so), and the HPA behaviour KEDA passes through deserializes into the
 * typed autoscaling/v2 model without unknown fields.
 */
class CustomResourceFieldsTest {
    private static final Set<String> SCALED_OBJECT_SPEC = Set.of("scaleTargetRef", "pollingInterval", "cooldownPeriod",
            "initialCooldownPeriod", "idleReplicaCount", "minReplicaCount", "maxReplicaCount", "fallback", "advanced", "triggers");
    private static final Set<String> ADVANCED = Set.of("restoreToOriginalReplicaCount", "horizontalPodAutoscalerConfig", "scalingModifiers");
    private static final Set<String> HPA_CONFIG = Set.of("name", "behavior");
    private static final Set<String> TRIGGER = Set.of("type", "name", "metadata", "authenticationRef", "metricType", "useCachedMetrics");
    /** Parameters of KEDA's kafka scaler (keda.sh/docs/latest/scalers/apache-kafka). */
    private static final Set<String> KAFKA_TRIGGER = Set.of("bootstrapServers", "consumerGroup", "topic", "lagThreshold",
            "activationLagThreshold", "offsetResetPolicy", "allowIdleConsumers", "scaleToZeroOnInvalidOffset",
            "excludePersistentLag", "limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions", "version",
            "partitionLimitation", "sasl", "tls", "unsafeSsl");
    /** TriggerAuthentication sources (keda.sh/docs/latest/concepts/authentication) and their entries. */
    private static final Set<String> TRIGGER_AUTH_SPEC = Set.of("secretTargetRef", "configMapTargetRef", "env", "podIdentity",
            "hashiCorpVault", "azureKeyVault", "awsSecretManager", "gcpSecretManager", "boundServiceAccountToken");
    private static final Set<String> TARGET_REF = Set.of("parameter", "name", "key");
    private static final Set<String> SERVICE_MONITOR_SPEC = Set.of("selector", "namespaceSelector", "endpoints", "jobLabel",
            "targetLabels", "podTargetLabels", "sampleLimit");
    private static final Set<String> ENDPOINT = Set.of("port", "targetPort", "path", "scheme", "interval", "scrapeTimeout",
            "honorLabels", "relabelings", "metricRelabelings", "params");

    private static void assertKnown(Set<String> known, Map<String, Object> node, String where) {
        assertTrue(known.containsAll(node.keySet()), where + ": unknown fields " + node.keySet().stream().filter(k -> !known.contains(k)).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void scaledObjectsUseOnlyKedaFields(String overlay) {
        KubernetesSerialization serialization = new KubernetesSerialization();
        for (Map<String, Object> so : Manifests.ofKind(Manifests.overlay(overlay), "ScaledObject")) {
            String id = overlay + ": " + name(so);
            assertKnown(SCALED_OBJECT_SPEC, map(so, "spec"), id);
            assertKnown(ADVANCED, map(so, "spec.advanced"), id + " advanced");
            Map<String, Object> hpa = map(so, "spec.advanced.horizontalPodAutoscalerConfig");
            assertKnown(HPA_CONFIG, hpa, id + " horizontalPodAutoscalerConfig");
            HorizontalPodAutoscalerBehavior behavior = serialization.convertValue(hpa.get("behavior"), HorizontalPodAutoscalerBehavior.class);
            List<String> unknown = new ArrayList<>();
            TypedManifestsTest.unknownFields(behavior, "behavior", unknown);
            assertEquals(List.of(), unknown, id);
            assertTrue(behavior.getScaleDown().getPolicies().size() > 0, id);
            for (Map<String, Object> t : list(so, "spec.triggers")) {
                assertKnown(TRIGGER, t, id + " trigger");
                assertKnown(KAFKA_TRIGGER, map(t, "metadata"), id + " kafka trigger");
                map(t, "metadata").forEach((k, v) -> assertTrue(v instanceof String, id + ": trigger parameter " + k + " must be a string"));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void triggerAuthenticationsUseOnlyKedaFieldsAndEveryTriggerNamesOne(String overlay) {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        for (Map<String, Object> ta : Manifests.ofKind(docs, "TriggerAuthentication")) {
            String id = overlay + ": " + name(ta);
            assertKnown(TRIGGER_AUTH_SPEC, map(ta, "spec"), id);
            for (String ref : List.of("secretTargetRef", "configMapTargetRef")) {
                for (Map<String, Object> entry : list(ta, "spec." + ref)) {
                    assertKnown(TARGET_REF, entry, id + " " + ref);
                    assertEquals(TARGET_REF, entry.keySet(), id + " " + ref + ": parameter, name and key are required");
                }
            }
        }
        for (Map<String, Object> so : Manifests.ofKind(docs, "ScaledObject")) {
            for (Map<String, Object> t : list(so, "spec.triggers")) {
                Manifests.get(docs, "TriggerAuthentication", (String) Manifests.at(t, "authenticationRef.name"));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void serviceMonitorUsesOnlyOperatorFields(String overlay) {
        for (Map<String, Object> sm : Manifests.ofKind(Manifests.overlay(overlay), "ServiceMonitor")) {
            assertKnown(SERVICE_MONITOR_SPEC, map(sm, "spec"), overlay + ": " + name(sm));
            for (Map<String, Object> e : list(sm, "spec.endpoints")) {
                assertKnown(ENDPOINT, e, overlay + ": " + name(sm) + " endpoint");
            }
        }
    }
}
