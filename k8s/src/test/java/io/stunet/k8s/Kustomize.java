package io.stunet.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The subset of kustomize the manifests use, so the tests see exactly what {@code kubectl
 * apply -k} would apply without needing the binary: {@code resources} (files and
 * directories), {@code configMapGenerator} (files, no name hash, labels) and {@code patches}
 * (strategic merge, with an optional {@code target} by kind and name). Any other field fails
 * the render, so a kustomization cannot silently use something this class ignores.
 * {@code KustomizeRenderTest} checks the result against the output of the real kustomize
 * checked in under {@code k8s/rendered/}.
 */
final class Kustomize {
    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "patches", "configMapGenerator");
    /** kyaml's keys that make a list of maps associative (merged element-wise) in a patch. */
    private static final List<String> ASSOCIATIVE_KEYS =
            List.of("mountPath", "devicePath", "ip", "type", "topologyKey", "name", "containerPort");

    private Kustomize() {
    }

    /** Renders the kustomization in {@code dir}. */
    static List<Map<String, Object>> render(Path dir) {
        Map<String, Object> k = Yaml.loadOne(dir.resolve("kustomization.yaml"));
        for (String key : k.keySet()) {
            if (!SUPPORTED.contains(key)) {
                throw new IllegalArgumentException(dir + ": kustomization field not supported by the test renderer: " + key);
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object r : list(k.get("resources"))) {
            Path p = dir.resolve((String) r).normalize();
            if (Files.isDirectory(p)) {
                out.addAll(render(p));
            } else {
                out.addAll(Yaml.loadAll(p));
            }
        }
        for (Object g : list(k.get("configMapGenerator"))) {
            out.add(generateConfigMap(dir, map(g)));
        }
        for (Object p : list(k.get("patches"))) {
            Map<String, Object> patch = map(p);
            Map<String, Object> target = patch.containsKey("target") ? map(patch.get("target")) : null;
            for (Map<String, Object> doc : Yaml.loadAll(dir.resolve((String) patch.get("path")))) {
                apply(out, doc, target);
            }
        }
        return out;
    }

    private static Map<String, Object> generateConfigMap(Path dir, Map<String, Object> g) {
        Map<String, Object> options = g.containsKey("options") ? map(g.get("options")) : Map.of();
        if (!Boolean.TRUE.equals(options.get("disableNameSuffixHash"))) {
            throw new IllegalArgumentException("configMapGenerator " + g.get("name") + ": only disableNameSuffixHash: true is supported");
        }
        Map<String, Object> data = new LinkedHashMap<>();
        for (Object f : list(g.get("files"))) {
            Path file = dir.resolve((String) f);
            try {
                data.put(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + file, e);
            }
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", g.get("name"));
        if (g.containsKey("namespace")) {
            metadata.put("namespace", g.get("namespace"));
        }
        if (options.containsKey("labels")) {
            metadata.put("labels", new LinkedHashMap<>(map(options.get("labels"))));
        }
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("apiVersion", "v1");
        cm.put("kind", "ConfigMap");
        cm.put("metadata", metadata);
        cm.put("data", data);
        return cm;
    }

    private static void apply(List<Map<String, Object>> resources, Map<String, Object> patch, Map<String, Object> target) {
        String kind = target != null ? (String) target.get("kind") : (String) patch.get("kind");
        String name = target != null ? (String) target.get("name") : Manifests.name(patch);
        if (target != null && !Set.of("kind", "name").containsAll(target.keySet())) {
            throw new IllegalArgumentException("patch target selectors other than kind and name are not supported: " + target);
        }
        int matched = 0;
        for (int i = 0; i < resources.size(); i++) {
            Map<String, Object> r = resources.get(i);
            if (Objects.equals(kind, r.get("kind")) && (name == null || name.equals(Manifests.name(r)))) {
                Map<String, Object> body = new LinkedHashMap<>(patch);
                if (target != null) {
                    // A targeted patch applies to every match whatever name it carries itself.
                    body.remove("metadata");
                }
                resources.set(i, merge(r, body));
                matched++;
            }
        }
        if (matched == 0) {
            throw new IllegalArgumentException("patch matches no resource: " + kind + "/" + name);
        }
    }

    /** Strategic merge: maps merge recursively, null deletes, associative lists merge by key, other lists are replaced. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> patch) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        for (Map.Entry<String, Object> e : patch.entrySet()) {
            Object b = out.get(e.getKey());
            Object p = e.getValue();
            if (p == null) {
                out.remove(e.getKey());
            } else if (b instanceof Map<?, ?> bm && p instanceof Map<?, ?> pm) {
                out.put(e.getKey(), merge((Map<String, Object>) bm, (Map<String, Object>) pm));
            } else if (b instanceof List<?> bl && p instanceof List<?> pl) {
                out.put(e.getKey(), mergeList((List<Object>) bl, (List<Object>) pl));
            } else {
                out.put(e.getKey(), p);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> mergeList(List<Object> base, List<Object> patch) {
        String key = associativeKey(base, patch);
        if (key == null) {
            return new ArrayList<>(patch);
        }
        List<Object> out = new ArrayList<>(base);
        for (Object p : patch) {
            Map<String, Object> pm = (Map<String, Object>) p;
            int at = -1;
            for (int i = 0; i < out.size(); i++) {
                if (Objects.equals(((Map<String, Object>) out.get(i)).get(key), pm.get(key))) {
                    at = i;
                }
            }
            if (at >= 0) {
                out.set(at, merge((Map<String, Object>) out.get(at), pm));
            } else {
                out.add(pm);
            }
        }
        return out;
    }

    private static String associativeKey(List<Object> base, List<Object> patch) {
        List<Object> all = new ArrayList<>(base);
        all.addAll(patch);
        if (all.isEmpty() || !all.stream().allMatch(o -> o instanceof Map<?, ?>)) {
            return null;
        }
        for (String key : ASSOCIATIVE_KEYS) {
            if (all.stream().allMatch(o -> ((Map<?, ?>) o).containsKey(key))) {
                return key;
            }
        }
        return null;
    }

    private static List<Object> list(Object o) {
        if (o == null) {
            return List.of();
        }
        @SuppressWarnings("unchecked")
        List<Object> l = (List<Object>) o;
        return l;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
