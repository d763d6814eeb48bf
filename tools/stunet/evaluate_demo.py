"""Dice of a model directory against the demo's intensity-derived labels.

    python3 -m tools.stunet.evaluate_demo [--model models/demo] [--ct FILE ...] [--no-mirroring] [--json]

Runs the TorchScript model the way the pipeline does (docs/numerics.md: canonical RAS,
nnU-Net v1 preprocessing, sliding window with Gaussian weighting and mirroring, nearest
export back to the input grid) and compares the mask on the input's own voxel grid with
``train_demo.intensity_labels`` of the same CT. ``body region`` is the Dice of the model's
foreground (every class but background) against the body mask (every labelled voxel); the
other columns are per class. A CT whose SHA-256 is listed in the model's ``training.json``
is marked ``trained``, any other ``held out``. Prints a Markdown table and, with ``--json``,
the numbers as JSON.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import preprocessing
from .sliding_window import predict_labels
from .checkpoints import sha256_of
from .train_demo import REPO_ROOT, TRAINING_CTS, TRAINING_RECORD, intensity_labels


def segment(model_dir: Path, ct_path: Path, mirroring: bool = True):
    """(prediction, reference) label maps on the canonical input grid, (z, y, x)."""
    card = json.loads((model_dir / "model.json").read_text())
    net = torch.jit.load(str(model_dir / card["modelFile"]), map_location="cpu").eval()
    case = preprocessing.load_canonical(ct_path)
    pre = preprocessing.preprocess(case, card)
    labels = predict_labels(net, pre.data, card["patchSize"], len(card["classes"]),
                            card["mirrorAxes"] if mirroring else ())
    tb = card["transposeBackward"]
    cropped_t_shape = tuple(pre.cropped_shape[i] for i in card["transposeForward"])
    labels = preprocessing.resample_labels(labels, cropped_t_shape).transpose(tb)
    full = np.zeros(pre.original_shape, dtype=np.uint8)
    full[tuple(slice(a, b) for a, b in pre.bbox)] = labels
    return full, intensity_labels(case.data), card


def dice(pred: np.ndarray, ref: np.ndarray, label: int) -> float:
    p, r = pred == label, ref == label
    denom = int(p.sum()) + int(r.sum())
    return 2.0 * int((p & r).sum()) / denom if denom else float("nan")


def trained_on(model_dir: Path) -> set:
    """SHA-256 of the CTs the model was trained on ({} when it has no training record)."""
    record = model_dir / TRAINING_RECORD
    if not record.is_file():
        return set()
    return {case["sha256"] for case in json.loads(record.read_text())["cases"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.stunet.evaluate_demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "demo")
    ap.add_argument("--ct", type=Path, nargs="+", default=TRAINING_CTS, help="CTs to evaluate (default: the bundled ones)")
    ap.add_argument("--no-mirroring", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    training = trained_on(args.model)
    results = []
    for ct in args.ct:
        start = time.time()
        pred, ref, card = segment(args.model, ct, not args.no_mirroring)
        row = {"ct": ct.name, "heldOut": sha256_of(ct) not in training, "seconds": round(time.time() - start, 1),
               "bodyRegion": round(dice(pred > 0, ref > 0, True), 4),
               "dice": {card["classes"][c]: round(dice(pred, ref, c), 4) for c in range(1, len(card["classes"]))},
               "voxels": {card["classes"][c]: int((ref == c).sum()) for c in range(len(card["classes"]))}}
        results.append(row)
    classes = list(results[0]["dice"])
    print("| CT | case | body region | " + " | ".join(classes) + " |")
    print("|---|---|---|" + "---|" * len(classes))
    for r in results:
        print("| %s | %s | %.3f | %s |" % (r["ct"], "held out" if r["heldOut"] else "trained", r["bodyRegion"],
                                          " | ".join("%.3f" % r["dice"][c] for c in classes)))
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
