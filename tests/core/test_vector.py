"""Polygons from masks: holes kept, attributes right, nodata excluded, written atomically."""

from __future__ import annotations

import numpy as np
from osgeo import ogr

from mssfc_qgis.core.raster import Grid, open_raster, read_array, write_array
from mssfc_qgis.core.vector import change_types, polygonize, rasterize_kept, write_gpkg, zonal_means
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


def test_rasterize_kept_roundtrip(tmp_path):
    mpath, _, grid = _mask_scene(tmp_path)
    src = open_raster(mpath)
    polys = polygonize(src)
    keep = polys.stats["area"] > 100
    out = rasterize_kept(str(tmp_path / "kept.tif"), polys, keep, grid, valid=src, block=32)
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
