"""Polygons from masks: vectorize, attribute, filter and write GeoPackages with GDAL/OGR (no QGIS).

Memory stays bounded for city-sized rasters: GDAL polygonizes the mask in strips, and per-polygon
statistics are gathered block by block (polygons burnt into a block as their feature ids, then
``bincount`` sums), so no full-size array is held. With a minimum area, components too small to
pass it are first sieved out of the raster window by window (the shared engine), so a noisy mask
does not cost one polygon per speck.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from osgeo import gdal, ogr, osr
from scipy import ndimage

from .engine import Block, OutputSpec, release_memory, run_windows
from .errors import Canceled, MssfcError
from .progress import NullProgress, Progress, ScaledProgress
from .raster import (
    Grid,
    RasterSource,
    RasterWriter,
    Window,
    check_writable,
    create_raster,
    iter_blocks,
    open_raster,
    overlap_window,
    partial_path,
    put_on_grid,
    same_grid,
    scratch_folder,
)

gdal.UseExceptions()
ogr.UseExceptions()

# The raster pre-sieve of polygons_from_mask: on by default; tests turn it off (or shrink its
# tiles) to check that it changes nothing.
_PRESIEVE = True
_SIEVE_TILE = 1024
_SIEVE_MAX_HALO = 256
# A component is sieved only when its area is below the minimum by more than this many pixels,
# so the rounding of OGR's GetArea can never make the sieve drop a polygon the filter keeps.
_AREA_TOL_PX = 1e-6
_CROSS = ndimage.generate_binary_structure(2, 1)  # 4-connectivity, as GDAL Polygonize's default


@dataclass
class PolygonSet:
    """Polygons held in an in-memory OGR layer, with per-polygon statistics.

    Attributes
    ----------
    layer_ds : ogr.DataSource
        Memory data source holding ``layer`` (kept alive here).
    stats : dict
        ``{name: (n,) float64}``, aligned with ``fids``.
    fids : ndarray
        Feature ids, ``(n,)`` int64.
    """

    layer_ds: ogr.DataSource
    fids: np.ndarray
    stats: dict[str, np.ndarray]

    @property
    def layer(self) -> ogr.Layer:
        """The polygons."""
        return self.layer_ds.GetLayer(0)

    def __len__(self) -> int:
        return int(self.fids.size)

    def subset(self, which: np.ndarray) -> PolygonSet:
        """The polygons where ``which`` (``(n,)`` bool) is True, sharing this layer."""
        which = np.asarray(which, dtype=bool)
        return PolygonSet(
            self.layer_ds, self.fids[which], {k: v[which] for k, v in self.stats.items()}
        )


def _srs_of(grid: Grid) -> osr.SpatialReference | None:
    if not grid.crs_wkt:
        return None
    srs = osr.SpatialReference()
    srs.ImportFromWkt(grid.crs_wkt)
    return srs


def polygonize(
    mask: RasterSource,
    *,
    progress: Progress | None = None,
    connectedness: int = 4,
    grid: Grid | None = None,
    binary: bool = False,
) -> PolygonSet:
    """Vectorize the non-zero pixels of a 0/1 mask raster (band ``mask.bands[0]``).

    Holes are kept. Pixels flagged nodata are not polygonized.

    Parameters
    ----------
    grid
        Georeferencing (geotransform and CRS) of the polygons; default the mask's own. A
        temporary copy of a mask passes the original's, so nothing depends on the copy's.
    binary
        The band holds only 0 and 1 and has no nodata (e.g. :func:`sieve_mask`'s output): it is
        polygonized as it is, with itself as the mask, about 3x faster than through the
        lookup-table VRT that handles other masks.

    Returns
    -------
    PolygonSet
        Polygons in the mask's CRS; ``stats`` holds ``area`` (map units squared) only.
    """
    progress = progress or NullProgress()
    grid = (grid or mask.grid).display()  # no georeferencing: y = -row, as QGIS draws it
    drv = ogr.GetDriverByName("Memory")
    mem = drv.CreateDataSource(f"poly_{uuid.uuid4().hex}")
    layer = mem.CreateLayer("polygons", srs=_srs_of(grid), geom_type=ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("value", ogr.OFTInteger))

    def callback(complete: float, message: str, data: object) -> int:
        progress.set_progress(100.0 * complete)
        return 0 if progress.is_canceled() else 1

    # A 0/1 band is its own mask: zeros (and nodata) are not polygonized.
    if binary and same_grid(mask.grid, grid):
        source = mask.dataset
        band = source.GetRasterBand(mask.bands[0])
    else:
        source = _binary_mask_band(mask, grid)
        band = source.GetRasterBand(1)
    try:
        gdal.Polygonize(
            band,
            band,
            layer,
            0,
            [f"8CONNECTED={connectedness}"] if connectedness == 8 else [],
            callback=callback,
        )
    except RuntimeError as exc:
        if progress.is_canceled():
            raise Canceled("Canceled by the user.") from exc
        raise
    fids = []
    areas = []
    layer.ResetReading()
    for i, feat in enumerate(layer):
        if i % 4096 == 0 and progress.is_canceled():
            raise Canceled("Canceled by the user.")
        fids.append(feat.GetFID())
        areas.append(feat.GetGeometryRef().GetArea())
    return PolygonSet(mem, np.asarray(fids, dtype=np.int64), {"area": np.asarray(areas)})


def _binary_mask_band(mask: RasterSource, grid: Grid | None = None) -> gdal.Dataset:
    """A VRT band that is 1 where the mask is non-zero and valid, 0 elsewhere (the Polygonize
    mask): a lookup table maps the nodata value to 0. ``grid`` georeferences it (default the
    mask's)."""
    grid = grid or mask.grid
    band = mask.dataset.GetRasterBand(mask.bands[0])
    nodata = band.GetNoDataValue()
    points = {0: 0, 1: 1, 255: 1}
    if nodata is not None and 0 <= nodata <= 255 and float(nodata).is_integer():
        v = int(nodata)
        points[v] = 0
        for n in (v - 1, v + 1):
            if 0 < n <= 255 and n not in points:
                points[n] = 1
    lut = ",".join(f"{k}:{points[k]}" for k in sorted(points))
    source = mask.dataset.GetDescription()
    xml = (
        f'<VRTDataset rasterXSize="{mask.grid.width}" rasterYSize="{mask.grid.height}">'
        '<VRTRasterBand dataType="Byte" band="1"><ComplexSource>'
        f'<SourceFilename relativeToVRT="0">{escape(source)}</SourceFilename>'
        f"<SourceBand>{mask.bands[0]}</SourceBand><LUT>{lut}</LUT>"
        "</ComplexSource></VRTRasterBand></VRTDataset>"
    )
    ds = gdal.Open(xml)
    ds.SetGeoTransform(list(grid.geotransform))
    if grid.crs_wkt:
        ds.SetProjection(grid.crs_wkt)
    return ds


def pixel_area(grid: Grid) -> float:
    """Area of one pixel in map units squared: ``|det|`` of the geotransform's linear part
    (1 for a raster without georeferencing, whose polygons are in pixel units). A polygon of
    ``k`` 4-connected pixels made by Polygonize has area ``k * pixel_area``."""
    gt = grid.geotransform
    return abs(gt[1] * gt[5] - gt[2] * gt[4])


def min_component_pixels(min_area: float, area_of_pixel: float) -> int:
    """Pixel count below which a component's polygon is surely smaller than ``min_area``.

    Components of fewer pixels than this have an area below ``min_area`` by more than
    ``_AREA_TOL_PX`` pixels. 0 when there is no minimum (or no pixel area to measure it in).
    """
    if min_area <= 0 or not area_of_pixel > 0:
        return 0
    return max(0, math.ceil(min_area / area_of_pixel - _AREA_TOL_PX))


def drop_small_components(
    ones: np.ndarray, *, min_pixels: int, open_edges: tuple[bool, bool, bool, bool]
) -> np.ndarray:
    """Remove the 4-connected components of fewer than ``min_pixels`` pixels from a window.

    Parameters
    ----------
    ones
        ``(h, w)`` bool window of a mask.
    open_edges
        ``(top, bottom, left, right)``: True where the window's edge lies inside the raster. A
        component touching an open edge may go on outside the window, so it is kept whatever
        its size here.

    Returns
    -------
    ndarray
        ``(h, w)`` bool: ``ones`` without the small components that lie wholly in the window.
    """
    if min_pixels <= 1:
        return ones
    labels, n = ndimage.label(ones, structure=_CROSS)
    if n == 0:
        return ones
    small = np.bincount(labels.ravel(), minlength=n + 1) < min_pixels
    small[0] = False
    top, bottom, left, right = open_edges
    edges = (labels[0], labels[-1], labels[:, 0], labels[:, -1])
    for is_open, edge in zip((top, bottom, left, right), edges):
        if is_open:
            small[edge] = False
    return ones & ~small[labels]


def mask_ones(values: np.ndarray, nodata: float | None) -> np.ndarray:
    """The pixels Polygonize vectorizes, ``(h, w)`` bool: non-zero and not the band's nodata
    (an integer 0..255), as the lookup table of :func:`_binary_mask_band` has it."""
    ones = values != 0
    if nodata is not None and 0 <= nodata <= 255 and float(nodata).is_integer():
        ones &= values != int(nodata)
    return ones


def _sieve_window(
    block: Block, *, min_pixels: int, grid: Grid, nodata: float | None
) -> dict[str, np.ndarray]:
    """Per-window function of :func:`sieve_mask`: ``(h, w)`` uint8 0/1 over the read window."""
    win = block.window
    open_edges = (
        win.y > 0,
        win.y + win.height < grid.height,
        win.x > 0,
        win.x + win.width < grid.width,
    )
    kept = drop_small_components(
        mask_ones(block.data[0][0], nodata), min_pixels=min_pixels, open_edges=open_edges
    )
    return {"mask": kept.astype(np.uint8)}


def sieve_mask(
    mask: RasterSource,
    out_path: str,
    *,
    min_pixels: int,
    tile: int = 1024,
    progress: Progress | None = None,
) -> RasterSource:
    """Write the Polygonize band of ``mask`` (1 = non-zero and not nodata, else 0) without its
    4-connected components of fewer than ``min_pixels`` pixels, tile by tile.

    Each window is read with a halo of ``min(min_pixels, 256)`` pixels, so nearly every small
    component is seen whole; one that reaches the edge of its window is kept there. The sieve
    is therefore conservative: what it leaves of a small component is smaller still, and every
    other component is untouched, so a minimum-area filter after it gives the same polygons as
    without it.

    Returns
    -------
    RasterSource
        The written uint8 0/1 raster (no nodata) on ``mask``'s grid.
    """
    grid = mask.grid
    run_windows(
        [RasterSource(mask.path, mask.dataset, mask.bands[:1])],
        functools.partial(_sieve_window, min_pixels=min_pixels, grid=grid, nodata=mask.nodata()[0]),
        [OutputSpec("mask", out_path, dtype="uint8", nodata=None)],
        grid=grid,
        tile=tile,
        halo=min(min_pixels, _SIEVE_MAX_HALO),
        progress=progress,
    )
    return _open_mask(out_path)


def _polygonize_sieved(mask: RasterSource, *, min_pixels: int, progress: Progress) -> PolygonSet:
    """:func:`polygonize` of ``mask`` after :func:`sieve_mask` (into a temporary folder,
    removed afterwards); the polygons keep ``mask``'s georeferencing."""
    with scratch_folder("mssfc_sieve_") as folder:
        sieved = sieve_mask(
            mask,
            str(folder / "sieved.tif"),
            min_pixels=min_pixels,
            tile=_SIEVE_TILE,
            progress=ScaledProgress(progress, 0, 30),
        )
        polys = polygonize(
            sieved, grid=mask.grid, binary=True, progress=ScaledProgress(progress, 30, 100)
        )
        del sieved  # close the file before its folder goes (Windows)
        return polys


def zonal_means(
    polys: PolygonSet,
    grid: Grid,
    values: Mapping[str, RasterSource],
    *,
    block: int = 1024,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Mean of each value raster inside each polygon, gathered block by block.

    Parameters
    ----------
    values
        ``{name: source}`` of single-band rasters on ``grid`` (band ``source.bands[0]``).

    Returns
    -------
    dict
        ``{name: (n,) float64}`` aligned with ``polys.fids``; NaN for a polygon with no valid pixel.
    """
    return _polygon_pass(polys, grid, values, block=block, progress=progress)


#: Side of the sub-windows in which :func:`zonal_means` reads values: only those under polygons.
_ZONAL_READ = 256


def _polygon_pass(
    polys: PolygonSet,
    grid: Grid,
    values: Mapping[str, RasterSource],
    *,
    block: int,
    mask: tuple[RasterWriter, RasterSource | None] | None = None,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """One pass over the blocks of ``grid`` that rasterizes the polygons once per block, for
    :func:`zonal_means` of ``values`` and, with ``mask=(writer, valid)``, the mask of the
    polygons in the set (the caller commits the writer; the polygons must not overlap, as
    Polygonize makes them). Values are read only in the sub-windows that hold a polygon's pixel.

    A block rasterizes only the polygons whose envelope reaches it (found with numpy, from the
    envelopes taken once), so the pass costs in proportion to the image and the polygons, not to
    their product as a spatial filter on the whole (unindexed) layer per block would."""
    progress = progress or NullProgress()
    n_slots = len(polys) + 1  # slot i + 1: the set's i-th polygon; 0: none
    sums = {name: np.zeros(n_slots) for name in values}
    counts = {name: np.zeros(n_slots) for name in values}
    blocks = list(iter_blocks(grid, tile=block)) if (values and len(polys)) or mask else []
    envelopes = _envelopes(polys)
    strip: tuple[int, np.ndarray] | None = None  # (window row, polygons reaching that row)
    for i, win in enumerate(blocks):
        if progress.is_canceled():
            raise Canceled("Canceled by the user.")
        x0, y0, x1, y1 = _window_bounds(grid, win)
        if strip is None or strip[0] != win.y:
            rows = (envelopes[:, 2] <= y1) & (envelopes[:, 3] >= y0)
            strip = (win.y, np.flatnonzero(rows))
        near = strip[1]
        near = near[(envelopes[near, 0] <= x1) & (envelopes[near, 1] >= x0)]
        # slots local to the block: k + 1 for the polygon at position near[k] of the set
        slots = _polygon_slots(polys, grid, win, near) if near.size else None
        if slots is not None and values:
            block_sums = {name: np.zeros(near.size + 1) for name in values}
            block_counts = {name: np.zeros(near.size + 1) for name in values}
            for sub in _subwindows(win, _ZONAL_READ):
                rows_ = slice(sub.y - win.y, sub.y - win.y + sub.height)
                cols = slice(sub.x - win.x, sub.x - win.x + sub.width)
                _add_zonal(slots[rows_, cols], sub, values, block_sums, block_counts)
            for name in values:
                sums[name][near + 1] += block_sums[name][1:]
                counts[name][near + 1] += block_counts[name][1:]
        if mask is not None:
            writer, valid = mask
            arr = np.zeros((win.height, win.width), np.uint8)
            if slots is not None:
                arr[slots > 0] = 1
            if valid is not None:
                arr[~valid.read_valid(win)] = 255
            writer.write(arr, win)
        progress.set_progress(100.0 * (i + 1) / len(blocks))
    out = {}
    for name in values:
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums[name] / counts[name]
        out[name] = means[1:]
    return out


def _envelopes(polys: PolygonSet) -> np.ndarray:
    """``(n, 4)`` float64 ``min x, max x, min y, max y`` (map units) of each polygon of the set."""
    layer = polys.layer
    out = np.empty((len(polys), 4))
    for i, fid in enumerate(polys.fids.tolist()):
        feat = layer.GetFeature(fid)  # owns the geometry: keep it alive
        out[i] = feat.GetGeometryRef().GetEnvelope()
    return out


def _polygon_slots(polys: PolygonSet, grid: Grid, win: Window, which: np.ndarray) -> np.ndarray:
    """``k + 1`` under each pixel of ``win`` covered by the polygon at position ``which[k]`` of
    the set, 0 where none: ``(h, w)`` int32, rasterized from those polygons only (the ones that
    may reach the window)."""
    layer = polys.layer
    part = ogr.GetDriverByName("Memory").CreateDataSource("")
    sub = part.CreateLayer("block", srs=layer.GetSpatialRef(), geom_type=ogr.wkbPolygon)
    sub.CreateField(ogr.FieldDefn("slot", ogr.OFTInteger))
    defn = sub.GetLayerDefn()
    fids = polys.fids
    for k, i in enumerate(which.tolist()):
        src = layer.GetFeature(int(fids[i]))  # owns the geometry: keep it alive
        feat = ogr.Feature(defn)
        feat.SetGeometry(src.GetGeometryRef())
        feat.SetFieldInteger64(0, k + 1)
        sub.CreateFeature(feat)
    ds = gdal.GetDriverByName("MEM").Create("", win.width, win.height, 1, gdal.GDT_Int32)
    ds.SetGeoTransform(list(grid.window_geotransform(win)))
    band = ds.GetRasterBand(1)
    _rasterize(ds, sub, options=["ATTRIBUTE=slot"])
    return band.ReadAsArray()  # int32, MEM rasters start at 0


def _subwindows(win: Window, size: int) -> list[Window]:
    return [
        Window(x, y, min(size, win.x + win.width - x), min(size, win.y + win.height - y))
        for y in range(win.y, win.y + win.height, size)
        for x in range(win.x, win.x + win.width, size)
    ]


def _add_zonal(
    slots: np.ndarray,
    win: Window,
    values: Mapping[str, RasterSource],
    sums: dict[str, np.ndarray],
    counts: dict[str, np.ndarray],
) -> None:
    """Add the values of ``win`` under polygons (``slots`` ``(h, w)``, 0: none) to the sums."""
    inside = np.flatnonzero(slots)
    if inside.size == 0:
        return
    ids = slots.ravel()[inside]
    for name, src in values.items():
        n = sums[name].size
        data, valid = src.read_with_valid(win)
        v = data[0].ravel()[inside].astype(np.float64)
        ok = valid.ravel()[inside] & np.isfinite(v)
        sums[name] += np.bincount(ids[ok], weights=v[ok], minlength=n)
        counts[name] += np.bincount(ids[ok], minlength=n)


def _rasterize(ds: gdal.Dataset, layer: ogr.Layer, **kwargs: object) -> None:
    """``gdal.RasterizeLayer`` on band 1; without a CRS (pixel-unit rasters) GDAL's warning that
    it assumes matching coordinate systems is expected, so it is silenced."""
    quiet = layer.GetSpatialRef() is None
    if quiet:
        gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        gdal.RasterizeLayer(ds, [1], layer, **kwargs)
    finally:
        if quiet:
            gdal.PopErrorHandler()


def _window_bounds(grid: Grid, win: Window) -> tuple[float, float, float, float]:
    gt = grid.window_geotransform(win)
    x0, y0 = gt[0], gt[3]
    x1 = x0 + win.width * gt[1]
    y1 = y0 + win.height * gt[5]
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def ring_points(geom: ogr.Geometry) -> np.ndarray:
    """Exterior ring vertices of a polygon (or of all parts of a multipolygon), ``(n, 2)``."""
    pts: list[tuple[float, float]] = []
    gtype = ogr.GT_Flatten(geom.GetGeometryType())
    parts = (
        [geom]
        if gtype == ogr.wkbPolygon
        else [geom.GetGeometryRef(i) for i in range(geom.GetGeometryCount())]
    )
    for part in parts:
        ring = part.GetGeometryRef(0)
        if ring is not None:
            pts.extend(ring.GetPoints() or [])
    return np.asarray(pts, dtype=np.float64)[:, :2] if pts else np.zeros((0, 2))


def exterior_points(geom: ogr.Geometry) -> np.ndarray:
    """:func:`ring_points` of a geometry, read straight from its WKB for a 2-D polygon (what
    Polygonize makes: several times faster than through the OGR point list)."""
    if geom.GetGeometryType() != ogr.wkbPolygon:
        return ring_points(geom)
    wkb = geom.ExportToWkb(ogr.wkbNDR)
    # little-endian WKB: byte order (1), type (4), ring count (4), point count (4), (x, y) doubles
    if len(wkb) < 13 or int.from_bytes(wkb[5:9], "little") == 0:
        return np.zeros((0, 2))
    count = int.from_bytes(wkb[9:13], "little")
    return np.frombuffer(wkb, dtype="<f8", count=2 * count, offset=13).reshape(count, 2)


def shape_index(
    polys: PolygonSet,
    *,
    axis_scale: tuple[float, float] = (1.0, 1.0),
    is_canceled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Geometric index (long side / short side of the minimum-area rectangle) of each polygon.

    ``axis_scale`` ``(sx, sy)`` stretches the x and y map coordinates onto the ground before the
    rectangle is fitted (:func:`ground_axis_scale`: metres per degree of longitude and of
    latitude for a geographic CRS, where a square on the ground is not square in degrees).
    ``is_canceled`` is asked every few thousand polygons."""
    from .unsupervised.objects import geometric_index

    layer = polys.layer
    scale = np.asarray(axis_scale, dtype=np.float64)
    stretch = not np.all(scale == 1.0)
    out = np.empty(len(polys))
    for i, fid in enumerate(polys.fids):
        if is_canceled is not None and i % 4096 == 0 and is_canceled():
            raise Canceled("Canceled by the user.")
        feat = layer.GetFeature(int(fid))
        pts = exterior_points(feat.GetGeometryRef())
        out[i] = geometric_index(pts * scale if stretch else pts)
    return out


def ground_axis_scale(grid: Grid) -> tuple[float, float]:
    """Ground metres per map unit along x and along y, relative to each other: ``(1, 1)`` for a
    projected CRS or no CRS (the same unit on both axes, which a ratio of lengths ignores), the
    metres per degree of longitude and of latitude at the grid's centre for a geographic one."""
    ground = grid.ground_pixel_size()
    if ground is None:
        return 1.0, 1.0
    sx, sy = ground[0] / grid.pixel_size[0], ground[1] / grid.pixel_size[1]
    return (1.0, 1.0) if math.isclose(sx, sy, rel_tol=1e-9) else (sx, sy)


def write_gpkg(
    path: str,
    polys: PolygonSet,
    attributes: Mapping[str, np.ndarray],
    *,
    keep: np.ndarray | None = None,
    simplify: float = 0.0,
    layer_name: str | None = None,
    text_fields: Mapping[str, Sequence[str]] | None = None,
    is_canceled: Callable[[], bool] | None = None,
) -> str:
    """Write polygons and their attributes to a GeoPackage, atomically (nothing is left at
    ``path`` when it fails or ``is_canceled``, asked every thousand polygons, says stop).

    Parameters
    ----------
    attributes
        ``{field: (n,) array}`` aligned with ``polys.fids``; ints become integer fields, floats
        real fields (NaN written as NULL).
    keep
        ``(n,)`` bool: which polygons to write (default all).
    simplify
        Douglas-Peucker tolerance in map units (topology preserving), 0 for none.
    text_fields
        ``{field: (n,) strings}``.
    """
    check_writable(path)
    tmp = partial_path(path if path.endswith(".gpkg") else path + ".gpkg")
    with contextlib.suppress(OSError):
        os.remove(tmp)
    drv = ogr.GetDriverByName("GPKG")
    name = layer_name or Path(path).stem
    ds = drv.CreateDataSource(tmp)
    try:
        srs = polys.layer.GetSpatialRef()
        out = ds.CreateLayer(name, srs=srs, geom_type=ogr.wkbPolygon)
        types = {}
        for field, arr in attributes.items():
            ftype = (
                ogr.OFTInteger64
                if np.issubdtype(np.asarray(arr).dtype, np.integer)
                else ogr.OFTReal
            )
            out.CreateField(ogr.FieldDefn(field, ftype))
            types[field] = ftype
        for field in text_fields or {}:
            out.CreateField(ogr.FieldDefn(field, ogr.OFTString))
        defn = out.GetLayerDefn()
        keep_mask = np.ones(len(polys), dtype=bool) if keep is None else np.asarray(keep, bool)
        src_layer = polys.layer
        # per field: its index, its values as Python numbers (NaN -> None: NULL), whether real
        columns = []
        for field, arr in attributes.items():
            real = types[field] == ogr.OFTReal
            vals = np.asarray(arr, dtype=np.float64 if real else np.int64)
            items = [None if real and not math.isfinite(v) else v for v in vals.tolist()]
            columns.append((defn.GetFieldIndex(field), items, real))
        texts = [
            (defn.GetFieldIndex(field), [str(v) for v in values])
            for field, values in (text_fields or {}).items()
        ]
        out.StartTransaction()
        # GEOS reports why a geometry is invalid; that is expected here and handled
        gdal.PushErrorHandler("CPLQuietErrorHandler")
        try:
            for i, fid in enumerate(polys.fids.tolist()):
                if is_canceled is not None and i % 1024 == 0 and is_canceled():
                    raise Canceled("Canceled by the user.")
                if not keep_mask[i]:
                    continue
                src_feat = src_layer.GetFeature(fid)  # owns the geometry: keep it alive
                geom = _valid_polygon(src_feat.GetGeometryRef(), simplify)
                feat = ogr.Feature(defn)
                feat.SetGeometryDirectly(geom)
                for idx, items, real in columns:
                    v = items[i]
                    if v is None:
                        feat.SetFieldNull(idx)
                    elif real:
                        feat.SetField(idx, v)
                    else:
                        feat.SetFieldInteger64(idx, v)
                for idx, strings in texts:
                    feat.SetFieldString(idx, strings[i])
                out.CreateFeature(feat)
        finally:
            gdal.PopErrorHandler()
        out.CommitTransaction()
        if srs is None:
            mark_undefined_cartesian(ds, name)
    except BaseException:
        ds = None
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    ds = None
    os.replace(tmp, path)
    return path


def mark_undefined_cartesian(ds: ogr.DataSource, layer_name: str) -> None:
    """Give a GeoPackage layer written without a CRS (polygons of an image without
    georeferencing, in pixel units) the GeoPackage's "Undefined Cartesian SRS" (srs_id -1), as
    the format defines for such data. GDAL 3.6 files it under srs_id 0, the "Undefined
    geographic SRS", which QGIS reads as degrees: areas of 1e12 m2, no transform to any
    projected CRS. Call after the layer's features are written."""
    quoted = layer_name.replace("'", "''")
    for table in ("gpkg_contents", "gpkg_geometry_columns"):
        ds.ExecuteSQL(f"UPDATE {table} SET srs_id = -1 WHERE table_name = '{quoted}'")


def _valid_polygon(geom: ogr.Geometry, simplify: float) -> ogr.Geometry:
    """A valid single polygon from ``geom`` (a copy): simplified by ``simplify`` map units
    (topology preserving) when > 0, repaired when invalid, the largest part of a multipolygon."""
    geom = geom.SimplifyPreserveTopology(simplify) if simplify > 0 else geom.Clone()
    if not geom.IsValid():
        geom = geom.MakeValid()
        if ogr.GT_Flatten(geom.GetGeometryType()) not in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
            geom = geom.Buffer(0)
    if ogr.GT_Flatten(geom.GetGeometryType()) == ogr.wkbMultiPolygon:
        geom = _largest_part(geom)
    return geom


def _largest_part(geom: ogr.Geometry) -> ogr.Geometry:
    best = None
    for i in range(geom.GetGeometryCount()):
        part = geom.GetGeometryRef(i)
        if best is None or part.GetArea() > best.GetArea():
            best = part
    return best.Clone() if best is not None else geom


def change_types(
    mean_b1: np.ndarray, mean_b2: np.ndarray, *, thresholds: tuple[float, float] = (0.5, 0.5)
) -> np.ndarray:
    """Label change polygons from the mean building probability at T1 and T2 inside each, a
    building where it reaches ``thresholds`` (T1's, T2's: those of the building masks).

    Returns
    -------
    ndarray of str, ``(n,)``
        ``"new building"`` (building at T2 only), ``"demolished building"`` (T1 only), or
        ``"modified"`` (building at both dates, or at neither: a change of another kind).
    """
    b1 = np.nan_to_num(mean_b1) >= thresholds[0]
    b2 = np.nan_to_num(mean_b2) >= thresholds[1]
    out = np.full(mean_b1.shape, "modified", dtype=object)
    out[b2 & ~b1] = "new building"
    out[b1 & ~b2] = "demolished building"
    return out


def polygons_from_mask(
    mask_path: str,
    out_path: str,
    *,
    values: Mapping[str, str] | None = None,
    simplify: float = 0.0,
    min_area: float = 0.0,
    area_scale: float = 1.0,
    max_aspect_ratio: float | None = None,
    with_gi: bool = False,
    change_type_from: tuple[str, str] | None = None,
    change_type_thresholds: tuple[float, float] = (0.5, 0.5),
    filtered_mask_path: str | None = None,
    progress: Progress | None = None,
) -> tuple[str, int]:
    """Polygons of a 0/1 mask with their attributes, written to a GeoPackage.

    Parameters
    ----------
    values
        ``{name: raster path}``: each polygon gets ``mean_<name>`` over its pixels.
    min_area
        Drop polygons smaller than this, in the unit of the ``area`` attribute.
    area_scale
        The ``area`` attribute is the polygon's area in map units squared times this, e.g. the
        square metres per square map unit
        (:func:`mssfc_qgis.core.newlybuilt.square_metres_per_map_unit`); 1 keeps map
        units.
    max_aspect_ratio
        Drop polygons whose geometric index (long / short side of the minimum-area rectangle)
        exceeds this; implies ``with_gi``.
    change_type_from
        ``(name_t1, name_t2)`` of two ``values`` (building probabilities): adds ``change_type``
        (:func:`change_types`, a building where the mean reaches ``change_type_thresholds``).
    filtered_mask_path
        Also write the mask of the kept polygons there (uint8 0/1, nodata 255).

    Returns
    -------
    (path, count)
        The GeoPackage and the number of polygons written.
    """
    progress = progress or NullProgress()
    mask = _open_mask(mask_path)
    grid = mask.grid.display()  # the polygons' georeferencing (y = -row without any)
    if not area_scale > 0:
        raise MssfcError(f"area_scale must be positive, got {area_scale}.")
    min_pixels = min_component_pixels(min_area, pixel_area(grid) * area_scale) if _PRESIEVE else 0
    if min_pixels > 1:
        polys = _polygonize_sieved(mask, min_pixels=min_pixels, progress=progress)
    else:
        polys = polygonize(mask, progress=progress)
    release_memory()  # what polygonizing freed (a tiled run ends with one too)
    # Polygons under the minimum area or over the GI limit are never written: no statistics for
    # them.
    polys = polys.subset(polys.stats["area"] * area_scale >= min_area)
    attrs: dict[str, np.ndarray] = {}
    if with_gi or max_aspect_ratio is not None:
        gi = (
            shape_index(polys, axis_scale=ground_axis_scale(grid), is_canceled=progress.is_canceled)
            if len(polys)
            else np.zeros(0)
        )
        if max_aspect_ratio is not None:
            polys, gi = polys.subset(gi <= max_aspect_ratio), gi[gi <= max_aspect_ratio]
        attrs["gi"] = gi
    attrs = {"area": polys.stats["area"] * area_scale, **attrs}
    sources = {
        name: _value_source(name, path, mask, progress) for name, path in (values or {}).items()
    }
    writer = (
        create_raster(filtered_mask_path, grid, bands=1, dtype="uint8", nodata=255)
        if filtered_mask_path
        else None
    )
    try:
        # one rasterization of the polygons gives their means and the filtered mask
        mask_out = (writer, mask) if writer is not None else None
        means = _polygon_pass(polys, grid, sources, block=1024, mask=mask_out, progress=progress)
        for name in values or {}:
            attrs[f"mean_{name}"] = means[name]
        text = None
        if change_type_from is not None:
            a, b = change_type_from
            kinds = change_types(means[a], means[b], thresholds=change_type_thresholds)
            text = {"change_type": list(kinds)}
        write_gpkg(
            out_path,
            polys,
            attrs,
            simplify=simplify,
            text_fields=text,
            is_canceled=progress.is_canceled,
        )
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    if writer is not None:
        writer.commit()
    return out_path, len(polys)


def _open_mask(path: str) -> RasterSource:
    return open_raster(path, bands=[1])


def _value_source(name: str, path: str, mask: RasterSource, progress: Progress) -> RasterSource:
    """Band 1 of the raster at ``path`` on the mask's grid, for the polygons' ``mean_<name>``: as
    it is, at a whole-pixel offset, or resampled (bilinear; the log says so). A raster that
    does not overlap the mask is refused."""
    src = _open_mask(path)
    grid = mask.grid
    if same_grid(src.grid, grid):
        return src
    if grid.rotated:
        raise MssfcError(
            f"The mask ({mask.path}) is on a rotated grid and the {name} raster ({path}) on "
            f"another grid: give the {name} raster on the mask's grid."
        )
    if grid.georeferenced and src.grid.georeferenced and overlap_window(grid, src.grid) is None:
        raise MssfcError(
            f"The {name} raster ({path}) does not overlap the mask ({mask.path}): give the "
            f"{name} raster of the same area."
        )
    on_grid, how = put_on_grid(src, grid, resample="bilinear")
    if how == "shifted":
        progress.info(f"mean_{name}: {path} is read at a whole-pixel offset onto the mask's grid.")
    elif how == "resampled":
        progress.warning(
            f"mean_{name}: {path} is on another grid than the mask; it was resampled (bilinear) "
            "onto the mask's grid for the polygon means. Pixels of the mask outside it get no "
            "value."
        )
    return on_grid
