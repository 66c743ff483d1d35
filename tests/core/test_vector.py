"""Polygons from masks: holes kept, attributes right, nodata excluded, written atomically."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
from osgeo import ogr
from scipy import ndimage

from mssfc_qgis.core import vector
from mssfc_qgis.core.errors import Canceled
from mssfc_qgis.core.raster import Grid, open_raster, read_array, write_array
from mssfc_qgis.core.vector import (
    change_types,
    polygonize,
    polygons_from_mask,
    write_gpkg,
    zonal_means,
)
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


def _mask_scene(tmp_path):
    mask = np.zeros((80, 100), np.uint8)
    mask[10:30, 10:40] = 1  # 20 x 30 px building with a 4 x 4 courtyard
    mask[18:22, 20:24] = 0
    mask[50:60, 60:90] = 1  # 10 x 30 px building
    mask[70:80, 0:10] = 255  # nodata corner: must not become a polygon
    grid = Grid(100, 80, GT, utm_wkt())
    mpath = write_array(str(tmp_path / "mask.tif"), mask, grid, nodata=255)
    prob = np.full((80, 100), 0.2, np.float32)
    prob[10:30, 10:40] = 0.9
    prob[50:60, 60:90] = 0.6
    ppath = write_array(str(tmp_path / "prob.tif"), prob, grid, nodata=-9999)
    return mpath, ppath, grid


def test_polygonize_keeps_holes_and_skips_nodata(tmp_path):
    mpath, ppath, grid = _mask_scene(tmp_path)
    polys = polygonize(open_raster(mpath))
    assert len(polys) == 2
    areas = np.sort(polys.stats["area"])
    # pixel 0.5 m -> 0.25 m2; (600 - 16) px and 300 px
    np.testing.assert_allclose(areas, [300 * 0.25, (600 - 16) * 0.25])
    rings = []
    for fid in polys.fids:
        feat = polys.layer.GetFeature(int(fid))
        geom = feat.GetGeometryRef()
        rings.append(geom.GetGeometryCount())
    rings.sort()
    assert rings == [1, 2]  # the courtyard is a hole


def test_zonal_means_and_gpkg(tmp_path):
    mpath, ppath, grid = _mask_scene(tmp_path)
    polys = polygonize(open_raster(mpath))
    means = zonal_means(polys, grid, {"prob": open_raster(ppath)}, block=32)["prob"]
    order = np.argsort(polys.stats["area"])
    np.testing.assert_allclose(means[order], [0.6, 0.9], atol=1e-6)
    out = str(tmp_path / "b.gpkg")
    keep = polys.stats["area"] > 100
    write_gpkg(out, polys, {"area": polys.stats["area"], "mean_prob": means}, keep=keep)
    ds = ogr.Open(out)
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() == 1
    feat = layer.GetNextFeature()
    assert abs(feat.GetField("mean_prob") - 0.9) < 1e-6
    assert feat.GetGeometryRef().IsValid()
    assert (
        "32633" in layer.GetSpatialRef().ExportToWkt()
        or "UTM" in layer.GetSpatialRef().ExportToWkt()
    )
    assert not list(tmp_path.glob(".*partial*"))


def test_filtered_mask_roundtrip(tmp_path):
    # the mask of the kept polygons (areas 75 and 146 m2: the larger is kept), holes and nodata
    mpath, _, grid = _mask_scene(tmp_path)
    out = str(tmp_path / "kept.tif")
    polygons_from_mask(mpath, str(tmp_path / "kept.gpkg"), min_area=100, filtered_mask_path=out)
    arr, _ = read_array(out)
    ref, _ = read_array(mpath)
    big = np.zeros_like(ref[0])
    big[10:30, 10:40] = 1
    big[18:22, 20:24] = 0
    big[70:80, 0:10] = 255
    np.testing.assert_array_equal(arr[0], big)


def test_change_types():
    t = change_types(np.array([0.1, 0.9, 0.8, 0.2]), np.array([0.9, 0.1, 0.7, np.nan]))
    assert list(t) == ["new building", "demolished building", "modified", "modified"]
    # at the building masks' thresholds (the bundled model's 0.30): the same polygons, read as
    # the building masks of the same run read them
    b1, b2 = np.array([0.2, 0.4, 0.1]), np.array([0.35, 0.1, 0.25])
    t = change_types(b1, b2, thresholds=(0.3, 0.3))
    assert list(t) == ["new building", "demolished building", "modified"]
    assert list(change_types(b1, b2)) == ["modified", "modified", "modified"]


# ---------------------------------------------------------------------------------------------
# The raster pre-sieve of polygons_from_mask changes nothing but the speed

N_PX = 50  # min_area 12.5 m2 at 0.25 m2 per pixel


def _noisy_scene(tmp_path, rng):
    """300 x 300 mask (0.5 m UTM pixels, nodata 255): buildings of 100-400 px, one with a
    courtyard holding a speck, salt blobs of 1-20 px, components of exactly N_PX - 1 and N_PX
    pixels, a long building and a thin small one across tile borders, a few nodata pixels; and
    a probability raster."""
    h = w = 300
    mask = np.zeros((h, w), np.uint8)
    for _ in range(40):
        bh, bw = rng.integers(8, 21, size=2)
        y, x = rng.integers(0, h - bh), rng.integers(0, w - bw)
        mask[y : y + bh, x : x + bw] = 1
    mask[100:120, 150:170] = 1  # courtyard building: the speck in its hole is sieved
    mask[105:115, 155:165] = 0
    mask[109:111, 159:161] = 1
    mask[2:9, 2:9] = 1  # 49 px: dropped
    mask[2:7, 20:30] = 1  # 50 px: kept
    mask[:, 30:31] = 0
    mask[:, 19:20] = 0
    mask[150:153, 0:300] = 1  # crosses every tile border along x
    mask[200:245, 40:41] = 1  # 45 px line crossing tile borders along y: dropped
    mask[:, 39] = 0
    mask[:, 41] = 0
    for _ in range(400):  # salt: random walks of 1-20 px
        y, x = rng.integers(0, h), rng.integers(0, w)
        for _ in range(rng.integers(1, 21)):
            mask[y, x] = 1
            dy, dx = ((0, 1), (1, 0), (0, -1), (-1, 0))[rng.integers(4)]
            y, x = int(np.clip(y + dy, 0, h - 1)), int(np.clip(x + dx, 0, w - 1))
    nod = rng.integers(0, h, size=(60, 2))
    mask[nod[:, 0], nod[:, 1]] = 255
    grid = Grid(w, h, GT, utm_wkt())
    mpath = write_array(str(tmp_path / "noisy.tif"), mask, grid, nodata=255)
    prob = rng.random((h, w)).astype(np.float32)
    ppath = write_array(str(tmp_path / "p.tif"), prob, grid, nodata=-9999)
    return mpath, ppath, mask


def _brute_force_sieve(mask):
    """0/1 mask of the 4-connected components of >= N_PX valid 1-pixels, on the whole array."""
    labels, n = ndimage.label(mask == 1)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    big = sizes >= N_PX
    big[0] = False
    return big[labels].astype(np.uint8)


def _features(path):
    ds = ogr.Open(path)
    layer = ds.GetLayer(0)
    out = []
    for feat in layer:
        fields = tuple(feat.GetField(i) for i in range(feat.GetFieldCount()))
        out.append((feat.GetGeometryRef().ExportToWkt(), fields))
    return out


@pytest.mark.parametrize(("tile", "max_halo"), [(64, 256), (40, 3)])
def test_presieve_changes_nothing(tmp_path, rng, monkeypatch, tile, max_halo):
    mpath, ppath, mask = _noisy_scene(tmp_path, rng)
    monkeypatch.setattr(vector, "_SIEVE_TILE", tile)
    monkeypatch.setattr(vector, "_SIEVE_MAX_HALO", max_halo)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    kwargs = dict(
        values={"prob": ppath},
        min_area=N_PX * 0.25,
        max_aspect_ratio=4.0,
        with_gi=True,
        change_type_from=("prob", "prob"),
    )
    results = {}
    for presieve in (True, False):
        monkeypatch.setattr(vector, "_PRESIEVE", presieve)
        out = str(tmp_path / f"p{presieve}.gpkg")
        fmask = str(tmp_path / f"m{presieve}.tif")
        _, count = polygons_from_mask(mpath, out, filtered_mask_path=fmask, **kwargs)
        results[presieve] = (count, _features(out), read_array(fmask)[0][0])
    (count, feats, fmask), (count0, feats0, fmask0) = results[True], results[False]
    assert count == count0 == len(feats) > 10
    assert feats == feats0  # same geometries, attributes and order
    np.testing.assert_array_equal(fmask, fmask0)
    expected = _brute_force_sieve(mask)
    assert ((fmask == 1) <= (expected == 1)).all()  # the GI filter drops some more
    np.testing.assert_array_equal(fmask == 255, mask == 255)
    assert not list(tmp_path.glob("mssfc_sieve_*"))  # the sieved copy is removed


@pytest.mark.parametrize(("tile", "halo_cap"), [(64, 256), (40, 3), (1024, 256)])
def test_sieve_mask_is_exact_with_a_full_halo_and_conservative_without(
    tmp_path, rng, monkeypatch, tile, halo_cap
):
    mpath, _, mask = _noisy_scene(tmp_path, rng)
    monkeypatch.setattr(vector, "_SIEVE_MAX_HALO", halo_cap)
    out = vector.sieve_mask(open_raster(mpath), str(tmp_path / "s.tif"), min_pixels=N_PX, tile=tile)
    sieved = out.read(out.grid.full)[0]
    expected = _brute_force_sieve(mask)
    if halo_cap >= N_PX:
        np.testing.assert_array_equal(sieved, expected)
    else:
        ones = (mask == 1).astype(np.uint8)
        assert (expected <= sieved).all() and (sieved <= ones).all()
        assert (sieved != expected).any()  # the tiny halo leaves fragments, filtered later
        labels, n = ndimage.label((sieved == 1) & (expected == 0))
        assert n and np.bincount(labels.ravel())[1:].max() < N_PX


def test_min_component_pixels():
    assert vector.min_component_pixels(12.5, 0.25) == 50
    assert vector.min_component_pixels(12.49, 0.25) == 50
    assert vector.min_component_pixels(12.51, 0.25) == 51
    assert vector.min_component_pixels(0.0, 0.25) == 0
    assert vector.min_component_pixels(5.0, 0.0) == 0
    rotated = Grid(10, 10, (0.0, 0.3, 0.4, 0.0, 0.4, -0.3))
    assert vector.pixel_area(rotated) == pytest.approx(0.25)
    assert vector.pixel_area(Grid(10, 10)) == 1.0  # pixel units


@pytest.mark.parametrize(
    "wkt",
    [
        "POLYGON ((0 0, 10 0, 10 4, 0 4, 0 0))",
        "POLYGON ((500000.5 4649776, 500010 4649776, 500010 4649700.25, 500000.5 4649776), "
        "(500002 4649770, 500004 4649770, 500004 4649768, 500002 4649770))",
        "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((5 5, 7 5, 7 9, 5 5)))",
        "POLYGON Z ((0 0 1, 3 0 1, 3 2 1, 0 0 1))",
        "POLYGON EMPTY",
    ],
)
def test_exterior_points_from_wkb_equal_the_ogr_points(wkt):
    geom = ogr.CreateGeometryFromWkt(wkt)
    np.testing.assert_array_equal(vector.exterior_points(geom), vector.ring_points(geom))


def _zonal_of_all_and_half(mpath, ppath, block):
    """(pixel counts, means) of every polygon and the means of every other one, as numpy
    arrays only: no GDAL object outlives the call (a failing assertion then reports cleanly)."""
    polys = polygonize(open_raster(mpath))
    src = {"prob": open_raster(ppath)}
    grid = open_raster(mpath).grid
    means = zonal_means(polys, grid, src, block=block)["prob"]
    half = polys.subset(np.arange(len(polys)) % 2 == 0)
    half_means = zonal_means(half, grid, src, block=block)["prob"]
    return np.round(polys.stats["area"] / 0.25).astype(int), means, half_means


@pytest.mark.parametrize("block", [24, 1024])
def test_zonal_means_of_many_polygons_equal_the_components(tmp_path, rng, block):
    # every polygon's mean is the mean over its connected component (4-connected), whether
    # polygons span many blocks or one; a subset's means come from its own polygons only
    mpath, ppath, mask = _noisy_scene(tmp_path, rng)
    prob = read_array(ppath)[0][0].astype(np.float64)
    labels, n = ndimage.label(mask == 1)
    comp_px = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    comp_mean = np.bincount(labels.ravel(), weights=prob.ravel(), minlength=n + 1)[1:] / comp_px
    pixels, means, half_means = _zonal_of_all_and_half(mpath, ppath, block)
    assert len(pixels) == n > 200
    got = sorted(zip(pixels, means))
    want = sorted(zip(comp_px, comp_mean))
    np.testing.assert_array_equal([g[0] for g in got], [w[0] for w in want])
    np.testing.assert_allclose([g[1] for g in got], [w[1] for w in want], rtol=1e-12)
    np.testing.assert_allclose(half_means, means[::2], rtol=1e-12)


def test_canceled_gpkg_writing_leaves_nothing(tmp_path):
    mpath, _, _ = _mask_scene(tmp_path)
    polys = polygonize(open_raster(mpath))
    out = tmp_path / "c.gpkg"
    with pytest.raises(Canceled):
        write_gpkg(str(out), polys, {"area": polys.stats["area"]}, is_canceled=lambda: True)
    assert not out.exists()
    assert not list(tmp_path.glob("*.gpkg*"))
