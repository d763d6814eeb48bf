import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from tools.stunet import checkpoints
from tools.stunet.arch import STUNet, variant_config
from tools.stunet.checkpoints import CheckpointError, REPO_ROOT, fit_pool_kernels, read_labels, sha256_of
from tools.stunet.export import export, main, verification_shape

from tools.stunet.testmodels import LABELS, load_real_plans, random_network, small_config, write_v1, write_v2

PLANS = ["small_ep4k.model.pkl", "base_ep4k.model.pkl", "large_ep4k.model.pkl", "huge_ep4k.model.pkl"]


def _scripted_equals_eager(out_dir, net, spatial):
    loaded = torch.jit.load(str(out_dir / "model.pt"))
    x = torch.randn(1, net.config.input_channels, *spatial, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        return float((loaded(x) - net(x)).abs().max())


@pytest.mark.parametrize("pkl", PLANS)
def test_v1_checkpoint_with_real_plans_exports_card_and_torchscript(tmp_path, pkl):
    net = random_network(small_config(105))
    ckpt_path = write_v1(tmp_path / "ckpt", net.state_dict(), pkl, net=net)
    card = export(checkpoints.load(ckpt_path), tmp_path / "model")

    wrapped = load_real_plans(pkl)
    plans = wrapped["plans"]
    stage = plans["plans_per_stage"][wrapped["init"][5]]
    assert card["schema"] == "stunet.model" and card["schemaVersion"] == 1
    assert card["variant"] == "custom"
    assert card["architecture"] == {"depth": 1, "dims": net.config.dims,
                                    "poolKernels": fit_pool_kernels(stage["pool_op_kernel_sizes"], 6),
                                    "convKernels": [[3, 3, 3]] * 6}
    assert card["inputChannels"] == plans["num_modalities"]
    assert card["classes"] == read_labels(LABELS)
    assert len(card["classes"]) == plans["num_classes"] + 1
    assert card["patchSize"] == [int(v) for v in stage["patch_size"]]
    assert card["targetSpacing"] == [float(v) for v in stage["current_spacing"]]
    assert card["transposeForward"] == list(plans["transpose_forward"])
    assert card["transposeBackward"] == list(plans["transpose_backward"])
    assert card["normalization"] == [{"scheme": plans["normalization_schemes"][0],
                                      "useMaskForNorm": plans["use_mask_for_norm"][0]}]
    assert card["cropToNonzero"] is True and card["orientation"] == "RAS"
    assert card["mirrorAxes"] == [0, 1, 2]
    assert card["source"] == {"format": "nnunet-v1", "checkpoint": ckpt_path.name, "sha256": sha256_of(ckpt_path)}
    assert card["modelSha256"] == sha256_of(tmp_path / "model" / "model.pt")
    assert json.loads((tmp_path / "model" / "model.json").read_text()) == card
    # A patch-sized input, not just the small verification shape the exporter uses.
    assert _scripted_equals_eager(tmp_path / "model", net, [64, 64, 64]) <= 1e-5


def test_v1_state_dict_saved_from_data_parallel_loads_after_stripping_module_prefix(tmp_path):
    net = random_network(small_config(105))
    prefixed = {"module." + k: v for k, v in net.state_dict().items()}
    export(checkpoints.load(write_v1(tmp_path / "ckpt", prefixed)), tmp_path / "model")
    assert _scripted_equals_eager(tmp_path / "model", net, [32, 32, 64]) <= 1e-5


@pytest.mark.parametrize("ct,flat", [(True, False), (False, True)])
def test_v2_checkpoint_exports_from_plans_and_dataset_json(tmp_path, ct, flat):
    net = random_network(small_config(105, depth=2))
    path = write_v2(tmp_path / "STUNetTrainer_small__nnUNetPlans__3d_fullres", net.state_dict(),
                    configuration="3d_cascade_fullres", ct_normalization=ct, net=net, mirror_axes=(1, 2), flat=flat)
    card = export(checkpoints.load(path), tmp_path / "model")
    plans = json.loads(((path.parent if flat else path.parent.parent) / "plans.json").read_text())
    conf = plans["configurations"]["3d_fullres"]
    props = plans["foreground_intensity_properties_per_channel"]["0"]
    assert card["source"]["format"] == "nnunet-v2"
    assert card["architecture"]["depth"] == 2
    assert card["architecture"]["poolKernels"] == fit_pool_kernels(conf["pool_op_kernel_sizes"][1:], 6)
    assert card["patchSize"] == conf["patch_size"] and card["targetSpacing"] == conf["spacing"]
    assert card["mirrorAxes"] == [1, 2]
    assert card["classes"] == read_labels(LABELS)
    expected_norm = {"scheme": "CT", "useMaskForNorm": False, "mean": props["mean"], "sd": props["std"],
                     "lowerBound": props["percentile_00_5"], "upperBound": props["percentile_99_5"]} if ct \
        else {"scheme": "nonCT", "useMaskForNorm": False}
    assert card["normalization"] == [expected_norm]
    assert _scripted_equals_eager(tmp_path / "model", net, [32, 32, 64]) <= 1e-5


@pytest.mark.parametrize("depths", [[1, 2, 1, 1, 1, 1], [2, 1, 3, 1, 1, 2]])
def test_v1_checkpoint_with_per_stage_depths_exports_the_depth_list(tmp_path, depths):
    net = random_network(small_config(105, depth=depths), seed=3)
    ckpt_path = write_v1(tmp_path / "ckpt", net.state_dict(), net=net)
    ckpt = checkpoints.load(ckpt_path)
    assert checkpoints.derive_config(ckpt.state_dict, ckpt.pool_kernels).depths == depths
    card = export(ckpt, tmp_path / "model")
    assert card["architecture"]["depth"] == depths
    assert card["variant"] == "custom"
    assert json.loads((tmp_path / "model" / "model.json").read_text())["architecture"]["depth"] == depths
    assert _scripted_equals_eager(tmp_path / "model", net, [64, 64, 64]) <= 1e-5


def test_decoder_depth_differing_from_its_encoder_stage_is_refused(tmp_path):
    sd = random_network(small_config(105, depth=[1, 2, 1, 1, 1, 1])).state_dict()
    # Encoder stage 1 has two blocks; its decoder stage (localization 3) keeps only one.
    sd = {k: v for k, v in sd.items() if not k.startswith("conv_blocks_localization.3.1.")}
    with pytest.raises(CheckpointError, match=r"conv_blocks_localization\.3 has 1 blocks but its encoder stage "
                                              r"conv_blocks_context\.1 has 2"):
        export(checkpoints.load(write_v1(tmp_path / "c", sd)), tmp_path / "model")


def _broken(state_dict, how):
    sd = dict(state_dict)
    if how == "missing":
        del sd["conv_blocks_localization.2.0.norm2.bias"]
        return sd, "missing keys: conv_blocks_localization.2.0.norm2.bias"
    if how == "unexpected":
        sd["conv_blocks_context.3.0.extra.weight"] = torch.zeros(3)
        return sd, "unexpected keys: conv_blocks_context.3.0.extra.weight"
    if how == "shape":
        sd["upsample_layers.1.conv.weight"] = torch.zeros(16, 8, 1, 1, 1)
        return sd, "shape mismatch for upsample_layers.1.conv.weight: checkpoint (16, 8, 1, 1, 1)"
    if how == "missing_stage":
        del sd["conv_blocks_context.4.0.conv1.weight"]
        return sd, "missing key"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["missing", "unexpected", "shape", "missing_stage"])
