"""The unsupervised tools through processing.run; the Modeler chain equals mssfc:newlybuilt."""

from __future__ import annotations

import numpy as np
import pytest
from osgeo import ogr

from mssfc_qgis.core.demo_scene import make_scene, write_scene
from mssfc_qgis.core.raster import read_array
from mssfc_qgis.paths import resources_dir


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uscene")
    return {k: str(v) for k, v in write_scene(make_scene(seed=11, size=256), folder).items()}


@pytest.fixture(scope="module")
def nir_scene(tmp_path_factory):
    """R, G, B, NIR: brightness leaves band 4 out in every tool, so the chain still agrees."""
    folder = tmp_path_factory.mktemp("nscene")
    scene = make_scene(seed=11, size=256, nir=True)
    return {k: str(v) for k, v in write_scene(scene, folder).items()}


@pytest.fixture(scope="module")
def shifted_scene(tmp_path_factory):
    """T2 a third of a pixel off T1's grid (as real dates are), with one row fewer: T2 is
    resampled onto T1's grid, by the end-to-end tool and, through REFERENCE, by the chain."""
    from osgeo import gdal

    folder = tmp_path_factory.mktemp("sscene")
    paths = {k: str(v) for k, v in write_scene(make_scene(seed=11, size=256), folder).items()}
    src = gdal.Open(paths["t2"])
    gt = list(src.GetGeoTransform())
    gt[0] += gt[1] / 3
    gt[3] += gt[5] / 3
    shifted = gdal.Translate(str(folder / "t2_shifted.tif"), src, srcWin=[0, 0, 256, 255])
    shifted.SetGeoTransform(gt)
    shifted = None
    src = None
    return dict(paths, t2=str(folder / "t2_shifted.tif"))


def _features(path):
    ds = ogr.Open(path)
    layer = ds.GetLayer(0)
    rows = sorted(
        (
            round(f.GetField("area"), 3),
            round(f.GetField("gi"), 4),
            round(f.GetField("mean_likelihood"), 5),
        )
        for f in layer
    )
    return rows


def test_modeler_model_is_valid_for_the_modeler(provider):
    # the Graphical Modeler refused to run it ("This model is not valid"): 14 mandatory inputs
    # of its steps had no value; headless runs filled them from the tools' defaults
    from qgis.core import QgsProcessingModelAlgorithm

    from tests.conftest import REPO

    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(REPO / "resources" / "models" / "newlybuilt_chain.model3"))
    ok, issues = model.validate()
    assert ok, issues
    helps = model.helpContent()
    inputs = [d for d in model.parameterDefinitions() if not d.isDestination()]
    assert len(inputs) == 6
    for definition in inputs:  # each input is explained in the model's help
        assert helps.get(definition.name()), definition.name()


@pytest.mark.parametrize("which", ["scene", "nir_scene", "shifted_scene"])
def test_modeler_chain_equals_end_to_end(provider, which, request, tmp_path):
    import processing
    from qgis.core import QgsProcessingModelAlgorithm

    scene = request.getfixturevalue(which)

    end = processing.run(
        "mssfc:newlybuilt",
        {
            "INPUT_T1": scene["t1"],
            "INPUT_T2": scene["t2"],
            "OUTPUT_LIKELIHOOD": str(tmp_path / "e_lik.tif"),
            "OUTPUT_MASK": str(tmp_path / "e_mask.tif"),
            "OUTPUT_POLYGONS": str(tmp_path / "e.gpkg"),
        },
    )
    model = QgsProcessingModelAlgorithm()
    assert model.fromFile(str(resources_dir() / "models" / "newlybuilt_chain.model3"))
    chain = processing.run(
        model,
        {
            "t1": scene["t1"],
            "t2": scene["t2"],
            "angle": 4.0,
            "phi": 0.4,
            "gi": 4.0,
            "minarea": 20.0,
            "likelihood:likelihood": str(tmp_path / "c_lik.tif"),
            "GI filter:mask": str(tmp_path / "c_mask.tif"),
            "GI filter:polygons": str(tmp_path / "c.gpkg"),
        },
    )
    a, _ = read_array(end["OUTPUT_LIKELIHOOD"])
    b, _ = read_array(chain["likelihood:likelihood"])
    np.testing.assert_array_equal(a, b)
    m1, _ = read_array(end["OUTPUT_MASK"])
    m2, _ = read_array(chain["GI filter:mask"])
    np.testing.assert_array_equal(m1, m2)
    assert (m1 == 1).any()
    assert _features(end["OUTPUT_POLYGONS"]) == _features(chain["GI filter:polygons"])


