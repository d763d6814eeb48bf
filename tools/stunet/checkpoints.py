"""Readers for the two on-disk checkpoint formats STU-Net is released in.

nnU-Net v1: ``X.model`` (``torch.save`` of a dict with ``state_dict``) and ``X.model.pkl``
beside it (``{'init', 'name', 'plans'}``). nnU-Net v2: ``checkpoint_final.pth`` (dict with
``network_weights``, ``init_args``, ``trainer_name``, ``inference_allowed_mirroring_axes``)
with ``plans.json`` and ``dataset.json`` beside it. Both are reduced to one
:class:`Checkpoint`: a clean float32 state dict plus the preprocessing facts the model card
needs, so the exporter never looks at a format again.

``torch.load`` and ``pickle`` execute code from the file; only import checkpoints you trust.
"""

import hashlib
import json
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch

from .arch import StuNetConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
TOTALSEG_LABELS = REPO_ROOT / "data" / "stunet" / "label_orders.json"

# nnU-Net's RESAMPLING_SEPARATE_Z_ANISO_THRESHOLD (v1 and v2).
ANISOTROPY_THRESHOLD = 3.0

# nnU-Net v2 normalization class names -> the v1 scheme names the model card uses.
V2_SCHEMES = {"CTNormalization": "CT", "ZScoreNormalization": "nonCT"}


class CheckpointError(Exception):
    """A checkpoint, plans or label file that cannot be turned into a model directory."""


@dataclass
class Checkpoint:
    """What the exporter needs, independent of the nnU-Net version."""

    format: str
    path: Path
    trainer: str
    state_dict: Dict[str, torch.Tensor]
    input_channels: int
    patch_size: List[int]
    target_spacing: List[float]
    pool_kernels: List[List[int]]
    transpose_forward: List[int]
    transpose_backward: List[int]
    normalization: List[dict]
    mirror_axes: List[int]
    classes: Optional[List[str]] = None
    name: str = "model"
    extra: dict = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _torch_load(path: Path) -> dict:
    if not path.is_file():
        raise CheckpointError("checkpoint not found: %s" % path)
    try:
        obj = torch.load(str(path), map_location="cpu")
    except Exception as e:  # torch raises many unrelated types for a corrupt file
        raise CheckpointError("cannot read checkpoint %s: %s" % (path, e)) from e
    if not isinstance(obj, dict):
        raise CheckpointError("checkpoint %s is a %s, not an nnU-Net checkpoint dict" % (path, type(obj).__name__))
    return obj


def clean_state_dict(raw, where: str) -> Dict[str, torch.Tensor]:
    """Strips the ``module.`` prefix DataParallel/DDP adds and casts to float32."""
    if not isinstance(raw, dict) or not raw:
        raise CheckpointError("%s holds no state dict" % where)
    out: Dict[str, torch.Tensor] = {}
    for key, value in raw.items():
        name = key[len("module."):] if key.startswith("module.") else key
        if not torch.is_tensor(value) or not value.is_floating_point():
            raise CheckpointError("state dict entry %r in %s is not a floating-point tensor" % (key, where))
        if name in out:
            raise CheckpointError("state dict key %r occurs with and without the 'module.' prefix" % name)
        out[name] = value.detach().to(torch.float32)
    return out


def fit_pool_kernels(kernels, stages: int) -> List[List[int]]:
    """The STU-Net trainer cuts the planned pool kernels to ``stages - 1`` or pads with 1s."""
    fitted = [[int(v) for v in k] for k in kernels][: stages - 1]
    while len(fitted) < stages - 1:
        fitted.append([1, 1, 1])
    return fitted


_BLOCK = re.compile(r"^(conv_blocks_context|conv_blocks_localization)\.(\d+)\.(\d+)\.")


def block_counts(state_dict: Dict[str, torch.Tensor]) -> Tuple[Dict[int, int], Dict[int, int]]:
    """Residual blocks per encoder stage and per decoder stage: highest block index + 1."""
    counts: Dict[str, Dict[int, int]] = {"conv_blocks_context": {}, "conv_blocks_localization": {}}
    for key in state_dict:
        m = _BLOCK.match(key)
        if m:
            per_stage = counts[m.group(1)]
            stage, block = int(m.group(2)), int(m.group(3))
            per_stage[stage] = max(per_stage.get(stage, 0), block + 1)
    return counts["conv_blocks_context"], counts["conv_blocks_localization"]


