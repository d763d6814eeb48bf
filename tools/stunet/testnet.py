"""Small random TorchScript segmentation nets for engine tests and benchmarks.

Shaped like the nets the engine serves (input (b, c, z, y, x) float32, output logits
(b, classes, z, y, x), plus the split-head methods ``features``/``head_weight``/``head_bias``
that exported STU-Nets have), with a strided stage, InstanceNorm3d and a nearest upsample plus
skip connection, so that flips, padding and batch composition all matter. Weights come
from a fixed seed so Java and Python see the same model file.

  python3 -m tools.stunet.testnet --out model.pt --channels 1 --classes 5 --width 4 [--seed 0]

``--stunet S`` (or B, L, H) writes a randomly initialized STU-Net of that variant instead
(tools/stunet/arch.py, same split-head methods as an exported checkpoint): the S-shaped model
of the engine's overhead benchmark.
"""
import argparse

import torch
from torch import nn
import torch.nn.functional as F


class TinySegNet(nn.Module):
    def __init__(self, channels, classes, width):
        super().__init__()
        self.enc = nn.Conv3d(channels, width, 3, padding=1)
        self.norm = nn.InstanceNorm3d(width, affine=True, eps=1e-5)
        self.down = nn.Conv3d(width, 2 * width, 3, stride=2, padding=1)
        self.up = nn.Conv3d(2 * width, width, 1)
        self.head = nn.Conv3d(2 * width, classes, 1)

    def forward(self, x):
        return self.head(self.features(x))

    @torch.jit.export
    def features(self, x):
        """Input of the 1x1x1 head (see tools/stunet/arch.py STUNet.features)."""
        a = F.leaky_relu(self.norm(self.enc(x)), 0.01)
        b = F.leaky_relu(self.down(a), 0.01)
        b = self.up(F.interpolate(b, size=a.shape[2:], mode='nearest'))
        return torch.cat([b, a], 1)

    @torch.jit.export
    def head_weight(self):
        w = self.head.weight
        return w.reshape(w.shape[0], w.shape[1])

    @torch.jit.export
    def head_bias(self):
        b = self.head.bias
        if b is None:
            return torch.zeros(self.head.weight.shape[0])
        return b


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True)
    p.add_argument('--channels', type=int, default=1)
    p.add_argument('--classes', type=int, default=5)
    p.add_argument('--width', type=int, default=4)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--stunet', choices=['S', 'B', 'L', 'H'], help='a random STU-Net of this variant instead')
    a = p.parse_args(argv)
    torch.manual_seed(a.seed)
    if a.stunet:
        from tools.stunet.arch import STUNet, variant_config
        net = STUNet(variant_config(a.stunet, a.classes, a.channels)).eval()
        torch.jit.script(net).save(a.out)
        return
    net = TinySegNet(a.channels, a.classes, a.width).eval()
    with torch.no_grad():
        # Larger weights than the default init give confident, spatially varied argmax maps.
        for prm in net.parameters():
            prm.mul_(3.0)
        scripted = torch.jit.script(net)
    scripted.save(a.out)


if __name__ == '__main__':
    main()