def test_step_tools_and_segments(provider, scene, tmp_path):
    import processing

    res = processing.run(
        "mssfc:buildinglineindex",
        {
            "INPUT": scene["t2"],
            "OUTPUT": str(tmp_path / "bli.tif"),
            "OUTPUT_SEGMENTS": str(tmp_path / "s.gpkg"),
        },
    )
    ds = ogr.Open(res["OUTPUT_SEGMENTS"])
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() > 0
    res = processing.run(
        "mssfc:changeintensity",
        {
            "INPUT_T1": scene["t1"],
            "INPUT_T2": scene["t2"],
            "OUTPUT": str(tmp_path / "ci.tif"),
            "OUTPUT_COMPONENTS": str(tmp_path / "comp.tif"),
        },
    )
    comp, _ = read_array(res["OUTPUT_COMPONENTS"])
    assert comp.shape[0] == 3


def test_texture_window_takes_every_window_the_core_computes(provider, scene, tmp_path):
    # the parameter stopped at 31 while the core computes up to 63, and its message said 63
    import processing
    from qgis.core import QgsProcessingException

    params = {"INPUT_T1": scene["t1"], "INPUT_T2": scene["t2"]}
    res = processing.run(
        "mssfc:changeintensity", {**params, "TEXTURE_WINDOW": 41, "OUTPUT": str(tmp_path / "a.tif")}
    )
    ci, _ = read_array(res["OUTPUT"])
    assert np.isfinite(ci).all() and ci.max() > 0
    with pytest.raises(QgsProcessingException, match="odd number of pixels from 3 to 63, got 8"):
        processing.run(
            "mssfc:changeintensity",
            {**params, "TEXTURE_WINDOW": 8, "OUTPUT": str(tmp_path / "b.tif")},
        )
    assert not (tmp_path / "b.tif").exists()
    from mssfc_qgis.algorithms.unsupervised_common import MAX_TEXTURE_WINDOW
    from mssfc_qgis.core.unsupervised.texture import MAX_WINDOW

    assert MAX_TEXTURE_WINDOW == MAX_WINDOW


def test_bad_inputs_give_clear_errors(provider, scene, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException):
        processing.run(
            "mssfc:likelihood",
            {
                "INPUT_CI": scene["t1"],
                "INPUT_BI": scene["t2"],
                "THRESHOLD": 1.5,
                "OUTPUT_LIKELIHOOD": str(tmp_path / "l.tif"),
                "OUTPUT_MASK": str(tmp_path / "m.tif"),
            },
        )
    assert not (tmp_path / "l.tif").exists()

    with pytest.raises(QgsProcessingException, match="Visible band.*not among the bands read"):
        processing.run(
            "mssfc:newlybuilt",
            {
                "INPUT_T1": scene["t1"],
                "INPUT_T2": scene["t2"],
                "BANDS": [1, 2],
                "VISIBLE_BANDS": [3],
                "OUTPUT_LIKELIHOOD": str(tmp_path / "nb_l.tif"),
                "OUTPUT_MASK": str(tmp_path / "nb_m.tif"),
                "OUTPUT_POLYGONS": str(tmp_path / "nb.gpkg"),
            },
        )
    assert not list(tmp_path.glob("nb*"))


