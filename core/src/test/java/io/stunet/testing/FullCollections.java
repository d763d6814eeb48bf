package io.stunet.testing;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/** Full (old-generation) garbage collections of this JVM so far, whichever collector it runs. */
public final class FullCollections {
    private FullCollections() {
    }

    public static long count() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            String name = gc.getName();
            if (name.contains("Old") || name.contains("MarkSweep")) {
                n += gc.getCollectionCount();
            }
        }
        return n;
    }
}
