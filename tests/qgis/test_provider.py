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


def test_a_tool_whose_package_is_missing_says_how_to_install_it(tmp_path):
    """OpenCV blocked: the unsupervised tools stopped with a traceback ending in
    ModuleNotFoundError; they now name the package and the command for QGIS's Python."""
    import numpy as np

    from mssfc_qgis.core.raster import Grid, write_array
    from tests.conftest import utm_wkt

    image = write_array(
        str(tmp_path / "t2.tif"),
        np.zeros((3, 300, 300), np.uint8),
        Grid(300, 300, (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5), utm_wkt()),
    )
    code = (
        "import sys\n"
        "sys.modules['cv2'] = None\n"
        "from qgis.core import QgsApplication\n"
        "app = QgsApplication([], False)\n"
        "app.initQgis()\n"
        "sys.path.append('/usr/share/qgis/python/plugins')\n"
        "from processing.core.Processing import Processing\n"
        "Processing.initialize()\n"
        "import processing\n"
        "from qgis.core import QgsProcessingException\n"
        "from mssfc_qgis.provider import MssfcProvider\n"
        "provider = MssfcProvider()\n"
        "QgsApplication.processingRegistry().addProvider(provider)\n"
        "try:\n"
        f"    processing.run('mssfc:morphologicalbuildingindex', {{'INPUT': {image!r}, "
        f"'OUTPUT': {str(tmp_path / 'mbi.tif')!r}}})\n"
        "except QgsProcessingException as exc:\n"
        "    print('MESSAGE', exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    message = out.stdout[out.stdout.index("MESSAGE") :]
    assert "'opencv-python-headless==4.11.0.86'" in message
    assert f'"{sys.executable}" -m pip install' in message
    assert not (tmp_path / "mbi.tif").exists()


def test_demo_scene_tool_stops_on_cancel(provider, tmp_path):
    """The generator asked nothing: a cancel ran on to the end and wrote the scene."""
    import threading

    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    threading.Timer(0.5, feedback.cancel).start()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        processing.run(
            "mssfc:demoscene",
            {"SIZE": 1200, "OUTPUT_FOLDER": str(tmp_path / "scene")},
            feedback=feedback,
        )
    assert not list(tmp_path.rglob("*.tif"))
