"""STU-Net (Huang et al. 2023) written for this project.

State-dict keys and tensor shapes are identical to the official checkpoints (see
docs/numerics.md section 6), so released weights load with ``strict=True``. The shapes can be
computed without building the network (:func:`expected_shapes`), which is how the
importer validates a checkpoint and how ``--describe`` counts the parameters of the
1.4-billion-parameter variant without allocating it.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn
import torch.nn.functional as F

# LeakyReLU slope (0.01, torch's default) is written as a literal in the forward
# methods because TorchScript cannot read module-level floats.
NORM_EPS = 1e-5

# The pool kernels of the released TotalSegmentator plans after the STU-Net trainer has
# cut/padded them to five stages; they do not influence any tensor shape.
STANDARD_POOL_KERNELS = [[2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2], [1, 1, 2]]

# name -> (blocks per stage, widths); the trainer classes STUNetTrainer_{small,...}.
VARIANTS = {
    "S": (1, [16, 32, 64, 128, 256, 256]),
    "B": (1, [32, 64, 128, 256, 512, 512]),
    "L": (2, [64, 128, 256, 512, 1024, 1024]),
    "H": (3, [96, 192, 384, 768, 1536, 1536]),
}
VARIANT_ALIASES = {"small": "S", "base": "B", "large": "L", "huge": "H"}


@dataclass
class StuNetConfig:
    """Everything that fixes the network: per-stage block counts and widths, kernels."""

    input_channels: int
    num_classes: int
    depths: List[int]
    dims: List[int]
    pool_kernels: List[List[int]] = field(default_factory=lambda: [list(k) for k in STANDARD_POOL_KERNELS])
    conv_kernels: Optional[List[List[int]]] = None

    def __post_init__(self):
        if self.conv_kernels is None:
            self.conv_kernels = [[3, 3, 3] for _ in self.dims]
        n = len(self.dims)
        if n < 2:
            raise ValueError("STU-Net needs at least two stages, got dims=%s" % self.dims)
        if len(self.depths) != n or len(self.conv_kernels) != n or len(self.pool_kernels) != n - 1:
            raise ValueError(
                "inconsistent stage counts: %d dims, %d depths, %d conv kernels, %d pool kernels (want %d)"
                % (n, len(self.depths), len(self.conv_kernels), len(self.pool_kernels), n - 1))
        if any(d < 1 for d in self.depths):
            raise ValueError("every stage needs at least one block, got depths=%s" % self.depths)
        for k in self.conv_kernels:
            if len(k) != 3 or any(v % 2 == 0 for v in k):
                raise ValueError("conv kernels must be odd 3-D sizes, got %s" % k)

    @property
    def num_stages(self) -> int:
        return len(self.dims)

    def divisor(self) -> List[int]:
        """Per-axis factor every input size must be a multiple of (product of pool kernels)."""
        out = [1, 1, 1]
        for k in self.pool_kernels:
            out = [a * b for a, b in zip(out, k)]
        return out

    def uniform_depth(self) -> Optional[int]:
        return self.depths[0] if len(set(self.depths)) == 1 else None

    def variant(self) -> str:
        for name, (depth, dims) in VARIANTS.items():
            if self.depths == [depth] * len(dims) and self.dims == dims and self.conv_kernels == [[3, 3, 3]] * 6:
                return name
        return "custom"


def variant_config(variant: str, num_classes: int = 105, input_channels: int = 1) -> StuNetConfig:
    key = VARIANT_ALIASES.get(variant.lower(), variant.upper())
    if key not in VARIANTS:
        raise ValueError("unknown variant %r (want one of S, B, L, H)" % variant)
    depth, dims = VARIANTS[key]
    return StuNetConfig(input_channels, num_classes, [depth] * len(dims), list(dims))


class BasicResBlock(nn.Module):
    """conv-IN-lrelu-conv-IN plus a (1x1, strided) projection or identity, then lrelu."""

    def __init__(self, cin: int, cout: int, kernel: Sequence[int], stride: Sequence[int], project: bool):
        super().__init__()
        pad = [k // 2 for k in kernel]
        self.conv1 = nn.Conv3d(cin, cout, list(kernel), stride=list(stride), padding=pad)
        self.norm1 = nn.InstanceNorm3d(cout, eps=NORM_EPS, affine=True)
        self.conv2 = nn.Conv3d(cout, cout, list(kernel), padding=pad)
        self.norm2 = nn.InstanceNorm3d(cout, eps=NORM_EPS, affine=True)
        # Only the first block of a stage changes width/resolution; the official code
        # stores None otherwise, so there is no conv3 key for those blocks.
        self.conv3 = nn.Conv3d(cin, cout, 1, stride=list(stride)) if project else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(self.norm1(self.conv1(x)), 0.01)
        y = self.norm2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return F.leaky_relu(y + x, 0.01)


class UpsampleNearest(nn.Module):
    """Nearest-neighbour upsampling by the pool kernel, then a 1x1 conv (in that order)."""

    def __init__(self, cin: int, cout: int, scale: Sequence[int]):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, 1)
        self.scale: List[float] = [float(s) for s in scale]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=self.scale, mode="nearest"))


def _stage(cin: int, cout: int, depth: int, kernel, stride) -> nn.Sequential:
    blocks = [BasicResBlock(cin, cout, kernel, stride, True)]
    blocks += [BasicResBlock(cout, cout, kernel, [1, 1, 1], False) for _ in range(depth - 1)]
    return nn.Sequential(*blocks)


class STUNet(nn.Module):
    """The network. ``forward`` returns the full-resolution logits only (deep supervision
    off, what inference uses); :meth:`forward_all` returns every head, finest first."""

    def __init__(self, config: StuNetConfig):
        super().__init__()
        self.config = config
        c = config
        n = c.num_stages
        self.conv_blocks_context = nn.ModuleList()
        self.conv_blocks_context.append(_stage(c.input_channels, c.dims[0], c.depths[0], c.conv_kernels[0], [1, 1, 1]))
        for s in range(1, n):
            self.conv_blocks_context.append(
                _stage(c.dims[s - 1], c.dims[s], c.depths[s], c.conv_kernels[s], c.pool_kernels[s - 1]))
        self.upsample_layers = nn.ModuleList(
            [UpsampleNearest(c.dims[-1 - u], c.dims[-2 - u], c.pool_kernels[-1 - u]) for u in range(n - 1)])
        self.conv_blocks_localization = nn.ModuleList(
            [_stage(2 * c.dims[-2 - u], c.dims[-2 - u], c.depths[-2 - u], c.conv_kernels[-2 - u], [1, 1, 1])
             for u in range(n - 1)])
        self.seg_outputs = nn.ModuleList([nn.Conv3d(c.dims[-2 - u], c.num_classes, 1) for u in range(n - 1)])

    def _decode(self, x: torch.Tensor) -> List[torch.Tensor]:
        skips: List[torch.Tensor] = []
        for stage in self.conv_blocks_context:
            x = stage(x)
            skips.append(x)
        x = skips.pop()
        features: List[torch.Tensor] = []
        for up, stage in zip(self.upsample_layers, self.conv_blocks_localization):
            x = stage(torch.cat((up(x), skips.pop()), dim=1))
            features.append(x)
        return features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self._decode(x)
        return self.seg_outputs[-1](features[-1])

    @torch.jit.export
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Input of the full-resolution head: ``forward(x) == head(features(x))``. The engine
        runs this and applies the 1x1x1 head itself, fused with softmax and accumulation, so
        the ``classes x patch`` logits are never materialized."""
        return self._decode(x)[-1]

    @torch.jit.export
    def head_weight(self) -> torch.Tensor:
        """The full-resolution head's 1x1x1 kernel as a (classes, features) matrix."""
        w = self.seg_outputs[-1].weight
        return w.reshape(w.shape[0], w.shape[1])

    @torch.jit.export
    def head_bias(self) -> torch.Tensor:
        head = self.seg_outputs[-1]
        b = head.bias
        if b is None:
            return torch.zeros(head.weight.shape[0])
        return b

    @torch.jit.unused
    def forward_all(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Logits of every decoder level, full resolution first (for deep supervision)."""
        features = self._decode(x)
        return [head(f) for head, f in zip(self.seg_outputs, features)][::-1]


def expected_shapes(c: StuNetConfig) -> Dict[str, Tuple[int, ...]]:
    """state_dict key -> shape of the network :class:`STUNet` builds for ``c``."""
    shapes: Dict[str, Tuple[int, ...]] = {}

    def conv(prefix, cin, cout, kernel):
        shapes[prefix + ".weight"] = (cout, cin) + tuple(kernel)
        shapes[prefix + ".bias"] = (cout,)

    def block(prefix, cin, cout, kernel, project):
        conv(prefix + ".conv1", cin, cout, kernel)
        shapes[prefix + ".norm1.weight"] = (cout,)
        shapes[prefix + ".norm1.bias"] = (cout,)
        conv(prefix + ".conv2", cout, cout, kernel)
        shapes[prefix + ".norm2.weight"] = (cout,)
        shapes[prefix + ".norm2.bias"] = (cout,)
        if project:
            conv(prefix + ".conv3", cin, cout, (1, 1, 1))

    def stage(prefix, cin, cout, depth, kernel):
        block(prefix + ".0", cin, cout, kernel, True)
        for b in range(1, depth):
            block("%s.%d" % (prefix, b), cout, cout, kernel, False)

    n = c.num_stages
    for s in range(n):
        cin = c.input_channels if s == 0 else c.dims[s - 1]
        stage("conv_blocks_context.%d" % s, cin, c.dims[s], c.depths[s], c.conv_kernels[s])
    for u in range(n - 1):
        conv("upsample_layers.%d.conv" % u, c.dims[-1 - u], c.dims[-2 - u], (1, 1, 1))
    for u in range(n - 1):
        stage("conv_blocks_localization.%d" % u, 2 * c.dims[-2 - u], c.dims[-2 - u], c.depths[-2 - u],
              c.conv_kernels[-2 - u])
    for u in range(n - 1):
        conv("seg_outputs.%d" % u, c.dims[-2 - u], c.num_classes, (1, 1, 1))
    return shapes


def parameter_count(c: StuNetConfig) -> int:
    total = 0
    for shape in expected_shapes(c).values():
        p = 1
        for v in shape:
            p *= v
        total += p
    return total
