package io.stunet.dicom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stunet.testing.Python;
import io.stunet.testing.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Calls {@code tools/dicom/dicom_reference.py} (pydicom, dcmtk, dcm2niix, dciodvfy) and parses its JSON. */
final class DicomReference {
    static final ObjectMapper JSON = new ObjectMapper();

    private DicomReference() {
    }

    static JsonNode call(String... args) {
        String out = Python.run(TestData.file("tools/dicom/dicom_reference.py"), args);
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A bundled DICOM test file from {@code data/dicom}. */
    static Path sample(String name) {
        return TestData.file("data/dicom/" + name);
    }

    /** Generates a series from the bundled CT NIfTI into {@code dir}; extra options as the script takes them. */
    static JsonNode makeSeries(Path dir, String... options) {
        String[] args = new String[3 + options.length];
        args[0] = "make-series";
        args[1] = TestData.file("data/samples/example_ct_sm.nii.gz").toString();
        args[2] = dir.toString();
        System.arraycopy(options, 0, args, 3, options.length);
        return call(args);
    }
}
