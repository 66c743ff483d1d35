import json

import numpy as np
import pytest
from unsup_scenes import newly_built_pair

from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.unsupervised import NewlyBuiltConfig, newlybuilt_untiled

KEYS = {"ci", "mbi", "bli", "bi", "likelihood", "mask", "threshold"}


@pytest.fixture(scope="module")
def pair():
    return newly_built_pair(128, seed=0)


def _f1(mask: np.ndarray, truth: np.ndarray) -> float:
    tp = np.sum(mask & truth)
    return 2 * tp / max(mask.sum() + truth.sum(), 1)


def test_proposed_finds_the_new_buildings_not_the_old_one(pair):
    t1, t2, truth = pair
    out = newlybuilt_untiled(t1, t2, None, NewlyBuiltConfig(), pixel_size_m=0.5)
    assert set(out) == KEYS
    for key in KEYS - {"mask", "threshold"}:
        assert out[key].shape == truth.shape and out[key].dtype == np.float32
        assert np.isfinite(out[key]).all()
    assert _f1(out["mask"], truth) > 0.9
    assert not out["mask"][10:30, 10:34].any()  # unchanged old building


def test_self_pair_detects_nothing(pair):
    t1, _, _ = pair
    out = newlybuilt_untiled(t1, t1, None, NewlyBuiltConfig(threshold=0.5), pixel_size_m=0.5)
    assert not out["mask"].any()


@pytest.mark.parametrize("method", ["obisfa", "sfambi", "spetexmbi"])
def test_baselines_run(pair, method):
    t1, t2, truth = pair
    out = newlybuilt_untiled(t1, t2, None, NewlyBuiltConfig(method=method), pixel_size_m=0.5)
    assert set(out) == KEYS and out["mask"].dtype == bool
    assert _f1(out["mask"], truth) > 0.5


def test_decision_fusion_and_valid_mask(pair):
    t1, t2, truth = pair
    valid = np.ones(truth.shape, bool)
    valid[:, :16] = False
    out = newlybuilt_untiled(t1, t2, valid, NewlyBuiltConfig(fusion="decision"), pixel_size_m=0.5)
    assert not out["mask"][:, :16].any() and np.all(out["likelihood"][:, :16] == 0)
    assert _f1(out["mask"], truth) > 0.8


def test_config_round_trip_and_validation():
    cfg = NewlyBuiltConfig(visible_bands=(0, 1, 2), threshold=0.3)
    assert NewlyBuiltConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    px = cfg.in_pixels(0.5)
    assert (px.mbi_min_length, px.mbi_max_length, px.mbi_step) == (4, 100, 10)
    assert cfg.angle_tolerance_deg == 4.0 and cfg.fusion_weight == 0.4
    with pytest.raises(MssfcError, match="method"):
        NewlyBuiltConfig(method="magic")  # type: ignore[arg-type]
    with pytest.raises(MssfcError, match="Unknown"):
        NewlyBuiltConfig.from_dict({"phi": 0.4})
