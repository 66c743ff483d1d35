"""Tiled MSSFC-Net inference with a tiny ONNX model of known output: tiled equals the formula,
no seams, nodata respected, georeferencing kept, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from mssfc_qgis.core.deep import InferenceOptions, open_pair, open_single, run_inference
from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.onnx_model import load_model
from mssfc_qgis.core.raster import Grid, read_array, write_array
from tests import tiny_onnx
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


@pytest.fixture
def model(tmp_path):
    return load_model(tiny_onnx.build(tmp_path / "tiny.onnx"), device="cpu")


def _pair(tmp_path, rng, h=150, w=210, nodata=False):
    t1 = rng.integers(1 if nodata else 0, 256, size=(3, h, w)).astype(np.uint8)
    t2 = t1.copy()
    t2[:, 20:60, 30:80] = rng.integers(0, 256, size=(3, 40, 50))
    if nodata:
        t1[:, :20, :30] = 0
    grid = Grid(w, h, GT, utm_wkt())
    a = write_array(str(tmp_path / "t1.tif"), t1, grid, nodata=0 if nodata else None)
    b = write_array(str(tmp_path / "t2.tif"), t2, grid)
    return a, b, t1, t2


def test_change_tiled_equals_formula(tmp_path, rng, model):
    a, b, t1, t2 = _pair(tmp_path, rng)
    sources, grid, _ = open_pair(a, b, bands_t1=None, bands_t2=None, model=model)
    outs = {
        "probability": str(tmp_path / "p.tif"),
        "mask": str(tmp_path / "m.tif"),
        "buildings_t1": str(tmp_path / "b1.tif"),
    }
    run_inference(
        "change", model, sources, grid, outs, options=InferenceOptions(tile=64, overlap=16, batch=3)
    )
    exp = tiny_onnx.expected(t1 / 255.0, t2 / 255.0)
    prob, g = read_array(outs["probability"])
    np.testing.assert_allclose(prob[0], exp["change"], atol=1e-5)
    mask, _ = read_array(outs["mask"])
    np.testing.assert_array_equal(mask[0], (exp["change"] >= 0.5).astype(np.uint8))
    b1, _ = read_array(outs["buildings_t1"])
    np.testing.assert_array_equal(b1[0], (exp["building_t1"] >= 0.5).astype(np.uint8))
    assert g.geotransform == GT and g.crs_wkt


def test_nodata_stays_nodata(tmp_path, rng, model):
    a, b, t1, t2 = _pair(tmp_path, rng, nodata=True)
    sources, grid, _ = open_pair(a, b, bands_t1=None, bands_t2=None, model=model)
    outs = {"probability": str(tmp_path / "p.tif"), "mask": str(tmp_path / "m.tif")}
    run_inference(
        "change", model, sources, grid, outs, options=InferenceOptions(tile=64, overlap=16)
    )
    prob, _ = read_array(outs["probability"])
    mask, _ = read_array(outs["mask"])
    # nodata is where all three bands are 0 in t1 (GDAL's per-band nodata: any band masked)
    assert (prob[0, :20, :30] == -1.0).all() and (mask[0, :20, :30] == 255).all()
    assert (mask[0, 30:] != 255).all()


def test_extraction_single_image_and_newlybuilt(tmp_path, rng, model):
    a, b, t1, t2 = _pair(tmp_path, rng, h=100, w=100)
    sources, grid, notes = open_single(b, bands=None, model=model)
    outs = {"probability": str(tmp_path / "p.tif"), "mask": str(tmp_path / "m.tif")}
    run_inference(
        "extraction", model, sources, grid, outs, options=InferenceOptions(tile=64, overlap=16)
    )
    prob, _ = read_array(outs["probability"])
    np.testing.assert_allclose(
        prob[0], tiny_onnx.expected(t2 / 255.0, t2 / 255.0)["building_t2"], atol=1e-5
    )
    sources, grid, _ = open_pair(a, b, bands_t1=None, bands_t2=None, model=model)
    outs = {"probability": str(tmp_path / "n.tif"), "mask": str(tmp_path / "nm.tif")}
    run_inference(
        "newlybuilt", model, sources, grid, outs, options=InferenceOptions(tile=64, overlap=16)
    )
    e = tiny_onnx.expected(t1 / 255.0, t2 / 255.0)
    mask, _ = read_array(outs["mask"])
    want = (e["change"] >= 0.5) & (e["building_t2"] >= 0.5) & (e["building_t1"] < 0.5)
    np.testing.assert_array_equal(mask[0], want.astype(np.uint8))
    like, _ = read_array(outs["probability"])
    np.testing.assert_array_equal(like[0] >= 0.5, want)


def test_tile_too_small_and_bad_threshold(tmp_path, rng, model):
    a, b, *_ = _pair(tmp_path, rng, h=80, w=80)
    sources, grid, _ = open_pair(a, b, bands_t1=None, bands_t2=None, model=model)
    with pytest.raises(MssfcError, match="smaller than this model's minimum"):
        run_inference(
            "change",
            model,
            sources,
            grid,
            {"mask": str(tmp_path / "m.tif")},
            options=InferenceOptions(tile=32),
        )
    with pytest.raises(MssfcError, match="between 0 and 1"):
        run_inference(
            "change",
            model,
            sources,
            grid,
            {"mask": str(tmp_path / "m.tif")},
            options=InferenceOptions(threshold=1.5),
        )
    assert not (tmp_path / "m.tif").exists()


def test_band_mismatch(tmp_path, rng, model):
    grid = Grid(64, 64, GT, utm_wkt())
    two = write_array(
        str(tmp_path / "two.tif"), rng.integers(0, 255, (2, 64, 64)).astype(np.uint8), grid
    )
    with pytest.raises(MssfcError, match="needs 3"):
        open_single(two, bands=None, model=model)


def test_resample_to_model_resolution(tmp_path, rng, model):
    """Input at 1.5 m vs model 0.5 m: said, run at 0.5 m, outputs back on the input grid."""
    yy, xx = np.mgrid[0:60, 0:50]
    smooth = 128 + 100 * np.sin(xx / 7.0) * np.cos(yy / 9.0)
    t = np.stack([smooth] * 3).astype(np.uint8)
    grid = Grid(50, 60, (500000.0, 1.5, 0.0, 4649776.0, 0.0, -1.5), utm_wkt())
    a = write_array(str(tmp_path / "c.tif"), t, grid)
    sources, g, _ = open_single(a, bands=None, model=model)
    warnings = []

    class Rec:
        def set_progress(self, p):
            pass

        def is_canceled(self):
            return False

        def info(self, m):
            warnings.append(m)

        def warning(self, m):
            warnings.append(m)

    out = {"probability": str(tmp_path / "p.tif"), "mask": str(tmp_path / "m.tif")}
    run_inference(
        "extraction",
        model,
        sources,
        g,
        out,
        options=InferenceOptions(resample=True),
        progress=Rec(),
    )
    said = [w for w in warnings if "1.50 m" in w]
    assert said and "resampled to the model's resolution" in said[0]
    prob, pg = read_array(out["probability"])
    assert (pg.width, pg.height) == (50, 60) and pg.geotransform == grid.geotransform
    exp = tiny_onnx.expected(t / 255.0, t / 255.0)["building_t2"]
    assert np.abs(prob[0] - exp).mean() < 0.02  # up- then down-sampled: close, not exact
    assert not list(tmp_path.glob(".*partial*"))
    # the mask and the probability come back alike: the mask is the probability at its
    # threshold on every pixel (the probability was bilinear, the mask nearest)
    from mssfc_qgis.core.raster import THRESHOLD_KEY, metadata_item

    mask, _ = read_array(out["mask"])
    threshold = float(metadata_item(out["probability"], THRESHOLD_KEY))
    assert 0 < mask[0].mean() < 1
    np.testing.assert_array_equal(mask[0] == 1, prob[0] >= threshold)


@pytest.mark.parametrize(
    ("epsg", "step", "metres"),
    [(2236, 1.5 / 0.3048006096, 1.5), (4326, None, 1.5), (32633, 1.5, 1.5), (32633, 0.6, 0.6)],
)
def test_resolution_is_judged_on_the_ground_whatever_the_unit(epsg, step, metres, model):
    """1.5 m pixels in US feet or in degrees are 1.5 m, not 1.5 feet or 1.5 degrees: the
    model's grid has 0.5 m pixels on the ground (3x as many), and 0.6 m is close enough."""
    from osgeo import osr

    from mssfc_qgis.core.deep import _model_grid, resolution_note
    from mssfc_qgis.core.raster import metres_per_degree

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    if epsg == 4326:
        lon_m, lat_m = metres_per_degree(45.0)
        gt = (10.0, metres / lon_m, 0.0, 45.0 + 30 * metres / lat_m, 0.0, -metres / lat_m)
    else:
        gt = (700000.0, step, 0.0, 500000.0, 0.0, -step)
    grid = Grid(40, 60, gt, srs.ExportToWkt())
    note = resolution_note(model, grid)
    assert model.metadata.resolution_m == 0.5
    if metres == 0.6:
        assert note is None
        return
    assert note is not None and "1.50 m" in note
    fine = _model_grid(grid, 0.5)
    assert (fine.width, fine.height) == (120, 180)
    # the same extent
    assert fine.geotransform[0] == gt[0] and fine.geotransform[3] == gt[3]
    assert fine.width * fine.geotransform[1] == pytest.approx(40 * gt[1])
    assert fine.height * fine.geotransform[5] == pytest.approx(60 * gt[5])


