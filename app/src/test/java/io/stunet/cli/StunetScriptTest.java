package io.stunet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stunet.engine.NativeAllocator;
import io.stunet.testing.TestData;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code stunet} launcher script with the real JVM and this build's classes: a copy of the
 * script in a scratch root whose {@code app/target/stunet.jar} is a manifest-only jar pointing at
 * the test class path (the script finds nothing to rebuild there). Checks that the incubator
 * warning is dropped and nothing else, that exit statuses pass through, that {@code -V} prints
 * the POM's version, and that {@code predict} starts with the batch heap and collector unless the
 * user set their own.
 */
class StunetScriptTest {
    @TempDir
    Path root;

    private record Result(int exit, String out, String err) {
    }

    @BeforeEach
    void scratchRoot() throws IOException {
        Files.copy(TestData.file("stunet"), root.resolve("stunet"));
        Files.createDirectories(root.resolve("app/target"));
        Files.createDirectories(root.resolve("bench/target"));
        StringBuilder classPath = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            classPath.append(Path.of(entry).toAbsolutePath().toUri()).append(' ');
        }
        jar(root.resolve("app/target/stunet.jar"), classPath.toString().trim());
        jar(root.resolve("bench/target/stunet-bench.jar"), null);
    }

    @Test
    void versionComesFromTheBuildAndTheIncubatorWarningIsDropped() throws Exception {
        Result r = stunet(List.of(), "-V");
        assertEquals(0, r.exit(), r.err());
        String pomVersion = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(TestData.file("pom.xml").toFile()).getElementsByTagName("version").item(0).getTextContent();
        assertEquals("stunet " + pomVersion, r.out().strip());
        assertEquals("", r.err(), "nothing on stderr, the incubator warning included");
    }

    @Test
    void errorsStillReachStderrWithTheirExitStatus() throws Exception {
        Result r = stunet(List.of(), "inspect", root.resolve("missing.nii").toString());
        assertEquals(StunetCommand.EXIT_FAILURE, r.exit());
        assertTrue(r.err().startsWith("error: INVALID_REQUEST: "), r.err());
        assertFalse(r.err().contains("incubator"), r.err());

        Result tool = stunet(List.of("JAVA_TOOL_OPTIONS=-Dstunet.test=1"), "-V");
        assertEquals(0, tool.exit(), tool.err());
        assertTrue(tool.err().startsWith("Picked up JAVA_TOOL_OPTIONS"), tool.err());
        assertFalse(tool.err().contains("incubator"), tool.err());
    }

    @Test
    void predictStartsWithTheBatchHeapAndCollectorUnlessTheUserSetTheirOwn() throws Exception {
        Path ct = TestData.nifti("example_ct_sm.nii.gz");
        String model = TestData.file("models/demo").toString();
        // -XX:+PrintCommandLineFlags shows what the JVM was started with.
        Result r = stunet(List.of("STUNET_JAVA_OPTS=-XX:+PrintCommandLineFlags"), "predict", ct.toString(), "--model", model,
                "--no-tta", "--out", root.resolve("out").toString());
        assertEquals(0, r.exit(), r.err());
        for (String flag : List.of("-XX:+UseSerialGC", "-XX:MaxRAMPercentage=75.000000", "-XX:InitialHeapSize=" + (256L << 20),
                "-XX:NewSize=" + (64L << 20))) {
            assertTrue(r.out().contains(flag + " "), flag + " missing: " + r.out());
        }
        assertTrue(Files.exists(root.resolve("out/example_ct_sm_seg.nii.gz")));
        // STUNET_MALLOC=glibc (set by stunet(...)) leaves glibc's malloc as it comes: predict says what that costs.
        assertTrue(r.err().contains("warning: the native allocator (glibc, freed memory returned to the kernel)"), r.err());

        // The flags are printed as the JVM starts, so a missing input (failing fast) shows them too.
        String missing = root.resolve("missing.nii.gz").toString();
        Result user = stunet(List.of("STUNET_JAVA_OPTS=-XX:+PrintCommandLineFlags -Xmx700m -XX:+UseParallelGC"), "predict",
                missing, "--model", model);
        assertEquals(StunetCommand.EXIT_FAILURE, user.exit(), user.err());
        assertTrue(user.out().contains("-XX:MaxHeapSize=" + (700L << 20) + " "), user.out());
        assertFalse(user.out().contains("MaxRAMPercentage") || user.out().contains("-XX:NewSize="), user.out());
        assertTrue(user.out().contains("-XX:+UseParallelGC") && !user.out().contains("-XX:+UseSerialGC"), user.out());

        // A collector in JAVA_TOOL_OPTIONS alone: the batch heap stays, two collectors would not start.
        Result tool = stunet(List.of("JAVA_TOOL_OPTIONS=-XX:+UseG1GC", "STUNET_JAVA_OPTS=-XX:+PrintCommandLineFlags"), "predict",
                missing, "--model", model);
        assertEquals(StunetCommand.EXIT_FAILURE, tool.exit(), tool.err());
        assertTrue(tool.out().contains("-XX:+UseG1GC") && tool.out().contains("-XX:MaxRAMPercentage=75.000000"), tool.out());

        Result inspect = stunet(List.of("STUNET_JAVA_OPTS=-XX:+PrintCommandLineFlags"), "inspect", ct.toString());
        assertEquals(0, inspect.exit(), inspect.err());
        assertFalse(inspect.out().contains("-XX:+UseSerialGC"), "other subcommands keep the JVM's defaults: " + inspect.out());
    }

    @Test
    void theLaunchersGlibcSettingsNeedNoWarning() throws Exception {
        // glibc-thp is what the default (auto) falls back to when libjemalloc2 is not installed:
        // a note says what jemalloc would add; glibc-retain keeps freed memory: nothing to say.
        for (String mode : List.of("glibc-thp", "glibc-retain")) {
            Path out = root.resolve("out-" + mode);
            Result r = stunet(List.of("STUNET_MALLOC=" + mode), "predict", TestData.nifti("example_ct_sm.nii.gz").toString(),
                    "--model", TestData.file("models/demo").toString(), "--no-tta", "--out", out.toString());
            assertEquals(0, r.exit(), r.err());
            assertFalse(r.err().contains("warning: the native allocator"), mode + ": " + r.err());
            assertEquals(mode.equals("glibc-thp"), r.err().contains("note: CPU inference is about 1.25x faster with jemalloc"),
                    mode + ": " + r.err());
            assertTrue(Files.exists(out.resolve("example_ct_sm_seg.nii.gz")), mode);
        }

        Result bad = stunet(List.of("STUNET_MALLOC=tcmalloc"), "-V");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("STUNET_MALLOC must be auto, glibc-thp, glibc-retain or glibc"), bad.err());
    }

    private Result stunet(List<String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", root.resolve("stunet").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().keySet().removeAll(List.of("STUNET_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"));
        pb.environment().keySet().removeAll(NativeAllocator.VARIABLES);
        // The JVM running this test goes first on the PATH.
        String javaHome = System.getProperty("java.home");
        pb.environment().put("PATH", javaHome + "/bin:" + pb.environment().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().put("STUNET_MALLOC", "glibc");
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Process p = pb.start();
        p.getOutputStream().close();
        byte[][] streams = new byte[2][];
        Thread err = new Thread(() -> {
            try {
                streams[1] = p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                streams[1] = e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        err.start();
        streams[0] = p.getInputStream().readAllBytes();
        int exit = p.waitFor();
        err.join();
        return new Result(exit, new String(streams[0], StandardCharsets.UTF_8), new String(streams[1], StandardCharsets.UTF_8));
    }

    private static void jar(Path file, String classPath) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (classPath != null) {
            m.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        }
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
    }
}
