"""The three MSSFC-Net tools through processing.run, with a tiny ONNX model of known output."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import ogr

from mssfc_qgis.core.raster import Grid, read_array, write_array
from tests import tiny_onnx
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


@pytest.fixture
def scene(tmp_path):
    rng = np.random.default_rng(7)
    t1 = np.full((3, 96, 128), 40, np.uint8) + rng.integers(0, 10, (3, 96, 128)).astype(np.uint8)
    t2 = t1.copy()
    t2[:, 20:50, 30:70] = 230  # a bright new "building": change, building at T2 only
    grid = Grid(128, 96, GT, utm_wkt())
    a = write_array(str(tmp_path / "t1.tif"), t1, grid)
    b = write_array(str(tmp_path / "t2.tif"), t2, grid)
    model = tiny_onnx.build(tmp_path / "tiny.onnx")
    return a, b, str(model)


def test_change_detection_tool(provider, scene, tmp_path):
    import processing

    a, b, model = scene
    res = processing.run(
        "mssfc:changedetection",
        {
            "INPUT_T1": a,
            "INPUT_T2": b,
            "MODEL": model,
            "DEVICE": 2,
            "TILE_SIZE": 64,
            "OVERLAP": 16,
            "OUTPUT_CHANGE": str(tmp_path / "change.tif"),
            "OUTPUT_PROBABILITY": str(tmp_path / "prob.tif"),
            "OUTPUT_BUILDINGS_T2": str(tmp_path / "b2.tif"),
            "OUTPUT_POLYGONS": str(tmp_path / "change.gpkg"),
        },
    )
    change, grid = read_array(res["OUTPUT_CHANGE"])
    assert grid.geotransform == GT and grid.crs_wkt
    assert change[0, 20:50, 30:70].all() and change[0].sum() == 30 * 40
    ds = ogr.Open(res["OUTPUT_POLYGONS"])
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() == 1
    feat = layer.GetNextFeature()
    assert feat.GetField("change_type") == "new building"
    assert feat.GetField("area") == pytest.approx(30 * 40 * 0.25)
    assert 0.5 < feat.GetField("mean_probability") <= 1.0


def test_building_extraction_and_newlybuilt_tools(provider, scene, tmp_path):
    import processing

    a, b, model = scene
    res = processing.run(
        "mssfc:buildingextraction",
        {
            "INPUT": b,
            "MODEL": model,
            "TILE_SIZE": 64,
            "OUTPUT_MASK": str(tmp_path / "bm.tif"),
            "OUTPUT_PROBABILITY": str(tmp_path / "bp.tif"),
            "OUTPUT_POLYGONS": str(tmp_path / "b.gpkg"),
        },
    )
    mask, _ = read_array(res["OUTPUT_MASK"])
    assert mask[0, 20:50, 30:70].all() and mask[0].sum() == 30 * 40
    res = processing.run(
        "mssfc:newlybuilt_deep",
        {
            "INPUT_T1": a,
            "INPUT_T2": b,
            "MODEL": model,
            "TILE_SIZE": 64,
            "OUTPUT_LIKELIHOOD": str(tmp_path / "nl.tif"),
            "OUTPUT_MASK": str(tmp_path / "nm.tif"),
            "OUTPUT_POLYGONS": str(tmp_path / "n.gpkg"),
        },
    )
    ds = ogr.Open(res["OUTPUT_POLYGONS"])
    layer = ds.GetLayer(0)
    names = [
        layer.GetLayerDefn().GetFieldDefn(i).GetName()
        for i in range(layer.GetLayerDefn().GetFieldCount())
    ]
    assert {"area", "gi", "mean_likelihood", "mean_ci", "mean_bi"} <= set(names)
    feat = layer.GetNextFeature()
    assert feat.GetField("gi") == pytest.approx(40 / 30, rel=0.05)


def test_bad_model_and_no_overlap(provider, scene, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    a, b, model = scene
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x01garbage")
    with pytest.raises(QgsProcessingException, match="junk.onnx"):
        processing.run(
            "mssfc:changedetection",
            {
                "INPUT_T1": a,
                "INPUT_T2": b,
                "MODEL": str(junk),
                "OUTPUT_CHANGE": str(tmp_path / "c.tif"),
                "OUTPUT_PROBABILITY": str(tmp_path / "p.tif"),
            },
        )
    foreign = tiny_onnx.build(tmp_path / "foreign.onnx", props={"producer": "someone else"})
    with pytest.raises(QgsProcessingException, match="not an MSSFC-Net model"):
        processing.run(
            "mssfc:changedetection",
            {
                "INPUT_T1": a,
                "INPUT_T2": b,
                "MODEL": str(foreign),
                "OUTPUT_CHANGE": str(tmp_path / "c.tif"),
                "OUTPUT_PROBABILITY": str(tmp_path / "p.tif"),
            },
        )
    far = write_array(
        str(tmp_path / "far.tif"),
        np.zeros((3, 32, 32), np.uint8),
        Grid(32, 32, (600000.0, 0.5, 0, 4649776.0, 0, -0.5), utm_wkt()),
    )
    with pytest.raises(QgsProcessingException, match="do not overlap"):
        processing.run(
            "mssfc:changedetection",
            {
                "INPUT_T1": a,
                "INPUT_T2": far,
                "MODEL": model,
                "OUTPUT_CHANGE": str(tmp_path / "c.tif"),
                "OUTPUT_PROBABILITY": str(tmp_path / "p.tif"),
            },
        )
    assert not (tmp_path / "c.tif").exists() and not (tmp_path / "p.tif").exists()


def test_cuda_requested_without_gpu(provider, scene, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    from mssfc_qgis.core.onnx_model import load_model

    a, b, model = scene
    try:
        m = load_model(model, device="cuda")
    except Exception:
        m = None
    if m is not None:
        pytest.skip("this machine has a usable CUDA GPU")
    with pytest.raises(QgsProcessingException, match="CUDA"):
        processing.run(
            "mssfc:changedetection",
            {
                "INPUT_T1": a,
                "INPUT_T2": b,
                "MODEL": model,
                "DEVICE": 1,
                "OUTPUT_CHANGE": str(tmp_path / "c.tif"),
                "OUTPUT_PROBABILITY": str(tmp_path / "p.tif"),
            },
        )


def test_cancel_removes_partial_outputs(provider, scene, tmp_path):
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    a, b, model = scene
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda p: feedback.cancel() if p > 0 else None)
    with pytest.raises(QgsProcessingException, match="Canceled"):
        processing.run(
            "mssfc:changedetection",
            {
                "INPUT_T1": a,
                "INPUT_T2": b,
                "MODEL": model,
                "TILE_SIZE": 64,
                "OVERLAP": 16,
                "BATCH_SIZE": 1,
                "OUTPUT_CHANGE": str(tmp_path / "c.tif"),
                "OUTPUT_PROBABILITY": str(tmp_path / "p.tif"),
            },
            feedback=feedback,
        )
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith((".c", ".p", "c.", "p."))]
    assert leftovers == []
