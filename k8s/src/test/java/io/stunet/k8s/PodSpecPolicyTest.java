package io.stunet.k8s;

import io.stunet.metrics.ServiceRoutes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.stunet.k8s.Manifests.at;
import static io.stunet.k8s.Manifests.list;
import static io.stunet.k8s.Manifests.map;
import static io.stunet.k8s.Manifests.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every workload must carry, in both overlays: requests and limits for every container,
 * liveness and readiness probes on the service containers, the restricted security context
 * (non-root, read-only root filesystem with a writable emptyDir /tmp, no privilege
 * escalation, no capabilities, RuntimeDefault seccomp), and GPUs requested by infer alone.
 */
class PodSpecPolicyTest {
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyContainerHasRequestsAndLimits(String overlay) {
        for (Map<String, Object> d : Manifests.ofKind(Manifests.overlay(overlay), "Deployment")) {
            for (Map<String, Object> c : Manifests.allContainers(d)) {
                String id = overlay + ": " + name(d) + "/" + c.get("name");
                assertNotNull(at(c, "resources.requests.cpu"), id + " cpu request");
                assertNotNull(at(c, "resources.requests.memory"), id + " memory request");
                assertNotNull(at(c, "resources.limits.memory"), id + " memory limit");
                assertNotNull(at(c, "resources.limits.cpu"), id + " cpu limit");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void serviceContainersProbeTheHealthEndpoints(String overlay) {
        List<Map<String, Object>> docs = Manifests.overlay(overlay);
        Map<String, Map<String, Object>> stages = Manifests.stages(docs);
        assertEquals(PendingContract.ROLES, stages.keySet(), overlay + ": one Deployment per role");
        for (Map.Entry<String, Map<String, Object>> e : stages.entrySet()) {
            Map<String, Object> c = Manifests.serviceContainer(e.getValue());
            String id = overlay + ": " + e.getKey();
            assertEquals(ServiceRoutes.LIVE_PATH, at(c, "livenessProbe.httpGet.path"), id);
            assertEquals(ServiceRoutes.READY_PATH, at(c, "readinessProbe.httpGet.path"), id);
            assertEquals(ServiceRoutes.LIVE_PATH, at(c, "startupProbe.httpGet.path"), id);
            for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                assertEquals("http", at(c, probe + ".httpGet.port"), id + " " + probe + " port");
            }
        }
        // Every other workload (MinIO in the cpu overlay) is probed too.
        for (Map<String, Object> d : Manifests.ofKind(docs, "Deployment")) {
            assertTrue(Manifests.containers(d).stream().anyMatch(c -> c.containsKey("livenessProbe") && c.containsKey("readinessProbe")),
                    overlay + ": " + name(d) + " has no probed container");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void everyPodRunsRestricted(String overlay) {
        for (Map<String, Object> d : Manifests.ofKind(Manifests.overlay(overlay), "Deployment")) {
            Map<String, Object> pod = map(d, "spec.template.spec");
            String pid = overlay + ": " + name(d);
            assertEquals(Boolean.TRUE, at(pod, "securityContext.runAsNonRoot"), pid);
            assertEquals("RuntimeDefault", at(pod, "securityContext.seccompProfile.type"), pid);
            assertTrue(((Number) at(pod, "securityContext.runAsUser")).intValue() > 0, pid + " runs as root");
            Set<String> emptyDirs = new HashSet<>();
            for (Map<String, Object> v : list(pod, "volumes")) {
                if (v.containsKey("emptyDir")) {
                    emptyDirs.add((String) v.get("name"));
                }
                assertFalse(v.containsKey("hostPath"), pid + " mounts a host path");
            }
            assertFalse(Boolean.TRUE.equals(pod.get("hostNetwork")) || Boolean.TRUE.equals(pod.get("hostPID")), pid);
            for (Map<String, Object> c : Manifests.allContainers(d)) {
                String id = pid + "/" + c.get("name");
                Map<String, Object> sc = map(c, "securityContext");
                assertEquals(Boolean.FALSE, sc.get("allowPrivilegeEscalation"), id);
                assertEquals(Boolean.TRUE, sc.get("readOnlyRootFilesystem"), id);
                assertEquals(Boolean.TRUE, sc.get("runAsNonRoot"), id);
                assertEquals(List.of("ALL"), at(sc, "capabilities.drop"), id);
                assertFalse(sc.containsKey("capabilities") && map(sc, "capabilities").containsKey("add"), id + " adds capabilities");
                assertEquals("RuntimeDefault", at(sc, "seccompProfile.type"), id);
                assertFalse(Boolean.TRUE.equals(sc.get("privileged")), id);
                assertTrue(list(c, "volumeMounts").stream().anyMatch(m -> "/tmp".equals(m.get("mountPath"))
                        && emptyDirs.contains((String) m.get("name"))), id + " has no writable emptyDir /tmp");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void onlyInferOnTheGpuOverlayRequestsAGpu(String overlay) {
        for (Map<String, Object> d : Manifests.ofKind(Manifests.overlay(overlay), "Deployment")) {
            for (Map<String, Object> c : Manifests.allContainers(d)) {
                Object limitDirect = map(c, "resources.limits").get("nvidia.com/gpu");
                Object request = map(c, "resources.requests").get("nvidia.com/gpu");
                boolean gpuInfer = overlay.equals("gpu") && name(d).equals("stunet-infer") && c.get("name").equals("infer");
                String id = overlay + ": " + name(d) + "/" + c.get("name");
                if (gpuInfer) {
                    assertEquals("1", String.valueOf(limitDirect), id + " GPU limit");
                    assertEquals("1", String.valueOf(request), id + " GPU request");
                } else {
                    assertEquals(null, limitDirect, id + " must not request a GPU");
                    assertEquals(null, request, id + " must not request a GPU");
                }
            }
            Map<String, Object> pod = map(d, "spec.template.spec");
            boolean gpuPod = overlay.equals("gpu") && name(d).equals("stunet-infer");
            boolean tolerates = list(pod, "tolerations").stream().anyMatch(t -> "nvidia.com/gpu".equals(t.get("key")));
            assertEquals(gpuPod, tolerates, overlay + ": " + name(d) + " GPU toleration");
            assertEquals(gpuPod, map(pod, "nodeSelector").containsKey("nvidia.com/gpu.present"), overlay + ": " + name(d) + " GPU node selector");
        }
    }
}
