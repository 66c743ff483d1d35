"""Outputs copied into the format of the destination's extension (core.formats)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from mssfc_qgis.core.errors import Canceled, MssfcError
from mssfc_qgis.core.formats import driver_for, export_raster, export_vector, is_native
from mssfc_qgis.core.raster import Grid, read_array, write_array

UTM = osr.SpatialReference()
UTM.ImportFromEPSG(32633)


def _grid(width: int = 40, height: int = 30) -> Grid:
    return Grid(width, height, (500000.0, 0.5, 0.0, 4000000.0, 0.0, -0.5), UTM.ExportToWkt())


def _raster(path, bands: int = 1) -> np.ndarray:
    data = np.random.default_rng(3).random((bands, 30, 40)).astype(np.float32)
    data[:, :2, :3] = -9999.0
    write_array(str(path), data, _grid(), nodata=-9999.0)
    return data


def _gpkg(path) -> None:
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("objects", srs=UTM, geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("area", ogr.OFTReal))
    layer.CreateField(ogr.FieldDefn("mean_likelihood", ogr.OFTReal))
    for i in range(3):
        feature = ogr.Feature(layer.GetLayerDefn())
        x = 500000 + 10 * i
        feature.SetGeometry(
            ogr.CreateGeometryFromWkt(
                f"POLYGON(({x} 4000000,{x + 4} 4000000,{x + 4} 3999996,{x} 3999996,{x} 4000000))"
            )
        )
        feature.SetField("area", 16.0)
        feature.SetField("mean_likelihood", 0.1 * i)
        layer.CreateFeature(feature)
    ds = None


@pytest.mark.parametrize(
    ("name", "kind", "driver"),
    [
        ("a.img", "raster", "HFA"),
        ("a.TIF", "raster", "GTiff"),
        ("a.sdat", "raster", "SAGA"),
        ("a.shp", "vector", "ESRI Shapefile"),
        ("a.geojson", "vector", "GeoJSON"),
        ("a.json", "vector", "GeoJSON"),
        ("a.gpkg", "vector", "GPKG"),
    ],
)
def test_driver_for_extension(name, kind, driver):
    assert driver_for(name, kind) == driver


def test_driver_for_refuses_what_it_cannot_write():
    with pytest.raises(MssfcError, match="virtual"):
        driver_for("out.vrt", "raster")
    with pytest.raises(MssfcError, match=r"\.xyz"):
        driver_for("out.xyz", "vector")
    with pytest.raises(MssfcError, match="no file extension"):
        driver_for("out", "raster")


def test_native_extensions():
    assert is_native("a/b.tif", "raster") and is_native("B.TIFF", "raster")
    assert not is_native("b.img", "raster") and not is_native("b.gpkg", "raster")
    assert is_native("b.gpkg", "vector") and not is_native("b.shp", "vector")


def test_export_raster_keeps_grid_values_and_nodata(tmp_path):
    data = _raster(tmp_path / "src.tif")
    done = export_raster(str(tmp_path / "src.tif"), str(tmp_path / "out.img"))
    assert str(tmp_path / "out.img") in done.files
    ds = gdal.Open(str(tmp_path / "out.img"))
    assert ds.GetDriver().ShortName == "HFA"
    assert ds.GetGeoTransform() == _grid().geotransform
    assert osr.SpatialReference(ds.GetProjection()).GetAuthorityCode(None) == "32633"
    band = ds.GetRasterBand(1)
    assert band.GetNoDataValue() == -9999.0
    np.testing.assert_array_equal(band.ReadAsArray(), data[0])
    ds = None
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_export_raster_failure_leaves_nothing(tmp_path):
    _raster(tmp_path / "src.tif", bands=3)
    with pytest.raises(MssfcError, match="Cannot write .*out.asc as AAIGrid"):
        export_raster(str(tmp_path / "src.tif"), str(tmp_path / "out.asc"))  # 1 band only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.tif"]


def test_export_raster_cancel_leaves_nothing(tmp_path):
    _raster(tmp_path / "src.tif")
    with pytest.raises(Canceled):
        export_raster(
            str(tmp_path / "src.tif"), str(tmp_path / "out.img"), is_canceled=lambda: True
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.tif"]


def test_export_vector_to_shapefile(tmp_path):
    _gpkg(tmp_path / "src.gpkg")
    done = export_vector(str(tmp_path / "src.gpkg"), str(tmp_path / "new.shp"))
    assert done.notes == ["ESRI Shapefile renamed the field mean_likelihood to mean_likel."]
    names = {"new.shp", "new.shx", "new.dbf", "new.prj"}
    assert names <= {p.name for p in tmp_path.iterdir()}
    assert names <= {os.path.basename(f) for f in done.files}
    ds = ogr.Open(str(tmp_path / "new.shp"))
    layer = ds.GetLayer(0)
    assert layer.GetFeatureCount() == 3
    assert layer.GetSpatialRef().GetAuthorityCode(None) == "32633"
    assert sorted(round(f.GetField("mean_likel"), 3) for f in layer) == [0.0, 0.1, 0.2]
    ds = None


def test_export_vector_to_csv_keeps_the_polygons(tmp_path):
    # a CSV wrote the attributes only, while the log said the polygons were written
    _gpkg(tmp_path / "src.gpkg")
    export_vector(str(tmp_path / "src.gpkg"), str(tmp_path / "new.csv"))
    ds = ogr.Open(str(tmp_path / "new.csv"))
    layer = ds.GetLayer(0)
    areas = []
    for feature in layer:  # a geometry belongs to its feature: read it while the feature lives
        shape = feature.GetGeometryRef()
        areas.append(None if shape is None else round(shape.Area(), 6))
    assert areas == [16.0, 16.0, 16.0]
    ds = None


def test_export_vector_cancel_leaves_nothing(tmp_path):
    _gpkg(tmp_path / "src.gpkg")
    with pytest.raises(Canceled):
        export_vector(
            str(tmp_path / "src.gpkg"), str(tmp_path / "new.shp"), is_canceled=lambda: True
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.gpkg"]


def test_exported_remove_deletes_every_file(tmp_path):
    _gpkg(tmp_path / "src.gpkg")
    export_vector(str(tmp_path / "src.gpkg"), str(tmp_path / "new.shp")).remove()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.gpkg"]


def test_read_back_through_the_plugin_reader(tmp_path):
    """An exported raster is an ordinary input for the next tool."""
    data = _raster(tmp_path / "src.tif")
    export_raster(str(tmp_path / "src.tif"), str(tmp_path / "out.img"))
    back, _ = read_array(str(tmp_path / "out.img"))
    np.testing.assert_array_equal(back[0], data[0])


def test_a_failed_move_leaves_no_half_shapefile(tmp_path, monkeypatch):
    from mssfc_qgis.core import formats

    _gpkg(tmp_path / "src.gpkg")
    real = os.replace

    def full_disk(a, b):
        if str(b).endswith(".shx"):  # moved last: .dbf, .prj and .shp are in place by then
            raise OSError("No space left on device")
        real(a, b)

    monkeypatch.setattr(formats.os, "replace", full_disk)
    with pytest.raises(MssfcError, match="No space left"):
        export_vector(str(tmp_path / "src.gpkg"), str(tmp_path / "new.shp"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.gpkg"]
