"""Outputs go where and in the format the user asked: another extension, memory:, a table."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr

from mssfc_qgis.core.demo_scene import make_scene, write_scene
from mssfc_qgis.core.raster import read_array


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fscene")
    return {k: str(v) for k, v in write_scene(make_scene(seed=5, size=192), folder).items()}


def _gi_filter(scene, polygons, mask):
    import processing

    return processing.run(
        "mssfc:gifilter",
        {
            "INPUT": scene["buildings_t2"],
            "LIKELIHOOD": scene["buildings_t2"],
            "OUTPUT_POLYGONS": polygons,
            "OUTPUT_MASK": mask,
        },
    )


def _areas(path):
    ds = ogr.Open(path)
    layer = ds.GetLayer(0)
    areas = sorted(round(f.GetField("area"), 3) for f in layer)
    ds = None
    return areas


def test_other_formats_hold_the_same_result(provider, scene, tmp_path):
    ref = _gi_filter(scene, str(tmp_path / "ref.gpkg"), str(tmp_path / "ref.tif"))
    res = _gi_filter(scene, str(tmp_path / "new.shp"), str(tmp_path / "new.img"))
    assert res["OUTPUT_POLYGONS"] == str(tmp_path / "new.shp")
    assert res["OUTPUT_MASK"] == str(tmp_path / "new.img")
    ds = gdal.Open(res["OUTPUT_MASK"])
    assert ds.GetDriver().ShortName == "HFA"
    ds = None
    a, grid_a = read_array(ref["OUTPUT_MASK"])
    b, grid_b = read_array(res["OUTPUT_MASK"])
    np.testing.assert_array_equal(a, b)
    assert grid_a.geotransform == grid_b.geotransform
    ds = ogr.Open(res["OUTPUT_POLYGONS"])
    assert ds.GetDriver().GetName() == "ESRI Shapefile"
    ds = None
    assert res["COUNT"] == ref["COUNT"] > 0
    assert _areas(res["OUTPUT_POLYGONS"]) == _areas(ref["OUTPUT_POLYGONS"])
    # only the asked files (and the shapefile's sidecars): no hidden working folders remain
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_memory_destination_gives_a_temporary_geopackage(provider, scene, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = _gi_filter(scene, "memory:", "TEMPORARY_OUTPUT")
    assert res["OUTPUT_POLYGONS"].endswith(".gpkg") and os.path.exists(res["OUTPUT_POLYGONS"])
    assert len(_areas(res["OUTPUT_POLYGONS"])) == res["COUNT"] > 0
    assert list(tmp_path.iterdir()) == []  # no file called "memory:" in the working folder


def test_tables_and_unknown_formats_are_refused_before_the_run(provider, scene, tmp_path):
    from qgis.core import QgsProcessingException

    table = f"ogr:dbname='{tmp_path / 'db.gpkg'}' table=\"buildings\" (geom)"
    with pytest.raises(QgsProcessingException, match="writes files, not database tables"):
        _gi_filter(scene, table, str(tmp_path / "m.tif"))
    with pytest.raises(QgsProcessingException, match="virtual"):
        _gi_filter(scene, str(tmp_path / "p.gpkg"), str(tmp_path / "m.vrt"))
    assert list(tmp_path.iterdir()) == []


def test_provider_offers_files_only(provider):
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById("mssfc:newlybuilt")
    dests = alg.destinationParameterDefinitions()
    assert dests and not any(d.supportsNonFileBasedOutput() for d in dests)
    assert provider.defaultVectorFileExtension(True) == "gpkg"
    assert provider.defaultRasterFileExtension() == "tif"


def test_a_failed_copy_removes_the_runs_other_outputs(provider, scene, tmp_path):
    """Change intensity as .img is fine, its 3 ISFA components cannot be an .asc (one band):
    the run fails with a message and leaves neither file."""
    import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="as AAIGrid"):
        processing.run(
            "mssfc:changeintensity",
            {
                "INPUT_T1": scene["t1"],
                "INPUT_T2": scene["t2"],
                "OUTPUT": str(tmp_path / "ci.img"),
                "OUTPUT_COMPONENTS": str(tmp_path / "components.asc"),
            },
        )
    assert list(tmp_path.iterdir()) == []


def test_an_output_may_not_overwrite_an_input_or_another_output(provider, scene, tmp_path):
    import hashlib
    import shutil

    import processing
    from qgis.core import QgsProcessingException, QgsProcessingOutputLayerDefinition

    mask = str(tmp_path / "mask.tif")
    shutil.copy(scene["buildings_t2"], mask)
    before = hashlib.sha256(Path(mask).read_bytes()).hexdigest()
    scene = dict(scene, buildings_t2=mask)
    with pytest.raises(QgsProcessingException, match="OUTPUT_MASK would overwrite the input INPUT"):
        _gi_filter(scene, str(tmp_path / "p.gpkg"), mask)
    # as the desktop dialog passes it, and as a relative path to the same file
    with pytest.raises(QgsProcessingException, match="would overwrite the input"):
        _gi_filter(scene, str(tmp_path / "p.gpkg"), QgsProcessingOutputLayerDefinition(mask))
    with pytest.raises(QgsProcessingException, match="OUTPUT_MASK would overwrite the input"):
        _gi_filter(scene, str(tmp_path / "p.gpkg"), os.path.relpath(mask))
    # without an extension the run adds .tif: the input (it was overwritten)
    with pytest.raises(QgsProcessingException, match="OUTPUT_MASK would overwrite the input"):
        _gi_filter(scene, str(tmp_path / "p.gpkg"), str(tmp_path / "mask"))
    assert hashlib.sha256(Path(mask).read_bytes()).hexdigest() == before
    with pytest.raises(QgsProcessingException, match="are the same file"):
        _gi_filter(scene, str(tmp_path / "same.tif"), str(tmp_path / "same.tif"))
    with pytest.raises(QgsProcessingException, match="are the same file"):
        processing.run(
            "mssfc:likelihood",
            {
                "INPUT_CI": scene["buildings_t2"],
                "INPUT_BI": scene["buildings_t2"],
                "OUTPUT_LIKELIHOOD": str(tmp_path / "same"),
                "OUTPUT_MASK": str(tmp_path / "same.tif"),
            },
        )
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".aux.xml")) == [
        "mask.tif"
    ]


def test_a_destination_without_extension_gets_the_default_one(provider, scene, tmp_path):
    res = _gi_filter(scene, str(tmp_path / "polys"), str(tmp_path / "mask"))
    assert res["OUTPUT_POLYGONS"] == str(tmp_path / "polys.gpkg")
    assert res["OUTPUT_MASK"] == str(tmp_path / "mask.tif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mask.tif", "polys.gpkg"]
    assert len(_areas(res["OUTPUT_POLYGONS"])) == res["COUNT"] > 0


@pytest.mark.parametrize("where", ["folder", "proc"])
def test_an_unwritable_destination_stops_the_run_before_it_writes(provider, scene, tmp_path, where):
    """A GeoPackage destination that is a folder, or lies on a file system that takes no files:
    the run stops at once with a message, and the other outputs are not written either."""
    from qgis.core import QgsProcessingException

    if where == "folder":
        (tmp_path / "taken.gpkg").mkdir()
        polygons, message = str(tmp_path / "taken.gpkg"), "it is a folder"
    else:
        polygons, message = "/proc/mssfc-test.gpkg", "Cannot write to /proc"
    import processing

    with pytest.raises(QgsProcessingException, match=message):
        processing.run(
            "mssfc:newlybuilt",
            {
                "INPUT_T1": scene["t1"],
                "INPUT_T2": scene["t2"],
                "OUTPUT_LIKELIHOOD": str(tmp_path / "likelihood.tif"),
                "OUTPUT_MASK": str(tmp_path / "mask.tif"),
                "OUTPUT_POLYGONS": polygons,
            },
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["taken.gpkg"] if where == "folder" else []
    )


def test_an_image_that_cannot_be_decoded_gives_a_message(provider, scene, tmp_path):
    """A GeoTIFF cut short (an interrupted download): its header opens, its pixels do not.
    The message names the file and what to do; nothing is written."""
    import processing
    from qgis.core import QgsProcessingException

    whole = Path(scene["t2"]).read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(whole[: len(whole) // 2])
    out = tmp_path / "out"
    with pytest.raises(QgsProcessingException, match=r"Cannot read the pixels of .*cut\.tif.*"):
        processing.run(
            "mssfc:morphologicalbuildingindex",
            {"INPUT": str(cut), "OUTPUT": str(out / "mbi.tif")},
        )
    assert not out.exists() or not list(out.iterdir())
