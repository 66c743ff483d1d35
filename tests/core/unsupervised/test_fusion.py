import json

import numpy as np
import pytest

from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.unsupervised.fusion import (
    SCALE_MISMATCH,
    DiffStats,
    PercentileStats,
    building_index,
    change_intensity,
    decision_fusion,
    difference_magnitude,
    fit_difference_stats,
    fit_percentiles,
    likelihood,
    normalize,
    object_means,
    otsu_threshold,
    sfambi_score,
    spetexmbi_mask,
    texture_ranges,
)


def test_percentile_normalization_is_robust_and_clipped():
    rng = np.random.default_rng(0)
    x = rng.random(10_000).astype(np.float32)
    x[:5] = 1e6  # outliers do not stretch the range
    stats = fit_percentiles(x, low=1, high=99)
    assert stats.high < 2.0
    n = normalize(x, stats)
    assert n.dtype == np.float32 and n.min() == 0.0 and n.max() == 1.0
    assert PercentileStats.from_dict(json.loads(json.dumps(stats.to_dict()))) == stats
    assert np.all(normalize(np.array([np.nan, 5.0]), PercentileStats(1.0, 1.0)) == [0, 1])
    with pytest.raises(MssfcError, match="empty"):
        fit_percentiles(np.array([np.nan]))


def test_fusion_formulas():
    ci = change_intensity(np.float32([1, 0]), np.float32([0, 1]), weight=0.5)
    np.testing.assert_allclose(ci, [0.5, 0.5])
    bi = building_index(np.float32([1, 0]), np.float32([0, 1]), weight=0.4)
    np.testing.assert_allclose(bi, [0.4, 0.6])
    np.testing.assert_allclose(likelihood(np.float32([0.5]), np.float32([0.4])), [0.2])
    np.testing.assert_allclose(
        likelihood(np.float32([0.5]), np.float32([0.4]), mode="sum", weight=0.5), [0.45]
    )
    with pytest.raises(MssfcError, match="phi"):
        building_index(bi, bi, weight=1.5)


def test_otsu_and_decision_fusion():
    rng = np.random.default_rng(1)
    sample = np.concatenate([rng.normal(0.2, 0.05, 500), rng.normal(0.8, 0.05, 500)])
    t = otsu_threshold(sample)
    assert 0.35 < t < 0.65
    assert otsu_threshold(np.full(10, 0.3)) == pytest.approx(0.3)
    mask = decision_fusion(
        np.float32([0.9, 0.9, 0.1]), np.float32([0.9, 0.1, 0.9]), ci_threshold=t, bi_threshold=t
    )
    np.testing.assert_array_equal(mask, [True, False, False])


def test_baselines():
    x = np.zeros((100, 2))
    y = np.ones((100, 2)) + np.linspace(0, 1, 100)[:, None]
    stats = fit_difference_stats(x, y)
    assert DiffStats.from_dict(json.loads(json.dumps(stats.to_dict()))) == stats
    mag = difference_magnitude(np.zeros((2, 3, 3)), np.ones((2, 3, 3)) * 1.5, stats)
    assert mag.shape == (3, 3) and np.allclose(mag, 0.0, atol=1e-5)
    score = sfambi_score(np.float32([1.0]), np.float32([0.5]), np.float32([0.2]), weight=0.5)
    np.testing.assert_allclose(score, [0.5])  # MBI decreased: no building evidence
    m = spetexmbi_mask(
        np.float32([0.9, 0.1, 0.9]),
        np.float32([0.1, 0.9, 0.1]),
        np.float32([0.9, 0.9, 0.1]),
        spectral_threshold=0.5,
        texture_threshold=0.5,
        mbi_threshold=0.5,
    )
    np.testing.assert_array_equal(m, [True, True, False])
    labels = np.array([[0, 0, 1], [1, 1, 2]])
    means = object_means(np.array([[1.0, 3.0, 0.0], [3.0, 6.0, 5.0]]), labels)
    np.testing.assert_allclose(means, [[2, 2, 3], [3, 3, 5]])


def test_difference_magnitude_is_the_standardized_norm_and_ignores_nan_terms():
    rng = np.random.default_rng(3)
    t1 = rng.normal(size=(3, 6, 7)).astype(np.float32)
    t2 = rng.normal(size=(3, 6, 7)).astype(np.float32)
    t2[1, 2, 3] = np.nan
    stats = DiffStats(mean=(0.1, -0.2, 0.3), std=(2.0, 0.5, 1.0))
    z = (t2.astype(np.float64) - t1 - np.array(stats.mean)[:, None, None]) / np.array(stats.std)[
        :, None, None
    ]
    expected = np.sqrt(np.nansum(z * z, axis=0))
    got = difference_magnitude(t1, t2, stats)
    assert got.dtype == np.float32 and np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_texture_ranges_shared_unless_the_dates_differ_in_scale():
    rng = np.random.default_rng(2)
    b1 = rng.normal(120, 30, 20000).clip(0, 255)
    b2 = rng.normal(135, 45, 20000).clip(0, 255)  # brighter, more contrast: a change to keep
    r1, r2 = texture_ranges(b1, b2)
    joint = tuple(np.percentile(np.concatenate([b1, b2]), [1, 99]))
    assert r1 == r2 == pytest.approx(joint)
    # 8 bits against 11 bits (x 8): each date its own range, T2's on its own scale
    r1, r2 = texture_ranges(b1, 8 * b2)
    assert r1 == pytest.approx(tuple(np.percentile(b1, [1, 99])))
    assert r2 == pytest.approx(tuple(np.percentile(8 * b2, [1, 99])))
    # the switch is the ratio of the spreads
    spread = np.percentile(b2, 99) - np.percentile(b2, 1)
    just_below = b2 * (SCALE_MISMATCH * 0.95) * (np.ptp(np.percentile(b1, [1, 99])) / spread)
    a, b = texture_ranges(b1, just_below)
    assert a == b
