"""Accuracy assessment: which inputs are accepted and how they are read, the messages when they
are not, the threshold a probability prediction is cut at, and outputs left after a failure."""

from __future__ import annotations

import os

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from mssfc_qgis.core import assessment, report
from mssfc_qgis.core.assessment import assess, parse_vector_source
from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.raster import DEFAULT_GEOTRANSFORM, Grid, write_array
from tests.conftest import shared_data, utm_wkt

gdal.UseExceptions()

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)
RECTS = ((10, 40, 10, 50), (60, 80, 70, 100))  # rows r0-r1, columns c0-c1 of the reference
OUTPUTS = ("err.tif", "rep.html", "t.csv")


def _grid() -> Grid:
    return Grid(120, 100, GT, utm_wkt())


def _masks(tmp_path):
    """Prediction and reference 0/1 masks: TP 900, FP 300, FN 900 (as in test_assessment)."""
    ref = np.zeros((100, 120), np.uint8)
    for r0, r1, c0, c1 in RECTS:
        ref[r0:r1, c0:c1] = 1
    pred = np.zeros_like(ref)
    pred[10:40, 20:60] = 1
    p = write_array(str(tmp_path / "pred.tif"), pred, _grid())
    r = write_array(str(tmp_path / "ref.tif"), ref, _grid())
    return p, r, pred, ref


def _outputs(tmp_path) -> dict[str, str]:
    err, rep, table = (str(tmp_path / "out" / n) for n in OUTPUTS)
    return {"out_errors": err, "out_report": rep, "out_table": table}


def _left(tmp_path) -> list[str]:
    """Files under tmp_path/out (outputs, or their temporary names)."""
    out = tmp_path / "out"
    return sorted(p.name for p in out.rglob("*")) if out.exists() else []


def _counts(res) -> tuple[int, int, int]:
    c = res.confusion
    return c.tp, c.fp, c.fn


def _paletted(path: str, raw: np.ndarray, colours: dict[int, tuple[int, int, int]]) -> str:
    """A one-band byte GeoTIFF on the test grid with a colour table."""
    ds = gdal.GetDriverByName("GTiff").Create(path, raw.shape[1], raw.shape[0], 1, gdal.GDT_Byte)
    ds.SetGeoTransform(GT)
    ds.SetProjection(utm_wkt())
    band = ds.GetRasterBand(1)
    table = gdal.ColorTable()
    for value, rgb in colours.items():
        table.SetColorEntry(value, (*rgb, 255))
    band.SetRasterColorTable(table)
    band.SetRasterColorInterpretation(gdal.GCI_PaletteIndex)
    band.WriteArray(raw)
    band = None
    ds = None
    return path


def _set_metadata(path: str, key: str, value: str) -> None:
    ds = gdal.Open(path, gdal.GA_Update)
    ds.SetMetadataItem(key, value)
    ds = None


def _layers_gpkg(path: str, srs_epsg: int | None = None, dx: float = 0.0) -> str:
    """A GeoPackage with two polygon layers: ``aaa_few`` (the first rectangle only, listed
    first) and ``buildings`` (both rectangles), in the test grid's CRS or in EPSG:``srs_epsg``,
    ``dx`` metres east of the reference's."""
    utm = osr.SpatialReference()
    utm.ImportFromWkt(utm_wkt())
    utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    srs, ct = utm, None
    if srs_epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(srs_epsg)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        ct = osr.CoordinateTransformation(utm, srs)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    for name, rects in (("aaa_few", RECTS[:1]), ("buildings", RECTS)):
        layer = ds.CreateLayer(name, srs=srs, geom_type=ogr.wkbPolygon)
        for r0, r1, c0, c1 in rects:
            ring = ogr.Geometry(ogr.wkbLinearRing)
            for c, rr in ((c0, r0), (c1, r0), (c1, r1), (c0, r1), (c0, r0)):
                ring.AddPoint_2D(GT[0] + dx + c * 0.5, GT[3] - rr * 0.5)
            poly = ogr.Geometry(ogr.wkbPolygon)
            poly.AddGeometry(ring)
            if ct is not None:
                poly.Transform(ct)
            feat = ogr.Feature(layer.GetLayerDefn())
            feat.SetGeometry(poly)
            layer.CreateFeature(feat)
    ds = None
    return path


