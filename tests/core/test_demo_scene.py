"""The synthetic bi-temporal demo scene: shapes, determinism, masks, GeoTIFF output, CLI."""

from __future__ import annotations

import time

import numpy as np
import pytest

from mssfc_qgis.core import demo_scene
from mssfc_qgis.core.demo_scene import make_scene, make_scene_arrays, write_scene
from mssfc_qgis.core.errors import MssfcError


@pytest.fixture(scope="module")
def small():
    return make_scene_arrays(seed=0, size=192)


def test_arrays_shapes_dtypes_and_masks(small):
    assert small.t1.shape == small.t2.shape == (3, 192, 192)
    assert small.t1.dtype == small.t2.dtype == np.uint8
    for mask in (small.buildings_t1, small.buildings_t2, small.change):
        assert mask.shape == (192, 192) and mask.dtype == np.uint8
        assert set(np.unique(mask)) <= {0, 1}
    np.testing.assert_array_equal(small.change, small.buildings_t1 ^ small.buildings_t2)
    assert small.buildings_t1.any() and small.change.any()
    # most change is new buildings
    new = (small.buildings_t2 & ~small.buildings_t1).sum()
    assert new > small.change.sum() / 2


def test_same_seed_same_scene_other_seed_other_scene(small):
    again = make_scene_arrays(seed=0, size=192)
    for a, b in zip(small[:5], again[:5]):
        np.testing.assert_array_equal(a, b)
    other = make_scene_arrays(seed=1, size=192)
    assert not np.array_equal(small.t1, other.t1)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_small_tiles_always_have_buildings_and_change(seed):
    s = make_scene_arrays(seed=seed, size=64)
    assert s.t1.shape == (3, 64, 64)
    assert s.buildings_t1.any() and s.buildings_t2.any() and s.change.any()


def test_images_look_like_imagery(small):
    t1 = small.t1.astype(float)
    # textured, not flat: plenty of grey levels and spatial detail in every band
    for band in t1:
        assert len(np.unique(band)) > 60
        assert 20 < band.mean() < 220
    # unchanged ground correlates between dates despite the radiometric change and shift
    still = small.change == 0
    r = np.corrcoef(t1[1][still], small.t2[1].astype(float)[still])[0, 1]
    assert r > 0.6
    # roofs differ from the ground around them: the masks are not arbitrary
    assert small.t2.any()


def test_nir_band_and_vegetation():
    s = make_scene_arrays(seed=4, size=128, nir=True)
    assert s.t1.shape == (4, 128, 128)
    red, nir = s.t1[0].astype(float), s.t1[3].astype(float)
    ndvi = (nir - red) / (nir + red + 1)
    # vegetation (high NDVI) is never a roof
    assert ndvi[s.buildings_t1 == 0].max() > 0.2
    assert np.median(ndvi[s.buildings_t1 == 1]) < np.median(ndvi[s.buildings_t1 == 0])


def test_misregistration_is_bounded():
    s = make_scene_arrays(seed=5, size=64, max_shift_px=1.0)
    dy, dx = s.info["t2_shift_px"]
    assert 0.29 <= np.hypot(dy, dx) <= 1.0 + 1e-6
    fixed = make_scene_arrays(seed=5, size=64, max_shift_px=0.0)
    assert fixed.info["t2_shift_px"] == (0.0, 0.0)


def test_bad_options_raise_clear_errors():
    with pytest.raises(MssfcError, match="size"):
        make_scene_arrays(size=8)
    with pytest.raises(MssfcError, match="pixel_size"):
        make_scene_arrays(size=64, pixel_size=0.0)
    with pytest.raises(MssfcError, match="season"):
        make_scene_arrays(size=64, season="monsoon")


def test_write_scene_geotiffs(tmp_path):
    from osgeo import gdal, osr

    gdal.UseExceptions()
    scene = make_scene(seed=2, size=96, nir=True)
    x0, ps, _, y0, _, neg = scene.geotransform
    assert ps == 0.5 and neg == -0.5
    assert 400_000 <= x0 <= 600_000 and 5_300_000 <= y0 <= 5_400_000
    paths = write_scene(scene, tmp_path / "demo")
    assert sorted(paths) == ["buildings_t1", "buildings_t2", "change", "t1", "t2"]
    for name, path in paths.items():
        ds = gdal.Open(str(path))
        assert ds.GetGeoTransform() == pytest.approx(scene.geotransform)
        srs = osr.SpatialReference(wkt=ds.GetProjection())
        srs.AutoIdentifyEPSG()
        assert srs.GetAuthorityCode(None) == "32633"
        structure = ds.GetMetadata("IMAGE_STRUCTURE")
        assert structure.get("COMPRESSION") == "DEFLATE"
        band = ds.GetRasterBand(1)
        assert band.GetBlockSize()[0] < ds.RasterXSize or ds.RasterXSize <= 256
        np.testing.assert_array_equal(ds.ReadAsArray(), getattr(scene, name))
        ds = None
    ds = gdal.Open(str(paths["t1"]))
    assert ds.RasterCount == 4
    assert ds.GetRasterBand(4).GetDescription() == "nir"
    assert ds.GetRasterBand(1).GetColorInterpretation() == gdal.GCI_RedBand
    ds = None


def test_cli_writes_files(tmp_path, capsys):
    assert demo_scene.main(["--output", str(tmp_path), "--seed", "3", "--size", "64"]) == 0
    for name in ("t1", "t2", "buildings_t1", "buildings_t2", "change"):
        assert (tmp_path / f"{name}.tif").is_file()
    assert "change.tif" in capsys.readouterr().out
    assert demo_scene.main(["--output", str(tmp_path), "--size", "4"]) == 2


@pytest.mark.slow
def test_full_size_scene_is_fast():
    start = time.perf_counter()
    s = make_scene_arrays(seed=0, size=1024)
    elapsed = time.perf_counter() - start
    assert s.t1.shape == (3, 1024, 1024)
    assert 0.05 < s.buildings_t1.mean() < 0.35
    assert elapsed < 6.0  # < 3 s on an idle core; slack for shared CI machines
