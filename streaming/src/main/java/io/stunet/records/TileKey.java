package io.stunet.records;

/**
 * Record keys of the tile topics ({@code caseId/slab}) and their parsing. Every key on every
 * topic starts with the case id, so {@link #caseIdOf} works for case keys too.
 */
public final class TileKey {
    private TileKey() {
    }

    public static String of(String caseId, int slab) {
        return caseId + "/" + slab;
    }

    /** The case id part of a record key, or {@code null} for a null key. */
    public static String caseIdOf(String key) {
        if (key == null) {
            return null;
        }
        int slash = key.indexOf('/');
        return slash < 0 ? key : key.substring(0, slash);
    }
}
