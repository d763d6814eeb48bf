package io.stunet.architecture;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module graph of docs/architecture.md, checked on the compiled main classes: which
 * module may use which, and that numerical code knows no transport (Kafka, Vert.x, S3,
 * metrics). A class's module is where its class file was loaded from ({@code MODULE/target/});
 * test code is not checked.
 */
class ModuleBoundariesTest {
    /** Module -> the project modules its main classes may use (besides itself). */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "core", Set.of(),
            "streaming", Set.of("core"),
            "broker", Set.of("core"),
            "preprocess", Set.of("core", "streaming"),
            "infer", Set.of("core", "streaming"),
            "postprocess", Set.of("core", "streaming"),
            "ingest", Set.of("core", "streaming"),
            "app", Set.of("core", "streaming", "broker", "preprocess", "infer", "postprocess", "ingest"));

    /** Packages of third-party transport and telemetry that numerical code must not touch. */
    private static final List<String> TRANSPORT = List.of(
            "org.apache.kafka.", "kafka.", "scala.", "io.vertx.", "software.amazon.", "io.micrometer.");

    private static final Pattern MODULE = Pattern.compile("/([a-z]+)/target/");

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.stunet");
    }

    private static Optional<String> module(JavaClass c) {
        String uri = c.getSource().map(s -> s.getUri().toString()).orElse("");
        if (uri.contains("/test-classes/") || uri.contains("-tests.jar")) {
            return Optional.empty(); // test jars of other modules are on this module's test classpath
        }
        Matcher m = MODULE.matcher(uri);
        return m.find() && ALLOWED.containsKey(m.group(1)) ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** Stage modules keep their service adapters in {@code *.service}, ingest and app are adapters. */
    private static boolean numerical(JavaClass c, String module) {
        return switch (module) {
            case "core" -> true;
            case "preprocess", "infer", "postprocess" -> !c.getPackageName().contains(".service");
            default -> false;
        };
    }

    @Test
    void everyProjectModuleIsFound() {
        Set<String> seen = new TreeSet<>();
        for (JavaClass c : classes) {
            module(c).ifPresent(seen::add);
        }
        assertEquals(new TreeSet<>(ALLOWED.keySet()), seen, "modules whose classes were imported");
    }

    @Test
    void modulesUseOnlyTheModulesTheGraphAllows() {
        Set<String> violations = new TreeSet<>();
        for (JavaClass c : classes) {
            String from = module(c).orElse(null);
            if (from == null) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                module(d.getTargetClass()).filter(to -> !to.equals(from) && !ALLOWED.get(from).contains(to))
                        .ifPresent(to -> violations.add(from + " -> " + to + ": " + d.getDescription()));
            }
        }
        assertTrue(violations.isEmpty(), String.join("\n", violations));
    }

    @Test
    void numericalCodeKnowsNoTransport() {
        Set<String> violations = new TreeSet<>();
        for (JavaClass c : classes) {
            String from = module(c).orElse(null);
            if (from == null || !numerical(c, from)) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getName();
                if (TRANSPORT.stream().anyMatch(target::startsWith)) {
                    violations.add(d.getDescription());
                }
            }
        }
        assertTrue(violations.isEmpty(), String.join("\n", violations));
    }

    @Test
    void onlyTheAppLaunchesTheBroker() {
        Set<String> violations = new TreeSet<>();
        for (JavaClass c : classes) {
            String from = module(c).orElse(null);
            if (from == null || from.equals("app") || from.equals("broker")) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getName();
                if (target.startsWith("kafka.") || target.startsWith("scala.") || target.startsWith("io.stunet.broker.")) {
                    violations.add(d.getDescription());
                }
            }
        }
        assertTrue(violations.isEmpty(), String.join("\n", violations));
    }
}
