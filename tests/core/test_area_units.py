"""Areas and lengths in metres whatever the raster's CRS: metres, degrees, feet or none."""

from __future__ import annotations

import math

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from mssfc_qgis.core.newlybuilt import (
    NewlyBuiltConfig,
    objects_stage,
    pixel_size_metres,
    square_metres_per_map_unit,
)
from mssfc_qgis.core.raster import Grid, metres_per_degree, write_array

osr.UseExceptions()


def _srs(epsg: int) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _ground_sides(grid: Grid, epsg_utm: int) -> tuple[float, float]:
    """East-west and north-south ground size (m) of the centre pixel, projected to UTM."""
    ct = osr.CoordinateTransformation(_srs(4326), _srs(epsg_utm))
    gt = grid.geotransform
    x, y = gt[0] + gt[1] * grid.width / 2, gt[3] + gt[5] * grid.height / 2
    x0, y0, _ = ct.TransformPoint(x, y)
    x1, _, _ = ct.TransformPoint(x + gt[1], y)
    _, y2, _ = ct.TransformPoint(x, y + gt[5])
    return abs(x1 - x0), abs(y2 - y0)


@pytest.mark.parametrize(("lat", "epsg_utm"), [(0.5, 32631), (47.0, 32614), (64.0, 32633)])
def test_geographic_pixel_size_is_the_ground_pixel(lat, epsg_utm):
    lon = {32631: 3.0, 32614: -99.0, 32633: 15.0}[epsg_utm]
    step = 5e-5  # about 5 m
    grid = Grid(200, 200, (lon, step, 0.0, lat + 100 * step, 0.0, -step), _srs(4326).ExportToWkt())
    ew, ns = _ground_sides(grid, epsg_utm)
    # the UTM scale factor (0.9996 on the central meridian, up to ~1.0004 off it) is the tolerance
    assert pixel_size_metres(grid) == pytest.approx(math.sqrt(ew * ns), rel=1.5e-3)
    gsd = pixel_size_metres(grid)
    assert square_metres_per_map_unit(grid, gsd) * step * step == pytest.approx(ew * ns, rel=3e-3)


def test_metre_grids_keep_map_units_exactly():
    for size in (0.3, 0.5, 1.0):
        grid = Grid(10, 10, (500000.0, size, 0.0, 0.0, 0.0, -size), _srs(32633).ExportToWkt())
        assert square_metres_per_map_unit(grid, pixel_size_metres(grid)) == 1.0


def test_us_feet_grid():
    grid = Grid(10, 10, (0.0, 2.0, 0.0, 0.0, 0.0, -2.0), _srs(2263).ExportToWkt())  # NY ftUS
    gsd = pixel_size_metres(grid)
    assert gsd == pytest.approx(2 * 1200 / 3937, rel=1e-9)
    assert square_metres_per_map_unit(grid, gsd) == pytest.approx((1200 / 3937) ** 2, rel=1e-9)


def _mask_with_two_squares(path, grid: Grid) -> None:
    """uint8 mask: a 4 x 4 and a 12 x 12 pixel square (1), background 0."""
    mask = np.zeros((40, 40), np.uint8)
    mask[4:8, 4:8] = 1
    mask[20:32, 20:32] = 1
    write_array(str(path), mask, grid, nodata=255)


def _areas(path) -> list[float]:
    ds = ogr.Open(str(path))
    layer = ds.GetLayer(0)
    areas = sorted(f.GetField("area") for f in layer)
    ds = None
    return areas


def test_min_area_is_square_metres_in_degrees_too(tmp_path):
    """A 4 x 4 and a 12 x 12 square of ~1 m pixels: MIN_AREA 20 m2 keeps the 144 m2 one only,
    in a UTM grid and in the same place in degrees (where 20 map units squared would remove
    both); the area attribute is square metres in both."""
    utm = Grid(40, 40, (500000.0, 1.0, 0.0, 5200000.0, 0.0, -1.0), _srs(32633).ExportToWkt())
    # about 1 m at 47 degrees north
    deg = Grid(40, 40, (15.0, 1.3e-5, 0.0, 47.0, 0.0, -9e-6), _srs(4326).ExportToWkt())
    for name, grid in (("utm", utm), ("deg", deg)):
        _mask_with_two_squares(tmp_path / f"{name}.tif", grid)
        _, count = objects_stage(str(tmp_path / f"{name}.tif"), str(tmp_path / f"{name}.gpkg"))
        assert count == 1, name
    assert _areas(tmp_path / "utm.gpkg") == [144.0]
    ew, ns = _ground_sides(deg, 32633)
    assert _areas(tmp_path / "deg.gpkg") == [pytest.approx(144 * ew * ns, rel=3e-3)]