def derive_config(state_dict: Dict[str, torch.Tensor], pool_kernels_planned) -> StuNetConfig:
    """Reads stage count, per-stage depth, widths, kernels and class count from tensor shapes;
    pool kernels (strides leave no trace in shapes) come from the plans. The official network
    gives decoder stage ``u`` as many blocks as encoder stage ``stages - 2 - u``; a decoder
    that disagrees is refused here with both counts."""
    encoder, decoder = block_counts(state_dict)
    if not encoder:
        raise CheckpointError("no 'conv_blocks_context.*' keys: not an STU-Net state dict")
    stages = max(encoder) + 1
    dims, depths, kernels = [], [], []
    input_channels = None
    for s in range(stages):
        key = "conv_blocks_context.%d.0.conv1.weight" % s
        w = state_dict.get(key)
        if w is None:
            raise CheckpointError("missing key %s" % key)
        if w.dim() != 5:
            raise CheckpointError("shape mismatch for %s: %s is not a 3-D conv weight" % (key, tuple(w.shape)))
        if s == 0:
            input_channels = int(w.shape[1])
        dims.append(int(w.shape[0]))
        kernels.append([int(v) for v in w.shape[2:]])
        depths.append(encoder[s])
    for u, blocks in sorted(decoder.items()):
        s = stages - 2 - u
        if 0 <= s and blocks != depths[s]:
            raise CheckpointError("decoder stage conv_blocks_localization.%d has %d blocks but its encoder stage "
                                  "conv_blocks_context.%d has %d (per-stage depths %s)" % (u, blocks, s, depths[s], depths))
    head = state_dict.get("seg_outputs.0.weight")
    if head is None:
        raise CheckpointError("missing key seg_outputs.0.weight")
    try:
        return StuNetConfig(input_channels, int(head.shape[0]), depths, dims,
                            fit_pool_kernels(pool_kernels_planned, stages), kernels)
    except ValueError as e:
        raise CheckpointError(str(e)) from e


def check_state_dict(state_dict: Dict[str, torch.Tensor], expected: Dict[str, Tuple[int, ...]]) -> None:
    """Refuses any missing key, unexpected key or shape mismatch, naming the keys."""
    problems = []
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    if missing:
        problems.append("missing keys: " + ", ".join(missing))
    if unexpected:
        problems.append("unexpected keys: " + ", ".join(unexpected))
    for k, shape in expected.items():
        if k in state_dict and tuple(state_dict[k].shape) != shape:
            problems.append("shape mismatch for %s: checkpoint %s, architecture %s"
                            % (k, tuple(state_dict[k].shape), shape))
    if problems:
        raise CheckpointError("state dict does not match STU-Net: " + "; ".join(problems))


