"""Turns an STU-Net checkpoint into a model directory (``model.pt`` + ``model.json``).

    python3 -m tools.stunet.export --checkpoint CKPT [--plans P] [--dataset D] [--labels L] --out DIR
    python3 -m tools.stunet.export --describe VARIANT [--classes N]
    python3 -m tools.stunet.export --upgrade DIR

``model.pt`` is TorchScript (scripted, eval mode, fp32, full-resolution head only):
input ``(b, c, z, y, x)``, output logits ``(b, classes, z, y, x)``. It also exports
``features(x)`` (the head's input), ``head_weight()`` ((classes, features)) and
``head_bias()``, so the engine can apply the 1x1x1 head itself, fused with softmax and
accumulation. ``--upgrade`` rewrites an older model directory's ``model.pt`` with these
methods (same weights, outputs checked identical) and updates ``modelSha256``. ``model.json`` follows
the schema in docs/architecture.md. The saved file is reloaded and compared with the
eager network before the directory is considered written.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

import torch

from . import checkpoints
from .arch import STUNet, StuNetConfig, expected_shapes, parameter_count, variant_config
from .checkpoints import Checkpoint, CheckpointError

SCHEMA = "stunet.model"
SCHEMA_VERSION = 1
MODEL_FILE = "model.pt"
CARD_FILE = "model.json"
MAX_ABS_DIFF = 1e-5


def build_network(ckpt: Checkpoint) -> STUNet:
    """The eager network with the checkpoint's weights, after a strict key/shape check."""
    config = checkpoints.derive_config(ckpt.state_dict, ckpt.pool_kernels)
    checkpoints.check_state_dict(ckpt.state_dict, expected_shapes(config))
    net = STUNet(config)
    # The parameters take over the checkpoint's tensors instead of copying them, which
    # keeps the huge variant (5.8 GB of fp32 weights) at one copy in memory.
    with torch.no_grad():
        for name, param in net.named_parameters():
            param.data = ckpt.state_dict[name].contiguous()
    return net.eval()


def resolve_classes(ckpt: Checkpoint, num_outputs: int, labels: Optional[Path]) -> List[str]:
    if labels is not None:
        names = checkpoints.read_labels(labels)
    elif ckpt.classes is not None:
        names = ckpt.classes
    else:
        beside = ckpt.path.parent / "dataset.json"
        if beside.is_file():
            names = checkpoints.read_labels(beside)
        elif num_outputs == len(checkpoints.read_labels(checkpoints.TOTALSEG_LABELS)):
            # The released v1 checkpoints come without names; their order is label_orders.json.
            names = checkpoints.read_labels(checkpoints.TOTALSEG_LABELS)
        else:
            raise CheckpointError("no class names for %d outputs: pass --labels (label_orders.json or dataset.json)"
                                  % num_outputs)
    if len(names) != num_outputs:
        raise CheckpointError("%d class names for a network with %d outputs" % (len(names), num_outputs))
    return names


def verification_shape(config: StuNetConfig, patch: Sequence[int]) -> List[int]:
    """A small valid input (twice the pooling divisor, at most the patch) so verifying
    the huge variant stays cheap; shape handling is identical for any valid size."""
    return [min(int(p), 2 * d) for p, d in zip(patch, config.divisor())]


def card_depth(config: StuNetConfig):
    """``architecture.depth`` of the card: one int when every stage has the same number of
    blocks (the released variants, and every card written before per-stage depths), else
    the per-stage list."""
    depth = config.uniform_depth()
    return depth if depth is not None else list(config.depths)


