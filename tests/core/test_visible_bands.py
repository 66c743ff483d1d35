"""Brightness (MBI, BLI, texture) is the maximum of the visible bands: named by the user, or
chosen from the colour tags and the band count, so a near-infrared band stays out of it."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal

from mssfc_qgis.core.demo_scene import make_scene, write_scene
from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.metrics import confusion
from mssfc_qgis.core.newlybuilt import (
    NewlyBuiltConfig,
    Outputs,
    mbi_stage,
    newlybuilt,
    visible_band_positions,
)
from mssfc_qgis.core.raster import Grid, read_array, write_array
from tests.conftest import shared_data, utm_wkt

RED, GREEN, BLUE, UNDEF = (
    gdal.GCI_RedBand,
    gdal.GCI_GreenBand,
    gdal.GCI_BlueBand,
    gdal.GCI_Undefined,
)


def _image(path, data, interps=None, pixel=0.5):
    """Write ``data`` (bands, h, w) as a GeoTIFF; ``interps`` sets each band's colour tag."""
    bands, h, w = data.shape
    write_array(
        str(path), data, Grid(w, h, (500000.0, pixel, 0.0, 4000000.0, 0.0, -pixel), utm_wkt())
    )
    if interps:
        ds = gdal.Open(str(path), gdal.GA_Update)
        for i, ci in enumerate(interps, start=1):
            ds.GetRasterBand(i).SetColorInterpretation(ci)
        ds = None
    return str(path)


@pytest.fixture
def untagged4(tmp_path):
    # float32: GDAL tags 3- and 4-band 8-bit GeoTIFFs as RGB by default, not floating ones
    return _image(tmp_path / "u4.tif", np.zeros((4, 8, 8), np.float32))


@pytest.mark.parametrize("interps", [(RED, GREEN, BLUE, UNDEF), (BLUE, GREEN, RED, UNDEF)])
def test_bands_tagged_red_green_blue_are_the_visible_ones(tmp_path, interps):
    path = _image(tmp_path / "t.tif", np.zeros((4, 8, 8), np.uint8), interps)
    positions, note = visible_band_positions(path)
    assert positions == (0, 1, 2)
    assert "bands 1, 2, 3" in note and "tagged" in note and "red" in note


def test_untagged_4_band_image_leaves_band_4_out(untagged4):
    ds = gdal.Open(untagged4)
    assert ds.GetRasterBand(2).GetColorInterpretation() == UNDEF
    ds = None
    positions, note = visible_band_positions(untagged4)
    assert positions == (0, 1, 2)
    assert "band 4 is left out" in note
    # positions index the bands read, in their order
    assert visible_band_positions(untagged4, [4, 3, 2, 1])[0] == (1, 2, 3)
    # band 4 alone: nothing else to use, and the note says so
    positions, note = visible_band_positions(untagged4, [4])
    assert positions == (0,) and "band 4 alone" in note


@pytest.mark.parametrize("count", [1, 3, 5])
def test_other_untagged_images_use_every_band(tmp_path, count):
    path = _image(tmp_path / "n.tif", np.zeros((count, 8, 8), np.float32))
    positions, note = visible_band_positions(path)
    assert positions == tuple(range(count))
    assert ("near-infrared" in note) == (count > 3)


def test_named_visible_bands(untagged4):
    assert visible_band_positions(untagged4, None, [3, 1])[0] == (2, 0)
    assert visible_band_positions(untagged4, [2, 3, 4], [4, 2])[0] == (2, 0)
    assert visible_band_positions(untagged4, None, [1, 2, 3, 4])[0] == (0, 1, 2, 3)
    with pytest.raises(MssfcError, match=r"Visible band\(s\) 4 are not among the bands read"):
        visible_band_positions(untagged4, [1, 2, 3], [4])


def test_unreadable_image(tmp_path):
    with pytest.raises(MssfcError, match="Raster not found"):
        visible_band_positions(str(tmp_path / "missing.tif"))


def test_alpha_band_is_not_read_so_not_visible(tmp_path):
    """Positions index the bands the stages read, and those leave an alpha band out: a grey +
    alpha image gives brightness from band 1 alone, and its MBI runs."""
    rng = np.random.default_rng(0)
    img = np.stack([rng.random((96, 96)), np.ones((96, 96))]).astype(np.float32)
    path = _image(tmp_path / "ga.tif", img, (gdal.GCI_GrayIndex, gdal.GCI_AlphaBand), pixel=1.0)
    positions, note = visible_band_positions(path)
    assert positions == (0,) and "band 1 alone" in note
    out = mbi_stage(path, str(tmp_path / "m.tif"), cfg=NewlyBuiltConfig(mbi_max_length_m=30.0))
    assert np.isfinite(read_array(out["mbi"])[0]).all()


