import numpy as np
import pytest
import torch

from tools.stunet import preprocessing
from tools.stunet.sliding_window import compute_steps, gaussian_importance, mirror_sets, predict_labels
from tools.stunet.train_demo import DEFAULT_CT, demo_card, intensity_labels, intensity_properties


@pytest.mark.parametrize("size,patch", [(101, 32), (122, 64), (30, 16), (128, 128), (129, 128), (300, 128)])
def test_steps_cover_the_volume_at_most_half_a_patch_apart(size, patch):
    steps = compute_steps([size], [patch])[0]
    assert steps[0] == 0 and steps[-1] == size - patch
    assert len(steps) == int(np.ceil((size - patch) / (patch * 0.5))) + 1
    assert all(0 < b - a <= patch // 2 for a, b in zip(steps, steps[1:]))


def test_gaussian_matches_its_closed_form():
    patch = (16, 32, 64)
    g = gaussian_importance(patch)
    grids = np.meshgrid(*[np.arange(p) for p in patch], indexing="ij")
    closed = np.exp(-sum((x - p // 2) ** 2 / (2 * (p / 8) ** 2) for x, p in zip(grids, patch)))
    inside = closed > 1e-6
    assert g.dtype == np.float32 and g.max() == 1.0 and g.min() > 0
    assert np.abs(g[inside] - closed[inside]).max() < 1e-5


def test_mirror_sets_are_every_subset_of_the_allowed_axes():
    assert len(mirror_sets((0, 1, 2))) == 8
    assert sorted(mirror_sets((1, 2))) == sorted([(), (3,), (4,), (3, 4)])


class _RoundingNet(torch.nn.Module):
    """Pointwise 'network' whose argmax is round(x): sliding window, padding and mirroring
    must hand its answer back unchanged for every voxel."""

    def forward(self, x):
        classes = torch.arange(4, dtype=x.dtype).view(1, 4, 1, 1, 1)
        return -(x - classes) ** 2


def test_sliding_window_returns_pointwise_predictions_unchanged():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, size=(10, 45, 70))
    pred = predict_labels(_RoundingNet(), labels[None].astype(np.float32), (16, 32, 64), 4)
    assert pred.shape == labels.shape
    assert np.array_equal(pred, labels)


def test_label_resampling_is_nearest_neighbour():
    labels = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    up = preprocessing.resample_labels(labels, (4, 6, 8))
    assert np.array_equal(up, labels.repeat(2, 0).repeat(2, 1).repeat(2, 2))
    assert preprocessing.resample_labels(labels, labels.shape) is labels


def test_demo_labels_follow_the_intensity_rules():
    case = preprocessing.load_canonical(DEFAULT_CT)
    hu, labels = case.data, intensity_labels(case.data)
    body = labels > 0
    assert np.all(hu[labels == 2] > 200) and np.all(hu[labels == 3] < -400)
    assert np.all(hu[(labels == 1)] >= -400) and np.all(hu[labels == 1] <= 200)
    # Everything above -500 HU outside the body belongs to smaller components (table, noise).
    assert body.sum() > (hu > -500).sum() * 0.9
    assert all(np.bincount(labels.ravel(), minlength=4) > 0)


def test_nonct_preprocessing_of_the_sample_ct_is_zscore_on_the_target_grid():
    case = preprocessing.load_canonical(DEFAULT_CT)
    card = dict(demo_card(intensity_properties([(case.data, intensity_labels(case.data))])),
                normalization=[{"scheme": "nonCT", "useMaskForNorm": False}])
    pre = preprocessing.preprocess(case, card)
    expected = preprocessing.target_shape(pre.cropped_shape, case.spacing, card["targetSpacing"])
    assert pre.data.shape == (1,) + expected
    assert abs(float(pre.data.mean())) < 1e-4 and abs(float(pre.data.std()) - 1) < 1e-4


def test_ct_preprocessing_clips_to_the_labelled_percentiles_and_standardises():
    case = preprocessing.load_canonical(DEFAULT_CT)
    labels = intensity_labels(case.data)
    props = intensity_properties([(case.data, labels)])
    inside = case.data[labels > 0].astype(np.float64)
    assert props["percentile_00_5"] < props["mean"] < props["percentile_99_5"]
    assert abs(props["mean"] - inside.mean()) < 1e-6 and abs(props["sd"] - inside.std()) < 1e-6
    pre = preprocessing.preprocess(case, demo_card(props))
    lo = (props["percentile_00_5"] - props["mean"]) / props["sd"]
    hi = (props["percentile_99_5"] - props["mean"]) / props["sd"]
    # Cubic resampling may overshoot the clipped range a little, never far.
    assert lo - 0.5 < float(pre.data.min()) and float(pre.data.max()) < hi + 0.5


def test_separate_z_rule():
    assert preprocessing.separate_z_axis((5.0, 0.57, 0.57), (1.5, 1.5, 1.5), 3.0) == 0
    assert preprocessing.separate_z_axis((1.0, 1.0, 1.0), (1.0, 4.0, 1.0), 3.0) == 1
    assert preprocessing.separate_z_axis((1.5, 1.5, 1.5), (1.5, 1.5, 1.5), 3.0) is None
    # Two axes tie for the largest spacing: no separate axis.
    assert preprocessing.separate_z_axis((4.0, 4.0, 1.0), (1.5, 1.5, 1.5), 3.0) is None


def test_separate_z_resampling_is_nearest_along_the_low_resolution_axis():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(4, 6, 6)).astype(np.float32)
    out = preprocessing.resample(data, (8, 6, 6), 3, 0)
    # In-plane size unchanged, so each output slice is a copy of the nearest input slice.
    src = np.floor((np.arange(8) + 0.5) * 0.5 - 0.5 + 0.5).astype(int)
    assert np.allclose(out, data[src], atol=1e-6)
