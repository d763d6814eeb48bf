package io.stunet.k8s;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The test renderer agrees with real kustomize: {@code k8s/rendered/<overlay>.yaml} is the
 * output of {@code kubectl kustomize} (k8s/render.sh) and must equal the test's own render of
 * the same sources, so a stale checked-in render or a renderer that drifted from kustomize
 * both fail here.
 */
class KustomizeRenderTest {
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void overlayRenderEqualsCheckedInKustomizeOutput(String overlay) {
        List<Map<String, Object>> ours = Manifests.overlay(overlay);
        List<Map<String, Object>> kustomize = Yaml.loadAll(Manifests.k8s().resolve("rendered").resolve(overlay + ".yaml"));
        assertEquals(byIdentity(kustomize), byIdentity(ours),
                "k8s/rendered/" + overlay + ".yaml is stale or the test renderer differs from kustomize; run k8s/render.sh");
    }

    private static Map<String, Object> byIdentity(List<Map<String, Object>> docs) {
        Map<String, Object> out = new TreeMap<>();
        for (Map<String, Object> d : docs) {
            String id = d.get("apiVersion") + "/" + d.get("kind") + "/" + Manifests.at(d, "metadata.namespace") + "/" + Manifests.name(d);
            if (out.put(id, Manifests.canonical(d)) != null) {
                throw new AssertionError("duplicate resource " + id);
            }
        }
        return out;
    }
}
