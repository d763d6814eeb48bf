"""nnU-Net v1 test-time preprocessing (docs/numerics.md section 2) for the Python tooling:
closest-canonical RAS orientation, crop to nonzero, resampling to the target spacing and
normalization, driven by a model card. The Java preprocess stage is the production
implementation; this one feeds the demo training and the demo evaluation.
"""

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import nibabel as nib
import numpy as np
from scipy import ndimage
from skimage.transform import resize


@dataclass
class Case:
    """A volume in closest-canonical RAS, as a C-order (z, y, x) array, and its spacing."""

    data: np.ndarray
    spacing: Tuple[float, float, float]


def load_canonical(path) -> Case:
    img = nib.as_closest_canonical(nib.load(str(path)))
    # nibabel indexes (x, y, z); NIfTI stores x fastest, so reversing the axes gives the
    # (z, y, x) array nnU-Net gets from SimpleITK.
    data = np.asarray(img.dataobj, dtype=np.float32).transpose(2, 1, 0)
    zooms = img.header.get_zooms()[:3]
    return Case(np.ascontiguousarray(data), (float(zooms[2]), float(zooms[1]), float(zooms[0])))


def nonzero_bbox(data: np.ndarray) -> List[Tuple[int, int]]:
    mask = ndimage.binary_fill_holes(data != 0)
    if not mask.any():
        return [(0, s) for s in data.shape]
    bbox = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        idx = np.where(mask.any(axis=other))[0]
        bbox.append((int(idx[0]), int(idx[-1]) + 1))
    return bbox


def crop(data: np.ndarray, bbox) -> np.ndarray:
    return data[tuple(slice(a, b) for a, b in bbox)]


def target_shape(shape, spacing, target_spacing) -> Tuple[int, ...]:
    return tuple(int(v) for v in np.rint(np.array(spacing) / np.array(target_spacing) * np.array(shape)))


def _lowres_axis(spacing):
    spacing = np.array(spacing)
    axes = np.where(spacing.max() / spacing == 1)[0]
    return int(axes[0]) if len(axes) == 1 else None


def separate_z_axis(spacing, target_spacing, threshold) -> int:
    """The axis resampled separately (order 0), or None; nnU-Net's get_do_separate_z rule."""
    if max(spacing) / min(spacing) > threshold:
        return _lowres_axis(spacing)
    if max(target_spacing) / min(target_spacing) > threshold:
        return _lowres_axis(target_spacing)
    return None


def resample(data: np.ndarray, new_shape, order: int, separate_axis) -> np.ndarray:
    """skimage resize (mode edge, no anti-aliasing), in-plane + nearest along a separate axis."""
    if tuple(data.shape) == tuple(new_shape):
        return data
    kwargs = {"mode": "edge", "anti_aliasing": False}
    src = data.astype(np.float64)
    if separate_axis is None:
        return resize(src, new_shape, order=order, **kwargs).astype(np.float32)
    a = separate_axis
    plane = [s for i, s in enumerate(new_shape) if i != a]
    slices = [resize(np.take(src, i, axis=a), plane, order=order, **kwargs) for i in range(src.shape[a])]
    stacked = np.stack(slices, axis=a)
    if stacked.shape[a] != new_shape[a]:
        grid = np.meshgrid(*[np.arange(s, dtype=np.float64) for s in new_shape], indexing="ij")
        scale = stacked.shape[a] / new_shape[a]
        coords = [g if i != a else (g + 0.5) * scale - 0.5 for i, g in enumerate(grid)]
        stacked = ndimage.map_coordinates(stacked, coords, order=0, mode="nearest")
    return stacked.astype(np.float32)


def resample_labels(labels: np.ndarray, new_shape) -> np.ndarray:
    """Order-0 resampling of a label map, ``src = (dst + 0.5) * in/out - 0.5``, floor(src + 0.5)."""
    if tuple(labels.shape) == tuple(new_shape):
        return labels
    idx = []
    for n_in, n_out in zip(labels.shape, new_shape):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        idx.append(np.clip(np.floor(src + 0.5).astype(np.int64), 0, n_in - 1))
    return labels[np.ix_(*idx)]


def normalize(data: np.ndarray, entry: dict) -> np.ndarray:
    x = data.astype(np.float32)
    if entry["scheme"] == "CT":
        x = np.clip(x, entry["lowerBound"], entry["upperBound"])
        return ((x - entry["mean"]) / entry["sd"]).astype(np.float32)
    if entry["scheme"] != "nonCT":
        raise ValueError("unknown normalization scheme %r" % entry["scheme"])
    if entry.get("useMaskForNorm"):
        # nnU-Net derives that mask from the resampled crop marker of the segmentation;
        # the demo and the released STU-Net plans do not use it, so it is not reproduced here.
        raise ValueError("useMaskForNorm is not supported by the Python reference preprocessing")
    return ((x - x.mean()) / (x.std() + 1e-8)).astype(np.float32)


@dataclass
class Preprocessed:
    data: np.ndarray          # (c, z, y, x) normalized network input
    bbox: List[Tuple[int, int]]
    cropped_shape: Tuple[int, ...]
    original_shape: Tuple[int, ...]


def preprocess(case: Case, card: dict) -> Preprocessed:
    """One-channel nnU-Net v1 preprocessing of a canonical case as the card prescribes."""
    if card.get("inputChannels", 1) != 1:
        raise ValueError("the Python reference preprocessing handles one input channel")
    data = case.data
    bbox = nonzero_bbox(data) if card.get("cropToNonzero", True) else [(0, s) for s in data.shape]
    cropped = crop(data, bbox)
    tf = card["transposeForward"]
    cropped_t = cropped.transpose(tf)
    spacing = [case.spacing[i] for i in tf]
    cropped_t = np.nan_to_num(cropped_t, nan=0.0)
    new_shape = target_shape(cropped_t.shape, spacing, card["targetSpacing"])
    axis = separate_z_axis(spacing, card["targetSpacing"], card.get("anisotropyThreshold", 3.0))
    resampled = resample(cropped_t, new_shape, 3, axis)
    normalized = normalize(resampled, card["normalization"][0])
    return Preprocessed(normalized[None], bbox, tuple(cropped.shape), tuple(data.shape))
