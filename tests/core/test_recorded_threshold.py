"""The threshold a tool cut its mask at travels with its likelihood raster, and a threshold a
method does not use is said to be unused."""

from __future__ import annotations

import numpy as np
import pytest

from mssfc_qgis.core.assessment import read_threshold_item
from mssfc_qgis.core.newlybuilt import likelihood_stage
from mssfc_qgis.core.raster import Grid, read_array, write_array
from mssfc_qgis.core.unsupervised.pipeline import NewlyBuiltConfig, unused_threshold_note
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


class _Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def set_progress(self, _p: float) -> None:
        pass

    def is_canceled(self) -> bool:
        return False

    def info(self, _m: str) -> None:
        pass

    def warning(self, m: str) -> None:
        self.warnings.append(m)


def _layers(tmp_path, rng) -> tuple[str, str]:
    """CI and BI rasters, 96 x 96: noise with a bright square where both are high."""
    grid = Grid(96, 96, GT, utm_wkt())
    ci = rng.random((96, 96)).astype(np.float32) * 0.3
    bi = rng.random((96, 96)).astype(np.float32) * 0.3
    ci[30:60, 30:60] += 0.6
    bi[30:60, 30:60] += 0.6
    return (
        write_array(str(tmp_path / "ci.tif"), ci, grid, nodata=-9999.0),
        write_array(str(tmp_path / "bi.tif"), bi, grid, nodata=-9999.0),
    )


def test_the_likelihood_records_the_threshold_its_mask_was_cut_at(tmp_path, rng):
    ci, bi = _layers(tmp_path, rng)
    out = {"l": str(tmp_path / "l.tif"), "m": str(tmp_path / "m.tif")}
    paths, otsu = likelihood_stage(ci, bi, out["l"], out["m"])
    assert otsu is not None and 0 < otsu < 1
    assert read_threshold_item(paths["likelihood"])[0] == pytest.approx(otsu, abs=1e-6)
    lik, _ = read_array(paths["likelihood"])
    mask, _ = read_array(paths["mask"])
    np.testing.assert_array_equal(mask[0] == 1, lik[0] > otsu)
    paths, given = likelihood_stage(
        ci,
        bi,
        str(tmp_path / "l2.tif"),
        str(tmp_path / "m2.tif"),
        cfg=NewlyBuiltConfig(threshold=0.3),
    )
    assert given == 0.3 and read_threshold_item(paths["likelihood"])[0] == 0.3


def test_a_threshold_that_decision_fusion_does_not_use_is_said_unused(tmp_path, rng):
    ci, bi = _layers(tmp_path, rng)
    log = _Log()
    cfg = NewlyBuiltConfig(threshold=0.9, fusion="decision")
    paths, threshold = likelihood_stage(
        ci, bi, str(tmp_path / "l.tif"), str(tmp_path / "m.tif"), cfg=cfg, progress=log
    )
    assert threshold is None and read_threshold_item(paths["likelihood"])[0] is None
    assert any("THRESHOLD 0.9 is not used" in w for w in log.warnings)
    mask, _ = read_array(paths["mask"])
    assert mask[0, 35:55, 35:55].all()  # Otsu on each layer, not 0.9
    assert unused_threshold_note(NewlyBuiltConfig(threshold=0.2, method="spetexmbi"))
    assert unused_threshold_note(NewlyBuiltConfig(threshold=0.2, method="sfambi")) is None
    assert unused_threshold_note(NewlyBuiltConfig(fusion="decision")) is None
