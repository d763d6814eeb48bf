"""Reference for per-class statistics (NUMERICS §7, TotalSegmentator ``get_basic_statistics``).

Reads an image and a label map with nibabel and prints, as JSON, for every label 1..n-1:
voxel count, volume in mm^3 (count x sx*sy*sz), mean of the scaled float32 image inside the
mask (``np.average`` with the mask as weights, as TotalSegmentator does, 0.0 when empty) and
whether the mask comes within 3 voxels of any face (TotalSegmentator's border rule).

Unlike TotalSegmentator, the image is not cast to int16 before averaging: the pipeline's
statistics are defined on the scaled float values (NUMERICS §7 "mean input intensity").

``--slices Z0 Z1`` restricts both volumes to slices Z0..Z1-1 first (thin-volume cases).

Usage: python3 tools/stunet/reference_stats.py IMAGE LABELS N_CLASSES [--slices Z0 Z1]
"""
import argparse
import json

import nibabel as nib
import numpy as np

BORDER = 3


def touches_border(mask):
    for axis in range(mask.ndim):
        n = mask.shape[axis]
        lo = np.take(mask, range(min(BORDER, n)), axis=axis)
        hi = np.take(mask, range(max(n - BORDER, 0), n), axis=axis)
        if lo.any() or hi.any():
            return True
    return False


def statistics(image, labels, spacing, n_classes):
    voxel_volume = float(spacing[0]) * float(spacing[1]) * float(spacing[2])
    present = np.unique(labels)
    if present.size and int(present.max()) >= n_classes:
        raise SystemExit(f"label {int(present.max())} >= {n_classes} classes")
    # TotalSegmentator averages int16 data, which numpy accumulates in float64; a float32
    # image would be accumulated in float32, so widen it first.
    image64 = image.astype(np.float64)
    out = {}
    for k in range(1, n_classes):
        mask = labels == k
        count = int(mask.sum())
        mean = float(np.average(image64, weights=mask.astype(np.uint8))) if count else 0.0
        out[str(k)] = {
            "voxels": count,
            "volume": count * voxel_volume,
            "mean": mean,
            "intensity": float(np.round(mean, 5)),
            "touchesBorder": bool(touches_border(mask)) if count else False,
        }
    return {"voxelVolume": voxel_volume, "classes": out}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("labels")
    parser.add_argument("n_classes", type=int)
    parser.add_argument("--slices", nargs=2, type=int, metavar=("Z0", "Z1"))
    args = parser.parse_args()

    img = nib.load(args.image)
    seg = nib.load(args.labels)
    image = img.get_fdata(dtype=np.float32)
    labels = np.asanyarray(seg.dataobj).astype(np.int64)
    if image.shape != labels.shape:
        raise SystemExit(f"shape mismatch {image.shape} vs {labels.shape}")
    spacing = img.header.get_zooms()[:3]
    if args.slices:
        image = image[:, :, args.slices[0]:args.slices[1]]
        labels = labels[:, :, args.slices[0]:args.slices[1]]

    print(json.dumps(statistics(image, labels, spacing, args.n_classes)))


if __name__ == "__main__":
    main()
