package io.stunet.simd;

/**
 * Whether the incubating Vector API ({@code jdk.incubator.vector}) is in this JVM's boot layer.
 * Java 17 resolves it only when started with {@code --add-modules=jdk.incubator.vector}, which
 * {@code ./stunet}, the tests and the container images pass. Kernels that use it live in their
 * own classes, loaded only when this says true, and keep a scalar fallback for JVMs started
 * without the flag.
 */
public final class Simd {
    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("stunet.simd.disable");

    private Simd() {
    }

    /** True when the Vector API can be used (and {@code -Dstunet.simd.disable=true} is not set). */
    public static boolean available() {
        return AVAILABLE;
    }
}
