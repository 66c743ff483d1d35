"""The bundled MSSFC-Net weights end to end on real imagery: a LEVIR-CD 1024 pair written as
GeoTIFFs with its coordinates (processing.run and qgis_process), and the NAIP 4-band dates."""

from __future__ import annotations

import json

import numpy as np
import pytest
from osgeo import gdal, osr

from mssfc_qgis.core.raster import Grid, read_array, write_array
from mssfc_qgis.paths import default_model_path
from tests.conftest import run_qgis_process, shared_data


def _levir_geotiffs(tmp_path):
    """test_7 T1/T2 as EPSG:4326 GeoTIFFs on the lon/lat box LEVIR publishes for it."""
    folder = shared_data("levir-cd-1024")
    box = json.loads((folder / "LEVIR_CD_name_coords.json").read_text())["test_7.png"]
    lon0, lat0, lon1, lat1 = box
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    out = []
    for date in ("A", "B"):
        data, _ = read_array(str(folder / date / "test_7.png"))
        h, w = data.shape[1:]
        gt = (lon0, (lon1 - lon0) / w, 0.0, lat0, 0.0, (lat1 - lat0) / h)
        out.append(
            write_array(
                str(tmp_path / f"test_7_{date}.tif"), data[:3], Grid(w, h, gt, srs.ExportToWkt())
            )
        )
    return out


@pytest.fixture(scope="module")
def bundled():
    path = default_model_path()
    if not path.exists():
        pytest.fail(f"the bundled weights are missing: {path}")
    return str(path)


def test_change_detection_on_levir_geotiffs(provider, bundled, tmp_path):
    import processing
    from qgis.core import QgsRasterLayer, QgsVectorLayer

    t1, t2 = _levir_geotiffs(tmp_path)
    res = processing.run(
        "mssfc:changedetection",
        {
            "INPUT_T1": t1,
            "INPUT_T2": t2,
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"),
            "OUTPUT_PROBABILITY": str(tmp_path / "prob.tif"),
            "OUTPUT_POLYGONS": str(tmp_path / "change.gpkg"),
        },
    )
    src = QgsRasterLayer(t1, "t1")
    out = QgsRasterLayer(res["OUTPUT_CHANGE"], "change")
    assert out.isValid() and out.crs().authid() == "EPSG:4326"
    assert out.extent() == src.extent()
    change, _ = read_array(res["OUTPUT_CHANGE"])
    prob, _ = read_array(res["OUTPUT_PROBABILITY"])
    assert set(np.unique(change)) <= {0, 1} and 0.0 <= prob.min() and prob.max() <= 1.0
    polys = QgsVectorLayer(res["OUTPUT_POLYGONS"], "p", "ogr")
    assert polys.isValid() and polys.crs().authid() == "EPSG:4326"
    assert polys.featureCount() == 0 or "change_type" in polys.fields().names()


def test_qgis_process_change_detection_on_levir(bundled, tmp_path):
    t1, t2 = _levir_geotiffs(tmp_path)
    results = run_qgis_process(
        "mssfc:changedetection",
        f"INPUT_T1={t1}",
        f"INPUT_T2={t2}",
        "DEVICE=0",
        f"OUTPUT_CHANGE={tmp_path / 'c.tif'}",
        f"OUTPUT_PROBABILITY={tmp_path / 'p.tif'}",
    )
    ds = gdal.Open(results["OUTPUT_CHANGE"])
    ref = gdal.Open(t1)
    assert ds.GetGeoTransform() == pytest.approx(ref.GetGeoTransform())
    assert (ds.RasterXSize, ds.RasterYSize) == (1024, 1024)


def test_building_extraction_on_naip_rgbn(provider, bundled, tmp_path):
    """4-band RGBN, 5 m, dates of 724 and 723 rows: bands 1-3 feed the model, T2 is aligned onto
    T1, the resolution gap is warned about."""
    import processing
    from qgis.core import QgsProcessingFeedback

    folder = shared_data("naip-multidate")
    images = sorted(folder.glob("*.tif"))
    messages: list[str] = []

    class Feedback(QgsProcessingFeedback):
        def pushWarning(self, warning):  # noqa: N802
            messages.append(warning)
            super().pushWarning(warning)

    res = processing.run(
        "mssfc:newlybuilt_deep",
        {
            "INPUT_T1": str(images[0]),
            "INPUT_T2": str(images[-1]),
            "OUTPUT_LIKELIHOOD": str(tmp_path / "l.tif"),
            "OUTPUT_MASK": str(tmp_path / "m.tif"),
            "OUTPUT_POLYGONS": str(tmp_path / "n.gpkg"),
        },
        feedback=Feedback(),
    )
    mask, grid = read_array(res["OUTPUT_MASK"])
    ds = gdal.Open(str(images[0]))  # outputs are on T1's grid (the common area)
    assert grid.crs_wkt and (grid.width, grid.height) == (ds.RasterXSize, ds.RasterYSize)
    assert grid.geotransform == pytest.approx(ds.GetGeoTransform())
    assert set(np.unique(mask)) <= {0, 1, 255}
    assert any("trained at 0.50 m" in m for m in messages)
