"""Checkpoints in the exact on-disk layouts of nnU-Net v1 / v2 trainers, with random
weights and small widths, around the real STU-Net TotalSegmentator plans. Used by the
pytest suite and, through the command line, by the Java tests that need an exported
model with known weights:

    python3 -m tools.stunet.testmodels --out DIR [--dims 4,8,8,16,16,16] [--depth 1 | --depth 1,2,1,1,1,1] [--seed 0]
"""

import argparse
import json
import pickle
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from .arch import STUNet, StuNetConfig
from .checkpoints import REPO_ROOT, load, read_labels

PLANS_DIR = REPO_ROOT / "data" / "stunet"
LABELS = PLANS_DIR / "label_orders.json"


def small_config(num_classes=105, depth=1, dims=(4, 8, 8, 16, 16, 16), input_channels=1, pool_kernels=None):
    """``depth``: blocks of every stage (int) or one count per stage (list)."""
    kwargs = {} if pool_kernels is None else {"pool_kernels": pool_kernels}
    depths = [depth] * len(dims) if isinstance(depth, int) else list(depth)
    return StuNetConfig(input_channels, num_classes, depths, list(dims), **kwargs)


def random_network(config, seed=0):
    torch.manual_seed(seed)
    net = STUNet(config)
    # Instance-norm affine parameters start at 1/0; randomise them so a wrong key mapping
    # cannot hide behind identical values.
    with torch.no_grad():
        for name, p in net.named_parameters():
            if ".norm" in name:
                p.normal_(1.0 if name.endswith("weight") else 0.0, 0.1)
    return net.eval()


def _optimizer_state(net):
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.99, nesterov=True)
    return opt.state_dict()


def load_real_plans(pkl_name="small_ep4k.model.pkl"):
    with open(PLANS_DIR / pkl_name, "rb") as f:
        return pickle.load(f)


def write_v1(directory: Path, state_dict, pkl_name="small_ep4k.model.pkl", name="model_final_checkpoint",
             net=None) -> Path:
    """``X.model`` (the dict nnUNetTrainer.save_checkpoint writes) + the real ``X.model.pkl``."""
    directory.mkdir(parents=True, exist_ok=True)
    model = directory / (name + ".model")
    torch.save({
        "epoch": 4000,
        "state_dict": state_dict,
        "optimizer_state_dict": _optimizer_state(net) if net is not None else None,
        "lr_scheduler_state_dict": None,
        "plot_stuff": ([1.0, 0.9], [1.1, 1.0], [0.5, 0.6], [0.5, 0.6]),
        "best_stuff": (1, 0.9, 0.6, 0.6),
        "amp_grad_scaler": {"scale": 65536.0},
    }, model)
    shutil.copyfile(PLANS_DIR / pkl_name, str(model) + ".pkl")
    return model


def v2_plans_from_v1(v1_plans, ct_normalization=True):
    """nnU-Net v2 plans.json content describing the same 3d_fullres configuration."""
    stage = v1_plans["plans_per_stage"][max(v1_plans["plans_per_stage"])]
    return {
        "dataset_name": "Dataset999_Test",
        "plans_name": "nnUNetPlans",
        "transpose_forward": [int(v) for v in v1_plans["transpose_forward"]],
        "transpose_backward": [int(v) for v in v1_plans["transpose_backward"]],
        "configurations": {
            "3d_fullres": {
                "data_identifier": "nnUNetPlans_3d_fullres",
                "patch_size": [int(v) for v in stage["patch_size"]],
                "spacing": [float(v) for v in stage["current_spacing"]],
                "normalization_schemes": ["CTNormalization" if ct_normalization else "ZScoreNormalization"],
                "use_mask_for_norm": [False],
                "pool_op_kernel_sizes": [[1, 1, 1]] + [[int(v) for v in k] for k in stage["pool_op_kernel_sizes"]],
                "conv_kernel_sizes": [[int(v) for v in k] for k in stage["conv_kernel_sizes"]],
            },
            "3d_cascade_fullres": {"inherits_from": "3d_fullres", "previous_stage": "3d_lowres"},
        },
        "foreground_intensity_properties_per_channel": {
            "0": {"mean": 37.3, "std": 45.5, "percentile_00_5": -135.3, "percentile_99_5": 161.1,
                  "min": -1225.0, "max": 3123.0, "median": 41.7}},
    }


def write_v2(directory: Path, state_dict, configuration="3d_fullres", ct_normalization=True, net=None,
             mirror_axes=(0, 1, 2), flat=False) -> Path:
    """``fold_0/checkpoint_final.pth`` as nnUNetTrainer.save_checkpoint writes it, with
    ``plans.json`` and ``dataset.json`` in the trainer folder above it (nnU-Net's layout)
    or, with ``flat``, right beside it."""
    fold = directory / "fold_0"
    fold.mkdir(parents=True, exist_ok=True)
    meta = fold if flat else directory
    plans = v2_plans_from_v1(load_real_plans()["plans"], ct_normalization)
    names = read_labels(LABELS)
    dataset = {"channel_names": {"0": "CT"}, "labels": {n: i for i, n in enumerate(names)},
               "numTraining": 1, "file_ending": ".nii.gz"}
    (meta / "plans.json").write_text(json.dumps(plans, indent=2))
    (meta / "dataset.json").write_text(json.dumps(dataset, indent=2))
    path = fold / "checkpoint_final.pth"
    torch.save({
        "network_weights": state_dict,
        "optimizer_state": _optimizer_state(net) if net is not None else None,
        "grad_scaler_state": None,
        "logging": {"train_losses": [np.float64(1.0)]},
        "_best_ema": 0.6,
        "current_epoch": 4000,
        "init_args": {"plans": plans, "configuration": configuration, "fold": 0, "dataset_json": dataset,
                      "unpack_dataset": True, "device": torch.device("cpu")},
        "trainer_name": "STUNetTrainer_small",
        "inference_allowed_mirroring_axes": mirror_axes,
    }, path)
    return path


def main(argv=None) -> int:
    from .export import export
    ap = argparse.ArgumentParser(prog="python3 -m tools.stunet.testmodels", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="model directory to write")
    ap.add_argument("--dims", default="4,8,8,16,16,16", help="widths of the six stages")
    ap.add_argument("--depth", default="1", help="blocks per stage: one count, or one per stage (1,2,1,1,1,1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", choices=["v1", "v2"], default="v1")
    ap.add_argument("--checkpoint-dir", type=Path, help="keep the checkpoint here (default: a temporary folder)")
    args = ap.parse_args(argv)
    depths = [int(v) for v in args.depth.split(",")]
    depth = depths[0] if len(depths) == 1 else depths
    net = random_network(small_config(105, depth, [int(v) for v in args.dims.split(",")]), args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        where = args.checkpoint_dir or Path(tmp)
        path = write_v1(where, net.state_dict(), net=net) if args.format == "v1" else write_v2(where, net.state_dict(), net=net)
        card = export(load(path), args.out, name="test-%s-%s" % (args.format, args.dims.replace(",", "-")))
    print(json.dumps({"out": str(args.out), "classes": len(card["classes"]), "patchSize": card["patchSize"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
