package io.stunet.nifti;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a NIfTI image's header and voxels live: one {@code .nii[.gz]} file, or a
 * {@code .hdr}/{@code .img} pair (each optionally gzipped) named by either member.
 * Compression is recognised by the gzip magic bytes, not trusted from the name.
 */
record NiftiFiles(Path header, Path image, boolean pair, boolean headerGzip, boolean imageGzip) {

    static NiftiFiles resolve(Path path) throws IOException {
        String name = path.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        String gz = lower.endsWith(".gz") ? name.substring(name.length() - 3) : "";
        String stem = lower.substring(0, lower.length() - gz.length());
        if (stem.endsWith(".hdr") || stem.endsWith(".img")) {
            String base = name.substring(0, stem.length() - 4);
            boolean upper = name.substring(stem.length() - 3, stem.length()).equals("HDR")
                    || name.substring(stem.length() - 3, stem.length()).equals("IMG");
            Path hdr = sibling(path, base + (upper ? ".HDR" : ".hdr"), gz);
            Path img = sibling(path, base + (upper ? ".IMG" : ".img"), gz);
            return new NiftiFiles(hdr, img, true, isGzip(hdr), isGzip(img));
        }
        return new NiftiFiles(path, path, false, isGzip(path), isGzip(path));
    }

    /** The member with the same compression suffix as the given name, else the other one. */
    private static Path sibling(Path path, String name, String gz) throws IOException {
        Path same = path.resolveSibling(name + gz);
        if (Files.exists(same)) {
            return same;
        }
        Path other = path.resolveSibling(gz.isEmpty() ? name + ".gz" : name);
        if (Files.exists(other)) {
            return other;
        }
        throw new NoSuchFileException(same.getFileName().toString());
    }

    static boolean isGzip(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] magic = in.readNBytes(2);
            return magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
        }
    }
}
