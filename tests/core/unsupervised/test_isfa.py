import json

import numpy as np
import pytest

from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.unsupervised.isfa import (
    IsfaModel,
    fit_isfa,
    isfa_change_intensity,
    isfa_components,
    isfa_halo,
    sample_pixel_pairs,
)


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """4-band correlated scene; t2 = gain/offset of t1 except a re-painted square."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(2, 64, 64))
    mix = np.array([[1.0, 0.3], [0.8, 0.5], [0.2, 1.0], [0.5, 0.9]])
    t1 = np.einsum("bk,khw->bhw", mix, base) + rng.normal(0, 0.05, (4, 64, 64))
    gain = np.array([1.3, 0.8, 1.1, 0.6])[:, None, None]
    offset = np.array([0.2, -0.1, 0.5, 0.0])[:, None, None]
    t2 = gain * t1 + offset + rng.normal(0, 0.05, (4, 64, 64))
    changed = np.zeros((64, 64), bool)
    changed[20:36, 30:46] = True
    t2[:, changed] = rng.normal(0, 1.0, (4, int(changed.sum()))) * 2.0
    return t1.astype(np.float32), t2.astype(np.float32), changed


def test_image_with_itself_has_no_change():
    t1, _, _ = _pair()
    x, y = sample_pixel_pairs(t1, t1)
    model = fit_isfa(x, y)
    t = isfa_change_intensity(model, t1, t1)
    assert t.dtype == np.float32 and t.shape == (64, 64)
    assert np.all(t == 0)


def test_changed_square_stands_out_despite_gain_and_offset():
    t1, t2, changed = _pair()
    model = fit_isfa(*sample_pixel_pairs(t1, t2))
    t = isfa_change_intensity(model, t1, t2)
    assert np.median(t[changed]) > 20 * np.median(t[~changed])
    # Otsu-like separation: almost every changed pixel above almost every unchanged one
    assert np.percentile(t[changed], 5) > np.percentile(t[~changed], 95)
    assert model.n_iter > 1


def test_slow_features_are_b_orthonormal():
    t1, t2, _ = _pair(1)
    x, y = sample_pixel_pairs(t1, t2)
    rng = np.random.default_rng(3)
    weights = rng.uniform(0.2, 1.0, len(x))
    model = fit_isfa(x, y, weights=weights, max_iter=1)
    xs = (x - np.asarray(model.mean_x)) / np.asarray(model.std_x)
    ys = (y - np.asarray(model.mean_y)) / np.asarray(model.std_y)
    wn = weights / weights.sum()
    b = 0.5 * ((xs * wn[:, None]).T @ xs + (ys * wn[:, None]).T @ ys)
    w = model.projection.T
    np.testing.assert_allclose(w.T @ b, np.linalg.inv(w), atol=1e-6)
    np.testing.assert_allclose(w.T @ b @ w, np.eye(4), atol=1e-6)
    assert np.all(np.diff(model.eigenvalues) >= 0)


def test_components_shape_and_model_round_trip():
    t1, t2, _ = _pair()
    model = fit_isfa(*sample_pixel_pairs(t1, t2, max_samples=500, seed=1))
    again = IsfaModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    comps = isfa_components(again, t1, t2)
    assert comps.shape == (4, 64, 64) and comps.dtype == np.float32
    assert isfa_halo() == 0


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(MssfcError, match="sample pixels"):
        fit_isfa(np.zeros((3, 4)), np.zeros((3, 4)))
    t1, t2, _ = _pair()
    model = fit_isfa(*sample_pixel_pairs(t1, t2))
    with pytest.raises(MssfcError, match="fitted on 4 bands"):
        isfa_change_intensity(model, t1[:3], t2[:3])


def test_an_overflowing_change_statistic_is_the_largest_not_none():
    # an eigenvalue near 0 (the weights settled on pixels identical at both dates) and a large
    # difference overflow float32; such a pixel was reported as unchanged (T = 0)
    model = IsfaModel(
        mean_x=(0.0,),
        std_x=(1.0,),
        mean_y=(0.0,),
        std_y=(1.0,),
        w=((1.0,),),
        eigenvalues=(1e-12,),
        n_iter=50,
        converged=True,
    )
    t1 = np.zeros((1, 1, 3), np.float32)
    t2 = np.array([[[0.0, 1.0, 1e20]]], np.float32)
    t = isfa_change_intensity(model, t1, t2)[0]
    assert t[0] == 0 and 0 < t[1] < t[2]
    assert t[2] == np.finfo(np.float32).max
    nan = isfa_change_intensity(model, t1, np.full((1, 1, 3), np.nan, np.float32))
    assert np.all(nan == 0)
