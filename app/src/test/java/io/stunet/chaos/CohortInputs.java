package io.stunet.chaos;

import io.stunet.geometry.Affine;
import io.stunet.nifti.NiftiHeader;
import io.stunet.nifti.NiftiReader;
import io.stunet.nifti.NiftiWriter;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Small CT cases for the fault tests: boxes of 48 x 32 x 16 voxels cut from the bundled
 * sample CT ({@code example_ct_sm.nii.gz}, 3 mm, the demo model's spacing) at different
 * places, every other one mirrored left-right, so each case is a distinct input (its own
 * case id) of a few network patches.
 */
final class CohortInputs {
    static final int NX = 48;
    static final int NY = 32;
    static final int NZ = 16;

    private CohortInputs() {
    }

    /** Writes cases {@code first .. first+count-1} into {@code dir}; returns the files. */
    static List<Path> write(Path dir, int first, int count) {
        Volume ct = NiftiReader.read(TestData.nifti("example_ct_sm.nii.gz")).require3d();
        short[] src = ct.shorts();
        int sx = ct.nx();
        int sy = ct.ny();
        int sz = ct.nz();
        List<Path> files = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (int c = first; c < first + count; c++) {
                // Offsets walk over the body; distinct (offset, mirror) pairs give distinct inputs.
                int ox = 20 + (c * 7) % (sx - NX - 30);
                int oy = 25 + (c * 5) % (sy - NY - 40);
                int oz = (c * 3) % (sz - NZ + 1);
                boolean mirror = c % 2 == 1;
                short[] v = new short[NX * NY * NZ];
                for (int z = 0, k = 0; z < NZ; z++) {
                    for (int y = 0; y < NY; y++) {
                        for (int x = 0; x < NX; x++) {
                            int xs = ox + (mirror ? NX - 1 - x : x);
                            v[k++] = src[xs + sx * ((oy + y) + sy * (oz + z))];
                        }
                    }
                }
                Affine a = Affine.diagonal(3, 3, 3, -60 + 3 * ox, -40 + 3 * oy, 3 * oz);
                NiftiHeader h = NiftiHeader.forGrid(NX, NY, NZ, a, DataType.INT16);
                Path f = dir.resolve(String.format("case_%02d.nii.gz", c));
                NiftiWriter.write(f, Volume.wrap(h, v));
                files.add(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }
}
