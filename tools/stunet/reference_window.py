"""Reference sliding-window inference: nnU-Net v1.7.1 semantics, line for line.

Re-implements what the Java engine must reproduce (docs/numerics.md section 3) with the same
numpy/scipy/torch calls the official code makes:
``SegmentationNetwork._compute_steps_for_sliding_window``, ``_get_gaussian``,
``_internal_predict_3D_3Dconv_tiled`` (non-``all_in_gpu`` path: full-volume float32
numpy aggregators with one copy of the weights per class, as the official code holds
them) and ``_internal_maybe_mirror_and_pred_3D``. Axis order is (c, z, y, x); the
official code calls the same axes (c, x, y, z) but indexes them identically.

Subcommands (all raw arrays are little-endian, C order):
  steps     --patch Z Y X --size Z Y X [--step 0.5]          -> JSON plan
  steps     --cases FILE (lines "pz py px sz sy sx step")     -> one JSON plan per line
  gaussian  --patch Z Y X --out FILE                          -> float32 map
  predict   --model PT --input F32 --shape C Z Y X --patch Z Y X --classes N
            [--step 0.5] [--tta] [--mirror-axes 0 1 2] [--threads T] --out PREFIX
            -> PREFIX.labels (int32), PREFIX.margin (float32 top-2 probability margin),
               JSON {seconds, peakRssBytes, tiles} on stdout
  logits    --model PT --input F32 --shape B C Z Y X --out FILE -> float32 logits
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
from scipy.ndimage import gaussian_filter

try:  # torch is only needed for prediction; plans and Gaussians load faster without it
    import torch
except ImportError:  # pragma: no cover
    torch = None


def compute_steps_for_sliding_window(patch_size, image_size, step_size):
    assert all(i >= j for i, j in zip(image_size, patch_size)), "image must be at least as large as the patch"
    assert 0 < step_size <= 1, 'step_size must be larger than 0 and smaller or equal to 1'
    target_step_sizes_in_voxels = [i * step_size for i in patch_size]
    num_steps = [int(np.ceil((i - k) / j)) + 1 for i, j, k in zip(image_size, target_step_sizes_in_voxels, patch_size)]
    steps = []
    for dim in range(len(patch_size)):
        max_step_value = image_size[dim] - patch_size[dim]
        if num_steps[dim] > 1:
            actual_step_size = max_step_value / (num_steps[dim] - 1)
        else:
            actual_step_size = 99999999999
        steps.append([int(np.round(actual_step_size * i)) for i in range(num_steps[dim])])
    return steps


def get_gaussian(patch_size, sigma_scale=1. / 8):
    tmp = np.zeros(patch_size)
    center_coords = [i // 2 for i in patch_size]
    sigmas = [i * sigma_scale for i in patch_size]
    tmp[tuple(center_coords)] = 1
    gaussian_importance_map = gaussian_filter(tmp, sigmas, 0, mode='constant', cval=0)
    gaussian_importance_map = gaussian_importance_map / np.max(gaussian_importance_map) * 1
    gaussian_importance_map = gaussian_importance_map.astype(np.float32)
    gaussian_importance_map[gaussian_importance_map == 0] = np.min(gaussian_importance_map[gaussian_importance_map != 0])
    return gaussian_importance_map


def pad_amounts(shape, patch_size):
    """batchgenerators.pad_nd_image: below = diff // 2, above = diff // 2 + diff % 2."""
    new_shape = [max(p, s) for p, s in zip(patch_size, shape)]
    diff = np.array(new_shape) - np.array(shape)
    return [int(d) for d in diff // 2], [int(d) for d in diff // 2 + diff % 2]


def maybe_mirror_and_pred_3d(net, x, mirror_axes, do_mirroring, num_classes, mult):
    result_torch = torch.zeros([1, num_classes] + list(x.shape[2:]), dtype=torch.float)
    if do_mirroring:
        mirror_idx = 8
        num_results = 2 ** len(mirror_axes)
    else:
        mirror_idx = 1
        num_results = 1
    nonlin = lambda t: torch.softmax(t, 1)
    for m in range(mirror_idx):
        if m == 0:
            pred = nonlin(net(x))
            result_torch += 1 / num_results * pred
        if m == 1 and (2 in mirror_axes):
            pred = nonlin(net(torch.flip(x, (4,))))
            result_torch += 1 / num_results * torch.flip(pred, (4,))
        if m == 2 and (1 in mirror_axes):
            pred = nonlin(net(torch.flip(x, (3,))))
            result_torch += 1 / num_results * torch.flip(pred, (3,))
        if m == 3 and (2 in mirror_axes) and (1 in mirror_axes):
            pred = nonlin(net(torch.flip(x, (4, 3))))
            result_torch += 1 / num_results * torch.flip(pred, (4, 3))
        if m == 4 and (0 in mirror_axes):
            pred = nonlin(net(torch.flip(x, (2,))))
            result_torch += 1 / num_results * torch.flip(pred, (2,))
        if m == 5 and (0 in mirror_axes) and (2 in mirror_axes):
            pred = nonlin(net(torch.flip(x, (4, 2))))
            result_torch += 1 / num_results * torch.flip(pred, (4, 2))
        if m == 6 and (0 in mirror_axes) and (1 in mirror_axes):
            pred = nonlin(net(torch.flip(x, (3, 2))))
            result_torch += 1 / num_results * torch.flip(pred, (3, 2))
        if m == 7 and (0 in mirror_axes) and (1 in mirror_axes) and (2 in mirror_axes):
            pred = nonlin(net(torch.flip(x, (4, 3, 2))))
            result_torch += 1 / num_results * torch.flip(pred, (4, 3, 2))
    if mult is not None:
        result_torch[:, :] *= mult
    return result_torch


def predict_3d_tiled(net, x, patch_size, step_size, do_mirroring, mirror_axes, num_classes):
    """Returns (argmax labels, class probabilities) for x of shape (c, z, y, x)."""
    below, above = pad_amounts(x.shape[1:], patch_size)
    data = np.pad(x, [(0, 0)] + list(zip(below, above)), mode='constant', constant_values=0)
    slicer = [slice(None)] + [slice(b, b + s) for b, s in zip(below, x.shape[1:])]
    steps = compute_steps_for_sliding_window(patch_size, data.shape[1:], step_size)
    num_tiles = len(steps[0]) * len(steps[1]) * len(steps[2])
    if num_tiles > 1:
        gaussian = get_gaussian(patch_size, sigma_scale=1. / 8)
        mult = torch.from_numpy(gaussian)
        add_for_nb_of_preds = gaussian
    else:
        mult = None
        add_for_nb_of_preds = np.ones(patch_size, dtype=np.float32)
    aggregated_results = np.zeros([num_classes] + list(data.shape[1:]), dtype=np.float32)
    aggregated_nb_of_predictions = np.zeros([num_classes] + list(data.shape[1:]), dtype=np.float32)
    with torch.no_grad():
        for lz in steps[0]:
            for ly in steps[1]:
                for lx in steps[2]:
                    patch = torch.from_numpy(np.ascontiguousarray(
                        data[None, :, lz:lz + patch_size[0], ly:ly + patch_size[1], lx:lx + patch_size[2]]))
                    predicted_patch = maybe_mirror_and_pred_3d(net, patch, mirror_axes, do_mirroring,
                                                               num_classes, mult)[0].cpu().numpy()
                    region = (slice(None), slice(lz, lz + patch_size[0]), slice(ly, ly + patch_size[1]),
                              slice(lx, lx + patch_size[2]))
                    aggregated_results[region] += predicted_patch
                    aggregated_nb_of_predictions[region] += add_for_nb_of_preds
    aggregated_results = aggregated_results[tuple(slicer)]
    aggregated_nb_of_predictions = aggregated_nb_of_predictions[tuple(slicer)]
    aggregated_results /= aggregated_nb_of_predictions
    del aggregated_nb_of_predictions
    return aggregated_results.argmax(0), aggregated_results, num_tiles


def top2_margin(probabilities):
    top2 = np.partition(probabilities, -2, axis=0)[-2:]
    return (top2[1] - top2[0]).astype(np.float32)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('steps')
    s.add_argument('--patch', type=int, nargs=3)
    s.add_argument('--size', type=int, nargs=3)
    s.add_argument('--step', type=float, default=0.5)
    s.add_argument('--cases')
    g = sub.add_parser('gaussian')
    g.add_argument('--patch', type=int, nargs=3, required=True)
    g.add_argument('--out', required=True)
    r = sub.add_parser('predict')
    r.add_argument('--model', required=True)
    r.add_argument('--input', required=True)
    r.add_argument('--shape', type=int, nargs=4, required=True)
    r.add_argument('--patch', type=int, nargs=3, required=True)
    r.add_argument('--classes', type=int, required=True)
    r.add_argument('--step', type=float, default=0.5)
    r.add_argument('--tta', action='store_true')
    r.add_argument('--mirror-axes', type=int, nargs='*', default=[0, 1, 2])
    r.add_argument('--threads', type=int, default=0)
    r.add_argument('--no-margin', action='store_true')
    r.add_argument('--out', required=True)
    lg = sub.add_parser('logits')
    lg.add_argument('--model', required=True)
    lg.add_argument('--input', required=True)
    lg.add_argument('--shape', type=int, nargs=5, required=True)
    lg.add_argument('--threads', type=int, default=0)
    lg.add_argument('--out', required=True)
    a = p.parse_args(argv)

    if a.cmd == 'steps':
        if a.cases:
            with open(a.cases) as f:
                rows = [line.split() for line in f if line.strip()]
            cases = [([int(v) for v in r[0:3]], [int(v) for v in r[3:6]], float(r[6])) for r in rows]
        else:
            cases = [(a.patch, a.size, a.step)]
        for patch, size, step in cases:
            below, above = pad_amounts(size, patch)
            padded = [s + b + c for s, b, c in zip(size, below, above)]
            steps = compute_steps_for_sliding_window(patch, padded, step)
            print(json.dumps({'padBelow': below, 'padAbove': above, 'padded': padded, 'steps': steps}))
    elif a.cmd == 'gaussian':
        get_gaussian(a.patch).astype('<f4').tofile(a.out)
    elif a.cmd == 'predict':
        if a.threads > 0:
            torch.set_num_threads(a.threads)
        scripted = torch.jit.load(a.model, map_location='cpu').eval()
        forward_seconds = [0.0]

        def net(t):
            f0 = time.perf_counter()
            out = scripted(t)
            forward_seconds[0] += time.perf_counter() - f0
            return out

        x = np.fromfile(a.input, dtype='<f4').reshape(a.shape)
        t0 = time.perf_counter()
        labels, probabilities, tiles = predict_3d_tiled(net, x, tuple(a.patch), a.step, a.tta,
                                                         tuple(a.mirror_axes), a.classes)
        seconds = time.perf_counter() - t0
        labels.astype('<i4').tofile(a.out + '.labels')
        if not a.no_margin:
            top2_margin(probabilities).astype('<f4').tofile(a.out + '.margin')
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        json.dump({'seconds': seconds, 'forwardSeconds': forward_seconds[0], 'peakRssBytes': peak, 'tiles': tiles},
                  sys.stdout)
    elif a.cmd == 'logits':
        if a.threads > 0:
            torch.set_num_threads(a.threads)
        net = torch.jit.load(a.model, map_location='cpu').eval()
        x = torch.from_numpy(np.fromfile(a.input, dtype='<f4').reshape(a.shape))
        with torch.no_grad():
            net(x).numpy().astype('<f4').tofile(a.out)


if __name__ == '__main__':
    main()
