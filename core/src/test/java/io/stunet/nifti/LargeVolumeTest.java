package io.stunet.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunked, threaded paths (gzip pipeline, parallel decoding of mapped files) give the
 * same voxels as the stored-type read, on a real 768x768x90 label map (106 MB of uint16).
 */
class LargeVolumeTest {
    @TempDir
    Path tmp;

    @Test
    void directFloat32EqualsStoredTypeConversionOnEveryPath() {
        Path gz = TestData.nifti("amos_0001_label.nii.gz");
        Volume v = NiftiReader.read(gz);
        float[] expected = v.toFloat32(0);
        assertArrayEquals(expected, NiftiReader.readFloat32(gz).floats());
        Volume direct = NiftiReader.readFloat32(gz);
        assertEquals(DataType.FLOAT32, direct.dataType());
        assertEquals(v.affine(), direct.affine());

        Path plain = tmp.resolve("amos.nii");
        NiftiWriter.write(plain, v);
        assertArrayEquals(v.shorts(), NiftiReader.read(plain).shorts());
        assertArrayEquals(expected, NiftiReader.readFloat32(plain).floats());

        Path bigEndian = tmp.resolve("amos_be.nii.gz");
        NiftiWriter.write(bigEndian, Volume.wrap(v.header().withByteOrder(ByteOrder.BIG_ENDIAN), v.shorts()));
        assertArrayEquals(v.shorts(), NiftiReader.read(bigEndian).shorts());
        assertArrayEquals(expected, NiftiReader.readFloat32(bigEndian).floats());

        Path scaled = tmp.resolve("amos_scaled.nii");
        Volume s = Volume.wrap(v.header().withScaling(0.5, -3), v.shorts());
        NiftiWriter.write(scaled, s);
        assertArrayEquals(s.toFloat32(0), NiftiReader.readFloat32(scaled).floats());
    }
}