@pytest.mark.parametrize("fmt", ["v1", "v2"])
def test_broken_checkpoints_are_refused_naming_the_key(tmp_path, how, fmt):
    sd, message = _broken(random_network(small_config(105)).state_dict(), how)
    path = write_v1(tmp_path / "c", sd) if fmt == "v1" else write_v2(tmp_path / "c", sd)
    with pytest.raises(CheckpointError) as err:
        export(checkpoints.load(path), tmp_path / "model")
    assert message in str(err.value)
    if how == "missing_stage":
        assert "conv_blocks_context.4.0.conv1.weight" in str(err.value)
    assert not (tmp_path / "model" / "model.pt").exists()


def test_class_count_must_match_the_plans(tmp_path):
    path = write_v1(tmp_path / "c", random_network(small_config(9)).state_dict())
    with pytest.raises(CheckpointError, match="9 outputs but the plans list 105 classes"):
        export(checkpoints.load(path), tmp_path / "model")


def test_files_that_are_not_checkpoints_are_refused(tmp_path):
    torch.save({"weights": {}}, tmp_path / "x.pth")
    with pytest.raises(CheckpointError, match="neither 'state_dict'"):
        checkpoints.load(tmp_path / "x.pth")
    (tmp_path / "garbage.model").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        checkpoints.load(tmp_path / "garbage.model")
    path = write_v1(tmp_path / "c", random_network(small_config(105)).state_dict())
    (tmp_path / "c" / (path.name + ".pkl")).unlink()
    with pytest.raises(CheckpointError, match="plans file not found"):
        checkpoints.load(path)


def test_verification_input_is_small_but_valid():
    config = variant_config("H")
    assert verification_shape(config, [128, 128, 128]) == [32, 32, 64]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tools.stunet.export", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)


def test_cli_describe_prints_official_sizes():
    run = _cli("--describe", "huge")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    assert (d["variant"], d["depth"], d["dims"]) == ("H", 3, [96, 192, 384, 768, 1536, 1536])
    assert d["depths"] == [3] * 6
    assert d["parameters"] == 1_457_326_221
    total = 0
    for shape in d["keys"].values():
        n = 1
        for v in shape:
            n *= v
        total += n
    assert total == d["parameters"]

    run = _cli("--describe", "S", "--classes", "4")
    small = json.loads(run.stdout)
    net = STUNet(variant_config("S", 4))
    assert small["keys"] == {k: list(v.shape) for k, v in net.state_dict().items()}
    assert small["parameters"] == sum(p.numel() for p in net.parameters())


