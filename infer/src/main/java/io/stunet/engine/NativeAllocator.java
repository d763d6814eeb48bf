package io.stunet.engine;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which native allocator this process runs with, read from the environment it was started
 * with, and whether it keeps freed memory. libtorch allocates and frees its activations
 * (hundreds of MB per 128^3 patch) on every forward pass on CPU; an allocator that hands such
 * blocks back to the kernel page-faults them in again on the next pass, which makes the network
 * about 3x and a whole case about 1.8x slower on CPU (docs/deploy.md, "Allocator").
 * {@code ./stunet} chooses jemalloc, or huge pages for glibc's blocks; a JVM started some other
 * way may have neither.
 */
public final class NativeAllocator {
    /** The environment variables that choose and configure the allocator (what {@code ./stunet} sets). */
    public static final List<String> VARIABLES = List.of("LD_PRELOAD", "MALLOC_CONF", "MALLOC_MMAP_MAX_",
            "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "THP_MEM_ALLOC_ENABLE");

    private NativeAllocator() {
    }

    /** One line for logs and benchmark headers, e.g. {@code jemalloc (narenas:1,...)}. */
    public static String describe(Map<String, String> env) {
        String preload = env.getOrDefault("LD_PRELOAD", "");
        if (preload.contains("jemalloc")) {
            return "jemalloc (" + env.getOrDefault("MALLOC_CONF", "default settings") + ")";
        }
        if (!preload.isEmpty()) {
            return "preloaded " + preload;
        }
        String thp = hugePages(env) ? ", libtorch's large blocks on huge pages (THP_MEM_ALLOC_ENABLE=1)" : "";
        if (glibcKeeps(env)) {
            return String.format(Locale.ROOT, "glibc, freed memory kept (MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=%s,"
                            + " MALLOC_ARENA_MAX=%s)%s", env.get("MALLOC_TRIM_THRESHOLD_"),
                    env.getOrDefault("MALLOC_ARENA_MAX", "default"), thp);
        }
        return "glibc, freed memory returned to the kernel" + thp;
    }

    /**
     * Whether freed native memory stays with the process: jemalloc as {@code ./stunet} configures
     * it, or glibc with mmap'd blocks off and trimming off. Another preloaded allocator is
     * assumed to know what it does.
     */
    public static boolean keepsFreedMemory(Map<String, String> env) {
        String preload = env.getOrDefault("LD_PRELOAD", "");
        if (preload.contains("jemalloc")) {
            return env.getOrDefault("MALLOC_CONF", "").contains("dirty_decay_ms:-1");
        }
        return !preload.isEmpty() || glibcKeeps(env);
    }

    /**
     * What to tell the user before CPU inference: {@code warning} with glibc's malloc as it comes
     * (freed memory returned, every block faulted in page by page), not with {@code ./stunet}'s
     * fallback without jemalloc (huge pages only, about 1.25x slower than jemalloc), which gets a
     * note. {@code text} starts with {@code "warning: "} or {@code "note: "}.
     */
    public record Advice(boolean warning, String text) {
    }

    /** The advice for CPU inference on {@code devices}, or null when there is nothing to say. */
    public static Advice advice(Map<String, String> env, List<String> devices) {
        boolean cpu = devices.stream().anyMatch(d -> d.strip().toLowerCase(Locale.ROOT).startsWith("cpu"));
        if (!cpu || keepsFreedMemory(env)) {
            return null;
        }
        if (env.getOrDefault("LD_PRELOAD", "").isEmpty() && hugePages(env)) {
            return new Advice(false, "note: CPU inference is about 1.25x faster with jemalloc (apt-get install libjemalloc2;"
                    + " docs/deploy.md, \"Allocator\")");
        }
        return new Advice(true, "warning: the native allocator (" + describe(env) + ") makes CPU inference about 1.8x"
                + " slower than jemalloc; start through ./stunet, which chooses a better one (docs/deploy.md, \"Allocator\")");
    }

    private static boolean hugePages(Map<String, String> env) {
        return "1".equals(env.get("THP_MEM_ALLOC_ENABLE"));
    }

    private static boolean glibcKeeps(Map<String, String> env) {
        return "0".equals(env.get("MALLOC_MMAP_MAX_")) && parsesAtLeast(env.get("MALLOC_TRIM_THRESHOLD_"), 1L << 40);
    }

    private static boolean parsesAtLeast(String value, long min) {
        try {
            return value != null && Long.parseUnsignedLong(value.strip()) >= min;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