def test_qgis_process_newlybuilt_on_levir(tmp_path):
    """Headless: qgis_process.bin --json run mssfc:newlybuilt on a real LEVIR-CD test pair."""
    from tests.conftest import run_qgis_process, shared_data

    folder = shared_data("levir-cd-256")
    stem = (folder / "list" / "demo.txt").read_text().split()[0]
    stem = stem if stem.endswith(".png") else f"{stem}.png"
    results = run_qgis_process(
        "mssfc:newlybuilt",
        f"INPUT_T1={folder / 'A' / stem}",
        f"INPUT_T2={folder / 'B' / stem}",
        "PIXEL_SIZE=0.5",
        f"OUTPUT_LIKELIHOOD={tmp_path / 'lik.tif'}",
        f"OUTPUT_MASK={tmp_path / 'mask.tif'}",
        f"OUTPUT_POLYGONS={tmp_path / 'new.gpkg'}",
    )
    for key in ("OUTPUT_LIKELIHOOD", "OUTPUT_MASK", "OUTPUT_POLYGONS"):
        assert (tmp_path / results[key].split("/")[-1]).exists()
    mask, grid = read_array(results["OUTPUT_MASK"])
    assert (grid.width, grid.height) == (256, 256)
    assert set(np.unique(mask)) <= {0, 1}


def test_enum_parameters_map_to_config_values(provider):
    from qgis.core import QgsProcessingContext

    from mssfc_qgis.algorithms.newly_built import NewlyBuiltAlgorithm
    from mssfc_qgis.algorithms.unsupervised_common import config_from
    from mssfc_qgis.core.newlybuilt import NewlyBuiltConfig

    alg = NewlyBuiltAlgorithm()
    alg.initAlgorithm()
    cfg = config_from(
        alg,
        {"METHOD": 3, "FUSION": 1, "LIKELIHOOD_MODE": 1, "ANGLE_TOLERANCE": 6, "TEXTURE_CHANGE": 1},
        QgsProcessingContext(),
    )
    assert (cfg.method, cfg.fusion, cfg.likelihood_mode) == ("spetexmbi", "decision", "sum")
    assert cfg.texture_change == "isfa"
    assert cfg.angle_tolerance_deg == 6.0 and cfg.fusion_weight == 0.4
    default = config_from(alg, {}, QgsProcessingContext())
    assert default.texture_change == "difference" == NewlyBuiltConfig().texture_change


def test_tools_use_the_cores_qgis_allows(provider):
    """The tiled tools compute on as many threads as QGIS's "Max cores to use" allows (every core
    when unset), capped so memory stays bounded."""
    import os

    from qgis.core import QgsApplication

    from mssfc_qgis.algorithms.base import MAX_WORKERS, compute_workers

    before = QgsApplication.maxThreads()
    cores = os.cpu_count() or 2
    try:
        QgsApplication.setMaxThreads(1)
        assert compute_workers() == 1
        # QGIS itself caps the setting at the machine's core count
        QgsApplication.setMaxThreads(2)
        assert compute_workers() == min(2, cores)
        QgsApplication.setMaxThreads(64)
        assert compute_workers() == min(cores, MAX_WORKERS)
        QgsApplication.setMaxThreads(-1)
        assert compute_workers() == min(cores, MAX_WORKERS)
    finally:
        QgsApplication.setMaxThreads(before)