def model_card(ckpt: Checkpoint, config: StuNetConfig, classes: List[str], name: str, source_format: str,
               model_sha256: str) -> dict:
    return {
        "schema": SCHEMA, "schemaVersion": SCHEMA_VERSION,
        "name": name, "variant": config.variant(),
        "architecture": {"depth": card_depth(config), "dims": config.dims,
                         "poolKernels": config.pool_kernels, "convKernels": config.conv_kernels},
        "inputChannels": config.input_channels,
        "classes": classes,
        "patchSize": ckpt.patch_size,
        "targetSpacing": ckpt.target_spacing,
        "transposeForward": ckpt.transpose_forward, "transposeBackward": ckpt.transpose_backward,
        "normalization": ckpt.normalization,
        "cropToNonzero": True,
        "orientation": "RAS",
        "mirrorAxes": ckpt.mirror_axes,
        "anisotropyThreshold": checkpoints.ANISOTROPY_THRESHOLD,
        "source": {"format": source_format, "checkpoint": ckpt.path.name, "sha256": checkpoints.sha256_of(ckpt.path)},
        "modelFile": MODEL_FILE, "modelSha256": model_sha256,
    }


def check_consistency(ckpt: Checkpoint, config: StuNetConfig) -> None:
    if config.input_channels != ckpt.input_channels:
        raise CheckpointError("network takes %d input channels but the plans describe %d"
                              % (config.input_channels, ckpt.input_channels))
    if len(ckpt.normalization) != config.input_channels:
        raise CheckpointError("%d normalization entries for %d input channels"
                              % (len(ckpt.normalization), config.input_channels))
    expected_outputs = ckpt.extra.get("num_classes")
    if expected_outputs is not None and expected_outputs != config.num_classes:
        raise CheckpointError("network has %d outputs but the plans list %d classes (with background)"
                              % (config.num_classes, expected_outputs))
    for p, d in zip(ckpt.patch_size, config.divisor()):
        if p % d:
            raise CheckpointError("patch size %s is not divisible by the pooling divisor %s"
                                  % (ckpt.patch_size, config.divisor()))


