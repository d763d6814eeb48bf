"""Trains the small demo STU-Net that ships in ``models/demo``.

    python3 -m tools.stunet.train_demo [--iterations N] [--out models/demo]

Four classes derived from intensities so no annotation is needed: 0 background, 1 body,
2 bone (> 200 HU inside the body), 3 air inside the body (< -400 HU; lungs, bowel gas).
The body is the largest connected component above -500 HU with its holes filled (slice by
slice too, so lungs open at the top or bottom of the scan count as inside). The CT is
preprocessed like nnU-Net v1 does at test time; training uses random crops and flips,
CE + soft Dice, Adam, a fixed seed and two threads. The result is written as an nnU-Net v1
checkpoint (``.model`` + ``.model.pkl`` + ``dataset.json``) and then exported through the
same code path as official checkpoints.
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


def demo_card() -> dict:
    """The preprocessing part of the model card, used before the card exists."""
    return {"inputChannels": 1, "cropToNonzero": True, "transposeForward": [0, 1, 2],
            "targetSpacing": SPACING, "normalization": [{"scheme": "nonCT", "useMaskForNorm": False}],
            "anisotropyThreshold": checkpoints.ANISOTROPY_THRESHOLD}


def training_pair(ct_path: Path):
    case = preprocessing.load_canonical(ct_path)
    pre = preprocessing.preprocess(case, demo_card())
    labels = preprocessing.crop(intensity_labels(case.data), pre.bbox)
    labels = preprocessing.resample_labels(labels, pre.data.shape[1:])
    return pre.data.astype(np.float32), labels.astype(np.int64)


def pad_to_patch(data: np.ndarray, labels: np.ndarray):
    diff = [max(p - s, 0) for s, p in zip(labels.shape, PATCH)]
    pads = [(d // 2, d - d // 2) for d in diff]
    return np.pad(data, [(0, 0)] + pads), np.pad(labels, pads)


def sample_batch(data, labels, rng, batch):
    xs, ys = [], []
    for _ in range(batch):
        start = [int(rng.integers(0, s - p + 1)) for s, p in zip(labels.shape, PATCH)]
        sl = tuple(slice(a, a + p) for a, p in zip(start, PATCH))
        x, y = data[(slice(None),) + sl], labels[sl]
        for axis in range(3):
            if rng.random() < 0.5:
                x, y = np.flip(x, axis + 1), np.flip(y, axis)
        # Mild intensity jitter so the network does not memorise exact values.
        x = x * rng.uniform(0.9, 1.1) + rng.uniform(-0.1, 0.1)
        xs.append(np.ascontiguousarray(x))
        ys.append(np.ascontiguousarray(y))
    return torch.from_numpy(np.stack(xs)).float(), torch.from_numpy(np.stack(ys))


def dice_ce_loss(logits, target):
    ce = F.cross_entropy(logits, target)
    probs = torch.softmax(logits, 1)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 4, 1, 2, 3).float()
    dims = (0, 2, 3, 4)
    inter = (probs * onehot).sum(dims)
    denom = probs.sum(dims) + onehot.sum(dims)
    dice = (2 * inter + 1e-5) / (denom + 1e-5)
    return ce + (1 - dice[1:].mean())


def v1_plans(config: StuNetConfig) -> dict:
    """A plans dict in the nnU-Net v1 layout describing the demo's single 3d_fullres stage."""
    return {
        "num_stages": 1, "num_modalities": 1, "modalities": {0: "CT"},
        "normalization_schemes": OrderedDict([(0, "nonCT")]),
        "use_mask_for_norm": OrderedDict([(0, False)]),
        "num_classes": len(CLASSES) - 1, "all_classes": list(range(1, len(CLASSES))),
        "base_num_features": config.dims[0], "conv_per_stage": 2,
        "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2],
        "data_identifier": "stunet_demo", "preprocessor_name": "GenericPreprocessor",
        "keep_only_largest_region": None, "min_region_size_per_class": None, "min_size_per_class": None,
        "dataset_properties": {"intensityproperties": None},
        "plans_per_stage": {0: {
            "batch_size": 2, "patch_size": np.array(PATCH), "current_spacing": np.array(SPACING),
            "original_spacing": np.array(SPACING), "do_dummy_2D_data_aug": False,
            "pool_op_kernel_sizes": config.pool_kernels, "conv_kernel_sizes": config.conv_kernels,
            "num_pool_per_axis": [sum(1 for k in config.pool_kernels if k[a] > 1) for a in range(3)],
            "median_patient_size_in_voxels": np.array(PATCH)}},
    }


def write_v1_checkpoint(net: STUNet, optimizer, iterations: int, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    path = work / "demo.model"
    torch.save({"epoch": iterations, "state_dict": net.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(), "lr_scheduler_state_dict": None,
                "plot_stuff": ([], [], [], []), "amp_grad_scaler": None}, path)
    # init args as nnU-Net v1 stores them: (plans_file, fold, output_folder,
    # dataset_directory, batch_dice, stage, unpack_data, deterministic, fp16)
    with open(str(path) + ".pkl", "wb") as f:
        pickle.dump({"init": ("", 0, "", "", True, 0, True, True, False), "name": "STUNetTrainer_demo",
                     "plans": v1_plans(net.config)}, f)
    (work / "dataset.json").write_text(json.dumps(
        {"name": "stunet_demo", "modality": {"0": "CT"},
         "labels": {str(i): n for i, n in enumerate(CLASSES)}}, indent=2) + "\n")
    return path


def train(ct_path: Path, iterations: int, seed: int, log=print) -> tuple:
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data, labels = pad_to_patch(*training_pair(ct_path))
    config = StuNetConfig(1, len(CLASSES), [1] * len(DIMS), DIMS, POOL_KERNELS)
    net = STUNet(config)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: (1 - i / iterations) ** 0.9)
    net.train()
    start = time.time()
    for it in range(iterations):
        x, y = sample_batch(data, labels, rng, 2)
        loss = dice_ce_loss(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if it % 25 == 0 or it == iterations - 1:
            log("iteration %4d  loss %.4f  %.0f s" % (it, float(loss), time.time() - start))
    return net.eval(), optimizer


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.stunet.train_demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--ct", type=Path, default=DEFAULT_CT)
    ap.add_argument("--iterations", type=int, default=250)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--work", type=Path, default=REPO_ROOT / "tools" / "target" / "demo",
                    help="where the intermediate nnU-Net v1 checkpoint goes")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "demo")
    args = ap.parse_args(argv)
    net, optimizer = train(args.ct, args.iterations, args.seed)
    ckpt_path = write_v1_checkpoint(net, optimizer, args.iterations, args.work)
    card = export(checkpoints.load(ckpt_path), args.out, name="demo", source_format="demo")
    print("wrote %s (%d parameters, classes %s)" % (args.out, sum(p.numel() for p in net.parameters()),
                                                     card["classes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
