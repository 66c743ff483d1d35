"""Accuracy assessment on rasters and polygons: known counts, reprojection, undefined metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from osgeo import ogr, osr

from mssfc_qgis.core.assessment import assess
from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.raster import Grid, read_array, write_array
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


def _masks(tmp_path):
    ref = np.zeros((100, 120), np.uint8)
    ref[10:40, 10:50] = 1  # 1200 px
    ref[60:80, 70:100] = 1  # 600 px, missed entirely
    pred = np.zeros_like(ref)
    pred[10:40, 20:60] = 1  # 900 TP, 300 FP
    grid = Grid(120, 100, GT, utm_wkt())
    p = write_array(str(tmp_path / "pred.tif"), pred, grid)
    r = write_array(str(tmp_path / "ref.tif"), ref, grid)
    return p, r, pred, ref, grid


def test_mask_counts_and_outputs(tmp_path):
    p, r, pred, ref, _ = _masks(tmp_path)
    res = assess(
        p,
        r,
        out_errors=str(tmp_path / "err.tif"),
        out_report=str(tmp_path / "rep.html"),
        out_table=str(tmp_path / "t.csv"),
        block=64,
    )
    c = res.confusion
    assert (c.tp, c.fp, c.fn) == (900, 300, 300 + 600)
    assert c.tn == 120 * 100 - 900 - 300 - 900
    assert res.curve is None and res.threshold is None
    err, _ = read_array(str(tmp_path / "err.tif"))
    assert tuple(err[:, 20, 30]) == (255, 255, 255)  # TP white
    assert tuple(err[:, 20, 55]) == (255, 0, 0)  # FP red
    assert tuple(err[:, 70, 80]) == (0, 0, 255)  # FN blue
    assert tuple(err[:, 90, 5]) == (0, 0, 0)  # TN black
    html = (tmp_path / "rep.html").read_text()
    assert "data:image/png;base64," in html and f"{c.f1:.3f}"[:4] in html
    assert "f1" in (tmp_path / "t.csv").read_text()


def test_probability_without_threshold_uses_default_and_curve(tmp_path):
    _, r, pred, ref, grid = _masks(tmp_path)
    prob = np.where(pred == 1, 0.8, 0.1).astype(np.float32)
    pp = write_array(str(tmp_path / "prob.tif"), prob, grid)
    res = assess(pp, r)
    assert res.threshold == 0.5 and any("0.5" in n for n in res.notes)
    assert (res.confusion.tp, res.confusion.fp) == (900, 300)
    assert res.curve is not None and res.best is not None
    assert 0.1 < res.best.threshold <= 0.8


def test_reference_polygons_in_other_crs(tmp_path):
    p, _, pred, ref, grid = _masks(tmp_path)
    # the reference rectangles as polygons in EPSG:4326
    utm = osr.SpatialReference()
    utm.ImportFromWkt(utm_wkt())
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(utm, wgs)
    path = str(tmp_path / "ref.gpkg")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    layer = ds.CreateLayer("ref", srs=wgs, geom_type=ogr.wkbPolygon)
    for r0, r1, c0, c1 in ((10, 40, 10, 50), (60, 80, 70, 100)):
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for c, rr in ((c0, r0), (c1, r0), (c1, r1), (c0, r1), (c0, r0)):
            ring.AddPoint_2D(GT[0] + c * 0.5, GT[3] - rr * 0.5)
        poly = ogr.Geometry(ogr.wkbPolygon)
        poly.AddGeometry(ring)
        poly.Transform(ct)
        feat = ogr.Feature(layer.GetLayerDefn())
        feat.SetGeometry(poly)
        layer.CreateFeature(feat)
    ds = None
    res = assess(p, path)
    assert any("reprojected" in n for n in res.notes)
    c = res.confusion
    assert abs(c.tp - 900) <= 40 and abs(c.fn - 900) <= 60  # edges move by < 1 px in reprojection


def test_empty_reference_is_undefined_not_an_error(tmp_path):
    p, _, pred, ref, grid = _masks(tmp_path)
    empty = write_array(str(tmp_path / "empty.tif"), np.zeros_like(ref), grid)
    res = assess(p, empty, out_report=str(tmp_path / "r.html"))
    assert math.isnan(res.confusion.recall)
    assert res.confusion.f1 == 0.0  # every predicted pixel is false: F1 is 0, not undefined
    assert any(n.startswith("recall is undefined") for n in res.notes)
    assert (tmp_path / "r.html").exists()


def test_no_overlap(tmp_path):
    p, *_ = _masks(tmp_path)
    far = write_array(
        str(tmp_path / "far.tif"),
        np.zeros((10, 10), np.uint8),
        Grid(10, 10, (700000.0, 0.5, 0, 4649776.0, 0, -0.5), utm_wkt()),
    )
    with pytest.raises(MssfcError, match="do not overlap"):
        assess(p, far)


def test_both_polygons_refused(tmp_path):
    path = str(tmp_path / "a.gpkg")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    ds.CreateLayer("a", geom_type=ogr.wkbPolygon)
    ds = None
    with pytest.raises(MssfcError, match="Both the prediction and the reference are polygons"):
        assess(path, path)


def test_polygons_of_an_image_without_georeferencing_score_against_its_masks(tmp_path):
    """Polygons made from a PNG-like mask (no georeferencing: y = -row, where QGIS draws it)
    are burnt back onto the same pixels when assessed against a mask without georeferencing."""
    from mssfc_qgis.core.assessment import assess
    from mssfc_qgis.core.vector import polygons_from_mask

    mask = np.zeros((40, 60), np.uint8)
    mask[5:12, 8:30] = 1  # near the top: a flip would put it near the bottom
    mask[25:37, 40:55] = 1
    path = write_array(str(tmp_path / "m.tif"), mask, Grid(60, 40), nodata=255)
    gpkg, count = polygons_from_mask(path, str(tmp_path / "m.gpkg"))
    assert count == 2
    result = assess(gpkg, path)
    assert result.confusion.metrics()["iou"] == 1.0