# --- 1. a layer of a multi-layer vector file ---------------------------------------------------


def test_parse_vector_source():
    assert parse_vector_source("a.gpkg") == assessment.VectorRef("a.gpkg")
    assert parse_vector_source("a.gpkg|layername=b") == assessment.VectorRef("a.gpkg", "b")
    assert parse_vector_source("a.gpkg|layerid=1") == assessment.VectorRef("a.gpkg", 1)
    ref = parse_vector_source("a.gpkg|layername=b|subset=\"x\" = 'a|b'")
    assert ref == assessment.VectorRef("a.gpkg", "b", "\"x\" = 'a|b'")


@pytest.mark.parametrize("epsg", [None, 4326])
def test_reference_layer_of_multilayer_gpkg(tmp_path, epsg):
    p, *_ = _masks(tmp_path)
    gpkg = _layers_gpkg(str(tmp_path / "multi.gpkg"), epsg)
    res = assess(p, f"{gpkg}|layername=buildings", block=64)
    tp, fp, fn = _counts(res)
    if epsg is None:
        assert (tp, fp, fn) == (900, 300, 900)
    else:  # reprojected: edges move by under a pixel
        assert abs(tp - 900) <= 40 and abs(fn - 900) <= 60
        assert any("reprojected" in n for n in res.notes)
    few = assess(p, f"{gpkg}|layername=aaa_few", block=64)
    assert few.confusion.fn < 400  # the second rectangle is not in that layer
    by_index = assess(p, f"{gpkg}|layerid=1", block=64)  # buildings, the second layer
    assert _counts(by_index) == (tp, fp, fn)


def test_prediction_and_area_layers_of_multilayer_gpkg(tmp_path):
    _, r, *_ = _masks(tmp_path)
    gpkg = _layers_gpkg(str(tmp_path / "multi.gpkg"))
    res = assess(f"{gpkg}|layername=aaa_few", r, area=f"{gpkg}|layername=aaa_few")
    assert _counts(res) == (1200, 0, 0)  # only the first rectangle's area is evaluated
    assert res.confusion.tn == 0


def test_multilayer_gpkg_without_layer_name_refused(tmp_path):
    p, *_ = _masks(tmp_path)
    gpkg = _layers_gpkg(str(tmp_path / "multi.gpkg"))
    with pytest.raises(MssfcError, match=r"2 layers \(aaa_few, buildings\).*layername=NAME"):
        assess(p, gpkg, **_outputs(tmp_path))
    with pytest.raises(MssfcError, match="no layer named 'houses'.*aaa_few, buildings"):
        assess(p, f"{gpkg}|layername=houses", **_outputs(tmp_path))
    assert _left(tmp_path) == []


# --- 2. paletted masks ------------------------------------------------------------------------


def test_black_and_white_palette_read_by_colour(tmp_path):
    p, _, pred, ref = _masks(tmp_path)
    # as the WHU labels: buildings are value 0, whose colour is white
    white0 = _paletted(str(tmp_path / "pal.tif"), 1 - ref, {0: (255, 255, 255), 1: (0, 0, 0)})
    res = assess(p, white0, block=64)
    assert _counts(res) == (900, 300, 900)
    assert any("colour table" in n and "white as building (value 0)" in n for n in res.notes)
    # a paletted prediction is read the same way
    pal_pred = _paletted(str(tmp_path / "palp.tif"), 1 - pred, {0: (255, 255, 255), 1: (0, 0, 0)})
    assert _counts(assess(pal_pred, white0, block=64)) == (900, 300, 900)


def test_class_colour_palette_refused(tmp_path):
    p, _, _, ref = _masks(tmp_path)
    classes = _paletted(str(tmp_path / "cls.tif"), ref, {0: (0, 0, 0), 1: (60, 16, 152)})
    with pytest.raises(MssfcError, match=r"reference .*cls\.tif is a paletted raster.*not black"):
        assess(p, classes, **_outputs(tmp_path))
    assert _left(tmp_path) == []


