package io.stunet.nifti;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.stunet.geometry.Affine;
import io.stunet.testing.TestData;
import io.stunet.volume.DataType;
import io.stunet.volume.Volume;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Masks and float volumes land on the reference grid; outputs appear atomically. */
class NiftiWriterTest {
    @TempDir
    Path tmp;

    @Test
    void labelMaskCopiesGeometryOfItsReference() {
        Path ref = TestData.nifti("anatomical.nii");
        Volume v = NiftiReader.read(ref);
        byte[] labels = new byte[v.frameSize()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (byte) (v.rawValue(i) > 5000 ? 200 : v.rawValue(i) > 1000 ? 1 : 0);
        }
        Path out = tmp.resolve("mask.nii.gz");
        NiftiWriter.writeLabels(out, labels, v.header());
        Volume mask = NiftiReader.read(out);
        assertEquals(DataType.UINT8, mask.dataType());
        assertArrayEquals(labels, mask.bytes());
        assertEquals(v.affine(), mask.affine());
        assertEquals(v.header().qformAffine(), mask.header().qformAffine());
        assertEquals(v.header().qformCode(), mask.header().qformCode());
        assertEquals(v.header().sformCode(), mask.header().sformCode());
        assertArrayEquals(v.header().pixdim(), mask.header().pixdim());
        assertEquals(v.header().xyztUnits(), mask.header().xyztUnits());
        assertEquals(ByteOrder.BIG_ENDIAN, mask.header().byteOrder());

        JsonNode ours = NiftiReference.call("inspect", out.toString());
        JsonNode theirs = NiftiReference.call("inspect", ref.toString());
        assertEquals("uint8", ours.get("datatype").asText());
        assertEquals(theirs.get("affine"), ours.get("affine"));
        assertEquals(theirs.get("qform_code"), ours.get("qform_code"));
        assertEquals(theirs.get("sform_code"), ours.get("sform_code"));
    }

    @Test
    void uint16MaskOn4dReferenceIs3d() {
        Volume v = NiftiReader.read(TestData.nifti("example4d.nii.gz"));
        short[] labels = new short[v.frameSize()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (short) (i % 60000);
        }
        Path out = tmp.resolve("mask16.nii");
        NiftiWriter.writeLabels(out, labels, v.header());
        Volume mask = NiftiReader.read(out);
        assertEquals(DataType.UINT16, mask.dataType());
        assertArrayEquals(new int[] {v.nx(), v.ny(), v.nz()}, mask.shape());
        assertArrayEquals(labels, mask.shorts());
        assertEquals(v.affine(), mask.affine());
        assertEquals(59999, (int) mask.rawValue(59999));
    }

    @Test
    void float32OnNewGridLoadsInNibabelWithThatAffine() {
        Affine a = Affine.of(0, 0, -1.5, 90, 0.8, 0, 0, -100, 0, 1.2, 0, 30, 0, 0, 0, 1);
        NiftiHeader h = NiftiHeader.forGrid(6, 5, 4, a, DataType.FLOAT32);
        float[] data = new float[120];
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 0.25f - 7;
        }
        Path out = tmp.resolve("f.nii.gz");
        NiftiWriter.writeFloat32(out, data, h);
        JsonNode ref = NiftiReference.call("inspect", out.toString());
        assertTrue(NiftiReference.affine(ref.get("affine")).maxAbsDiff(a) < 1e-6);
        assertArrayEquals(data, NiftiReference.float32(out, tmp, false));
        Volume back = NiftiReader.read(out);
        assertTrue(back.header().qformAffine().maxAbsDiff(a) < 1e-5, "qform encodes the same grid");
        assertEquals(ref.get("axcodes").asText(), back.affine().axcodes());
    }

    @Test
    void writingLeavesNoTemporaryFiles() throws Exception {
        Volume v = NiftiReader.read(TestData.nifti("standard.nii.gz"));
        NiftiWriter.write(tmp.resolve("a.nii.gz"), v);
        NiftiWriter.write(tmp.resolve("a.nii.gz"), v);
        NiftiWriter.write(tmp.resolve("b.hdr"), v);
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(Set.of("a.nii.gz", "b.hdr", "b.img"),
                    files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        }
        assertArrayEquals(v.bytes(), NiftiReader.read(tmp.resolve("b.img")).bytes());
    }
}
