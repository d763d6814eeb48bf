import json

import numpy as np
import torch

from tools.stunet import evaluate_demo, train_demo
from tools.stunet.checkpoints import REPO_ROOT, sha256_of

DEMO = REPO_ROOT / "models" / "demo"


def test_crop_padded_copies_the_inside_and_fills_the_outside():
    arr = np.arange(4 * 5 * 6, dtype=np.float32).reshape(1, 4, 5, 6)
    out = train_demo.crop_padded(arr, [-1, 2, 3], [3, 4, 5], -7.0)
    assert out.shape == (1, 3, 4, 5)
    assert np.array_equal(out[0, 1:, :3, :3], arr[0, 0:2, 2:5, 3:6])
    assert np.all(out[0, 0] == -7) and np.all(out[0, :, 3:] == -7) and np.all(out[0, :, :, 3:] == -7)
    whole = train_demo.crop_padded(arr, [0, 0, 0], [4, 5, 6], 0.0)
    assert np.array_equal(whole, arr)
    # Entirely outside: all fill.
    assert np.all(train_demo.crop_padded(arr[0], [10, 0, 0], [2, 2, 2], 3) == 3)


def test_batches_have_the_patch_shape_and_keep_labels_aligned_with_voxels():
    """A volume whose intensity is its label: after crops, zooms and flips every voxel of a batch
    must still carry its own label (up to the jitter's affine change of intensity)."""
    rng = np.random.default_rng(0)
    labels = np.zeros((40, 60, 90), dtype=np.int64)
    labels[5:35, 10:50, 20:70] = 1
    labels[15:25, 20:40, 30:60] = 2
    data = labels[None].astype(np.float32)
    xs, ys = train_demo.sample_batch([(data, labels, np.float32(0))], rng, 16)
    assert xs.shape == (16, 1) + tuple(train_demo.PATCH) and ys.shape == (16,) + tuple(train_demo.PATCH)
    assert ys.dtype == torch.int64 and set(torch.unique(ys).tolist()) <= {0, 1, 2}
    for x, y in zip(xs, ys):
        x = x[0]
        for a, b in ((0, 1), (1, 2)):
            # Trilinear zoom blurs borders; away from them, higher labels have higher intensity.
            lo, hi = x[y == a], x[y == b]
            if len(lo) and len(hi):
                assert torch.median(lo) < torch.median(hi)


def test_intensity_properties_are_those_of_the_labelled_voxels_pooled():
    hu_a = np.array([[[-1000.0, 0.0, 100.0]]])
    hu_b = np.array([[[-1000.0, 400.0, 50.0]]])
    lab = np.array([[[0, 1, 1]]])
    props = train_demo.intensity_properties([(hu_a, lab), (hu_b, lab)])
    pooled = np.array([0.0, 100.0, 400.0, 50.0])
    assert props["mean"] == pooled.mean() and props["sd"] == pooled.std()
    assert props["percentile_00_5"] == np.percentile(pooled, 0.5)


def test_committed_demo_model_records_the_bundled_cts_it_was_trained_on():
    record = json.loads((DEMO / train_demo.TRAINING_RECORD).read_text())
    assert [c["file"] for c in record["cases"]] == [p.name for p in train_demo.TRAINING_CTS]
    assert evaluate_demo.trained_on(DEMO) == {sha256_of(p) for p in train_demo.TRAINING_CTS}
    card = json.loads((DEMO / "model.json").read_text())
    assert card["normalization"][0]["scheme"] == "CT"


def test_evaluation_marks_training_cases_and_scores_the_body(capsys):
    evaluate_demo.main(["--ct", str(train_demo.DEFAULT_CT), "--no-mirroring", "--json"])
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rows[0]["heldOut"] is False
    assert rows[0]["bodyRegion"] > 0.93
