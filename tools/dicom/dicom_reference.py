#!/usr/bin/env python3
"""Independent DICOM references for the Java codec's tests (pydicom, dcmtk, dcm2niix, dciodvfy).

Subcommands (each prints one JSON object on stdout):
  dump FILE PIXELS_OUT        elements as pydicom reads them (raw value bytes, numbers, nested
                              items) and pixel_array's bytes (little endian, C order) to PIXELS_OUT
  make-series NIFTI OUTDIR    a CT/MR series from a NIfTI volume, one file per slice, or enhanced
                              multi-frame instances (--enhanced shared|perframe, --instances N),
                              with transfer syntax choice, shuffled order and fault injection
  dcm2niix SERIESDIR OURS     converts SERIESDIR with dcm2niix and compares it with our NIfTI
                              (affine and voxels, both brought to the closest canonical orientation)
  check-seg SEG SERIESDIR MASK LABELS_JSON
                              dciodvfy's verdict and the SEG's frames re-assembled onto MASK's
                              grid from their own plane positions, compared with MASK
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def _pydicom():
    import pydicom
    return pydicom


NUMERIC_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "DS", "IS"}


def _element_json(ds):
    out = {}
    raws = {tag: ds.get_item(tag) for tag in list(ds.keys())}  # before any value is converted
    for tag, raw in raws.items():
        if tag == 0x7FE00010:
            continue
        elem = ds[tag]
        vr = elem.VR
        entry = {"vr": vr}
        if vr == "SQ":
            entry["items"] = [_element_json(item) for item in elem.value]
        else:
            value = getattr(raw, "value", None)
            if isinstance(value, (bytes, bytearray)):
                entry["length"] = len(value)
                entry["hex"] = bytes(value[:256]).hex()
            if vr in NUMERIC_VRS and elem.value is not None and elem.value != "":
                vals = elem.value if elem.VM > 1 else [elem.value]
                try:
                    entry["num"] = [float(v) for v in vals]
                except (TypeError, ValueError):
                    pass
        out["%08X" % int(tag)] = entry
    return out


def cmd_dump(args):
    pydicom = _pydicom()
    ds = pydicom.dcmread(args.file, force=True)
    result = {"elements": _element_json(ds)}
    if "PixelData" in ds:
        try:
            arr = ds.pixel_array
            arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
            with open(args.pixels_out, "wb") as f:
                f.write(np.ascontiguousarray(arr).tobytes())
            result["pixels"] = {"shape": list(arr.shape), "dtype": str(arr.dtype)}
        except Exception as e:  # pydicom has no decoder for this syntax: try dcmtk's JPEG / JPEG-LS decoder
            result["pixels_error"] = type(e).__name__
            ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
            tool = _dcmtk_decoder(ts)
            if tool and shutil.which(tool):
                with tempfile.TemporaryDirectory() as tmp:
                    plain = os.path.join(tmp, "plain.dcm")
                    if subprocess.run([tool, args.file, plain], capture_output=True).returncode == 0:
                        arr = pydicom.dcmread(plain).pixel_array
                        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
                        with open(args.pixels_out, "wb") as f:
                            f.write(np.ascontiguousarray(arr).tobytes())
                        result["pixels"] = {"shape": list(arr.shape), "dtype": str(arr.dtype), "via": tool}
                        del result["pixels_error"]
    json.dump(result, sys.stdout)


def _dcmtk_decoder(ts):
    """dcmtk's decompressor for an encapsulated transfer syntax: dcmdjpls for JPEG-LS, dcmdjpeg for JPEG."""
    if ts in (TS["jpegls"], TS["jpeglsnear"]):
        return "dcmdjpls"
    if ts.startswith("1.2.840.10008.1.2.4."):
        return "dcmdjpeg"
    return None


# ---------------------------------------------------------------- series generator

TS = {
    "explicit": "1.2.840.10008.1.2.1",
    "implicit": "1.2.840.10008.1.2",
    "deflated": "1.2.840.10008.1.2.1.99",
    "rle": "1.2.840.10008.1.2.5",
    "jpegll": "1.2.840.10008.1.2.4.70",
    "jpegll14": "1.2.840.10008.1.2.4.57",
    "jpegls": "1.2.840.10008.1.2.4.80",
    "jpeglsnear": "1.2.840.10008.1.2.4.81",
    "bigendian": "1.2.840.10008.1.2.2",
}
SOP = {"CT": "1.2.840.10008.5.1.4.1.1.2", "MR": "1.2.840.10008.5.1.4.1.1.4"}
ENHANCED_SOP = {"CT": "1.2.840.10008.5.1.4.1.1.2.1", "MR": "1.2.840.10008.5.1.4.1.1.4.1"}