def test_near_infrared_stays_out_of_the_mbi(tmp_path):
    """A tree (dark in R, G, B, bright in NIR) beside a roof (bright in R, G, B): by default the
    MBI marks the roof only; with band 4 named visible the tree gets a building index too."""
    rng = np.random.default_rng(3)
    img = np.empty((4, 96, 96), np.float32)
    img[:3] = rng.normal(0.2, 0.01, (3, 96, 96))
    img[3] = rng.normal(0.35, 0.01, (96, 96))
    roof, tree = np.s_[20:36, 20:36], np.s_[60:76, 56:72]
    img[(slice(0, 3), *roof)] = 0.8
    img[(3, *roof)] = 0.45
    img[(slice(0, 3), *tree)] = 0.1
    img[(3, *tree)] = 0.9
    path = _image(tmp_path / "img.tif", img, pixel=1.0)
    cfg = NewlyBuiltConfig(mbi_max_length_m=30.0)
    mbi_stage(path, str(tmp_path / "auto.tif"), cfg=cfg)
    mbi_stage(path, str(tmp_path / "all.tif"), bands=[1, 2, 3, 4], cfg=cfg)
    auto = read_array(str(tmp_path / "auto.tif"))[0][0]
    every = read_array(str(tmp_path / "all.tif"))[0][0]
    assert auto[tree].mean() < 0.05 * auto[roof].mean()
    assert every[tree].mean() > 0.5 * every[roof].mean()


def test_newlybuilt_on_a_4_band_scene_keeps_vegetation_out(tmp_path):
    """On the synthetic R, G, B, NIR scene, the default brightness (R, G, B) puts fewer new
    buildings on vegetation, and scores better, than a brightness that includes NIR."""
    scene = {
        k: str(v) for k, v in write_scene(make_scene(seed=1, size=256, nir=True), tmp_path).items()
    }
    t2, _ = read_array(scene["t2"])
    t2 = t2.astype(np.float64)
    vegetation = (t2[3] - t2[0]) / (t2[3] + t2[0] + 1e-6) > 0.3
    ref = read_array(scene["change"])[0][0] == 1
    assert vegetation.mean() > 0.1  # the scene has vegetation to get wrong
    result = {}
    for name, visible in (("auto", None), ("with_nir", [1, 2, 3, 4])):
        out = Outputs(None, str(tmp_path / f"{name}.tif"), None)
        newlybuilt(scene["t1"], scene["t2"], out, visible_bands=visible, tile=128)
        mask = read_array(out.mask)[0][0]
        found = mask == 1
        result[name] = (vegetation[found].mean(), confusion(found, ref, valid=mask != 255).f1)
    assert result["auto"][0] < 0.5 * result["with_nir"][0]
    assert result["auto"][1] > result["with_nir"][1]


def _vegetation_share(t1, t2, folder, visible):
    """Share of the pixels marked newly built that are vegetated at T2 (NDVI > 0.3)."""
    out = Outputs(None, str(folder / f"mask_{len(visible or [])}.tif"), None)
    newlybuilt(str(t1), str(t2), out, visible_bands=visible)
    mask, grid = read_array(out.mask)
    x0, dx, _, y0, _, dy = grid.geotransform
    bounds = (x0, y0 + grid.height * dy, x0 + grid.width * dx, y0)
    ds = gdal.Warp(
        "", str(t2), format="MEM", outputBounds=bounds, width=grid.width, height=grid.height
    )
    img = ds.ReadAsArray().astype(np.float64)
    ds = None
    ndvi = (img[3] - img[0]) / (img[3] + img[0] + 1e-6)
    found = mask[0] == 1
    assert found.sum() > 1000
    return float((ndvi[found] > 0.3).mean())


def test_real_naip_pair_nir_band_stays_out(tmp_path):
    """Real NAIP (R, G, B, NIR, untagged) 2014 -> 2020: with NIR counted as brightness, a large
    share of the 'new buildings' is vegetation; the default leaves band 4 out."""
    folder = shared_data("naip-multidate")
    t1 = folder / "m_4709963_se_14_1_20140720.tif"
    t2 = folder / "m_4709963_se_14_1_20200831.tif"
    assert visible_band_positions(str(t2))[0] == (0, 1, 2)
    default = _vegetation_share(t1, t2, tmp_path, None)
    with_nir = _vegetation_share(t1, t2, tmp_path, [1, 2, 3, 4])
    assert default < 0.1 and with_nir > 0.25