def export(ckpt: Checkpoint, out_dir: Path, name: Optional[str] = None, labels: Optional[Path] = None,
           source_format: Optional[str] = None) -> dict:
    """Writes ``model.pt`` and ``model.json`` into ``out_dir``; returns the card."""
    net = build_network(ckpt)
    config = net.config
    check_consistency(ckpt, config)
    classes = resolve_classes(ckpt, config.num_classes, labels)

    scripted = torch.jit.script(net)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE
    # Saved under its final name in a scratch folder: the TorchScript archive embeds the
    # file's stem, so this keeps model.pt byte-identical across exports of one checkpoint.
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=str(out_dir)))
    try:
        tmp = scratch / MODEL_FILE
        torch.jit.save(scripted, str(tmp))
        verify(net, tmp, verification_shape(config, ckpt.patch_size))
        os.chmod(tmp, 0o644)
        os.replace(tmp, model_path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    card = model_card(ckpt, config, classes, name or ckpt.name, source_format or ckpt.format,
                      checkpoints.sha256_of(model_path))
    (out_dir / CARD_FILE).write_text(card_json(card))
    return card


def card_json(card: dict) -> str:
    """One top-level field per line with compact values: diff-friendly, still short."""
    lines = ["  %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in card.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def verify(net: STUNet, saved: Path, spatial: Sequence[int]) -> float:
    """Reloads the saved TorchScript file and compares it with the eager network."""
    loaded = torch.jit.load(str(saved), map_location="cpu")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn([1, net.config.input_channels] + list(spatial), generator=gen)
    with torch.no_grad():
        expected = net(x)
        actual = loaded(x)
    if actual.shape != expected.shape:
        raise CheckpointError("TorchScript output shape %s differs from eager %s"
                              % (tuple(actual.shape), tuple(expected.shape)))
    diff = float((actual - expected).abs().max())
    if not diff <= MAX_ABS_DIFF:
        raise CheckpointError("TorchScript output differs from eager by %g (limit %g)" % (diff, MAX_ABS_DIFF))
    verify_split_head(loaded, x)
    return diff


def verify_split_head(loaded, x: torch.Tensor) -> None:
    """``forward(x)`` must equal the 1x1x1 head applied to ``features(x)``."""
    with torch.no_grad():
        logits = loaded(x)
        w, b = loaded.head_weight(), loaded.head_bias()
        rebuilt = torch.einsum("ck,nkzyx->nczyx", w, loaded.features(x)) + b.view(1, -1, 1, 1, 1)
    diff = float((rebuilt - logits).abs().max())
    if not diff <= MAX_ABS_DIFF:
        raise CheckpointError("head(features(x)) differs from forward(x) by %g (limit %g)" % (diff, MAX_ABS_DIFF))


def upgrade(model_dir: Path) -> dict:
    """Re-scripts an existing model directory's ``model.pt`` from its own weights so it has the
    split-head methods; the logits must stay bit-identical. Returns the updated card."""
    model_dir = Path(model_dir)
    card = json.loads((model_dir / CARD_FILE).read_text())
    model_path = model_dir / card.get("modelFile", MODEL_FILE)
    old = torch.jit.load(str(model_path), map_location="cpu")
    state = {k: v.detach().clone() for k, v in old.state_dict().items()}
    config = checkpoints.derive_config(state, card["architecture"]["poolKernels"])
    checkpoints.check_state_dict(state, expected_shapes(config))
    net = STUNet(config)
    net.load_state_dict(state, strict=True)
    net.eval()
    spatial = card["patchSize"]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn([1, config.input_channels] + list(spatial), generator=gen)
    scratch = Path(tempfile.mkdtemp(prefix=".upgrade-", dir=str(model_dir)))
    try:
        tmp = scratch / model_path.name
        torch.jit.save(torch.jit.script(net), str(tmp))
        new = torch.jit.load(str(tmp), map_location="cpu")
        with torch.no_grad():
            if not torch.equal(old(x), new(x)):
                raise CheckpointError("re-scripted model gives different logits than %s" % model_path.name)
        verify_split_head(new, x)
        os.chmod(tmp, 0o644)
        os.replace(tmp, model_path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    card["modelSha256"] = checkpoints.sha256_of(model_path)
    (model_dir / CARD_FILE).write_text(card_json(card))
    return card


def describe(variant: str, classes: int = 105, input_channels: int = 1) -> dict:
    config = variant_config(variant, classes, input_channels)
    return {
        "variant": config.variant(),
        "depth": config.uniform_depth(),
        "depths": config.depths,
        "dims": config.dims,
        "parameters": parameter_count(config),
        "keys": {k: list(v) for k, v in expected_shapes(config).items()},
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.stunet.export", description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", type=Path, help="nnU-Net v1 X.model or v2 checkpoint_final.pth")
    ap.add_argument("--plans", type=Path, help="v1: .model.pkl or plans.pkl (default: CKPT.pkl); v2: plans.json")
    ap.add_argument("--dataset", type=Path, help="v2 dataset.json (default: beside the checkpoint)")
    ap.add_argument("--labels", type=Path, help="class names: label_orders.json or a dataset.json")
    ap.add_argument("--name", help="model name in model.json (default: from the checkpoint)")
    ap.add_argument("--out", type=Path, help="model directory to write")
    ap.add_argument("--describe", metavar="VARIANT", help="print the S/B/L/H architecture as JSON and exit")
    ap.add_argument("--upgrade", type=Path, metavar="DIR",
                    help="re-script DIR/model.pt with the split-head methods (same weights) and exit")
    ap.add_argument("--classes", type=int, default=105, help="outputs for --describe (default 105)")
    ap.add_argument("--input-channels", type=int, default=1, help="input channels for --describe (default 1)")
    args = ap.parse_args(argv)
    try:
        if args.describe:
            print(json.dumps(describe(args.describe, args.classes, args.input_channels)))
            return 0
        if args.upgrade:
            card = upgrade(args.upgrade)
            print("upgraded %s (sha256 %s)" % (args.upgrade, card["modelSha256"]))
            return 0
        if args.checkpoint is None or args.out is None:
            ap.error("--checkpoint and --out are required (or --describe)")
        ckpt = checkpoints.load(args.checkpoint, args.plans, args.dataset)
        card = export(ckpt, args.out, args.name, args.labels)
        print("wrote %s (%s, variant %s, %d classes, patch %s)"
              % (args.out, card["source"]["format"], card["variant"], len(card["classes"]), card["patchSize"]))
        return 0
    except (CheckpointError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