def test_min_area_without_georeferencing_follows_the_pixel_size(tmp_path):
    """No CRS: 0.5 m pixels are assumed (or PIXEL_SIZE), so 20 m2 is 80 pixels, as in the
    in-memory pipeline: the 16 px square goes, the 144 px one (36 m2) stays."""
    _mask_with_two_squares(tmp_path / "m.tif", Grid(40, 40))
    ds = gdal.Open(str(tmp_path / "m.tif"))
    assert not ds.GetProjection()
    ds = None
    _, count = objects_stage(str(tmp_path / "m.tif"), str(tmp_path / "a.gpkg"))
    assert count == 1 and _areas(tmp_path / "a.gpkg") == [36.0]
    _, count = objects_stage(str(tmp_path / "m.tif"), str(tmp_path / "b.gpkg"), pixel_size=2.0)
    assert count == 2 and _areas(tmp_path / "b.gpkg") == [64.0, 576.0]


def test_deep_tools_area_scale(tmp_path):
    """The deep tools' polygon areas: square metres with a CRS (degrees converted), square
    pixels without one (they take no pixel size)."""
    from mssfc_qgis.core.newlybuilt import ground_area_scale

    utm = Grid(40, 40, (500000.0, 0.5, 0.0, 5200000.0, 0.0, -0.5), _srs(32633).ExportToWkt())
    deg = Grid(40, 40, (15.0, 1.3e-5, 0.0, 47.0, 0.0, -9e-6), _srs(4326).ExportToWkt())
    for name, grid in (("utm", utm), ("deg", deg), ("none", Grid(40, 40))):
        _mask_with_two_squares(tmp_path / f"{name}.tif", grid)
    assert ground_area_scale(str(tmp_path / "utm.tif")) == 1.0
    assert ground_area_scale(str(tmp_path / "none.tif")) == 1.0
    ew, ns = _ground_sides(deg, 32633)
    scale = ground_area_scale(str(tmp_path / "deg.tif"))
    assert scale * 1.3e-5 * 9e-6 == pytest.approx(ew * ns, rel=3e-3)


def _gi_of_rectangles(path, grid: Grid) -> list[float]:
    """GI written by the objects stage for a 6 x 18 and a 10 x 10 pixel rectangle on ``grid``."""
    mask = np.zeros((40, 40), np.uint8)
    mask[3:9, 3:21] = 1
    mask[20:30, 20:30] = 1
    write_array(str(path), mask, grid, nodata=255)
    out = str(path).replace(".tif", ".gpkg")
    cfg = NewlyBuiltConfig(min_area_m2=0.0, max_aspect_ratio=10.0)
    objects_stage(str(path), out, cfg=cfg)
    ds = ogr.Open(out)
    layer = ds.GetLayer(0)
    gis = sorted(f.GetField("gi") for f in layer)
    ds = None
    return gis


@pytest.mark.parametrize("lat", [30.0, 64.0])
def test_gi_is_measured_on_the_ground_in_degrees_too(tmp_path, lat):
    """Pixels square on the ground are not square in degrees (a degree of longitude shrinks
    with the latitude): GI is the ground shape's, 1 for a square and 3 for a 6 x 18 rectangle,
    as in UTM, not the shape in degrees."""
    along_lon, along_lat = metres_per_degree(lat)
    step_y = 1.0 / along_lat  # 1 m
    deg = Grid(40, 40, (15.0, 1.0 / along_lon, 0.0, lat, 0.0, -step_y), _srs(4326).ExportToWkt())
    assert _gi_of_rectangles(tmp_path / "deg.tif", deg) == [
        pytest.approx(1.0, rel=2e-3),
        pytest.approx(3.0, rel=2e-3),
    ]


def test_gi_does_not_depend_on_where_the_map_is(tmp_path):
    """The same objects at a northing of 8.9 million metres and near the origin: the same GI
    (OpenCV fits the rectangle in float32, whose spacing is 1 m at 8.9e6)."""
    far = Grid(40, 40, (700000.0, 0.3, 0.0, 8_900_000.0, 0.0, -0.3), _srs(32633).ExportToWkt())
    near = Grid(40, 40, (0.0, 0.3, 0.0, 12.0, 0.0, -0.3), _srs(32633).ExportToWkt())
    a = _gi_of_rectangles(tmp_path / "far.tif", far)
    b = _gi_of_rectangles(tmp_path / "near.tif", near)
    assert a == pytest.approx(b, rel=1e-6)
    assert b == [pytest.approx(1.0), pytest.approx(3.0)]
