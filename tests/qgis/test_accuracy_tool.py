"""mssfc:accuracy through processing.run: the HTML report holds the figures and a plot."""

from __future__ import annotations

import numpy as np

from mssfc_qgis.core.raster import Grid, write_array
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


def test_accuracy_tool_report(provider, tmp_path):
    import processing

    ref = np.zeros((80, 80), np.uint8)
    ref[10:40, 10:40] = 1
    prob = np.full((80, 80), 0.1, np.float32)
    prob[15:40, 10:45] = 0.9
    grid = Grid(80, 80, GT, utm_wkt())
    r = write_array(str(tmp_path / "ref.tif"), ref, grid)
    p = write_array(str(tmp_path / "prob.tif"), prob, grid)
    res = processing.run(
        "mssfc:accuracy",
        {
            "PREDICTION": p,
            "REFERENCE": r,
            "OUTPUT_REPORT": str(tmp_path / "report.html"),
            "OUTPUT_TABLE": str(tmp_path / "m.csv"),
            "OUTPUT_ERRORS": str(tmp_path / "err.tif"),
        },
    )
    tp, fp, fn = 25 * 30, 25 * 5, 5 * 30
    assert res["PRECISION"] == tp / (tp + fp)
    assert res["RECALL"] == tp / (tp + fn)
    html = (tmp_path / "report.html").read_text()
    assert f"{res['F1']:.3f}" in html or f"{res['F1']:.4f}" in html
    assert html.count("data:image/png;base64,") >= 2  # confusion matrix, curve, error map
    assert "0.5" in html  # the default threshold is stated


def _two_layer_gpkg(path: str) -> str:
    """``aaa_few`` (listed first) holds the rectangle rows 10-20; ``buildings`` rows 10-40."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromWkt(utm_wkt())
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    for name, r1 in (("aaa_few", 20), ("buildings", 40)):
        layer = ds.CreateLayer(name, srs=srs, geom_type=ogr.wkbPolygon)
        x0, x1 = GT[0] + 10 * 0.5, GT[0] + 40 * 0.5
        y0, y1 = GT[3] - 10 * 0.5, GT[3] - r1 * 0.5
        feat = ogr.Feature(layer.GetLayerDefn())
        feat.SetGeometry(
            ogr.CreateGeometryFromWkt(
                f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"
            )
        )
        layer.CreateFeature(feat)
    ds = None
    return path


def test_accuracy_tool_reads_the_chosen_layer_of_a_geopackage(provider, tmp_path):
    """REFERENCE as QGIS names a layer of a multi-layer GeoPackage (file|layername=NAME): that
    layer is evaluated, not the file's first one."""
    import processing

    pred = np.zeros((80, 80), np.uint8)
    pred[10:40, 10:40] = 1
    p = write_array(str(tmp_path / "pred.tif"), pred, Grid(80, 80, GT, utm_wkt()))
    gpkg = _two_layer_gpkg(str(tmp_path / "multi.gpkg"))
    res = processing.run(
        "mssfc:accuracy",
        {
            "PREDICTION": p,
            "REFERENCE": f"{gpkg}|layername=buildings",
            "OUTPUT_REPORT": str(tmp_path / "report.html"),
        },
    )
    assert res["IOU"] == 1.0
    few = processing.run(
        "mssfc:accuracy",
        {
            "PREDICTION": p,
            "REFERENCE": f"{gpkg}|layername=aaa_few",
            "OUTPUT_REPORT": str(tmp_path / "few.html"),
        },
    )
    assert few["PRECISION"] == 1 / 3
