"""Trains the small demo STU-Net that ships in ``models/demo``.

    python3 -m tools.stunet.train_demo [--iterations N] [--out models/demo]

Four classes derived from intensities so no annotation is needed: 0 background, 1 body,
2 bone (> 200 HU inside the body), 3 air inside the body (< -400 HU; lungs, bowel gas).
The body is the largest connected component above -500 HU with its holes filled (slice by
slice too, so lungs open at the top or bottom of the scan count as inside).

Training cases are the bundled real CTs (``--ct`` to choose others, e.g. to leave one out
for ``tools.stunet.evaluate_demo``). Normalization is nnU-Net's ``CT`` scheme with the
intensity properties of the training cases' labelled voxels, so the network sees Hounsfield
units on one scale whatever the scan's field of view. Each case is preprocessed like nnU-Net
v1 does at test time; training draws random crops (a third centred on a labelled voxel, up to
a third of a patch beyond the volume, filled with air) from a random case, scaled by 0.7-1.4
with probability 0.3, flipped on every axis, with intensity jitter; CE + soft Dice, Adam, a
fixed seed and two threads. The result is written as an nnU-Net v1 checkpoint (``.model`` +
``.model.pkl`` + ``dataset.json``) and then exported through the same code path as official
checkpoints.
"""

import argparse
import json
import pickle
import sys
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from . import checkpoints, preprocessing
from .arch import STUNet, StuNetConfig
from .export import export

REPO_ROOT = checkpoints.REPO_ROOT
DEFAULT_CT = REPO_ROOT / "data" / "nifti" / "example_ct_sm.nii.gz"
# The real CTs the committed demo model is trained on (data/README.md says where they come from).
TRAINING_CTS = [DEFAULT_CT, REPO_ROOT / "data" / "nifti" / "cranium_ct.nii.gz"]
CLASSES = ["background", "body", "bone", "air_inside_body"]
DIMS = [8, 16, 32, 32, 48, 48]
POOL_KERNELS = [[2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2], [1, 1, 2]]
PATCH = [16, 32, 64]
SPACING = [3.0, 3.0, 3.0]

BODY_HU, BONE_HU, AIR_HU = -500.0, 200.0, -400.0


def intensity_labels(hu: np.ndarray) -> np.ndarray:
    """The demo's ground truth on a (z, y, x) HU array."""
    components, n = ndimage.label(hu > BODY_HU)
    labels = np.zeros(hu.shape, dtype=np.uint8)
    if n == 0:
        return labels
    sizes = ndimage.sum_labels(np.ones_like(components), components, index=np.arange(1, n + 1))
    body = components == (int(np.argmax(sizes)) + 1)
    for z in range(body.shape[0]):
        body[z] = ndimage.binary_fill_holes(body[z])
    body = ndimage.binary_fill_holes(body)
    labels[body] = 1
    labels[body & (hu > BONE_HU)] = 2
    labels[body & (hu < AIR_HU)] = 3
    return labels


def intensity_properties(cases) -> dict:
    """nnU-Net's CT normalization parameters from the labelled voxels of (hu, labels) pairs."""
    voxels = np.concatenate([hu[labels > 0].astype(np.float64) for hu, labels in cases])
    lower, upper = np.percentile(voxels, [0.5, 99.5])
    return {"mean": float(voxels.mean()), "sd": float(voxels.std()),
            "percentile_00_5": float(lower), "percentile_99_5": float(upper)}


def demo_card(props: dict) -> dict:
    """The preprocessing part of the model card, used before the card exists."""
    return {"inputChannels": 1, "cropToNonzero": True, "transposeForward": [0, 1, 2],
            "targetSpacing": SPACING, "anisotropyThreshold": checkpoints.ANISOTROPY_THRESHOLD,
            "normalization": [{"scheme": "CT", "useMaskForNorm": False, "mean": props["mean"], "sd": props["sd"],
                               "lowerBound": props["percentile_00_5"], "upperBound": props["percentile_99_5"]}]}


