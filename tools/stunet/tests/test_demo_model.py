import json

import numpy as np
import torch

from tools.stunet import preprocessing, train_demo
from tools.stunet.checkpoints import REPO_ROOT, sha256_of

DEMO = REPO_ROOT / "models" / "demo"


def test_committed_demo_card_describes_the_trainer_settings():
    card = json.loads((DEMO / "model.json").read_text())
    assert card["modelSha256"] == sha256_of(DEMO / card["modelFile"])
    assert card["classes"] == train_demo.CLASSES
    assert card["patchSize"] == train_demo.PATCH and card["targetSpacing"] == train_demo.SPACING
    assert card["architecture"]["dims"] == train_demo.DIMS
    assert card["architecture"]["poolKernels"] == train_demo.POOL_KERNELS
    assert card["source"]["format"] == "demo" and card["name"] == "demo"
    assert (DEMO / "model.pt").stat().st_size < 8 * 1024 * 1024


def test_committed_demo_model_segments_the_centre_of_the_sample_ct():
    """One patch, no mirroring: cheap enough for every build, and it fails if the weights
    are untrained or the card's preprocessing does not match the training."""
    card = json.loads((DEMO / "model.json").read_text())
    net = torch.jit.load(str(DEMO / "model.pt"))
    case = preprocessing.load_canonical(train_demo.DEFAULT_CT)
    pre = preprocessing.preprocess(case, card)
    labels = preprocessing.crop(train_demo.intensity_labels(case.data), pre.bbox)
    start = [(s - p) // 2 for s, p in zip(labels.shape, card["patchSize"])]
    sl = tuple(slice(a, a + p) for a, p in zip(start, card["patchSize"]))
    with torch.no_grad():
        logits = net(torch.from_numpy(np.ascontiguousarray(pre.data[(slice(None),) + sl]))[None])
    pred = logits[0].argmax(0).numpy()
    assert logits.shape == (1, len(card["classes"])) + tuple(card["patchSize"])
    assert float((pred == labels[sl]).mean()) > 0.9