def test_small_tiles_take_a_smaller_default_overlap(model):
    """Only TILE_SIZE set, below twice the model's overlap: the default overlap shrinks to a
    quarter of the tile instead of failing; a chosen overlap that does not fit says what does."""
    from dataclasses import replace
    from types import SimpleNamespace

    from mssfc_qgis.core.deep import check_tile, default_overlap

    # the bundled model's recommendation, 64 px, with the smallest tile this model takes
    wide = SimpleNamespace(metadata=replace(model.metadata, tile_overlap=64))
    tile = 2 * model.metadata.size_multiple
    assert tile <= 2 * 64
    overlap = default_overlap(wide, tile)
    assert overlap == tile // 4
    check_tile(wide, tile, overlap)
    with pytest.raises(MssfcError, match=rf"from 0 to {tile // 2 - 1} px"):
        check_tile(wide, tile, 64)


def test_probability_outputs_record_the_threshold_of_their_mask(tmp_path, rng, model):
    """The accuracy tool cuts a probability where its tool did: the threshold is in the file."""
    from mssfc_qgis.core.assessment import read_threshold_item

    t = rng.integers(0, 255, (3, 64, 64)).astype(np.uint8)
    a = write_array(str(tmp_path / "a.tif"), t, Grid(64, 64, GT, utm_wkt()))
    sources, g, _ = open_single(a, bands=None, model=model)
    out = {"probability": str(tmp_path / "p.tif"), "mask": str(tmp_path / "m.tif")}
    run_inference("extraction", model, sources, g, out)
    assert read_threshold_item(out["probability"])[0] == model.metadata.thresholds["building_t2"]
    assert read_threshold_item(out["mask"])[0] is None
    out = {"probability": str(tmp_path / "p2.tif")}
    run_inference("extraction", model, sources, g, out, options=InferenceOptions(threshold=0.7))
    assert read_threshold_item(out["probability"])[0] == 0.7