def read_labels(path: Path) -> List[str]:
    """Class names by label value from label_orders.json ({"0": name}), a v1 dataset.json
    ({"labels": {"0": name}}) or a v2 dataset.json ({"labels": {name: 0}})."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise CheckpointError("cannot read labels from %s: %s" % (path, e)) from e
    if isinstance(data, dict) and isinstance(data.get("labels"), dict):
        data = data["labels"]
    if not isinstance(data, dict) or not data:
        raise CheckpointError("%s has no label mapping" % path)
    by_value: Dict[int, str] = {}
    for k, v in data.items():
        if isinstance(v, str) and re.fullmatch(r"\d+", str(k)):
            by_value[int(k)] = v
        elif isinstance(v, int) and not isinstance(v, bool):
            if k == "ignore":
                continue  # v2 ignore label: masked out in training, not a network output
            by_value[v] = k
        else:
            raise CheckpointError("%s: label %r -> %r is neither 'value: name' nor 'name: value' "
                                  "(region-based labels are not supported)" % (path, k, v))
    if sorted(by_value) != list(range(len(by_value))):
        raise CheckpointError("%s: label values %s are not 0..n-1" % (path, sorted(by_value)))
    return [by_value[i] for i in range(len(by_value))]


def _v1_normalization(plans: dict, channels: int) -> List[dict]:
    schemes = plans.get("normalization_schemes") or {}
    masks = plans.get("use_mask_for_norm") or {}
    props = (plans.get("dataset_properties") or {}).get("intensityproperties")
    out = []
    for c in range(channels):
        scheme = schemes.get(c)
        entry = {"scheme": scheme, "useMaskForNorm": bool(masks.get(c, False))}
        if scheme == "CT":
            if not props or c not in props:
                raise CheckpointError("plans use CT normalization for channel %d but carry no "
                                      "dataset_properties.intensityproperties" % c)
            p = props[c]
            entry.update(mean=float(p["mean"]), sd=float(p["sd"]),
                         lowerBound=float(p["percentile_00_5"]), upperBound=float(p["percentile_99_5"]))
        elif scheme != "nonCT":
            raise CheckpointError("normalization scheme %r of channel %d is not supported (CT, nonCT)" % (scheme, c))
        out.append(entry)
    return out


def load_plans_pickle(path: Path) -> Tuple[dict, Optional[tuple], Optional[str]]:
    """(plans, trainer init args, trainer name) from a ``.model.pkl`` or a bare ``plans.pkl``."""
    if not path.is_file():
        raise CheckpointError("plans file not found: %s (nnU-Net v1 needs X.model.pkl beside X.model)" % path)
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except Exception as e:
        raise CheckpointError("cannot unpickle plans %s: %s" % (path, e)) from e
    if isinstance(data, dict) and "plans" in data:
        return data["plans"], data.get("init"), data.get("name")
    if isinstance(data, dict) and "plans_per_stage" in data:
        return data, None, None
    raise CheckpointError("%s is neither a .model.pkl nor an nnU-Net v1 plans file" % path)


def load_v1(model_path: Path, plans_path: Optional[Path] = None, obj: Optional[dict] = None) -> Checkpoint:
    model_path = Path(model_path)
    obj = obj if obj is not None else _torch_load(model_path)
    if "state_dict" not in obj:
        raise CheckpointError("%s has no 'state_dict': not an nnU-Net v1 checkpoint" % model_path)
    state_dict = clean_state_dict(obj["state_dict"], str(model_path))
    plans, init, trainer = load_plans_pickle(Path(plans_path) if plans_path else Path(str(model_path) + ".pkl"))
    stages_available = plans.get("plans_per_stage") or {}
    # The trainer's init args carry the stage it was trained on; without them nnU-Net
    # uses the last stage for 3d_fullres.
    stage = init[5] if init is not None and len(init) > 5 and init[5] is not None else max(stages_available)
    if stage not in stages_available:
        raise CheckpointError("plans have no stage %r (have %s)" % (stage, sorted(stages_available)))
    sp = stages_available[stage]
    channels = int(plans.get("num_modalities", 1))
    name = model_path.name[: -len(".model")] if model_path.name.endswith(".model") else model_path.stem
    return Checkpoint(
        format="nnunet-v1", path=model_path, trainer=trainer or "unknown", state_dict=state_dict,
        input_channels=channels,
        patch_size=[int(v) for v in sp["patch_size"]],
        target_spacing=[float(v) for v in sp["current_spacing"]],
        pool_kernels=[[int(v) for v in k] for k in sp["pool_op_kernel_sizes"]],
        transpose_forward=[int(v) for v in plans.get("transpose_forward", [0, 1, 2])],
        transpose_backward=[int(v) for v in plans.get("transpose_backward", [0, 1, 2])],
        normalization=_v1_normalization(plans, channels),
        # nnUNetTrainerV2 mirrors all three axes for 3-D data (also with dummy-2D augmentation).
        mirror_axes=[0, 1, 2],
        classes=None, name=name,
        extra={"num_classes": int(plans["num_classes"]) + 1 if "num_classes" in plans else None},
    )


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text())
    except OSError as e:
        raise CheckpointError("%s not found: %s" % (what, path)) from e
    except ValueError as e:
        raise CheckpointError("%s is not valid JSON: %s (%s)" % (what, path, e)) from e


def _v2_configuration(plans: dict, name: str) -> dict:
    configs = plans.get("configurations") or {}
    if name not in configs:
        raise CheckpointError("plans.json has no configuration %r (have %s)" % (name, sorted(configs)))
    conf = dict(configs[name])
    seen = {name}
    while "inherits_from" in conf:
        parent = conf.pop("inherits_from")
        if parent in seen or parent not in configs:
            raise CheckpointError("configuration %r inherits from unknown or cyclic %r" % (name, parent))
        seen.add(parent)
        merged = dict(configs[parent])
        merged.update(conf)
        conf = merged
    return conf


def _beside(pth_path: Path, name: str) -> Path:
    """nnU-Net v2 keeps plans.json/dataset.json in the trainer folder, one level above
    fold_X/checkpoint_final.pth; a flat copy has them right beside the checkpoint."""
    for folder in (pth_path.parent, pth_path.parent.parent):
        if (folder / name).is_file():
            return folder / name
    return pth_path.parent / name


def load_v2(pth_path: Path, plans_path: Optional[Path] = None, dataset_path: Optional[Path] = None,
            obj: Optional[dict] = None) -> Checkpoint:
    pth_path = Path(pth_path)
    obj = obj if obj is not None else _torch_load(pth_path)
    if "network_weights" not in obj:
        raise CheckpointError("%s has no 'network_weights': not an nnU-Net v2 checkpoint" % pth_path)
    state_dict = clean_state_dict(obj["network_weights"], str(pth_path))
    init_args = obj.get("init_args") or {}
    configuration = init_args.get("configuration")
    if not configuration:
        raise CheckpointError("%s: init_args has no 'configuration'" % pth_path)
    plans = _read_json(Path(plans_path) if plans_path else _beside(pth_path, "plans.json"), "plans.json")
    dataset_file = Path(dataset_path) if dataset_path else _beside(pth_path, "dataset.json")
    dataset = _read_json(dataset_file, "dataset.json")
    conf = _v2_configuration(plans, configuration)
    if "pool_op_kernel_sizes" in conf:
        strides = conf["pool_op_kernel_sizes"]
    else:
        try:
            strides = conf["architecture"]["arch_kwargs"]["strides"]
        except (KeyError, TypeError) as e:
            raise CheckpointError("configuration %r has no pool_op_kernel_sizes / strides" % configuration) from e
    channel_names = dataset.get("channel_names") or dataset.get("modality") or {}
    channels = len(channel_names)
    props = plans.get("foreground_intensity_properties_per_channel") or {}
    normalization = []
    for c, (scheme, use_mask) in enumerate(zip(conf["normalization_schemes"], conf["use_mask_for_norm"])):
        if scheme not in V2_SCHEMES:
            raise CheckpointError("normalization %r of channel %d is not supported (%s)" % (scheme, c, sorted(V2_SCHEMES)))
        entry = {"scheme": V2_SCHEMES[scheme], "useMaskForNorm": bool(use_mask)}
        if entry["scheme"] == "CT":
            p = props.get(str(c))
            if p is None:
                raise CheckpointError("CT normalization of channel %d needs foreground_intensity_properties_per_channel" % c)
            entry.update(mean=float(p["mean"]), sd=float(p["std"]),
                         lowerBound=float(p["percentile_00_5"]), upperBound=float(p["percentile_99_5"]))
        normalization.append(entry)
    mirror = obj.get("inference_allowed_mirroring_axes")
    return Checkpoint(
        format="nnunet-v2", path=pth_path, trainer=str(obj.get("trainer_name", "unknown")), state_dict=state_dict,
        input_channels=channels,
        patch_size=[int(v) for v in conf["patch_size"]],
        target_spacing=[float(v) for v in conf["spacing"]],
        # v2 lists the (always 1) stride of the first stage too.
        pool_kernels=[[int(v) for v in k] for k in strides][1:],
        transpose_forward=[int(v) for v in plans.get("transpose_forward", [0, 1, 2])],
        transpose_backward=[int(v) for v in plans.get("transpose_backward", [0, 1, 2])],
        normalization=normalization,
        mirror_axes=[int(a) for a in mirror] if mirror is not None else [],
        classes=read_labels(dataset_file), name=str(obj.get("trainer_name", "model")),
    )


def load(path: Path, plans: Optional[Path] = None, dataset: Optional[Path] = None) -> Checkpoint:
    """Reads either format, telling them apart by content rather than file name."""
    path = Path(path)
    obj = _torch_load(path)
    if "network_weights" in obj:
        return load_v2(path, plans, dataset, obj=obj)
    if "state_dict" in obj:
        return load_v1(path, plans, obj=obj)
    raise CheckpointError("%s has neither 'state_dict' (nnU-Net v1) nor 'network_weights' (nnU-Net v2); keys: %s"
                          % (path, sorted(obj)[:10]))