def test_outputs_of_an_image_without_georeferencing_overlay_it_in_qgis(provider, tmp_path):
    """A PNG pair (no georeferencing): QGIS draws the image at x = column, y = -row; the
    rasters, the polygons and the segment lines land on it, not mirrored below it."""
    import processing
    from qgis.core import QgsRasterLayer, QgsVectorLayer

    from tests.conftest import shared_data

    folder = shared_data("levir-cd-256")
    stem = (folder / "list" / "demo.txt").read_text().split()[0]
    stem = stem if stem.endswith(".png") else f"{stem}.png"
    t1, t2 = str(folder / "A" / stem), str(folder / "B" / stem)
    res = processing.run(
        "mssfc:newlybuilt",
        {
            "INPUT_T1": t1,
            "INPUT_T2": t2,
            "MIN_AREA": 5,
            "OUTPUT_LIKELIHOOD": str(tmp_path / "lik.tif"),
            "OUTPUT_MASK": str(tmp_path / "mask.tif"),
            "OUTPUT_POLYGONS": str(tmp_path / "new.gpkg"),
        },
    )
    image = QgsRasterLayer(t2, "t2").extent()
    assert (image.xMinimum(), image.yMinimum(), image.xMaximum(), image.yMaximum()) == (
        0,
        -256,
        256,
        0,
    )
    for key in ("OUTPUT_LIKELIHOOD", "OUTPUT_MASK"):
        assert QgsRasterLayer(res[key], key).extent() == image
    polygons = QgsVectorLayer(res["OUTPUT_POLYGONS"], "new")
    assert polygons.featureCount() > 0
    assert image.contains(polygons.extent())
    mask, _ = read_array(res["OUTPUT_MASK"])
    for feature in polygons.getFeatures():
        point = feature.geometry().pointOnSurface().asPoint()
        assert mask[0, int(-point.y()), int(point.x())] == 1  # row = -y, column = x
    seg = processing.run(
        "mssfc:buildinglineindex",
        {
            "INPUT": t2,
            "OUTPUT": str(tmp_path / "bli.tif"),
            "OUTPUT_SEGMENTS": str(tmp_path / "s.gpkg"),
        },
    )
    lines = QgsVectorLayer(seg["OUTPUT_SEGMENTS"], "segments")
    assert lines.featureCount() > 0 and image.contains(lines.extent())
    assert QgsRasterLayer(seg["OUTPUT"], "bli").extent() == image
    # pixel units, not degrees: the layers were filed under GeoPackage's "Undefined geographic
    # SRS", so QGIS measured 1e12 m2 polygons and could put them in no projected project
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject

    utm = QgsCoordinateReferenceSystem("EPSG:32616")
    for layer in (polygons, lines):
        assert not layer.crs().isGeographic()
        move = QgsCoordinateTransform(layer.crs(), utm, QgsProject.instance())
        assert move.transformBoundingBox(layer.extent()) == layer.extent()


def test_newlybuilt_writes_only_the_outputs_asked_for(provider, scene, tmp_path):
    """Over a city an analyst may want the polygons only: the rasters can be skipped; skipping
    everything is refused."""
    import processing
    from qgis.core import QgsProcessingException

    res = processing.run(
        "mssfc:newlybuilt",
        {
            "INPUT_T1": scene["t1"],
            "INPUT_T2": scene["t2"],
            "OUTPUT_POLYGONS": str(tmp_path / "new.gpkg"),
        },
    )
    assert res["OUTPUT_LIKELIHOOD"] is None and res["OUTPUT_MASK"] is None
    assert res["COUNT"] > 0 and sorted(p.name for p in tmp_path.iterdir()) == ["new.gpkg"]
    with pytest.raises(QgsProcessingException, match="Every output is skipped"):
        processing.run("mssfc:newlybuilt", {"INPUT_T1": scene["t1"], "INPUT_T2": scene["t2"]})


@pytest.mark.parametrize("skip", ["null", "", "skip"])
def test_outputs_skipped_by_name_are_not_taken_for_one_file(provider, scene, tmp_path, skip):
    # `qgis_process ... OUTPUT_LIKELIHOOD= OUTPUT_MASK=` passes QGIS's NULL for both: they were
    # taken as one file named NULL and the run refused ("the same file")
    import processing
    from qgis.PyQt.QtCore import QVariant

    value = QVariant() if skip == "null" else skip
    res = processing.run(
        "mssfc:newlybuilt",
        {
            "INPUT_T1": scene["t1"],
            "INPUT_T2": scene["t2"],
            "OUTPUT_LIKELIHOOD": value,
            "OUTPUT_MASK": value,
            "OUTPUT_POLYGONS": str(tmp_path / "new.gpkg"),
        },
    )
    assert res["COUNT"] > 0 and sorted(p.name for p in tmp_path.iterdir()) == ["new.gpkg"]


def test_a_warning_is_shown_once_per_run():
    # the stages of mssfc:newlybuilt check the same things again (PIXEL_SIZE, for one)
    from qgis.core import QgsProcessingFeedback

    from mssfc_qgis.algorithms.base import FeedbackProgress

    class Recorder(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.warnings: list[str] = []

        def pushWarning(self, warning: str) -> None:  # noqa: N802 (QGIS's name)
            self.warnings.append(warning)

    feedback = Recorder()
    progress = FeedbackProgress(feedback)
    for message in ("PIXEL_SIZE overrides", "other", "PIXEL_SIZE overrides"):
        progress.warning(message)
    assert feedback.warnings == ["PIXEL_SIZE overrides", "other"]