def test_whu_label_read_by_colour(tmp_path):
    """The WHU label stores buildings as 0 (white): about 27 % of 2_1199, where the image is
    brighter (roofs) than elsewhere (streets in shadow, trees). A mask of those pixels must
    match it exactly."""
    label = str(shared_data("whu-building-512", "label", "2_1199.tif"))
    raw = _read(label)
    building = raw == 0
    assert 0.25 < building.mean() < 0.29
    grey = _read(str(shared_data("whu-building-512", "image", "2_1199.tif"))).mean(axis=0)
    assert grey[building].mean() > grey[~building].mean() + 20
    pred = write_array(
        str(tmp_path / "pred.tif"),
        building.astype(np.uint8),
        Grid(512, 512, DEFAULT_GEOTRANSFORM, ""),
    )
    res = assess(pred, label)
    assert res.confusion.iou == 1.0 and res.confusion.fp == 0
    assert any("white as building (value 0)" in n for n in res.notes)


def _read(path: str) -> np.ndarray:
    ds = gdal.Open(path)
    return np.asarray(ds.ReadAsArray())


# --- 3. rasters that are not masks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("rgb", r"has 3 bands: it is an image or a colour-coded class map"),
        ("grey", r"is not a mask: it holds \d+ values besides 0"),
        ("fraction", r"is not a mask: it holds floating-point values from 0 to 0\.7"),
    ],
)
def test_reference_that_is_not_a_mask_refused(tmp_path, rng, kind, message):
    p, _, _, ref = _masks(tmp_path)
    data = {
        "rgb": rng.integers(0, 256, (3, 100, 120)).astype(np.uint8),
        "grey": rng.integers(0, 256, (100, 120)).astype(np.uint8),
        "fraction": (ref * 0.7).astype(np.float32),
    }[kind]
    bad = write_array(str(tmp_path / f"{kind}.tif"), data, _grid())
    with pytest.raises(MssfcError, match=r"The reference .*" + message):
        assess(p, bad, **_outputs(tmp_path))
    assert _left(tmp_path) == []


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("rgb", r"has 3 bands"),
        ("uint16", r"is neither a mask nor a probability raster: it holds \d+ values besides 0"),
        ("float", r"is neither a mask nor a probability raster: it holds floating-point values"),
    ],
)
def test_prediction_that_is_not_a_mask_refused(tmp_path, rng, kind, message):
    _, r, *_ = _masks(tmp_path)
    data = {
        "rgb": rng.integers(0, 256, (3, 100, 120)).astype(np.uint8),
        "uint16": rng.integers(0, 2000, (100, 120)).astype(np.uint16),
        "float": rng.uniform(0, 3, (100, 120)).astype(np.float32),
    }[kind]
    bad = write_array(str(tmp_path / f"{kind}.tif"), data, _grid())
    with pytest.raises(MssfcError, match=r"The prediction .*" + message):
        assess(bad, r, **_outputs(tmp_path))
    assert _left(tmp_path) == []


def test_masks_and_plugin_outputs_pass(tmp_path):
    _, r, pred, ref = _masks(tmp_path)
    ref255 = write_array(str(tmp_path / "ref255.tif"), ref * 255, _grid())
    # the plugin's masks: 0/1 with nodata 255; its probabilities: float32 with nodata -1
    nd_pred = pred.copy()
    nd_pred[:, :5] = 255
    mask = write_array(str(tmp_path / "m.tif"), nd_pred, _grid(), nodata=255)
    prob = np.where(pred == 1, 0.8, 0.1).astype(np.float32)
    prob[:, :5] = -1
    probability = write_array(str(tmp_path / "p.tif"), prob, _grid(), nodata=-1)
    as_float_mask = write_array(str(tmp_path / "f.tif"), ref.astype(np.float32), _grid())
    for p, rr in ((mask, ref255), (probability, r), (mask, as_float_mask)):
        res = assess(p, rr, block=64)
        assert _counts(res) == (900, 300, 900)
        assert res.confusion.total == 100 * 115


