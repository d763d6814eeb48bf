"""nnU-Net v1 sliding-window prediction (docs/numerics.md section 3) around a TorchScript or
eager STU-Net: constant-0 padding to the patch, steps at half a patch, Gaussian
importance weighting (only with more than one tile), probabilities averaged over the
mirrored copies, argmax. Reference for the demo evaluation, written for clarity."""

import itertools
from typing import List, Sequence

import numpy as np
import torch
from scipy.ndimage import gaussian_filter


def compute_steps(size: Sequence[int], patch: Sequence[int], step: float = 0.5) -> List[List[int]]:
    steps = []
    for s, p in zip(size, patch):
        n = int(np.ceil((s - p) / (p * step))) + 1
        if n > 1:
            actual = (s - p) / (n - 1)
            steps.append([int(np.rint(actual * i)) for i in range(n)])
        else:
            steps.append([0])
    return steps


def gaussian_importance(patch: Sequence[int], sigma_scale: float = 1.0 / 8) -> np.ndarray:
    impulse = np.zeros(patch)
    impulse[tuple(p // 2 for p in patch)] = 1
    g = gaussian_filter(impulse, [p * sigma_scale for p in patch], 0, mode="constant", cval=0)
    g = (g / g.max()).astype(np.float32)
    g[g == 0] = g[g != 0].min()
    return g


def mirror_sets(axes: Sequence[int]) -> List[tuple]:
    """Every subset of the allowed spatial axes, as tensor dims of a (b, c, z, y, x) batch."""
    dims = [a + 2 for a in axes]
    return [c for r in range(len(dims) + 1) for c in itertools.combinations(dims, r)]


def predict_labels(net, data: np.ndarray, patch: Sequence[int], num_classes: int, mirror_axes=(0, 1, 2),
                   step: float = 0.5) -> np.ndarray:
    """Label map (z, y, x) for a normalized (c, z, y, x) volume."""
    shape = data.shape[1:]
    pads = [(0, 0)] + [((max(p - s, 0)) // 2, max(p - s, 0) - (max(p - s, 0)) // 2) for s, p in zip(shape, patch)]
    padded = np.pad(data, pads, mode="constant", constant_values=0)
    steps = compute_steps(padded.shape[1:], patch, step)
    tiles = list(itertools.product(*steps))
    weight = gaussian_importance(patch) if len(tiles) > 1 else np.ones(patch, dtype=np.float32)
    weight_t = torch.from_numpy(weight)
    acc = torch.zeros((num_classes,) + padded.shape[1:], dtype=torch.float32)
    norm = torch.zeros(padded.shape[1:], dtype=torch.float32)
    flips = mirror_sets(mirror_axes)
    x_all = torch.from_numpy(np.ascontiguousarray(padded, dtype=np.float32))
    with torch.no_grad():
        for z, y, x in tiles:
            sl = (slice(z, z + patch[0]), slice(y, y + patch[1]), slice(x, x + patch[2]))
            tile = x_all[(slice(None),) + sl][None]
            # All mirrored copies go through the network as one batch.
            batch = torch.cat([torch.flip(tile, dims) if dims else tile for dims in flips])
            out = torch.softmax(net(batch), 1)
            probs = torch.zeros((num_classes,) + tuple(patch))
            for i, dims in enumerate(flips):
                o = out[i:i + 1]
                probs += (torch.flip(o, dims) if dims else o)[0] / len(flips)
            acc[(slice(None),) + sl] += probs * weight_t
            norm[sl] += weight_t
    probs = acc / norm
    inner = tuple(slice(lo, lo + s) for (lo, _), s in zip(pads[1:], shape))
    return probs[(slice(None),) + inner].argmax(0).numpy().astype(np.uint8)
