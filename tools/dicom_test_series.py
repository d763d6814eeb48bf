#!/usr/bin/python3
"""Writes a small synthetic CT series as Part 10 files, for the DICOM receiver's tests.

Usage: dicom_test_series.py OUT_DIR [--slices N] [--syntax implicit|explicit|deflated]
                            [--no-series-uid]

Each slice is a CT Image Storage instance of 16x16 int16 pixels sharing one study and one
series (fresh UIDs per run); --no-series-uid omits SeriesInstanceUID, which a receiver must
refuse. Prints the study and series UIDs as JSON.
"""
import argparse
import json
import os

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (CTImageStorage, DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian, generate_uid)

SYNTAXES = {"implicit": ImplicitVRLittleEndian, "explicit": ExplicitVRLittleEndian,
            "deflated": DeflatedExplicitVRLittleEndian}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--slices", type=int, default=4)
    ap.add_argument("--syntax", choices=sorted(SYNTAXES), default="explicit")
    ap.add_argument("--no-series-uid", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    rng = np.random.default_rng(7)
    for i in range(a.slices):
        ds = Dataset()
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.StudyInstanceUID = study
        if not a.no_series_uid:
            ds.SeriesInstanceUID = series
        ds.FrameOfReferenceUID = frame
        ds.Modality = "CT"
        ds.PatientName = "Test^Synthetic"
        ds.PatientID = "SYNTH-0001"
        ds.InstanceNumber = i + 1
        ds.ImagePositionPatient = [0.0, 0.0, 2.5 * i]
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.PixelSpacing = [0.8, 0.8]
        ds.SliceThickness = 2.5
        ds.RescaleIntercept = -1024
        ds.RescaleSlope = 1
        ds.Rows, ds.Columns = 16, 16
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = rng.integers(-1000, 2000, size=(16, 16), dtype=np.int16).tobytes()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        meta.TransferSyntaxUID = SYNTAXES[a.syntax]
        ds.file_meta = meta
        ds.is_little_endian = True
        ds.is_implicit_VR = a.syntax == "implicit"
        ds.preamble = b"\0" * 128
        pydicom.dcmwrite(os.path.join(a.out, "slice%03d.dcm" % i), ds, write_like_original=False)
    print(json.dumps({"study": study, "series": series}))


if __name__ == "__main__":
    main()