def test_cli_exports_and_reports_errors(tmp_path):
    net = random_network(small_config(105))
    path = write_v1(tmp_path / "c", net.state_dict(), "base_ep4k.model.pkl")
    run = _cli("--checkpoint", str(path), "--out", str(tmp_path / "m"), "--name", "base-test")
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "m" / "model.json").read_text())["name"] == "base-test"

    sd = dict(net.state_dict())
    sd["seg_outputs.4.bias"] = torch.zeros(3)
    bad = write_v1(tmp_path / "bad", sd)
    run = _cli("--checkpoint", str(bad), "--out", str(tmp_path / "m2"))
    assert run.returncode == 2
    assert "shape mismatch for seg_outputs.4.bias" in run.stderr


def test_main_refuses_missing_arguments():
    with pytest.raises(SystemExit):
        main(["--out", "x"])


def test_forward_cli_writes_the_torchscript_logits(tmp_path):
    net = random_network(small_config(105))
    export(checkpoints.load(write_v1(tmp_path / "c", net.state_dict())), tmp_path / "m")
    run = subprocess.run([sys.executable, "-m", "tools.stunet.forward", "--model", str(tmp_path / "m"),
                          "--shape", "1,1,16,32,64", "--seed", "3", "--save-input", str(tmp_path / "in.f32"),
                          "--out", str(tmp_path / "out.f32")], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    x = torch.from_numpy(np.fromfile(tmp_path / "in.f32", dtype="<f4").reshape(1, 1, 16, 32, 64))
    y = np.fromfile(tmp_path / "out.f32", dtype="<f4").reshape(1, 105, 16, 32, 64)
    with torch.no_grad():
        assert np.abs(net(x).numpy() - y).max() <= 1e-5


def _head_of_features(loaded, x):
    with torch.no_grad():
        w, b = loaded.head_weight(), loaded.head_bias()
        return torch.einsum("ck,nkzyx->nczyx", w, loaded.features(x)) + b.view(1, -1, 1, 1, 1)


def test_exported_model_has_the_split_head_the_engine_fuses(tmp_path):
    net = random_network(small_config(105))
    export(checkpoints.load(write_v1(tmp_path / "ckpt", net.state_dict(), net=net)), tmp_path / "model")
    loaded = torch.jit.load(str(tmp_path / "model" / "model.pt"))
    x = torch.randn(1, 1, 32, 32, 32, generator=torch.Generator().manual_seed(3))
    assert tuple(loaded.head_weight().shape) == (105, net.config.dims[0])
    assert tuple(loaded.head_bias().shape) == (105,)
    with torch.no_grad():
        assert float((_head_of_features(loaded, x) - loaded(x)).abs().max()) <= 1e-5


def test_upgrade_rescripts_an_old_model_with_identical_logits(tmp_path):
    net = random_network(small_config(105))
    export(checkpoints.load(write_v1(tmp_path / "ckpt", net.state_dict(), net=net)), tmp_path / "model")
    # An "old" model.pt: traced, so it has forward only.
    x = torch.randn(1, 1, 32, 32, 32, generator=torch.Generator().manual_seed(5))
    torch.jit.trace(net, x).save(str(tmp_path / "model" / "model.pt"))
    with torch.no_grad():
        before = net(x)
    assert main(["--upgrade", str(tmp_path / "model")]) == 0
    card = json.loads((tmp_path / "model" / "model.json").read_text())
    assert card["modelSha256"] == sha256_of(tmp_path / "model" / "model.pt")
    loaded = torch.jit.load(str(tmp_path / "model" / "model.pt"))
    with torch.no_grad():
        assert torch.equal(loaded(x), before)
        assert float((_head_of_features(loaded, x) - before).abs().max()) <= 1e-5


def test_committed_demo_model_has_the_split_head():
    loaded = torch.jit.load(str(REPO_ROOT / "models" / "demo" / "model.pt"))
    x = torch.randn(1, 1, 16, 32, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert float((_head_of_features(loaded, x) - loaded(x)).abs().max()) <= 1e-5


def test_testnet_writes_a_random_stunet_s_with_the_split_head(tmp_path):
    from tools.stunet import testnet
    out = tmp_path / "s.pt"
    testnet.main(["--out", str(out), "--classes", "105", "--stunet", "S"])
    loaded = torch.jit.load(str(out))
    assert tuple(loaded.head_weight().shape) == (105, variant_config("S").dims[0])
    n_params = sum(p.numel() for p in loaded.parameters())
    assert n_params == sum(p.numel() for p in STUNet(variant_config("S", 105)).parameters())
    x = torch.randn(1, 1, 32, 32, 32, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        assert float((_head_of_features(loaded, x) - loaded(x)).abs().max()) <= 1e-5
