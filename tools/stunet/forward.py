"""Runs a model directory's TorchScript file on one input, as the reference for engine
parity tests (e.g. DJL vs Python).

    python3 -m tools.stunet.forward --model DIR --shape B,C,Z,Y,X (--input IN.f32 | --seed N)
                                    [--save-input IN.f32] --out OUT.f32

Tensors are raw little-endian float32 in C order: input ``(b, c, z, y, x)``, output
logits ``(b, classes, z, y, x)``. With ``--seed`` the input is standard normal noise from
``numpy.random.default_rng(seed)``; ``--save-input`` writes it for the other engine.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch


def run(model_dir: Path, x: np.ndarray) -> np.ndarray:
    card = json.loads((Path(model_dir) / "model.json").read_text())
    net = torch.jit.load(str(Path(model_dir) / card["modelFile"]), map_location="cpu").eval()
    with torch.no_grad():
        return net(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).numpy()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.stunet.forward", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--shape", required=True, help="input shape b,c,z,y,x")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", type=Path, help="raw little-endian float32 input")
    src.add_argument("--seed", type=int, help="generate a standard normal input")
    ap.add_argument("--save-input", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    shape = tuple(int(v) for v in args.shape.split(","))
    if len(shape) != 5:
        ap.error("--shape needs five sizes b,c,z,y,x")
    if args.input is not None:
        x = np.fromfile(args.input, dtype="<f4").reshape(shape)
    else:
        x = np.random.default_rng(args.seed).standard_normal(shape).astype(np.float32)
    if args.save_input is not None:
        x.astype("<f4").tofile(args.save_input)
    y = run(args.model, x)
    y.astype("<f4").tofile(args.out)
    print(json.dumps({"input": list(shape), "output": list(y.shape)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
