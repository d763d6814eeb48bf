"""Converts an InVesalius 3 project (``.inv3``) into a NIfTI CT, optionally downsampled in-plane.

    python3 -m tools.stunet.import_inv3 PROJECT.inv3 OUT.nii.gz [--inplane-factor 2]

An ``.inv3`` file is a gzipped tar of ``main.plist`` (matrix shape ``(z, y, x)``, dtype, and
spacing ``(x, y, z)`` in mm) and the raw voxel matrix. This reads the axial layout InVesalius
writes (orientation 1): columns run to the patient's left, rows to anterior and slices to
superior, so the affine is ``diag(-sx, sy, sz)`` in RAS. ``--inplane-factor k`` averages k x k
blocks (the spacing grows by k) and rounds back to int16, which keeps the file small.
Used to make ``data/nifti/cranium_ct.nii.gz`` from Debian's ``invesalius-examples``
(``/usr/share/doc/invesalius-examples/examples/Cranium.inv3``).
"""

import argparse
import plistlib
import sys
import tarfile
from pathlib import Path

import nibabel as nib
import numpy as np


def read_inv3(path: Path):
    """(voxels (z, y, x) as stored, spacing (x, y, z) in mm, orientation code)."""
    with tarfile.open(path, "r:gz") as tar:
        members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
        if "main.plist" not in members:
            raise ValueError("%s: not an InVesalius project (no main.plist)" % path)
        main = plistlib.loads(tar.extractfile(members["main.plist"]).read())
        matrix = main["matrix"]
        raw = tar.extractfile(members[matrix["filename"]]).read()
    voxels = np.frombuffer(raw, dtype=np.dtype(matrix["dtype"])).reshape(matrix["shape"])
    return voxels, [float(s) for s in main["spacing"]], int(main.get("orientation", 1))


def to_nifti(voxels: np.ndarray, spacing, factor: int) -> nib.Nifti1Image:
    z, y, x = voxels.shape
    if y % factor or x % factor:
        raise ValueError("in-plane size %dx%d is not a multiple of %d" % (y, x, factor))
    blocks = voxels.astype(np.float64).reshape(z, y // factor, factor, x // factor, factor).mean(axis=(2, 4))
    data = np.round(blocks).astype(np.int16).transpose(2, 1, 0)  # NIfTI order (x, y, z)
    affine = np.diag([-spacing[0] * factor, spacing[1] * factor, spacing[2], 1.0])
    img = nib.Nifti1Image(data, affine)
    img.set_sform(affine, code=1)
    img.set_qform(affine, code=1)
    img.header.set_xyzt_units("mm", "sec")
    return img


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.stunet.import_inv3", description=__doc__.split("\n\n")[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--inplane-factor", type=int, default=2)
    args = ap.parse_args(argv)
    voxels, spacing, orientation = read_inv3(args.project)
    if orientation != 1:
        raise SystemExit("%s: orientation %d is not axial; only axial projects are supported" % (args.project, orientation))
    nib.save(to_nifti(voxels, spacing, args.inplane_factor), str(args.out))
    print("wrote %s from %s voxels (x, y, z)" % (args.out, "x".join(str(s) for s in voxels.shape[::-1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