# --- 4. outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["out_report", "out_table", "out_errors"])
def test_unwritable_output_refused_before_anything_is_written(tmp_path, which):
    p, r, *_ = _masks(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "afile").write_text("")
    outputs = {**_outputs(tmp_path), which: str(tmp_path / "out" / "afile" / "x")}
    with pytest.raises(MssfcError, match="cannot be written to .*afile/x.*a file of that name"):
        assess(p, r, **outputs)
    assert _left(tmp_path) == ["afile"]


def test_output_on_an_input_or_another_output_refused(tmp_path):
    p, r, *_ = _masks(tmp_path)
    with pytest.raises(MssfcError, match="report would be written to .*which is an input"):
        assess(p, r, out_report=r)
    with pytest.raises(MssfcError, match="table would be written to .*which is the report"):
        assess(p, r, out_report=str(tmp_path / "a.html"), out_table=str(tmp_path / "a.html"))
    with pytest.raises(MssfcError, match="is a folder"):
        assess(p, r, out_table=str(tmp_path))
    assert not (tmp_path / "a.html").exists()


def test_failure_after_an_output_removes_the_outputs_written(tmp_path, monkeypatch):
    p, r, *_ = _masks(tmp_path)

    def fail(*_args, **_kwargs):
        raise MssfcError("disk full")

    monkeypatch.setattr(assessment, "write_csv", fail)
    with pytest.raises(MssfcError, match="disk full"):
        assess(p, r, **_outputs(tmp_path))
    assert _left(tmp_path) == []


