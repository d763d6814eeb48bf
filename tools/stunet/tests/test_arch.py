import torch
import torch.nn.functional as F

import pytest

from tools.stunet.arch import STUNet, expected_shapes, parameter_count, variant_config
from tools.stunet.export import describe

from tools.stunet.testmodels import random_network, small_config

# Measured by instantiating the official STUNet class with 105 outputs (docs/numerics.md section 6).
OFFICIAL_PARAMETERS = {"S": 14_596_941, "B": 58_262_669, "L": 440_302_605, "H": 1_457_326_221}


@pytest.mark.parametrize("variant", ["S", "B"])
def test_instantiated_variants_have_official_parameter_counts_and_keys(variant):
    config = variant_config(variant, 105)
    net = STUNet(config)
    assert sum(p.numel() for p in net.parameters()) == OFFICIAL_PARAMETERS[variant]
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == expected_shapes(config)
    assert list(net.state_dict()) == list(expected_shapes(config))


@pytest.mark.parametrize("variant", ["S", "B", "L", "H"])
def test_counted_variants_have_official_parameter_counts(variant):
    assert parameter_count(variant_config(variant, 105)) == OFFICIAL_PARAMETERS[variant]
    assert describe(variant)["parameters"] == OFFICIAL_PARAMETERS[variant]


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_shape_table_matches_built_network_for_every_depth(depth):
    config = small_config(num_classes=7, depth=depth, input_channels=2)
    net = STUNet(config)
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == expected_shapes(config)
    assert not list(net.buffers()), "InstanceNorm3d(affine=True) must not carry running stats"


def _reference_forward(sd, config, x):
    """docs/numerics.md section 6 written out with functional ops, independently of arch.py:
    residual blocks, nearest upsampling by repetition, 1x1 conv, concat [up, skip]."""

    def block(prefix, x, stride):
        w = sd[prefix + ".conv1.weight"]
        pad = [k // 2 for k in w.shape[2:]]
        y = F.conv3d(x, w, sd[prefix + ".conv1.bias"], stride=stride, padding=pad)
        y = F.leaky_relu(F.instance_norm(y, weight=sd[prefix + ".norm1.weight"], bias=sd[prefix + ".norm1.bias"],
                                         eps=1e-5), 0.01)
        y = F.conv3d(y, sd[prefix + ".conv2.weight"], sd[prefix + ".conv2.bias"], padding=pad)
        y = F.instance_norm(y, weight=sd[prefix + ".norm2.weight"], bias=sd[prefix + ".norm2.bias"], eps=1e-5)
        if prefix + ".conv3.weight" in sd:
            x = F.conv3d(x, sd[prefix + ".conv3.weight"], sd[prefix + ".conv3.bias"], stride=stride)
        return F.leaky_relu(y + x, 0.01)

    def stage(prefix, x, depth, stride):
        x = block(prefix + ".0", x, stride)
        for b in range(1, depth):
            x = block("%s.%d" % (prefix, b), x, 1)
        return x

    n = config.num_stages
    skips = []
    for s in range(n):
        x = stage("conv_blocks_context.%d" % s, x, config.depths[s], 1 if s == 0 else config.pool_kernels[s - 1])
        skips.append(x)
    x = skips.pop()
    for u in range(n - 1):
        for axis, factor in enumerate(config.pool_kernels[-1 - u]):
            x = x.repeat_interleave(factor, dim=2 + axis)
        x = F.conv3d(x, sd["upsample_layers.%d.conv.weight" % u], sd["upsample_layers.%d.conv.bias" % u])
        x = stage("conv_blocks_localization.%d" % u, torch.cat([x, skips.pop()], 1), config.depths[-2 - u], 1)
    u = n - 2
    return F.conv3d(x, sd["seg_outputs.%d.weight" % u], sd["seg_outputs.%d.bias" % u])


@pytest.mark.parametrize("depth,pools", [(1, None), (2, [[2, 2, 2], [2, 1, 2], [1, 2, 2], [2, 2, 2], [1, 1, 1]])])
def test_forward_follows_the_reference_semantics(depth, pools):
    config = small_config(num_classes=5, depth=depth, pool_kernels=pools)
    net = random_network(config)
    x = torch.randn(2, 1, *[2 * d for d in config.divisor()])
    with torch.no_grad():
        out = net(x)
        ref = _reference_forward(net.state_dict(), config, x)
    assert out.shape == (2, 5) + tuple(x.shape[2:])
    assert float((out - ref).abs().max()) <= 1e-5


def test_deep_supervision_heads_come_finest_first():
    config = small_config(num_classes=3)
    net = random_network(config)
    x = torch.randn(1, 1, 32, 32, 64)
    with torch.no_grad():
        heads = net.forward_all(x)
        assert torch.equal(heads[0], net(x))
    assert [tuple(h.shape[2:]) for h in heads][:2] == [(32, 32, 64), (16, 16, 32)]
