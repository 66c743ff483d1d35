"""What the unsupervised steps do with inputs an analyst chains by hand: value rasters on another
grid, float images with bare NaN, odd file names, index rasters of the wrong kind, and the
notes the log gives about settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr

from mssfc_qgis.core.demo_scene import make_scene, write_scene
from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.newlybuilt import (
    NewlyBuiltConfig,
    Outputs,
    bli_stage,
    likelihood_stage,
    newlybuilt,
    objects_stage,
)
from mssfc_qgis.core.progress import NullProgress
from mssfc_qgis.core.raster import Grid, read_array, write_array
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


class _Log(NullProgress):
    def __init__(self) -> None:
        self.messages: list[str] = []

    def info(self, message: str) -> None:
        self.messages.append(message)

    def warning(self, message: str) -> None:
        self.messages.append(message)


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scene")
    paths = write_scene(make_scene(seed=4, size=256), folder)
    return {k: str(v) for k, v in paths.items()}


def _mask_and_values(folder: Path, rng: np.random.Generator) -> tuple[str, str, np.ndarray]:
    """A 120 x 160 mask with four rectangles and a value raster on its grid (a ramp)."""
    mask = np.zeros((120, 160), np.uint8)
    for r, c in ((10, 10), (10, 90), (70, 20), (60, 100)):
        mask[r : r + 30, c : c + 40] = 1
    rows, cols = np.mgrid[0:120, 0:160]
    # a smooth field (bilinear resampling keeps it) with some noise
    values = (cols / 160 + rows / 120 + 0.01 * rng.random((120, 160))).astype(np.float32)
    grid = Grid(160, 120, GT, utm_wkt())
    m = write_array(str(folder / "mask.tif"), mask[None], grid, nodata=255)
    v = write_array(str(folder / "values.tif"), values[None], grid)
    return m, v, values


def _means(path: str) -> list[float]:
    ds = ogr.Open(path)
    layer = ds.GetLayer(0)
    rows = sorted(
        (
            f.GetGeometryRef().Centroid().GetY(),
            f.GetGeometryRef().Centroid().GetX(),
            f["mean_likelihood"],
        )
        for f in layer
    )
    return [m for _, _, m in rows]


def test_polygon_means_read_value_rasters_on_the_masks_grid(tmp_path, rng):
    # the same values at half the pixel size (each pixel repeated 2 x 2), and cut to a whole-pixel
    # window: the means were read by pixel position, so wrong, or the read ran off the raster
    mask, values, arr = _mask_and_values(tmp_path, rng)
    cfg = NewlyBuiltConfig(min_area_m2=1.0)
    objects_stage(mask, str(tmp_path / "ref.gpkg"), cfg=cfg, likelihood_path=values)
    expected = _means(str(tmp_path / "ref.gpkg"))
    assert len(expected) == 4

    fine = np.repeat(np.repeat(arr, 2, axis=0), 2, axis=1)
    fine_gt = (GT[0], 0.25, 0.0, GT[3], 0.0, -0.25)
    fine_path = write_array(
        str(tmp_path / "fine.tif"), fine[None], Grid(320, 240, fine_gt, utm_wkt())
    )
    log = _Log()
    objects_stage(
        mask, str(tmp_path / "fine.gpkg"), cfg=cfg, likelihood_path=fine_path, progress=log
    )
    np.testing.assert_allclose(_means(str(tmp_path / "fine.gpkg")), expected, atol=0.005)
    assert any("resampled (bilinear) onto the mask's grid" in m for m in log.messages)

    cut_gt = (GT[0] + 5 * 0.5, 0.5, 0.0, GT[3] - 5 * 0.5, 0.0, -0.5)  # from column 5, row 5
    cut = write_array(
        str(tmp_path / "cut.tif"), arr[None, 5:, 5:], Grid(155, 115, cut_gt, utm_wkt())
    )
    objects_stage(mask, str(tmp_path / "cut.gpkg"), cfg=cfg, likelihood_path=cut)
    got = _means(str(tmp_path / "cut.gpkg"))
    # the polygons that start at row or column 10 lie inside the cut: their means are exact
    np.testing.assert_allclose(got, expected, rtol=1e-5)

    far_gt = (GT[0] + 1000.0, 0.5, 0.0, GT[3], 0.0, -0.5)
    far = write_array(str(tmp_path / "far.tif"), arr[None], Grid(160, 120, far_gt, utm_wkt()))
    with pytest.raises(MssfcError, match="does not overlap the mask"):
        objects_stage(mask, str(tmp_path / "far.gpkg"), cfg=cfg, likelihood_path=far)


def test_bare_nan_in_a_float_image_is_nodata(scene, tmp_path):
    # float32 imagery whose gap is NaN with no nodata value declared
    for name in ("t1", "t2"):
        arr, grid = read_array(scene[name])
        data = arr.astype(np.float32) / 255
        data[:, 100:140, 60:200] = np.nan
        write_array(str(tmp_path / f"{name}.tif"), data, grid)
    out = Outputs(str(tmp_path / "l.tif"), str(tmp_path / "m.tif"), None)
    newlybuilt(str(tmp_path / "t1.tif"), str(tmp_path / "t2.tif"), out, tile=128)
    lik, _ = read_array(out.likelihood)
    mask, _ = read_array(out.mask)
    assert np.all(lik[0, 100:140, 60:200] == -9999) and np.all(mask[0, 100:140, 60:200] == 255)
    assert (lik[0, :90] >= 0).all() and (mask[0, :90] != 255).all()


def test_a_file_name_with_xml_characters_is_read(tmp_path, rng):
    folder = tmp_path / "R&D <new>"
    folder.mkdir()
    mask, values, _ = _mask_and_values(folder, rng)
    # MIN_AREA 0: no sieve, so the mask is read through the VRT that named the file unescaped
    path, count = objects_stage(
        mask, str(tmp_path / "p.gpkg"), cfg=NewlyBuiltConfig(min_area_m2=0.0)
    )
    assert count == 4


def test_segment_lengths_are_metres_in_degrees(scene, tmp_path):
    utm = tmp_path / "utm.gpkg"
    bli_stage(scene["t2"], str(tmp_path / "b.tif"), out_segments=str(utm))
    geo = str(tmp_path / "t2_4326.tif")
    warped = gdal.Warp(geo, scene["t2"], dstSRS="EPSG:4326", resampleAlg="bilinear")
    warped.FlushCache()
    del warped
    deg = tmp_path / "deg.gpkg"
    bli_stage(geo, str(tmp_path / "b4326.tif"), out_segments=str(deg))

    def lengths(path: Path) -> np.ndarray:
        source = ogr.Open(str(path))
        return np.array([f["length"] for f in source.GetLayer(0)])

    in_utm, in_deg = lengths(utm), lengths(deg)
    assert len(in_utm) > 10 and len(in_deg) > 10
    # metres in both: the medians agree within the resampling's effect (degrees were ~1e-5)
    assert 0.8 < np.median(in_deg) / np.median(in_utm) < 1.25


def test_step_tools_refuse_a_multiband_index(scene, tmp_path):
    with pytest.raises(MssfcError, match="change intensity .* has 3 bands.*mssfc:changeintensity"):
        likelihood_stage(
            scene["t2"], scene["change"], str(tmp_path / "l.tif"), str(tmp_path / "m.tif")
        )
    assert not (tmp_path / "l.tif").exists()


def test_log_names_settings_that_change_or_do_nothing(scene, tmp_path):
    log = _Log()
    newlybuilt(
        scene["t1"],
        scene["t2"],
        Outputs(None, str(tmp_path / "m.tif"), None),
        cfg=NewlyBuiltConfig(method="sfambi", fusion="decision", likelihood_mode="sum"),
        progress=log,
    )
    assert any(
        "FUSION decision and LIKELIHOOD_MODE sum not used: SFAMBI" in m for m in log.messages
    )
    log = _Log()
    bli_stage(scene["t2"], str(tmp_path / "b.tif"), pixel_size=1.0, progress=log)
    assert any("PIXEL_SIZE 1 m overrides the raster's 0.5 m pixels" in m for m in log.messages)
    log = _Log()
    bli_stage(scene["t2"], str(tmp_path / "b2.tif"), pixel_size=0.5, progress=log)
    assert not any("PIXEL_SIZE" in m for m in log.messages)


def test_polygon_means_on_a_rotated_grid(tmp_path, rng):
    # a rotated image's outputs share its rotated grid: the means are read as they are (the
    # grid check first refused the rotation, after the rasters had been written)
    mask, values, arr = _mask_and_values(tmp_path, rng)
    rotated = (GT[0], 0.45, 0.2, GT[3], 0.2, -0.45)
    for path in (mask, values):
        ds = gdal.Open(path, gdal.GA_Update)
        ds.SetGeoTransform(rotated)
        ds = None
    cfg = NewlyBuiltConfig(min_area_m2=1.0)
    _, count = objects_stage(mask, str(tmp_path / "r.gpkg"), cfg=cfg, likelihood_path=values)
    assert count == 4
    means = sorted(_means(str(tmp_path / "r.gpkg")))
    expected = sorted(
        float(arr[r : r + 30, c : c + 40].mean())
        for r, c in ((10, 10), (10, 90), (70, 20), (60, 100))
    )
    np.testing.assert_allclose(means, expected, rtol=1e-5)


class _CancelWhenExists(NullProgress):
    """Cancels once ``path`` exists: the run has committed that output and goes on."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def is_canceled(self) -> bool:
        return self.path.exists()


def test_cancel_while_the_segments_are_written_leaves_no_output(scene, tmp_path):
    # the segments (100,000 of them at 4000 px) were written without asking, after the BLI raster
    from mssfc_qgis.core.errors import Canceled

    bli, segments = tmp_path / "bli.tif", tmp_path / "segments.gpkg"
    with pytest.raises(Canceled):
        bli_stage(
            scene["t2"], str(bli), out_segments=str(segments), progress=_CancelWhenExists(bli)
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_cancel_after_the_error_map_leaves_no_accuracy_output(tmp_path, rng):
    from mssfc_qgis.core.assessment import assess
    from mssfc_qgis.core.errors import Canceled

    mask, _, _ = _mask_and_values(tmp_path, rng)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Canceled):
        assess(
            mask,
            mask,
            out_errors=str(out / "err.tif"),
            out_report=str(out / "r.html"),
            out_table=str(out / "t.csv"),
            progress=_CancelWhenExists(out / "err.tif"),
        )
    assert list(out.iterdir()) == []
