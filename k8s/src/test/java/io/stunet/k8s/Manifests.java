package io.stunet.k8s;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access to the rendered manifests of the overlays (rendered once per JVM) and small typed
 * helpers over the plain-map form: lookup by kind and name, paths into nested maps, and the
 * containers of a Deployment's pod template.
 */
final class Manifests {
    static final List<String> OVERLAYS = List.of("cpu", "gpu");
    private static final Map<String, List<Map<String, Object>>> CACHE = new ConcurrentHashMap<>();

    private Manifests() {
    }

    /** The repository root (set by the parent pom's surefire configuration). */
    static Path root() {
        String r = System.getProperty("stunet.root");
        return r != null ? Path.of(r) : Path.of("..").toAbsolutePath().normalize();
    }

    static Path k8s() {
        return root().resolve("k8s");
    }

    /** The rendered overlay {@code cpu} or {@code gpu}. */
    static List<Map<String, Object>> overlay(String name) {
        return CACHE.computeIfAbsent(name, n -> List.copyOf(Kustomize.render(k8s().resolve("overlays").resolve(n))));
    }

    static List<Map<String, Object>> ofKind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    }

    static Map<String, Object> get(List<Map<String, Object>> docs, String kind, String name) {
        return docs.stream().filter(d -> kind.equals(d.get("kind")) && name.equals(name(d))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " named " + name));
    }

    static String name(Map<String, Object> doc) {
        Object md = doc.get("metadata");
        return md instanceof Map<?, ?> m ? (String) m.get("name") : null;
    }

    /** The value at a dotted path of map keys, or null. */
    @SuppressWarnings("unchecked")
    static <T> T at(Object node, String path) {
        Object cur = node;
        for (String part : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = m.get(part);
        }
        return (T) cur;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node, String path) {
        Object v = at(node, path);
        return v == null ? Map.of() : (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object node, String path) {
        Object v = at(node, path);
        return v == null ? List.of() : (List<Map<String, Object>>) v;
    }

    static List<Map<String, Object>> containers(Map<String, Object> deployment) {
        return list(deployment, "spec.template.spec.containers");
    }

    static List<Map<String, Object>> allContainers(Map<String, Object> deployment) {
        List<Map<String, Object>> all = new ArrayList<>(list(deployment, "spec.template.spec.initContainers"));
        all.addAll(containers(deployment));
        return all;
    }

    /** The container that runs {@code stunet serve} in a stage Deployment. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> serviceContainer(Map<String, Object> deployment) {
        return containers(deployment).stream()
                .filter(c -> c.get("args") instanceof List<?> a && !a.isEmpty()
                        && PendingContract.SERVE_COMMAND.equals(((List<Object>) a).get(0)))
                .findFirst().orElseThrow(() -> new AssertionError(name(deployment) + " runs no serve container"));
    }

    /** The stage Deployments (those that run {@code stunet serve}), by role. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> stages(List<Map<String, Object>> docs) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Map<String, Object> d : ofKind(docs, "Deployment")) {
            for (Map<String, Object> c : containers(d)) {
                if (c.get("args") instanceof List<?> a && !a.isEmpty() && PendingContract.SERVE_COMMAND.equals(a.get(0))) {
                    List<Object> args = (List<Object>) a;
                    int i = args.indexOf(PendingContract.ROLES_OPTION);
                    out.put((String) args.get(i + 1), d);
                }
            }
        }
        return out;
    }

    /** Literal environment variables of a container. */
    static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> e : list(container, "env")) {
            if (e.containsKey("value")) {
                env.put((String) e.get("name"), String.valueOf(e.get("value")));
            }
        }
        return env;
    }

    /**
     * A canonical form for comparing renders: lists of maps that all carry a name are sorted
     * by it (a strategic merge may reorder them; order does not matter to the API).
     */
    @SuppressWarnings("unchecked")
    static Object canonical(Object node) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new java.util.TreeMap<>();
            m.forEach((k, v) -> out.put((String) k, canonical(v)));
            return out;
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(canonical(v)));
            if (!out.isEmpty() && out.stream().allMatch(o -> o instanceof Map<?, ?> mm && mm.get("name") instanceof String)) {
                out.sort(Comparator.comparing(o -> (String) ((Map<String, Object>) o).get("name")));
            }
            return out;
        }
        return node;
    }
}