def test_nan_pixels_are_nodata_and_do_not_spread(tmp_path, rng):
    # a float image whose gap is bare NaN (no nodata value): the bundled network's convolutions
    # spread a NaN over every tile and blend it touched, and the run reported no buildings
    from mssfc_qgis.paths import default_model_path

    bundled = load_model(default_model_path(), device="cpu")
    image = _pair(tmp_path, rng, h=160, w=200)[2].astype(np.float32)
    image[:, 60:90, 70:120] = np.nan
    path = write_array(str(tmp_path / "nan.tif"), image, Grid(200, 160, GT, utm_wkt()))
    sources, grid, _ = open_single(path, bands=None, model=bundled)
    outs = {"probability": str(tmp_path / "p.tif"), "mask": str(tmp_path / "m.tif")}
    run_inference(
        "extraction", bundled, sources, grid, outs, options=InferenceOptions(tile=128, overlap=32)
    )
    prob, _ = read_array(outs["probability"])
    mask, _ = read_array(outs["mask"])
    gap = np.zeros((160, 200), bool)
    gap[60:90, 70:120] = True
    assert (prob[0][gap] == -1.0).all() and (mask[0][gap] == 255).all()
    assert np.isfinite(prob[0][~gap]).all() and (prob[0][~gap] >= 0).all()
    assert (mask[0][~gap] != 255).all()


def test_one_band_chosen_thrice_is_not_called_a_single_band_image(tmp_path, rng, model):
    a, _, _, t2 = _pair(tmp_path, rng, h=80, w=90)
    _, _, notes = open_single(a, bands=[1, 1, 1], model=model)
    assert any(n.startswith("Band 1 of") and "is used as red, green and blue" in n for n in notes)
    one = write_array(str(tmp_path / "one.tif"), t2[:1], Grid(90, 80, GT, utm_wkt()))
    _, _, notes = open_single(one, bands=None, model=model)
    assert any("has a single band: it is repeated as red, green and blue" in n for n in notes)