def test_report_and_table_written_whole_or_not_at_all(tmp_path, monkeypatch):
    table = tmp_path / "t.csv"
    report.write_csv(table, [{"metric": "f1", "value": 0.5}])
    before = table.read_text()

    def fail(*_args):
        raise OSError("no space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(MssfcError, match=r"Cannot write .*t\.csv: no space left"):
        report.write_csv(table, [{"metric": "f1", "value": 0.9}])
    assert table.read_text() == before  # the previous file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]  # no temporary file


def test_report_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(MssfcError, match="Cannot create the folder"):
        report.write_csv(tmp_path / "afile" / "t.csv", [{"a": 1}])


# --- 5. messages in the accuracy tool's words -------------------------------------------------


def test_alignment_messages_speak_of_prediction_and_reference(tmp_path):
    p, _, _, ref = _masks(tmp_path)
    bare = write_array(str(tmp_path / "T1_ref.tif"), ref, Grid(120, 100, DEFAULT_GEOTRANSFORM, ""))
    with pytest.raises(MssfcError) as info:
        assess(p, bare, **_outputs(tmp_path))
    message = str(info.value)
    assert message.startswith("The reference has no georeferencing but the prediction has")
    assert "Georeference the reference" in message
    assert "T2" not in message and "date" not in message
    assert _left(tmp_path) == []
    # paths are left as they are, even when they hold "T1"
    far = write_array(
        str(tmp_path / "T1_far.tif"),
        ref,
        Grid(120, 100, (700000.0, 0.5, 0, 4649776.0, 0, -0.5), utm_wkt()),
    )
    with pytest.raises(MssfcError, match=r"^The prediction \(.*T1_far\.tif\) and the reference"):
        assess(far, p)


def test_alignment_notes_speak_of_prediction_and_reference(tmp_path):
    p, _, _, ref = _masks(tmp_path)
    coarse = write_array(
        str(tmp_path / "coarse.tif"),
        ref[::2, ::2].copy(),
        Grid(60, 50, (GT[0], 1.0, 0.0, GT[3], 0.0, -1.0), utm_wkt()),
    )
    res = assess(p, coarse)
    resampled = [n for n in res.notes if "resampled" in n]
    assert resampled and resampled[0].startswith("The reference was resampled (near) onto the")
    assert "prediction's grid" in resampled[0]
    assert not any("T1" in n or "T2" in n for n in res.notes)


# --- 6. the threshold of a probability prediction ---------------------------------------------


def _probability(tmp_path, recorded: str | None) -> str:
    """Probabilities 0.4 on the predicted rectangle, 0.1 elsewhere."""
    _, _, pred, _ = _masks(tmp_path)
    prob = np.where(pred == 1, 0.4, 0.1).astype(np.float32)
    path = write_array(str(tmp_path / "prob.tif"), prob, _grid(), nodata=-1)
    if recorded is not None:
        _set_metadata(path, "MSSFC_THRESHOLD", recorded)
    return path


def test_threshold_recorded_in_the_prediction_is_used(tmp_path):
    _, r, *_ = _masks(tmp_path)
    res = assess(_probability(tmp_path, "0.3"), r)
    assert res.threshold == pytest.approx(0.3)
    assert _counts(res) == (900, 300, 900)  # 0.4 >= 0.3
    assert any(
        "using 0.30, the threshold recorded in the prediction by the tool that made it" in n
        for n in res.notes
    )


def test_threshold_recorded_in_a_netcdf_prediction_is_used(tmp_path):
    # NetCDF keeps the item as a global attribute, read back as NC_GLOBAL#GDAL_MSSFC_THRESHOLD:
    # it was missed, and the prediction cut at 0.5
    from mssfc_qgis.core.formats import export_raster

    _, r, *_ = _masks(tmp_path)
    nc = str(tmp_path / "prob.nc")
    export_raster(_probability(tmp_path, "0.3"), nc)
    res = assess(nc, r)
    assert res.threshold == pytest.approx(0.3)
    assert _counts(res) == (900, 300, 900)


def test_no_threshold_given_or_recorded_uses_half(tmp_path):
    _, r, *_ = _masks(tmp_path)
    res = assess(_probability(tmp_path, None), r)
    assert res.threshold == 0.5
    assert _counts(res) == (0, 0, 1800)  # 0.4 < 0.5
    assert any("no threshold given or recorded: using 0.5" in n for n in res.notes)
    assert not any("bundled model" in n for n in res.notes)


def test_given_threshold_wins_over_the_recorded_one(tmp_path):
    _, r, *_ = _masks(tmp_path)
    res = assess(_probability(tmp_path, "0.3"), r, threshold=0.45)
    assert res.threshold == 0.45 and _counts(res) == (0, 0, 1800)
    assert any("records the threshold 0.30" in n and "using the given 0.45" in n for n in res.notes)


def test_unusable_recorded_threshold_is_ignored_and_said(tmp_path):
    _, r, *_ = _masks(tmp_path)
    res = assess(_probability(tmp_path, "high"), r)
    assert res.threshold == 0.5
    assert any("MSSFC_THRESHOLD='high'" in n and "ignored" in n for n in res.notes)


# --- polygons that cannot be placed on the raster ------------------------------------------------


def test_polygons_elsewhere_are_refused_not_scored_as_empty(tmp_path):
    # polygons of another place (here: 100 km east) were burnt onto nothing and scored as an
    # empty layer: F1 0, PA 1, and no word of why
    _, r, _, _ = _masks(tmp_path)
    gpkg = _layers_gpkg(str(tmp_path / "p.gpkg"))
    far = _layers_gpkg(str(tmp_path / "far.gpkg"), dx=100_000.0) + "|layername=buildings"
    with pytest.raises(MssfcError, match="prediction polygons .* do not overlap the raster"):
        assess(far, r, **_outputs(tmp_path))
    assert _left(tmp_path) == []
    # the same polygons where they belong are scored (the two rectangles exactly)
    res = assess(f"{gpkg}|layername=buildings", r)
    assert _counts(res)[1:] == (0, 0)


def test_polygons_in_a_crs_against_a_raster_without_one_are_refused(tmp_path):
    plain = np.zeros((100, 120), np.uint8)
    plain[10:40, 10:50] = 1
    r = write_array(str(tmp_path / "plain.tif"), plain, Grid(120, 100, DEFAULT_GEOTRANSFORM, ""))
    gpkg = _layers_gpkg(str(tmp_path / "p.gpkg"))
    with pytest.raises(MssfcError, match="in a CRS but the raster .* has no georeferencing"):
        assess(f"{gpkg}|layername=buildings", r)