def _ds(v):
    """A DS string of at most 16 characters."""
    s = repr(float(v))
    if len(s) <= 16:
        return s
    return ("%.10g" % v)[:16]


def _jpeg_lossless(frame, predictor, restart_rows):
    """A JPEG lossless (process 14, ITU T.81 annex H) encoding of a uint16 frame (rows x columns),
    16-bit precision, no point transform, one restart interval every `restart_rows` rows
    (0: none). Our own encoder, for inputs dcmcjpeg cannot write (restart markers); make-series
    checks every frame it writes with dcmtk's decoder."""
    rows, cols = frame.shape
    x = frame.astype(np.int64)
    # Huffman table for the difference categories 0..16: 14 codes of 4 bits, 3 of 5 (canonical).
    bits = [0] * 16
    bits[3], bits[4] = 14, 3
    codes, code = {}, 0
    symbol = 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[symbol] = (code, length)
            code += 1
            symbol += 1
        code <<= 1
    out = bytearray(b"\xff\xd8")
    out += b"\xff\xc4" + (3 + 16 + 17).to_bytes(2, "big") + b"\x00" + bytes(bits) + bytes(range(17))
    out += b"\xff\xc3" + (11).to_bytes(2, "big") + bytes([16]) + rows.to_bytes(2, "big") + cols.to_bytes(2, "big")
    out += bytes([1, 1, 0x11, 0])
    interval = restart_rows * cols
    if interval:
        out += b"\xff\xdd" + (4).to_bytes(2, "big") + interval.to_bytes(2, "big")
    out += b"\xff\xda" + (8).to_bytes(2, "big") + bytes([1, 1, 0x00, predictor, 0, 0])
    acc, n = 0, 0

    def put(value, length):
        nonlocal acc, n
        acc = (acc << length) | value
        n += length
        while n >= 8:
            byte = (acc >> (n - 8)) & 0xFF
            out.append(byte)
            if byte == 0xFF:
                out.append(0)
            n -= 8
        acc &= (1 << n) - 1

    start_row = 0
    for m in range(rows * cols):
        r, c = divmod(m, cols)
        if interval and m and m % interval == 0:
            if n:
                put((1 << (8 - n)) - 1, 8 - n)  # pad the last byte with 1-bits
            out += bytes([0xFF, 0xD0 + (m // interval - 1) % 8])
            start_row = r
        if r == start_row and c == 0:
            pred = 1 << 15
        elif r == start_row:
            pred = x[r, c - 1]
        elif c == 0:
            pred = x[r - 1, c]
        else:
            ra, rb, rc = x[r, c - 1], x[r - 1, c], x[r - 1, c - 1]
            pred = {1: ra, 2: rb, 3: rc, 4: ra + rb - rc, 5: ra + ((rb - rc) >> 1),
                    6: rb + ((ra - rc) >> 1), 7: (ra + rb) >> 1}[predictor]
        diff = int((x[r, c] - pred) & 0xFFFF)
        if diff >= 32768:
            diff -= 65536
        if diff == -32768:
            put(*codes[16])
            continue
        size = abs(diff).bit_length()
        put(*codes[size])
        if size:
            put(diff if diff > 0 else (diff - 1) & ((1 << size) - 1), size)
    if n:
        put((1 << (8 - n)) - 1, 8 - n)
    out += b"\xff\xd9"
    return bytes(out)


def cmd_make_series(args):
    import nibabel as nib
    pydicom = _pydicom()
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import generate_uid

    img = nib.load(args.nifti)
    data = np.asarray(img.dataobj, dtype=np.float64)
    affine = img.affine.copy()
    if args.shape:
        from scipy import ndimage
        shape = [int(s) for s in args.shape.split(",")]
        factors = [shape[i] / data.shape[i] for i in range(3)]
        data = ndimage.zoom(data, factors, order=1, grid_mode=False)
        step = [(data.shape[i] - 1) and (img.shape[i] - 1) / (data.shape[i] - 1) for i in range(3)]
        affine = affine @ np.diag(step + [1.0])
    if args.oblique:
        a = np.deg2rad(args.oblique)
        rot = np.eye(4)
        rot[1:3, 1:3] = [[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]
        affine = rot @ affine
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine
    col_step, row_step = lps[:3, 0], lps[:3, 1]
    row_dir = col_step / np.linalg.norm(col_step)
    col_dir = row_step / np.linalg.norm(row_step)
    pixel_spacing = [np.linalg.norm(row_step), np.linalg.norm(col_step)]
    slice_step = np.linalg.norm(lps[:3, 2])
    nx, ny, nz = data.shape[:3]

    # The usual CT intercept, lower where the volume holds values below -1024 (stored values are unsigned).
    slope, intercept = args.slope, float(min(-1024.0, np.floor(data.min())))
    stored = np.clip(np.rint((data - intercept) / slope), 0, 65535).astype(np.uint16)

    rng = random.Random(args.seed)
    study, series, frame_of_ref = generate_uid(), generate_uid(), generate_uid()
    modality = args.modality
    os.makedirs(args.outdir, exist_ok=True)
    order = list(range(nz))
    if args.shuffle:
        rng.shuffle(order)
    def position(k):
        pos = (lps @ np.array([0, 0, k, 1.0]))[:3]
        if args.fault == "tilt":
            pos = pos + col_dir * k * slice_step * np.tan(np.deg2rad(5))
        return pos

    def common(ds, sop_class):
        """Patient, study, series, frame of reference and image pixel attributes of every instance."""
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.SOPClassUID = sop_class if args.fault != "sopclass" else "1.2.840.10008.5.1.4.1.1.7"
        ds.SOPInstanceUID = generate_uid()
        ds.StudyDate, ds.StudyTime = "20240101", "120000"
        ds.AccessionNumber = "ACC0001"
        ds.Modality = modality
        ds.Manufacturer = "stunet test generator"
        ds.ReferringPhysicianName = ""
        ds.StudyDescription = "generated phantom"
        ds.PatientName = "Generated^Phantom"
        ds.PatientID = "GEN0001"
        ds.PatientBirthDate = "19700101"
        ds.PatientSex = "O"
        ds.PatientAge = "054Y"
        ds.StudyInstanceUID = study
        if args.fault != "noseriesuid":
            ds.SeriesInstanceUID = series
        ds.StudyID = "1"
        ds.SeriesNumber = 2
        ds.FrameOfReferenceUID = frame_of_ref
        ds.PositionReferenceIndicator = ""
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = ny, nx
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0

    def save(ds, name):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        native = args.ts if args.ts in ("explicit", "implicit", "deflated", "bigendian") else "explicit"
        meta.TransferSyntaxUID = TS[native]
        ds.file_meta = meta
        ds.is_implicit_VR = native == "implicit"
        ds.is_little_endian = native != "bigendian"
        ds.save_as(name, write_like_original=False)
        written.append(name)

    written = []
    if args.enhanced:
        # Enhanced multi-frame instances: slices (in the shuffled order with --shuffle) split over
        # --instances files; geometry and rescale in the shared functional groups or in every frame's.
        chunks = [order[i::args.instances] for i in range(args.instances)]
        for n, ks in enumerate(chunks):
            ds = Dataset()
            common(ds, ENHANCED_SOP[modality])
            ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
            ds.InstanceNumber = n + 1
            ds.ContentDate, ds.ContentTime = "20240101", "120000"
            ds.AcquisitionDateTime = "20240101120000"
            ds.NumberOfFrames = len(ks)
            measures = Dataset()
            measures.PixelSpacing = [_ds(v) for v in pixel_spacing]
            measures.SliceThickness = _ds(slice_step)
            orientation = Dataset()
            orientation.ImageOrientationPatient = [_ds(v) for v in np.concatenate([row_dir, col_dir])]
            rescale = Dataset()
            rescale.RescaleIntercept = _ds(intercept)
            rescale.RescaleSlope = _ds(slope)
            rescale.RescaleType = "HU" if modality == "CT" else "US"
            groups = {"PixelMeasuresSequence": measures, "PlaneOrientationSequence": orientation,
                      "PixelValueTransformationSequence": rescale}
            shared = Dataset()
            if args.enhanced == "shared":
                for key, item in groups.items():
                    setattr(shared, key, [item])
            ds.SharedFunctionalGroupsSequence = [shared]
            dim_uid = generate_uid()
            org = Dataset()
            org.DimensionOrganizationUID = dim_uid
            ds.DimensionOrganizationSequence = [org]
            dims = []
            for pointer in (0x00209056, 0x00209057):  # StackID, InStackPositionNumber
                d = Dataset()
                d.DimensionOrganizationUID = dim_uid
                d.DimensionIndexPointer = pointer
                d.FunctionalGroupPointer = 0x00209111  # FrameContentSequence
                dims.append(d)
            ds.DimensionIndexSequence = dims
            frames = []
            for k in ks:
                fg = Dataset()
                content = Dataset()
                content.StackID = "1"
                content.InStackPositionNumber = k + 1
                content.DimensionIndexValues = [1, k + 1]
                fg.FrameContentSequence = [content]
                plane = Dataset()
                plane.ImagePositionPatient = [_ds(v) for v in position(k)]
                fg.PlanePositionSequence = [plane]
                if args.enhanced == "perframe":
                    for key, item in groups.items():
                        setattr(fg, key, [item])
                frames.append(fg)
            ds.PerFrameFunctionalGroupsSequence = frames
            ds.PixelData = b"".join(np.ascontiguousarray(stored[:, :, k].T).tobytes() for k in ks)
            save(ds, os.path.join(args.outdir, "EN%05d.dcm" % (n * 7 + 3)))
    for k in range(nz) if not args.enhanced else []:
        ds = Dataset()
        common(ds, SOP[modality])
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.SliceThickness = _ds(slice_step)
        if modality == "CT":
            ds.KVP = "120"
        ds.InstanceNumber = k + 1
        if args.fault != "noipp" or k != nz // 2:
            ds.ImagePositionPatient = [_ds(v) for v in position(k)]
        ds.ImageOrientationPatient = [_ds(v) for v in np.concatenate([row_dir, col_dir])]
        ds.PixelSpacing = [_ds(v) for v in pixel_spacing]
        ds.RescaleIntercept = _ds(intercept)
        ds.RescaleSlope = _ds(slope)
        if modality == "CT":
            ds.RescaleType = "HU"
        ds.PixelData = np.ascontiguousarray(stored[:, :, k].T).tobytes()
        save(ds, os.path.join(args.outdir, "IM%05d.dcm" % (order[k] * 7 + 3)))

    if args.restart:
        # JPEG lossless with restart intervals, by our own encoder; each file must decode with
        # dcmtk's dcmdjpeg to exactly the stored values.
        from pydicom.encaps import encapsulate
        for name in written:
            ds = pydicom.dcmread(name)
            frames = ds.pixel_array.reshape(-1, ny, nx)
            ds.PixelData = encapsulate([_jpeg_lossless(f, args.predictor, args.restart) for f in frames])
            ds["PixelData"].VR = "OB"
            ds.file_meta.TransferSyntaxUID = TS["jpegll14"] if args.predictor != 1 else TS["jpegll"]
            ds.is_implicit_VR, ds.is_little_endian = False, True
            ds.save_as(name, write_like_original=False)
            plain = name + ".plain"
            subprocess.run(["dcmdjpeg", name, plain], check=True)
            if not np.array_equal(pydicom.dcmread(plain).pixel_array.reshape(-1, ny, nx), frames):
                raise SystemExit("dcmdjpeg does not decode our JPEG lossless encoding of " + name)
            os.remove(plain)
    elif args.ts in ("rle", "jpegll", "jpegll14", "jpegls", "jpeglsnear"):
        for name in written:
            tmp = name + ".tmp"
            if args.ts == "rle":
                cmd = ["dcmcrle", name, tmp]
            elif args.ts == "jpegll":
                cmd = ["dcmcjpeg", "+e1", name, tmp]
            elif args.ts == "jpegls":
                cmd = ["dcmcjpls", "+el", name, tmp]
            elif args.ts == "jpeglsnear":
                # dcmtk gives lossy instances new SOP Instance UIDs; the series UID stays.
                cmd = ["dcmcjpls", "+en", "+md", str(args.near), name, tmp]
            else:
                cmd = ["dcmcjpeg", "+el", "+sv", str(args.predictor), name, tmp]
            subprocess.run(cmd, check=True)
            os.replace(tmp, name)
    if args.fault == "gap":
        os.remove(written[nz // 2])
    if args.fault == "truncate":
        victim = written[nz // 2]
        size = os.path.getsize(victim)
        with open(victim, "r+b") as f:
            f.truncate(size // 2)
    json.dump({"files": len(os.listdir(args.outdir)), "shape": [nx, ny, nz],
               "series": series, "affine": affine.tolist()}, sys.stdout)


# ---------------------------------------------------------------- dcm2niix comparison

def cmd_dcm2niix(args):
    import nibabel as nib
    pydicom = _pydicom()
    out = tempfile.mkdtemp(prefix="dcm2niix_")
    try:
        src = args.seriesdir
        names = sorted(os.listdir(src))
        head = pydicom.dcmread(os.path.join(src, names[0]), stop_before_pixels=True) if names else None
        ts = str(head.file_meta.TransferSyntaxUID) if head is not None else ""
        jpeg = ts.startswith("1.2.840.10008.1.2.4.")
        restarts = jpeg and b"\xff\xdd" in pydicom.dcmread(os.path.join(src, names[0])).PixelData
        jpegls = ts in (TS["jpegls"], TS["jpeglsnear"])
        if ts == TS["deflated"] or jpegls or (jpeg and ("PerFrameFunctionalGroupsSequence" in head or restarts)):
            # dcm2niix reads neither deflated files nor multi-frame JPEG with one fragment per
            # frame nor JPEG lossless with restart markers, and Debian's build has no JPEG-LS;
            # it advises converting them with dcmtk first (dcmconv, dcmdjpeg, dcmdjpls).
            tool = ["dcmconv", "+te"] if ts == TS["deflated"] else [_dcmtk_decoder(ts)]
            src = os.path.join(out, "converted")
            os.makedirs(src)
            for n in names:
                subprocess.run(tool + [os.path.join(args.seriesdir, n), os.path.join(src, n)], check=True)
        t0 = time.perf_counter()
        subprocess.run(["dcm2niix", "-z", "n", "-b", "n", "-f", "ref", "-o", out, src],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        refs = sorted(f for f in os.listdir(out) if f.endswith(".nii"))
        if len(refs) != 1:
            raise SystemExit("dcm2niix wrote %d volumes" % len(refs))
        ref = nib.as_closest_canonical(nib.load(os.path.join(out, refs[0])))
        ours = nib.as_closest_canonical(nib.load(args.ours))
        a, b = ref.get_fdata(), ours.get_fdata()
        result = {"files": refs, "seconds": seconds,
                  "affine_max_diff": float(np.abs(ref.affine - ours.affine).max()),
                  "ref_shape": list(a.shape), "our_shape": list(b.shape),
                  "ref_affine": ref.affine.tolist(), "our_affine": ours.affine.tolist()}
        if a.shape == b.shape:
            result["max_abs_diff"] = float(np.abs(a - b).max())
            result["voxels_equal"] = bool(np.array_equal(a, b))
        json.dump(result, sys.stdout)
    finally:
        shutil.rmtree(out, ignore_errors=True)


# ---------------------------------------------------------------- SEG check

def cmd_check_seg(args):
    import nibabel as nib
    pydicom = _pydicom()
    proc = subprocess.run(["dciodvfy", args.seg], capture_output=True, text=True)
    lines = [l.strip() for l in (proc.stdout + proc.stderr).splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("Error")]
    warnings = [l for l in lines if l.startswith("Warning")]

    seg = pydicom.dcmread(args.seg)
    names = json.loads(open(args.labels).read())
    label_of_name = {v: int(k) for k, v in names.items()}
    label_of_segment = {int(s.SegmentNumber): label_of_name[s.SegmentLabel] for s in seg.SegmentSequence}

    mask_img = nib.load(args.mask)
    mask = np.asarray(mask_img.dataobj).astype(np.int64)
    inv = np.linalg.inv(mask_img.affine)
    rows, cols, frames = int(seg.Rows), int(seg.Columns), int(seg.NumberOfFrames)
    bits = np.unpackbits(np.frombuffer(seg.PixelData, dtype=np.uint8), bitorder="little")
    bits = bits[: rows * cols * frames].reshape(frames, rows, cols)

    shared = seg.SharedFunctionalGroupsSequence[0]
    iop = np.array([float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient])
    spacing = [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing]
    row_dir, col_dir = iop[:3], iop[3:]

    # Source positions by (instance UID, frame number): None for a single-frame instance, 1.. for
    # the frames of an enhanced one (per-frame plane position, else the shared one).
    source_pos = {}
    for f in os.listdir(args.seriesdir):
        ds = pydicom.dcmread(os.path.join(args.seriesdir, f), stop_before_pixels=True)
        if "PerFrameFunctionalGroupsSequence" in ds:
            shared = ds.SharedFunctionalGroupsSequence[0] if "SharedFunctionalGroupsSequence" in ds else None
            for i, fg in enumerate(ds.PerFrameFunctionalGroupsSequence):
                plane = fg if "PlanePositionSequence" in fg else shared
                source_pos[(ds.SOPInstanceUID, i + 1)] = np.array(
                    [float(v) for v in plane.PlanePositionSequence[0].ImagePositionPatient])
        else:
            source_pos[(ds.SOPInstanceUID, None)] = np.array([float(v) for v in ds.ImagePositionPatient])

    recon = np.zeros_like(mask)
    off_grid = 0
    reference_errors = 0
    rr, cc = np.mgrid[0:rows, 0:cols]
    for i, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
        ipp = np.array([float(v) for v in fg.PlanePositionSequence[0].ImagePositionPatient])
        segment = int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        for src in fg.DerivationImageSequence[0].SourceImageSequence:
            frame = int(src.ReferencedFrameNumber) if "ReferencedFrameNumber" in src else None
            p = source_pos.get((src.ReferencedSOPInstanceUID, frame))
            if p is None or np.abs(p - ipp).max() > 1e-3:
                reference_errors += 1
        lps = ipp[None, None, :] + cc[..., None] * spacing[1] * row_dir + rr[..., None] * spacing[0] * col_dir
        ras = lps * np.array([-1.0, -1.0, 1.0])
        ijk = ras @ inv[:3, :3].T + inv[:3, 3]
        idx = np.rint(ijk).astype(np.int64)
        if np.abs(ijk - idx).max() > 1e-3 or (idx < 0).any() or (idx >= np.array(mask.shape[:3])).any():
            off_grid += 1
            continue
        on = bits[i].astype(bool)
        sel = idx[on]
        if (recon[sel[:, 0], sel[:, 1], sel[:, 2]] != 0).any():
            reference_errors += 1  # two segments claim one voxel in a mask that has one label per voxel
        recon[sel[:, 0], sel[:, 1], sel[:, 2]] = label_of_segment[segment]
    json.dump({"dciodvfy_errors": errors, "dciodvfy_warnings": warnings,
               "dciodvfy_iod": [l for l in lines if not l.startswith(("Error", "Warning"))], "frames": frames,
               "segments": len(seg.SegmentSequence), "off_grid_frames": off_grid,
               "reference_errors": reference_errors,
               "mismatched_voxels": int((recon != mask).sum()),
               "sop_class": seg.SOPClassUID, "modality": seg.Modality,
               "manufacturer": str(seg.Manufacturer), "software_versions": str(seg.SoftwareVersions),
               "patient_id": str(seg.PatientID), "study_uid": seg.StudyInstanceUID}, sys.stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("file")
    d.add_argument("pixels_out")
    m = sub.add_parser("make-series")
    m.add_argument("nifti")
    m.add_argument("outdir")
    m.add_argument("--shape", help="resample to NX,NY,NZ (linear)")
    m.add_argument("--ts", choices=sorted(TS), default="explicit")
    m.add_argument("--predictor", type=int, default=6, help="JPEG lossless selection value for jpegll14")
    m.add_argument("--near", type=int, default=2, help="JPEG-LS NEAR (maximum deviation) for jpeglsnear")
    m.add_argument("--restart", type=int, default=0,
                   help="JPEG lossless with a restart marker every N rows, by our own encoder (checked with dcmdjpeg)")
    m.add_argument("--shuffle", action="store_true", help="file names in a random order of slices")
    m.add_argument("--seed", type=int, default=7)
    m.add_argument("--slope", type=float, default=1.0)
    m.add_argument("--oblique", type=float, default=0.0, help="rotate the whole grid about x by DEG (oblique IOP)")
    m.add_argument("--modality", choices=sorted(SOP), default="CT")
    m.add_argument("--fault", choices=["tilt", "gap", "noipp", "truncate", "sopclass", "noseriesuid"])
    m.add_argument("--enhanced", choices=["shared", "perframe"],
                   help="enhanced multi-frame instances, geometry and rescale in shared or per-frame functional groups")
    m.add_argument("--instances", type=int, default=1, help="with --enhanced: split the frames over N instances")
    c = sub.add_parser("dcm2niix")
    c.add_argument("seriesdir")
    c.add_argument("ours")
    s = sub.add_parser("check-seg")
    s.add_argument("seg")
    s.add_argument("seriesdir")
    s.add_argument("mask")
    s.add_argument("labels")
    args = p.parse_args()
    {"dump": cmd_dump, "make-series": cmd_make_series, "dcm2niix": cmd_dcm2niix,
     "check-seg": cmd_check_seg}[args.cmd](args)


if __name__ == "__main__":
    main()
