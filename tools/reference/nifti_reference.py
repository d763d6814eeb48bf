#!/usr/bin/env python3
"""nibabel reference for the Java NIfTI reader/writer tests and the `bench nifti` command.

Run with Debian's /usr/bin/python3 (python3-nibabel, python3-numpy). Subcommands:

  inspect FILE                 JSON with what `stunet inspect --json` must report
  dump FILE OUT [--canonical] [--native]
                               voxel data as raw little-endian, x fastest (C order (t, z, y, x));
                               float32 from get_fdata(dtype=float32) unless --native
                               (the stored dtype, unscaled); --canonical after as_closest_canonical
  roundtrip-corpus DIR         one file per dtype x byte order x layout, with expected data and
                               geometry; prints the manifest (JSON list)
  compare PAIRS_JSON           for [[original, ours], ...]: do nibabel's loads agree (dtype, data,
                               affine, codes)? prints JSON list
  oblique OUT                  an int16 volume with a permuted, flipped, slightly oblique affine
  bench FILE [--repeat N]      seconds for nib.load(f).get_fdata(dtype=float32), best of N after
                               one untimed load, JSON
"""
import json
import os
import sys
import time

import nibabel as nib
import numpy as np

DTYPES = ["uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "float32", "float64"]


def fmt(img):
    return "nifti2" if isinstance(img, (nib.Nifti2Image, nib.Nifti2Pair)) else "nifti1"


def inspect(path):
    img = nib.load(path)
    hdr = img.header
    data = img.get_fdata()
    canon = nib.as_closest_canonical(img)
    out = {
        "format": fmt(img),
        "shape": [int(s) for s in img.shape],
        "datatype": str(np.dtype(hdr.get_data_dtype()).newbyteorder("=").name),
        "spacing": [float(z) for z in hdr.get_zooms()[:3]],
        "affine": img.affine.tolist(),
        "axcodes": "".join(nib.aff2axcodes(img.affine)),
        "qform_code": int(hdr["qform_code"]),
        "sform_code": int(hdr["sform_code"]),
        "min": float(data.min()),
        "max": float(data.max()),
        "mean": float(data.mean()),
        "sum": float(data.sum()),
        "canonical_shape": [int(s) for s in canon.shape],
        "canonical_affine": canon.affine.tolist(),
    }
    print(json.dumps(out))


def raw_xfastest(arr, dtype=None):
    arr = np.asarray(arr)
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return np.ascontiguousarray(arr.ravel(order="F")).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()


def dump(path, out, canonical, native):
    img = nib.load(path)
    if canonical:
        img = nib.as_closest_canonical(img)
    if native:
        data = np.asanyarray(img.dataobj.get_unscaled()) if hasattr(img.dataobj, "get_unscaled") else img.dataobj
        data = np.asarray(data)
        data = data.astype(data.dtype.newbyteorder("="), copy=False)
    else:
        data = img.get_fdata(dtype=np.float32)
    with open(out, "wb") as f:
        f.write(raw_xfastest(data))
    print(json.dumps({"dtype": str(np.asarray(data).dtype.name), "shape": list(np.shape(data)),
                      "affine": img.affine.tolist()}))


def oblique_affine(rng):
    # Permuted and flipped axes (voxel axes follow S, L, A) plus a small rotation, so the
    # closest canonical orientation needs a real permutation with flips.
    perm = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    a = np.deg2rad(7.0)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    m = np.eye(4)
    m[:3, :3] = rot @ perm @ np.diag([2.5, 0.8, 1.2])
    m[:3, 3] = [10.0, -20.0, 33.0]
    return m


def sample_data(dtype, shape, rng):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is not None:
        lo, hi = max(info.min, -(2 ** 40)), min(info.max, 2 ** 40)
        data = rng.integers(lo, hi, size=shape, dtype=np.int64, endpoint=True).astype(dtype)
        data.flat[0] = info.min
        data.flat[1] = info.max
    else:
        data = (rng.standard_normal(shape) * 1000).astype(dtype)
    return data


def roundtrip_corpus(directory):
    rng = np.random.default_rng(20260)
    os.makedirs(directory, exist_ok=True)
    manifest = []
    shape = (7, 6, 5)
    affine = oblique_affine(rng)
    layouts = [(".nii", nib.Nifti1Image), (".nii.gz", nib.Nifti1Image), (".hdr", nib.Nifti1Pair)]
    for dtype in DTYPES:
        for endian in "<>":
            for ext, cls in layouts:
                manifest.append(_corpus_file(directory, cls, dtype, endian, ext, shape, affine, rng))
        manifest.append(_corpus_file(directory, nib.Nifti2Image, dtype, "<", ".nii.gz", shape, affine, rng))
    manifest.append(_corpus_file(directory, nib.Nifti2Image, "int16", ">", ".nii", shape + (2,), affine, rng))
    manifest.append(_corpus_file(directory, nib.Nifti2Pair, "float32", ">", ".img", shape, affine, rng))
    manifest.append(_corpus_file(directory, nib.Nifti1Image, "int16", "<", ".nii.gz", shape, affine, rng,
                                 scaling=(0.5, -1024.0)))
    manifest.append(_corpus_file(directory, nib.Nifti1Image, "int32", ">", ".nii", shape, affine, rng,
                                 scaling=(1.25, 3.0)))
    manifest.append(_corpus_file(directory, nib.Nifti1Image, "uint8", "<", ".nii", shape, affine, rng,
                                 scaling=(0.1, 0.0), extension=True))
    print(json.dumps(manifest))


def _corpus_file(directory, cls, dtype, endian, ext, shape, affine, rng, scaling=None, extension=False):
    data = sample_data(dtype, shape, rng)
    hdr_cls = cls.header_class
    hdr = hdr_cls(endianness=endian)
    hdr.set_data_dtype(dtype)
    img = cls(data, affine, hdr)
    img.header.set_qform(affine, code=1)
    img.header.set_sform(affine, code=2)
    img.header.set_xyzt_units("mm", "sec")
    img.header["descrip"] = b"stunet test"
    if extension:
        img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"an extension to skip" * 3))
    name = "%s_%s_%s%s" % (cls.__name__.lower(), dtype, "le" if endian == "<" else "be", ext)
    if scaling is not None:
        name = "scaled_" + name
    path = os.path.join(directory, name)
    if scaling is not None:
        _write_raw_with_scaling(path, data, img.header, scaling)
    else:
        nib.save(img, path)
    loaded = nib.load(path)
    raw = np.asarray(loaded.dataobj.get_unscaled())
    with open(path + ".native", "wb") as f:
        f.write(raw_xfastest(raw))
    with open(path + ".f32", "wb") as f:
        f.write(raw_xfastest(loaded.get_fdata(dtype=np.float32)))
    return {
        "file": path,
        "dtype": str(raw.dtype.newbyteorder("=").name),
        "endian": endian,
        "format": fmt(loaded),
        "shape": [int(s) for s in loaded.shape],
        "affine": loaded.affine.tolist(),
        "qform_code": int(loaded.header["qform_code"]),
        "sform_code": int(loaded.header["sform_code"]),
        "scaled": scaling is not None,
    }