def training_pairs(ct_paths):
    """(network input, labels, fill value outside the volume) per CT, preprocessed as at test
    time, and the intensity properties."""
    cases = [preprocessing.load_canonical(p) for p in ct_paths]
    labels = [intensity_labels(c.data) for c in cases]
    props = intensity_properties([(c.data, l) for c, l in zip(cases, labels)])
    pairs = []
    for case, lab in zip(cases, labels):
        pre = preprocessing.preprocess(case, demo_card(props))
        lab = preprocessing.resample_labels(preprocessing.crop(lab, pre.bbox), pre.data.shape[1:])
        # Outside the volume is air: the lowest value the normalization gives.
        fill = (props["percentile_00_5"] - props["mean"]) / props["sd"]
        pairs.append((pre.data.astype(np.float32), lab.astype(np.int64), np.float32(fill)))
    return pairs, props


def crop_padded(arr: np.ndarray, start, size, fill) -> np.ndarray:
    """arr[..., start:start+size] over the last three axes; parts outside the volume are fill."""
    out = np.full(arr.shape[:-3] + tuple(size), fill, dtype=arr.dtype)
    src, dst = [], []
    for a, n, s in zip(start, size, arr.shape[-3:]):
        lo, hi = max(a, 0), min(a + n, s)
        src.append(slice(lo, max(hi, lo)))
        dst.append(slice(lo - a, lo - a + max(hi - lo, 0)))
    lead = (slice(None),) * (arr.ndim - 3)
    out[lead + tuple(dst)] = arr[lead + tuple(src)]
    return out


