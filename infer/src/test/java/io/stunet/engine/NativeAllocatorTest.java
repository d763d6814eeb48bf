package io.stunet.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeAllocatorTest {
    private static final Map<String, String> JEMALLOC = Map.of("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
            "MALLOC_CONF", "narenas:1,oversize_threshold:0,dirty_decay_ms:-1,muzzy_decay_ms:-1");
    private static final Map<String, String> GLIBC_KEEPING = Map.of("MALLOC_MMAP_MAX_", "0",
            "MALLOC_TRIM_THRESHOLD_", "4611686018427387904", "MALLOC_ARENA_MAX", "1", "THP_MEM_ALLOC_ENABLE", "1");

    @Test
    void whatTheLauncherSetsKeepsFreedMemory() {
        assertTrue(NativeAllocator.keepsFreedMemory(JEMALLOC));
        assertTrue(NativeAllocator.describe(JEMALLOC).startsWith("jemalloc (narenas:1"));
        assertTrue(NativeAllocator.keepsFreedMemory(GLIBC_KEEPING));
        assertTrue(NativeAllocator.describe(GLIBC_KEEPING).startsWith("glibc, freed memory kept"));
        assertNull(NativeAllocator.advice(JEMALLOC, List.of("cpu")));
        assertNull(NativeAllocator.advice(GLIBC_KEEPING, List.of("cpu", "cpu")));
        // glibc-thp, the launcher's choice without jemalloc: memory is returned, but on huge pages.
        Map<String, String> thp = Map.of("THP_MEM_ALLOC_ENABLE", "1");
        assertFalse(NativeAllocator.keepsFreedMemory(thp));
        assertEquals("glibc, freed memory returned to the kernel, libtorch's large blocks on huge pages (THP_MEM_ALLOC_ENABLE=1)",
                NativeAllocator.describe(thp));
        NativeAllocator.Advice note = NativeAllocator.advice(thp, List.of("cpu"));
        assertNotNull(note);
        assertFalse(note.warning());
        assertTrue(note.text().startsWith("note: ") && note.text().contains("apt-get install libjemalloc2"), note.text());
        assertNull(NativeAllocator.advice(thp, List.of("cuda:0")));
    }

    @Test
    void plainGlibcOrHalfSettingsWarnOnCpuOnly() {
        assertFalse(NativeAllocator.keepsFreedMemory(Map.of()));
        assertEquals("glibc, freed memory returned to the kernel", NativeAllocator.describe(Map.of()));
        // Without trimming off, the top of the heap still goes back after each pass.
        assertFalse(NativeAllocator.keepsFreedMemory(Map.of("MALLOC_MMAP_MAX_", "0")));
        assertFalse(NativeAllocator.keepsFreedMemory(Map.of("MALLOC_MMAP_MAX_", "0", "MALLOC_TRIM_THRESHOLD_", "1048576")));
        assertFalse(NativeAllocator.keepsFreedMemory(Map.of("MALLOC_MMAP_MAX_", "0", "MALLOC_TRIM_THRESHOLD_", "lots")));
        // jemalloc with its default decay returns pages after 10 s: as slow as glibc here.
        assertFalse(NativeAllocator.keepsFreedMemory(Map.of("LD_PRELOAD", "/usr/lib/libjemalloc.so.2")));

        NativeAllocator.Advice w = NativeAllocator.advice(Map.of(), List.of("cuda:0", "CPU"));
        assertNotNull(w);
        assertTrue(w.warning());
        assertTrue(w.text().startsWith("warning: ") && w.text().contains("1.8x slower") && w.text().contains("./stunet"), w.text());
        assertNull(NativeAllocator.advice(Map.of(), List.of("cuda:0", "cuda:1")), "GPU tensors do not go through malloc");
    }

    @Test
    void anotherPreloadedAllocatorIsTrusted() {
        Map<String, String> tcmalloc = Map.of("LD_PRELOAD", "/usr/lib/libtcmalloc.so.4");
        assertTrue(NativeAllocator.keepsFreedMemory(tcmalloc));
        assertEquals("preloaded /usr/lib/libtcmalloc.so.4", NativeAllocator.describe(tcmalloc));
    }
}