def _write_raw_with_scaling(path, data, header, scaling):
    # nib.save would rescale the data; write the raw values verbatim with the given
    # slope/intercept instead (single-file NIfTI-1, extensions kept).
    hdr = header.copy()
    hdr.set_data_dtype(data.dtype)
    hdr.set_data_shape(data.shape)
    hdr.set_slope_inter(*scaling)
    hdr["vox_offset"] = 0
    from nibabel.openers import Opener
    with Opener(path, "wb") as f:
        hdr.write_to(f)
        f.seek(int(hdr["vox_offset"]))
        f.write(np.asarray(data).astype(data.dtype.newbyteorder(hdr.endianness)).tobytes(order="F"))


def compare(pairs_json):
    with open(pairs_json) as f:
        pairs = json.load(f)
    results = []
    for original, ours in pairs:
        a = nib.load(original)
        b = nib.load(ours)
        ra = np.asarray(a.dataobj.get_unscaled())
        rb = np.asarray(b.dataobj.get_unscaled())
        results.append({
            "original": original,
            "ours": ours,
            "same_dtype": ra.dtype.newbyteorder("=") == rb.dtype.newbyteorder("="),
            "same_raw": bool(ra.shape == rb.shape and np.array_equal(ra, rb)),
            "same_scaled": bool(np.array_equal(a.get_fdata(), b.get_fdata(), equal_nan=True)),
            "same_affine": bool(np.array_equal(a.affine, b.affine)),
            "same_qform": bool(np.array_equal(a.header.get_qform(), b.header.get_qform())),
            "same_codes": [int(a.header["qform_code"]), int(a.header["sform_code"])]
            == [int(b.header["qform_code"]), int(b.header["sform_code"])],
        })
    print(json.dumps(results))


def oblique(out):
    rng = np.random.default_rng(7)
    data = rng.integers(-1024, 3000, size=(9, 8, 7), dtype=np.int16)
    img = nib.Nifti1Image(data, oblique_affine(rng))
    img.header.set_qform(img.affine, code=1)
    img.header.set_sform(img.affine, code=1)
    nib.save(img, out)
    print(json.dumps({"axcodes": "".join(nib.aff2axcodes(img.affine))}))


def bench(path, repeat):
    # One untimed load first, as the Java side warms its JIT: the first load in a fresh
    # process also pays one-off costs (lazy imports, first touches of fresh heap memory).
    np.asarray(nib.load(path).get_fdata(dtype=np.float32)).sum()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = nib.load(path).get_fdata(dtype=np.float32)
        best = min(best, time.perf_counter() - t0)
        del data
    print(json.dumps({"seconds": best, "nibabel": nib.__version__, "numpy": np.__version__}))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "inspect":
        inspect(argv[2])
    elif cmd == "dump":
        dump(argv[2], argv[3], "--canonical" in argv, "--native" in argv)
    elif cmd == "roundtrip-corpus":
        roundtrip_corpus(argv[2])
    elif cmd == "compare":
        compare(argv[2])
    elif cmd == "oblique":
        oblique(argv[2])
    elif cmd == "bench":
        repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 3
        bench(argv[2], repeat)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