def crop_start(labels, size, rng):
    """A random crop origin; the crop may reach a third of its size beyond the volume, and one
    time in three it is centred on a labelled voxel."""
    if rng.random() < 1 / 3:
        fg = np.argwhere(labels > 0)
        if len(fg):
            centre = fg[int(rng.integers(0, len(fg)))]
            return [int(c) - n // 2 for c, n in zip(centre, size)]
    return [int(rng.integers(-(n // 3), max(s - n + n // 3, -(n // 3)) + 1)) for s, n in zip(labels.shape, size)]


def sample_batch(pairs, rng, batch):
    """Random crops of random cases, each scaled by 0.7-1.4 with probability 0.3 (the crop is
    taken larger or smaller and resized to the patch), flipped on each axis with probability 0.5,
    with intensity jitter."""
    xs, ys = [], []
    for _ in range(batch):
        data, labels, fill = pairs[int(rng.integers(0, len(pairs)))]
        scale = float(np.exp(rng.uniform(np.log(0.7), np.log(1.4)))) if rng.random() < 0.3 else 1.0
        size = [max(2, int(round(p * scale))) for p in PATCH]
        start = crop_start(labels, size, rng)
        x = torch.from_numpy(crop_padded(data, start, size, fill))[None]
        y = torch.from_numpy(crop_padded(labels, start, size, 0))[None, None].float()
        if size != PATCH:
            x = F.interpolate(x, size=PATCH, mode="trilinear", align_corners=False)
            y = F.interpolate(y, size=PATCH, mode="nearest")
        x, y = x[0], y[0, 0].long()
        flips = [axis for axis in range(3) if rng.random() < 0.5]
        if flips:
            x, y = torch.flip(x, [a + 1 for a in flips]), torch.flip(y, flips)
        # Intensity jitter so the network does not memorise exact values.
        x = x * rng.uniform(0.9, 1.1) + rng.uniform(-0.1, 0.1)
        xs.append(x)
        ys.append(y)
    return torch.stack(xs).float(), torch.stack(ys)


def dice_ce_loss(logits, target):
    ce = F.cross_entropy(logits, target)
    probs = torch.softmax(logits, 1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 4, 1, 2, 3).float()
    dims = (0, 2, 3, 4)
    inter = (probs * onehot).sum(dims)
    denom = probs.sum(dims) + onehot.sum(dims)
    dice = (2 * inter + 1e-5) / (denom + 1e-5)
    return ce + (1 - dice[1:].mean())


def v1_plans(config: StuNetConfig, props: dict) -> dict:
    """A plans dict in the nnU-Net v1 layout describing the demo's single 3d_fullres stage."""
    return {
        "num_stages": 1, "num_modalities": 1, "modalities": {0: "CT"},
        "normalization_schemes": OrderedDict([(0, "CT")]),
        "use_mask_for_norm": OrderedDict([(0, False)]),
        "num_classes": len(CLASSES) - 1, "all_classes": list(range(1, len(CLASSES))),
        "base_num_features": config.dims[0], "conv_per_stage": 2,
        "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2],
        "data_identifier": "stunet_demo", "preprocessor_name": "GenericPreprocessor",
        "keep_only_largest_region": None, "min_region_size_per_class": None, "min_size_per_class": None,
        "dataset_properties": {"intensityproperties": OrderedDict([(0, props)])},
        "plans_per_stage": {0: {
            "batch_size": 2, "patch_size": np.array(PATCH), "current_spacing": np.array(SPACING),
            "original_spacing": np.array(SPACING), "do_dummy_2D_data_aug": False,
            "pool_op_kernel_sizes": config.pool_kernels, "conv_kernel_sizes": config.conv_kernels,
            "num_pool_per_axis": [sum(1 for k in config.pool_kernels if k[a] > 1) for a in range(3)],
            "median_patient_size_in_voxels": np.array(PATCH)}},
    }


def write_v1_checkpoint(net: STUNet, optimizer, iterations: int, props: dict, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    path = work / "demo.model"
    torch.save({"epoch": iterations, "state_dict": net.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "lr_scheduler_state_dict": None,
                "plot_stuff": ([], [], [], []), "amp_grad_scaler": None}, path)
    # init args as nnU-Net v1 stores them: (plans_file, fold, output_folder,
    # dataset_directory, batch_dice, stage, unpack_data, deterministic, fp16)
    with open(str(path) + ".pkl", "wb") as f:
        pickle.dump({"init": ("", 0, "", "", True, 0, True, True, False), "name": "STUNetTrainer_demo",
                     "plans": v1_plans(net.config, props)}, f)
    (work / "dataset.json").write_text(json.dumps(
        {"name": "stunet_demo", "modality": {"0": "CT"},
         "labels": {str(i): n for i, n in enumerate(CLASSES)}}, indent=2) + "\n")
    return path


def train(ct_paths, iterations: int, seed: int, log=print) -> tuple:
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    pairs, props = training_pairs(ct_paths)
    config = StuNetConfig(1, len(CLASSES), [1] * len(DIMS), DIMS, POOL_KERNELS)
    net = STUNet(config)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: (1 - i / iterations) ** 0.9)
    net.train()
    start = time.time()
    for it in range(iterations):
        x, y = sample_batch(pairs, rng, 2)
        loss = dice_ce_loss(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if it % 25 == 0 or it == iterations - 1:
            log("iteration %4d  loss %.4f  %.0f s" % (it, float(loss), time.time() - start))
    return net.eval(), optimizer, props


TRAINING_RECORD = "training.json"


def write_training_record(model_dir: Path, ct_paths, iterations: int, seed: int, seconds: float) -> None:
    """What the model was trained on (file names and SHA-256), so that evaluate_demo can tell
    training cases from held-out ones."""
    record = {"trainer": "tools.stunet.train_demo", "iterations": iterations, "seed": seed,
              "threads": torch.get_num_threads(), "seconds": round(seconds, 1),
              "cases": [{"file": Path(p).name, "sha256": checkpoints.sha256_of(Path(p))} for p in ct_paths]}
    (model_dir / TRAINING_RECORD).write_text(json.dumps(record, indent=2) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.stunet.train_demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--ct", type=Path, nargs="+", default=TRAINING_CTS, help="training CTs (default: the bundled ones)")
    ap.add_argument("--iterations", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--work", type=Path, default=REPO_ROOT / "tools" / "target" / "demo",
                    help="where the intermediate nnU-Net v1 checkpoint goes")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "demo")
    args = ap.parse_args(argv)
    start = time.time()
    net, optimizer, props = train(args.ct, args.iterations, args.seed)
    seconds = time.time() - start
    ckpt_path = write_v1_checkpoint(net, optimizer, args.iterations, props, args.work)
    card = export(checkpoints.load(ckpt_path), args.out, name="demo", source_format="demo")
    write_training_record(args.out, args.ct, args.iterations, args.seed, seconds)
    print("wrote %s (%d parameters, classes %s)" % (args.out, sum(p.numel() for p in net.parameters()),
                                                     card["classes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
