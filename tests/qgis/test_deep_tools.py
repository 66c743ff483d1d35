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


def test_change_types_follow_the_building_thresholds(provider, scene, tmp_path):
    """The polygons' change types read the building probabilities at the thresholds that cut
    the building masks (the model's own: here 0.05 for buildings, 0.5 for change), not at 0.5:
    the new building's T1 probability, about 0.07, is a building at T1 in the T1 mask of the
    same run, so the change is "modified", not "new building"."""
    import json

    import processing

    a, b, _ = scene
    props = tiny_onnx.metadata()
    props["thresholds"] = json.dumps({"building_t1": 0.05, "building_t2": 0.05, "change": 0.5})
    model = str(tiny_onnx.build(tmp_path / "low.onnx", props=props))
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
            "OUTPUT_BUILDINGS_T1": str(tmp_path / "b1.tif"),
            "OUTPUT_POLYGONS": str(tmp_path / "change.gpkg"),
        },
    )
    b1, _ = read_array(res["OUTPUT_BUILDINGS_T1"])
    assert b1[0, 20:50, 30:70].all()
    ds = ogr.Open(res["OUTPUT_POLYGONS"])
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() == 1
    feat = layer.GetNextFeature()
    assert 0.05 < feat.GetField("mean_building_t1") < 0.5 < feat.GetField("mean_building_t2")
    assert feat.GetField("change_type") == "modified"


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
    mask, _ = read_array(res["OUTPUT_MASK"])
    assert mask[0, 20:50, 30:70].all()
    # MIN_AREA above the building's 300 m2 drops it from the mask too, not only the polygons
    res = processing.run(
        "mssfc:newlybuilt_deep",
        {
            "INPUT_T1": a,
            "INPUT_T2": b,
            "MODEL": model,
            "TILE_SIZE": 64,
            "MIN_AREA": 301,
            "OUTPUT_LIKELIHOOD": str(tmp_path / "nl2.tif"),
            "OUTPUT_MASK": str(tmp_path / "nm2.tif"),
        },
    )
    mask, _ = read_array(res["OUTPUT_MASK"])
    assert mask[0, 20:50, 30:70].sum() == 0 and set(np.unique(mask)) <= {0, 255}
    assert res["OUTPUT_POLYGONS"] is None


def test_building_extraction_reads_each_dates_own_bands(provider, scene, tmp_path):
    # BANDS picks the image's bands; they were applied to INPUT_T2 as well: with a 4-band
    # image (BANDS 4, 3, 2) beside an RGB second date the run failed, and a BGR image's
    # BANDS 3, 2, 1 swapped the second date's red and blue
    import processing

    a, b, model = scene
    t1, grid = read_array(a)
    four = write_array(str(tmp_path / "four.tif"), np.concatenate([t1[2:], t1[::-1]]), grid)
    params = {"MODEL": model, "TILE_SIZE": 64, "INPUT_T2": b}
    res = processing.run(
        "mssfc:buildingextraction",
        {
            **params,
            "INPUT": four,  # bands 4, 3, 2 of it are t1's red, green, blue
            "BANDS": [4, 3, 2],
            "OUTPUT_MASK": str(tmp_path / "m4.tif"),
            "OUTPUT_PROBABILITY": str(tmp_path / "p4.tif"),
        },
    )
    ref = processing.run(
        "mssfc:buildingextraction",
        {
            **params,
            "INPUT": a,
            "OUTPUT_MASK": str(tmp_path / "m.tif"),
            "OUTPUT_PROBABILITY": str(tmp_path / "p.tif"),
        },
    )
    got, _ = read_array(res["OUTPUT_PROBABILITY"])
    want, _ = read_array(ref["OUTPUT_PROBABILITY"])
    np.testing.assert_allclose(got, want, atol=1e-6)
    mask, _ = read_array(res["OUTPUT_MASK"])
    assert mask[0, 20:50, 30:70].all()


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


def test_cancel_while_polygons_are_made_leaves_no_output(provider, scene, tmp_path, monkeypatch):
    # the mask and probability were committed before the polygons; a cancel there left them,
    # with the message "Canceled: no output was written"
    import processing
    from qgis.core import QgsProcessingException

    from mssfc_qgis.core import vector
    from mssfc_qgis.core.errors import Canceled

    def canceled(*args, **kwargs):
        raise Canceled("Canceled by the user.")

    monkeypatch.setattr(vector, "polygons_from_mask", canceled)
    a, b, model = scene
    with pytest.raises(QgsProcessingException, match="Canceled"):
        processing.run(
            "mssfc:changedetection",
            {
                "INPUT_T1": a,
                "INPUT_T2": b,
                "MODEL": model,
                "TILE_SIZE": 64,
                "OUTPUT_CHANGE": str(tmp_path / "out_change.tif"),
                "OUTPUT_PROBABILITY": str(tmp_path / "out_prob.tif"),
                "OUTPUT_BUILDINGS_T1": str(tmp_path / "out_b1.tif"),
                "OUTPUT_POLYGONS": str(tmp_path / "out_change.gpkg"),
            },
        )
    assert sorted(p.name for p in tmp_path.glob("out_*")) == []
