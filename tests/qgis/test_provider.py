"""The provider loads in QGIS, lists its tools with help and icons, and styles load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mssfc_qgis.provider import algorithm_classes
from tests.conftest import REPO, run_qgis_process

EXPECTED = {
    "demoscene",
    "buildingextraction",
    "changedetection",
    "newlybuilt_deep",
    "accuracy",
    "newlybuilt",
    "changeintensity",
    "morphologicalbuildingindex",
    "buildinglineindex",
    "buildingintensity",
    "likelihood",
    "gifilter",
}


def test_provider_lists_tools(provider):
    ids = {alg.name() for alg in provider.algorithms()}
    assert EXPECTED <= ids
    assert provider.id() == "mssfc" and provider.name() == "MSSFC building tools"
    for alg in provider.algorithms():
        assert alg.name() == alg.name().lower()
        assert len(alg.shortHelpString()) > 80, alg.name()
        assert alg.group() and alg.groupId()
        assert not alg.icon().isNull(), alg.name()


def test_provider_lists_tools_without_heavy_packages():
    """torch, onnxruntime and OpenCV blocked: the provider still lists every tool."""
    code = (
        "import sys\n"
        "for m in ('torch', 'onnxruntime', 'cv2', 'onnx'):\n"
        "    sys.modules[m] = None\n"
        "from mssfc_qgis.provider import algorithm_classes\n"
        "print(len(algorithm_classes()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert int(out.stdout.strip()) == len(algorithm_classes())


@pytest.mark.parametrize(
    ("style", "renderer"),
    [("mask", "paletted"), ("change", "paletted"), ("probability", "singlebandpseudocolor")],
)
def test_raster_styles_load(tmp_path, qgis_app, style, renderer):
    import numpy as np
    from qgis.core import QgsRasterLayer

    from mssfc_qgis.core.raster import Grid, write_array
    from mssfc_qgis.paths import style_path
    from tests.conftest import utm_wkt

    path = write_array(
        str(tmp_path / "m.tif"),
        np.zeros((8, 8), np.uint8),
        Grid(8, 8, (0, 1, 0, 8, 0, -1), utm_wkt()),
    )
    layer = QgsRasterLayer(path, "m")
    msg, ok = layer.loadNamedStyle(str(style_path(style)))
    assert ok, msg
    assert layer.renderer().type() == renderer


@pytest.mark.parametrize(
    ("style", "renderer"), [("polygons", "singleSymbol"), ("change_polygons", "categorizedSymbol")]
)
def test_vector_styles_load(qgis_app, style, renderer):
    from qgis.core import QgsVectorLayer

    from mssfc_qgis.paths import style_path

    layer = QgsVectorLayer("Polygon?crs=EPSG:32633&field=change_type:string", "p", "memory")
    msg, ok = layer.loadNamedStyle(str(style_path(style)))
    assert ok, msg
    assert layer.renderer().type() == renderer


def test_qgis_process_runs_a_tool(tmp_path):
    """A real headless run through scripts/qgis_process (qgis_process.bin) with --json."""
    results = run_qgis_process(
        "mssfc:demoscene", "SIZE=160", "SEED=3", f"OUTPUT_FOLDER={tmp_path}", timeout=300
    )
    t1 = Path(results["T1"])
    assert t1.exists() and t1.parent == tmp_path
