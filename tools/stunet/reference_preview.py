"""Reference for the preview's view geometry (docs/outputs.md, "Preview").

Reorients an image and, optionally, a label map to RAS+ with nibabel's
``as_closest_canonical`` and writes into DIR (little-endian, C order):

- ``grid.json``: canonical shape (z, y, x), spacing (z, y, x) and, per view, the shape of
  its slice;
- ``axial.u16``, ``coronal.u16``, ``sagittal.u16`` and ``axial.f32``, ...: labels and
  intensities of the middle slices as a viewer shows them in the radiological convention, one voxel per cell, rows top to bottom:
  axial seen from the feet (patient right on the left, anterior up), coronal from the front
  (right on the left, superior up), sagittal from the patient's left (anterior on the left,
  superior up);
- in ``grid.json`` also the 0.5th and 99.5th percentiles of the image (numpy's "nearest"
  method), the non-CT display window.

Usage: python3 tools/stunet/reference_preview.py IMAGE [LABELS] DIR
"""
import json
import os
import sys

import nibabel as nib
import numpy as np


def views(volume):
    """Display slices of a RAS+ (x, y, z) array; element [row, col]."""
    nx, ny, nz = volume.shape
    return {
        # In RAS+ x grows to the patient's right and y to anterior; on screen right is left
        # and anterior is up, so both in-plane axes are reversed.
        "axial": volume[:, :, nz // 2].T[::-1, ::-1],
        "coronal": volume[:, ny // 2, :].T[::-1, ::-1],
        "sagittal": volume[nx // 2, :, :].T[::-1, ::-1],
    }


def main(argv):
    if len(argv) not in (2, 3):
        raise SystemExit(__doc__)
    out = argv[-1]
    img = nib.as_closest_canonical(nib.load(argv[0]))
    image = img.get_fdata(dtype=np.float32)
    if len(argv) == 3:
        labels = np.asanyarray(nib.as_closest_canonical(nib.load(argv[1])).dataobj).astype(np.uint16)
    else:
        labels = np.zeros(image.shape, np.uint16)
    os.makedirs(out, exist_ok=True)
    grid = {"shape": list(image.shape[::-1]),
            "spacing": [float(s) for s in img.header.get_zooms()[:3][::-1]]}
    for name, view in views(labels).items():
        np.ascontiguousarray(view).astype("<u2").tofile(os.path.join(out, name + ".u16"))
        grid[name] = list(view.shape)
    for name, view in views(image).items():
        np.ascontiguousarray(view).astype("<f4").tofile(os.path.join(out, name + ".f32"))
    grid["percentiles"] = [float(v) for v in np.percentile(image, [0.5, 99.5], method="nearest")]
    with open(os.path.join(out, "grid.json"), "w") as f:
        json.dump(grid, f)


if __name__ == "__main__":
    main(sys.argv[1:])
