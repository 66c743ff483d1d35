"""Open, align, sample and write georeferenced rasters with GDAL (no QGIS).

The shared tiled engine (:mod:`mssfc_qgis.core.engine`) reads windows from :class:`RasterSource`
objects that this module builds: one raster, or a T1/T2 pair aligned onto T1's pixel grid (warped
VRT) and restricted to their common area.

Conventions: arrays are ``(bands, rows, cols)``; windows are pixel offsets on the reference grid;
band numbers are 1-based as in GDAL and QGIS.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

from .errors import Canceled, MssfcError, unreadable

gdal.UseExceptions()
osr.UseExceptions()

DEFAULT_GEOTRANSFORM = (0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
#: Where QGIS draws a raster without georeferencing: x = column, y = -row (north up). Vector
#: outputs of such rasters use it, so they overlay the image; rasters are written without a
#: geotransform, as their input, so QGIS draws them there too.
PIXEL_GEOTRANSFORM = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
GTIFF_OPTIONS = (
    "TILED=YES",
    "BLOCKXSIZE=256",
    "BLOCKYSIZE=256",
    "COMPRESS=DEFLATE",
    "ZLEVEL=1",
    "BIGTIFF=IF_SAFER",
    "NUM_THREADS=ALL_CPUS",
)
#: Rasters written under a :func:`scratch_folder` (intermediates read back once or twice and then
#: deleted): uncompressed, which writes and reads several times faster than DEFLATE.
SCRATCH_OPTIONS = ("TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=IF_SAFER")
_SCRATCH_DIRS: set[str] = set()
_NUMPY_TO_GDAL = {
    np.dtype("uint8"): gdal.GDT_Byte,
    np.dtype("uint16"): gdal.GDT_UInt16,
    np.dtype("int16"): gdal.GDT_Int16,
    np.dtype("uint32"): gdal.GDT_UInt32,
    np.dtype("int32"): gdal.GDT_Int32,
    np.dtype("float32"): gdal.GDT_Float32,
    np.dtype("float64"): gdal.GDT_Float64,
}


@dataclass(frozen=True)
class Window:
    """A rectangle of pixels: column ``x``, row ``y``, ``width`` columns, ``height`` rows."""

    x: int
    y: int
    width: int
    height: int

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` slices of this window in the full raster."""
        return slice(self.y, self.y + self.height), slice(self.x, self.x + self.width)

    def relative_to(self, outer: Window) -> tuple[slice, slice]:
        """``(rows, cols)`` slices of this window inside an array read for ``outer``."""
        y0, x0 = self.y - outer.y, self.x - outer.x
        return slice(y0, y0 + self.height), slice(x0, x0 + self.width)

    def expand(self, margin: int, width: int, height: int) -> Window:
        """This window grown by ``margin`` pixels on every side, clipped to ``width x height``."""
        x0, y0 = max(0, self.x - margin), max(0, self.y - margin)
        x1 = min(width, self.x + self.width + margin)
        y1 = min(height, self.y + self.height + margin)
        return Window(x0, y0, x1 - x0, y1 - y0)

    @property
    def size(self) -> int:
        """Number of pixels."""
        return self.width * self.height


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at latitude ``lat`` (degrees) on the WGS 84
    ellipsoid (the usual series, good to about a metre per degree)."""
    phi = math.radians(max(-90.0, min(90.0, lat)))
    along_lon = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    along_lat = 111_132.92 - 559.82 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    return max(along_lon, 0.0), along_lat


@dataclass(frozen=True)
class Grid:
    """A pixel grid: size, GDAL geotransform and CRS (WKT, empty when unknown)."""

    width: int
    height: int
    geotransform: tuple[float, ...] = DEFAULT_GEOTRANSFORM
    crs_wkt: str = ""

    @property
    def georeferenced(self) -> bool:
        """False for a raster with neither a CRS nor a geotransform (pixel units; a pixel
        geotransform, :data:`PIXEL_GEOTRANSFORM`, without a CRS counts as none)."""
        return bool(self.crs_wkt) or tuple(self.geotransform) not in (
            DEFAULT_GEOTRANSFORM,
            PIXEL_GEOTRANSFORM,
        )

    @property
    def rotated(self) -> bool:
        """True when the geotransform has rotation or shear terms (not north-up)."""
        return bool(self.geotransform[2] or self.geotransform[4])

    def display(self) -> Grid:
        """This grid as QGIS draws it: itself when georeferenced, else with
        :data:`PIXEL_GEOTRANSFORM` (x = column, y = -row), the geotransform for vectors made
        from it."""
        if self.georeferenced:
            return self
        return Grid(self.width, self.height, PIXEL_GEOTRANSFORM, "")

    @property
    def pixel_size(self) -> tuple[float, float]:
        """``(x, y)`` pixel size in map units (metres for projected CRS), both positive."""
        gt = self.geotransform
        return float(np.hypot(gt[1], gt[4])), float(np.hypot(gt[2], gt[5]))

    @property
    def full(self) -> Window:
        """The whole grid as a window."""
        return Window(0, 0, self.width, self.height)

    def window_geotransform(self, window: Window) -> tuple[float, ...]:
        """Geotransform of a sub-window of this grid."""
        gt = self.geotransform
        return (
            gt[0] + window.x * gt[1] + window.y * gt[2],
            gt[1],
            gt[2],
            gt[3] + window.x * gt[4] + window.y * gt[5],
            gt[4],
            gt[5],
        )

    def ground_pixel_size(self) -> tuple[float, float] | None:
        """``(x, y)`` ground size of a pixel in metres, or None without a CRS.

        Projected CRS: the pixel size times the CRS's linear unit (1 for metres, 0.3048006 for
        US survey feet). Geographic CRS: degrees converted at the grid's centre latitude on the
        WGS 84 ellipsoid (x along the parallel, y along the meridian)."""
        if not self.georeferenced or not self.crs_wkt:
            return None
        srs = osr.SpatialReference()
        srs.ImportFromWkt(self.crs_wkt)
        px, py = self.pixel_size
        if srs.IsGeographic():
            lat = self.geotransform[3] + self.height * self.geotransform[5] / 2
            along_lon, along_lat = metres_per_degree(lat)
            return px * along_lon, py * along_lat
        unit = srs.GetLinearUnits() or 1.0
        return px * unit, py * unit

    def ground_resolution(self) -> float | None:
        """The side in metres of the square of a pixel's ground area (:meth:`ground_pixel_size`;
        in degrees a pixel is not square on the ground), or None without a CRS."""
        ground = self.ground_pixel_size()
        return None if ground is None else math.sqrt(ground[0] * ground[1])

    def units_per_metre_note(self) -> str:
        """A short description of the grid's units for log messages."""
        if not self.georeferenced:
            return "pixel units (no georeferencing)"
        srs = osr.SpatialReference()
        if self.crs_wkt:
            srs.ImportFromWkt(self.crs_wkt)
            if srs.IsGeographic():
                return "degrees"
        return "map units"


@dataclass
class RasterSource:
    """An open raster (or an aligned VRT) read through a fixed band list.

    Attributes
    ----------
    path : str
        The file the user gave (for messages).
    dataset : gdal.Dataset
        What windows are read from: the file itself, or a VRT aligned on the reference grid.
    bands : tuple of int
        1-based band numbers, in the order the caller wants them.
    """

    path: str
    dataset: gdal.Dataset
    bands: tuple[int, ...]
    _keep: list[object] = field(default_factory=list, repr=False)

    @property
    def grid(self) -> Grid:
        """The grid windows are read on."""
        return grid_of(self.dataset)

    @property
    def dtype(self) -> np.dtype:
        """numpy dtype of the first selected band."""
        band = self.dataset.GetRasterBand(self.bands[0])
        return np.dtype(gdal.GetDataTypeName(band.DataType).lower().replace("byte", "uint8"))

    def nodata(self) -> list[float | None]:
        """Nodata value of each selected band (None where unset)."""
        return [self.dataset.GetRasterBand(b).GetNoDataValue() for b in self.bands]

    def read(self, window: Window) -> np.ndarray:
        """Read ``window`` of the selected bands, native dtype, shape ``(bands, rows, cols)``."""
        try:
            arr = self.dataset.ReadAsArray(
                window.x, window.y, window.width, window.height, band_list=list(self.bands)
            )
        except RuntimeError as exc:
            raise unreadable(self.path, exc) from exc
        if arr.ndim == 2:
            arr = arr[np.newaxis]
        return arr

    def shared_nodata(self) -> bool:
        """True when every selected band's mask is its nodata value and the values are one and
        the same: a pixel is then nodata only when *all* bands hold it, GDAL's convention for
        multi-band imagery (gdalwarp's UNIFIED_SRC_NODATA), so a dark shadow with one band at 0
        stays valid in an RGB image whose nodata is 0."""
        if len(self.bands) < 2:
            return False
        values = set()
        for b in self.bands:
            band = self.dataset.GetRasterBand(b)
            if band.GetMaskFlags() != gdal.GMF_NODATA:
                return False
            nd = band.GetNoDataValue()
            values.add("nan" if nd is not None and math.isnan(nd) else nd)
        return len(values) == 1

    def read_valid(self, window: Window) -> np.ndarray:
        """Validity mask of ``window``: bool ``(rows, cols)``, False where the selected bands are
        nodata (all of them when they share one nodata value, any of them otherwise), masked
        or outside the source's footprint (alpha of a warped VRT), and where a floating-point
        band is NaN or infinite (read to know)."""
        if self.floating():
            return self.read_with_valid(window)[1]
        valid = np.ones((window.height, window.width), dtype=bool)
        if self.shared_nodata():
            invalid = np.ones_like(valid)
            for b in self.bands:
                invalid &= _mask_band_invalid(self.dataset.GetRasterBand(b), window)
            valid &= ~invalid
        else:
            for b in self.bands:
                band = self.dataset.GetRasterBand(b)
                if not band.GetMaskFlags() & gdal.GMF_ALL_VALID:
                    valid &= ~_mask_band_invalid(band, window)
        alpha = self.lone_alpha()
        if alpha is not None:
            valid &= _band_window(self.dataset.GetRasterBand(alpha), window) > 0
        return valid

    def alpha_band(self) -> int | None:
        """The last alpha band that is not read as data (a warp adds one), or None."""
        alphas = sorted(b for b in alpha_bands(self.dataset) if b not in self.bands)
        return alphas[-1] if alphas else None

    def lone_alpha(self) -> int | None:
        """:meth:`alpha_band` when GDAL's masks of the read bands leave it out, else None. GDAL
        takes an alpha band as the mask of the others only in 2- and 4-band rasters, so the
        pixels a 4-band image (R, G, B, NIR) lacks after a warp, which adds a fifth, alpha band,
        would otherwise count as valid zeros."""
        alpha = self.alpha_band()
        ds = self.dataset
        if alpha is None or all(
            ds.GetRasterBand(b).GetMaskFlags() & gdal.GMF_ALPHA for b in self.bands
        ):
            return None
        return alpha

    def read_with_valid(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`read` and :meth:`read_valid` of ``window`` with one read of the pixels: a band
        whose mask is its nodata value is judged on the values read, by GDAL's rule."""
        arr = self.read(window)
        valid = np.ones((window.height, window.width), dtype=bool)
        shared = self.shared_nodata()
        all_nodata = np.ones_like(valid) if shared else None
        for i, b in enumerate(self.bands):
            band = self.dataset.GetRasterBand(b)
            flags = band.GetMaskFlags()
            if flags & gdal.GMF_ALL_VALID:
                continue
            invalid = None
            if flags == gdal.GMF_NODATA:
                invalid = nodata_pixels(arr[i], band.GetNoDataValue())
            if invalid is None:
                invalid = _mask_band_invalid(band, window)
            if all_nodata is not None:
                all_nodata &= invalid
            else:
                valid &= ~invalid
        if all_nodata is not None:
            valid &= ~all_nodata
        alpha = self.lone_alpha()
        if alpha is not None:
            valid &= _band_window(self.dataset.GetRasterBand(alpha), window) > 0
        if arr.dtype.kind in "fc":
            valid &= np.isfinite(arr).all(axis=0)
        return arr, valid

    def floating(self) -> bool:
        """True when a selected band is floating point: NaN or infinite pixels are then invalid
        whether or not a nodata value says so (a float image's gaps are often bare NaN)."""
        return any(
            gdal.GetDataTypeName(self.dataset.GetRasterBand(b).DataType).startswith(
                ("Float", "CFloat")
            )
            for b in self.bands
        )

    def has_nodata(self) -> bool:
        """True when any selected band can be invalid somewhere (floating-point bands can: NaN)."""
        return (
            self.floating()
            or self.lone_alpha() is not None
            or any(
                not (self.dataset.GetRasterBand(b).GetMaskFlags() & gdal.GMF_ALL_VALID)
                for b in self.bands
            )
        )


def _mask_band_invalid(band: gdal.Band, window: Window) -> np.ndarray:
    """Where GDAL's mask band of ``band`` marks ``window`` invalid, ``(rows, cols)`` bool."""
    return _band_window(band.GetMaskBand(), window) == 0


def _band_window(band: gdal.Band, window: Window) -> np.ndarray:
    """The values of ``band`` in ``window``, ``(rows, cols)``."""
    return band.ReadAsArray(window.x, window.y, window.width, window.height)


def nodata_pixels(values: np.ndarray, nodata: float | None) -> np.ndarray | None:
    """Where ``values`` equal the band's ``nodata`` as GDAL's nodata mask sees it.

    Integers equal to it (none when it is out of the type's range); floats NaN for a NaN nodata,
    or within 2 float32 epsilons of it, relatively (GDAL's ``ARE_REAL_EQUAL``). None when GDAL's
    rule is not replicated here (a fractional nodata on integers, other types): read the mask
    band then."""
    if nodata is None:
        return np.zeros(values.shape, bool)
    kind = values.dtype.kind
    if kind in "ui":
        info = np.iinfo(values.dtype)
        if not math.isfinite(nodata) or not info.min <= nodata <= info.max:
            return np.zeros(values.shape, bool)
        return values == int(nodata) if float(nodata).is_integer() else None
    if values.dtype not in (np.float32, np.float64):
        return None
    nd = float(values.dtype.type(nodata))
    if math.isnan(nd):
        return np.isnan(values)
    if nd == 0.0 or math.isinf(nd):
        return values == nd
    # |v - nd| < c |v + nd| holds on an open interval around nd (float32's epsilon for both
    # float types, as GDAL has it): two comparisons instead of the arithmetic
    c = 2.0 * float(np.finfo(np.float32).eps)
    lo, hi = sorted((nd * (1.0 - c) / (1.0 + c), nd * (1.0 + c) / (1.0 - c)))
    return (values > lo) & (values < hi)


def grid_of(ds: gdal.Dataset) -> Grid:
    """The :class:`Grid` of an open dataset."""
    gt = ds.GetGeoTransform(can_return_null=True)
    return Grid(
        width=ds.RasterXSize,
        height=ds.RasterYSize,
        geotransform=tuple(gt) if gt is not None else DEFAULT_GEOTRANSFORM,
        crs_wkt=ds.GetProjection() or "",
    )


def open_dataset(path: str | os.PathLike[str]) -> gdal.Dataset:
    """Open a raster read-only, with a clear error for a missing or unreadable file."""
    p = str(path)
    if not p.startswith("/vsi") and not Path(p).exists():
        raise MssfcError(f"Raster not found: {p}. Check the path, or pick the layer again.")
    try:
        ds = gdal.Open(p, gdal.GA_ReadOnly)
    except RuntimeError as exc:
        raise MssfcError(
            f"Cannot read raster {p}: {exc}. Is it a raster format GDAL reads (GeoTIFF, PNG, JPEG)?"
        ) from exc
    if ds is None or ds.RasterCount == 0:
        raise MssfcError(f"{p} holds no raster bands; give an image file.")
    return ds


def alpha_bands(ds: gdal.Dataset) -> set[int]:
    """1-based numbers of bands whose colour interpretation is alpha."""
    return {
        b
        for b in range(1, ds.RasterCount + 1)
        if ds.GetRasterBand(b).GetColorInterpretation() == gdal.GCI_AlphaBand
    }


_RGB = (gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)


def rgb_bands(ds: gdal.Dataset) -> tuple[int, int, int] | None:
    """The 1-based bands tagged red, green and blue, in that order, or None unless the raster
    tags each of the three exactly once."""
    found = []
    for interp in _RGB:
        hits = [
            b
            for b in range(1, ds.RasterCount + 1)
            if ds.GetRasterBand(b).GetColorInterpretation() == interp
        ]
        if len(hits) != 1:
            return None
        found.append(hits[0])
    return found[0], found[1], found[2]


def rgb_note(source: RasterSource) -> str | None:
    """A log line naming the bands read as red, green, blue when the choice was not obvious: a
    raster with more image bands, or its tagged bands in another order. The tags are read from
    the file (a warped copy may not carry them)."""
    ds = open_dataset(source.path)
    image_bands = [b for b in range(1, ds.RasterCount + 1) if b not in alpha_bands(ds)]
    if len(source.bands) != 3 or (len(image_bands) == 3 and source.bands == (1, 2, 3)):
        return None
    listed = ", ".join(str(b) for b in source.bands)
    if len(image_bands) == 1 and set(source.bands) == {image_bands[0]}:
        return (
            f"{source.path}: its one band is read as red, green and blue (a grey image); the "
            "model was trained on colour imagery, so expect poorer results."
        )
    how = (
        "by their colour tags"
        if rgb_bands(ds) == source.bands
        else "as chosen"
        if source.bands != tuple(image_bands[:3])
        else "the first three; the raster does not tag its colours"
    )
    return (
        f"{source.path}: bands {listed} are read as red, green, blue ({how}); set the bands if "
        "that is not so."
    )


def choose_bands(
    ds: gdal.Dataset, requested: Sequence[int] | None, *, needed: int | None, path: str
) -> tuple[int, ...]:
    """Pick the bands to read.

    Parameters
    ----------
    requested
        1-based band numbers the user asked for, or None/empty for the default.
    needed
        How many bands the method needs (3 for RGB), or None for "all image bands".

    Returns
    -------
    tuple of int
        Default: with ``needed`` 3 (red, green, blue), the bands tagged red, green and blue in
        that order when the raster tags all three (B, G, R, NIR products among them); else the
        first ``needed`` non-alpha bands; a 1-band (panchromatic) raster gives its band repeated
        ``needed`` times.
    """
    count = ds.RasterCount
    if requested:
        bad = [b for b in requested if b < 1 or b > count]
        if bad:
            raise MssfcError(
                f"{path} has {count} band(s); band number(s) {bad} do not exist. "
                f"Choose band numbers between 1 and {count}."
            )
        if needed is not None and len(requested) != needed:
            raise MssfcError(
                f"This tool needs {needed} band(s) but {len(requested)} were chosen for {path}. "
                f"Choose exactly {needed} (e.g. red, green, blue)."
            )
        return tuple(int(b) for b in requested)
    image_bands = [b for b in range(1, count + 1) if b not in alpha_bands(ds)]
    if needed is None:
        return tuple(image_bands)
    tagged = rgb_bands(ds)
    if needed == 3 and tagged is not None:
        return tagged
    if len(image_bands) >= needed:
        return tuple(image_bands[:needed])
    if len(image_bands) == 1:
        return (image_bands[0],) * needed
    raise MssfcError(
        f"{path} has {len(image_bands)} image band(s); this tool needs {needed} "
        f"(or a single panchromatic band). Give an RGB image or choose the bands."
    )


def open_raster(
    path: str | os.PathLike[str], *, bands: Sequence[int] | None = None, needed: int | None = None
) -> RasterSource:
    """Open one raster as a :class:`RasterSource` with its bands chosen by :func:`choose_bands`."""
    ds = open_dataset(path)
    return RasterSource(str(path), ds, choose_bands(ds, bands, needed=needed, path=str(path)))


def _srs(wkt: str) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def grid_bounds(grid: Grid) -> tuple[float, float, float, float]:
    """``(xmin, ymin, xmax, ymax)`` of a grid in its own CRS (north-up or rotated)."""
    gt = grid.geotransform
    xs, ys = [], []
    for px, py in ((0, 0), (grid.width, 0), (0, grid.height), (grid.width, grid.height)):
        xs.append(gt[0] + px * gt[1] + py * gt[2])
        ys.append(gt[3] + px * gt[4] + py * gt[5])
    return min(xs), min(ys), max(xs), max(ys)


def _bounds_in(grid: Grid, target_wkt: str) -> tuple[float, float, float, float]:
    """Bounds of ``grid`` transformed into ``target_wkt`` (dense edge sampling)."""
    if not grid.crs_wkt or not target_wkt or _srs(grid.crs_wkt).IsSame(_srs(target_wkt)):
        return grid_bounds(grid)
    ct = osr.CoordinateTransformation(_srs(grid.crs_wkt), _srs(target_wkt))
    gt = grid.geotransform
    t = np.linspace(0, 1, 21)
    px = np.concatenate([t * grid.width, t * grid.width, np.zeros(21), np.full(21, grid.width)])
    py = np.concatenate([np.zeros(21), np.full(21, grid.height), t * grid.height, t * grid.height])
    x = gt[0] + px * gt[1] + py * gt[2]
    y = gt[3] + px * gt[4] + py * gt[5]
    pts = np.array(ct.TransformPoints(np.column_stack([x, y]).tolist()))
    return pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()


def _vrt_path(tag: str) -> str:
    return f"/vsimem/mssfc_{tag}_{uuid.uuid4().hex}.vrt"


def overlap_window(ref: Grid, other: Grid) -> Window | None:
    """The window of ``ref`` covered by ``other`` (snapped outward to whole pixels), or None."""
    if not ref.georeferenced or not other.georeferenced:
        w, h = min(ref.width, other.width), min(ref.height, other.height)
        return Window(0, 0, w, h)
    if ref.rotated:
        raise MssfcError(
            "Rotated rasters are not supported as T1; warp T1 to a north-up grid first."
        )
    xmin, ymin, xmax, ymax = _bounds_in(other, ref.crs_wkt)
    gt = ref.geotransform
    c0 = (xmin - gt[0]) / gt[1]
    c1 = (xmax - gt[0]) / gt[1]
    r0 = (ymax - gt[3]) / gt[5]
    r1 = (ymin - gt[3]) / gt[5]
    col0, col1 = sorted((c0, c1))
    row0, row1 = sorted((r0, r1))
    x0 = max(0, int(np.floor(col0 + 1e-6)))
    y0 = max(0, int(np.floor(row0 + 1e-6)))
    x1 = min(ref.width, int(np.ceil(col1 - 1e-6)))
    y1 = min(ref.height, int(np.ceil(row1 - 1e-6)))
    if x1 <= x0 or y1 <= y0:
        return None
    return Window(x0, y0, x1 - x0, y1 - y0)


def subset(source: RasterSource, window: Window) -> RasterSource:
    """A source restricted to ``window`` (a VRT; no pixels are copied)."""
    if window == source.grid.full:
        return source
    path = _vrt_path("subset")
    ds = gdal.Translate(
        path,
        source.dataset,
        format="VRT",
        srcWin=[window.x, window.y, window.width, window.height],
    )
    return RasterSource(source.path, ds, source.bands, [*source._keep, source.dataset, path])


def warp_to(source: RasterSource, grid: Grid, *, resample: str = "bilinear") -> RasterSource:
    """``source`` resampled onto ``grid`` as a warped VRT; pixels outside its footprint are
    flagged invalid through an alpha band."""
    xmin, ymin, xmax, ymax = grid_bounds(grid)
    path = _vrt_path("warp")
    src_nodata = source.dataset.GetRasterBand(source.bands[0]).GetNoDataValue()
    ds = gdal.Warp(
        path,
        source.dataset,
        format="VRT",
        outputBounds=(xmin, ymin, xmax, ymax),
        width=grid.width,
        height=grid.height,
        dstSRS=grid.crs_wkt or None,
        resampleAlg=resample,
        srcNodata=src_nodata,
        dstAlpha=True,
        multithread=False,
    )
    return RasterSource(source.path, ds, source.bands, [*source._keep, source.dataset, path])


def same_grid(a: Grid, b: Grid, *, tol: float = 1e-6) -> bool:
    """True when two grids have the same size, geotransform and CRS."""
    if (a.width, a.height) != (b.width, b.height):
        return False
    scale = max(abs(a.geotransform[1]), abs(a.geotransform[5]), 1e-12)
    if any(abs(p - q) > tol * scale for p, q in zip(a.geotransform, b.geotransform)):
        return False
    if bool(a.crs_wkt) != bool(b.crs_wkt):
        return False
    return not a.crs_wkt or _srs(a.crs_wkt).IsSame(_srs(b.crs_wkt))


def _on_grid(source: RasterSource, grid: Grid) -> RasterSource | None:
    """``source`` cut to ``grid`` (a VRT, no resampling) when ``grid`` is a whole-pixel window of
    it, in the same CRS and pixel size; else None."""
    if source.grid.rotated:
        return None  # never a window of a north-up grid
    window = overlap_window(source.grid, grid)
    if window is None or (window.width, window.height) != (grid.width, grid.height):
        return None
    cut = subset(source, window)
    return cut if same_grid(cut.grid, grid) else None


def put_on_grid(
    source: RasterSource, grid: Grid, *, resample: str = "bilinear"
) -> tuple[RasterSource, str]:
    """``source`` on ``grid``, and how: ``"same"`` (it is on it), ``"shifted"`` (a whole-pixel
    window of it, read as it is) or ``"resampled"`` (warped with ``resample``; pixels outside
    its footprint are invalid). Both georeferenced, or neither (then of one size)."""
    if same_grid(grid, source.grid):
        return source, "same"
    if not (grid.georeferenced and source.grid.georeferenced):
        raise MssfcError(
            f"{source.path} ({source.grid.width}x{source.grid.height}) cannot be put on a "
            f"{grid.width}x{grid.height} grid: "
            + (
                "rasters without georeferencing must have the same size."
                if not grid.georeferenced and not source.grid.georeferenced
                else "one of them has no georeferencing."
            )
        )
    shifted = _on_grid(source, grid)
    if shifted is not None:
        return shifted, "shifted"
    return warp_to(source, grid, resample=resample), "resampled"


@dataclass
class AlignedPair:
    """T1 and T2 on one grid (T1's pixel grid, cropped to the common area)."""

    t1: RasterSource
    t2: RasterSource
    grid: Grid
    notes: list[str]


def align_pair(
    path_t1: str,
    path_t2: str,
    *,
    bands_t1: Sequence[int] | None = None,
    bands_t2: Sequence[int] | None = None,
    needed: int | None = None,
    resample: str = "bilinear",
) -> AlignedPair:
    """Open T1 and T2 and put T2 on T1's pixel grid over their common area.

    T2 is warped (a GDAL warped VRT, read lazily window by window) when its CRS, resolution or
    extent differ from T1's. Rasters without georeferencing must have the same size; they are
    paired pixel for pixel, in pixel units, with a note saying so.

    Raises
    ------
    MssfcError
        On unreadable files, unequal band counts, or no overlap.
    """
    s1 = open_raster(path_t1, bands=bands_t1, needed=needed)
    s2 = open_raster(path_t2, bands=bands_t2, needed=needed)
    if len(s1.bands) != len(s2.bands):
        raise MssfcError(
            f"T1 ({path_t1}) gives {len(s1.bands)} bands but T2 ({path_t2}) gives {len(s2.bands)}. "
            "Both dates must have the same bands: choose the band lists so they match."
        )
    g1, g2 = s1.grid, s2.grid
    notes: list[str] = []
    if not g1.georeferenced and not g2.georeferenced:
        if (g1.width, g1.height) != (g2.width, g2.height):
            raise MssfcError(
                f"T1 ({g1.width}x{g1.height}) and T2 ({g2.width}x{g2.height}) have no "
                "georeferencing and different sizes, so they cannot be aligned. Georeference them "
                "(Raster > Georeferencer) or give images of the same size."
            )
        notes.append(
            "T1 and T2 have no georeferencing: they are paired pixel for pixel and outputs are "
            "in pixel units (no CRS)."
        )
        return AlignedPair(s1, s2, g1, notes)
    if g1.georeferenced != g2.georeferenced:
        which = "T1" if not g1.georeferenced else "T2"
        raise MssfcError(
            f"{which} has no georeferencing but the other date has: they cannot be aligned. "
            f"Georeference {which} or remove the georeferencing of both."
        )
    if not g1.crs_wkt or not g2.crs_wkt:
        notes.append("One of the rasters has no CRS; both are assumed to be in the same CRS.")
    window = overlap_window(g1, g2)
    if window is None:
        raise MssfcError(
            f"T1 ({path_t1}) and T2 ({path_t2}) do not overlap. Check that both cover the same "
            "area and that their CRS are right."
        )
    t1 = subset(s1, window)
    grid = t1.grid
    t2, how = put_on_grid(s2, grid, resample=resample)
    if how == "shifted":
        notes.append(
            "T2 lies on T1's pixel grid, offset by whole pixels: its pixels are read as they are "
            "(no resampling)."
        )
    elif how == "resampled":
        notes.append(
            f"T2 was resampled ({resample}) onto T1's grid: {grid.width}x{grid.height} pixels of "
            f"{grid.pixel_size[0]:g} x {grid.pixel_size[1]:g} map units."
        )
    if window != g1.full:
        notes.append(
            f"Working on the common area of T1 and T2: columns {window.x} to "
            f"{window.x + window.width - 1} and rows {window.y} to {window.y + window.height - 1} "
            f"of T1 (counted from 0), {window.width}x{window.height} pixels."
        )
    return AlignedPair(t1, t2, grid, notes)


# ---------------------------------------------------------------------------------------------
# Global statistics from a sample


def decimated_read(source: RasterSource, *, max_pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """Read the whole raster at reduced resolution (nearest neighbour), for global statistics.

    Returns
    -------
    data : ndarray ``(bands, h, w)``, native dtype; ``h * w <= max_pixels``
    valid : ndarray ``(h, w)`` bool
    """
    g = source.grid
    factor = max(1.0, float(np.sqrt(g.width * g.height / max(1, max_pixels))))
    bw, bh = max(1, int(g.width / factor)), max(1, int(g.height / factor))
    try:
        data = source.dataset.ReadAsArray(
            0, 0, g.width, g.height, buf_xsize=bw, buf_ysize=bh, band_list=list(source.bands)
        )
    except RuntimeError as exc:
        raise unreadable(source.path, exc) from exc
    if data.ndim == 2:
        data = data[np.newaxis]
    valid = np.ones((bh, bw), dtype=bool)
    masks = [
        band.GetMaskBand()
        for band in (source.dataset.GetRasterBand(b) for b in source.bands)
        if not band.GetMaskFlags() & gdal.GMF_ALL_VALID
    ]

    def decimated(band: gdal.Band) -> np.ndarray:
        return band.ReadAsArray(0, 0, g.width, g.height, buf_xsize=bw, buf_ysize=bh) > 0

    if masks and source.shared_nodata():
        # nodata only where every band holds the shared value
        any_valid = np.zeros_like(valid)
        for m in masks:
            any_valid |= decimated(m)
        valid &= any_valid
        masks = []
    alpha = source.lone_alpha()
    if alpha is not None:
        masks.append(source.dataset.GetRasterBand(alpha))
    for m in masks:
        valid &= decimated(m)
    if data.dtype.kind in "fc":
        valid &= np.isfinite(data).all(axis=0)
    return data, valid


def sample_windows(grid: Grid, *, size: int, count: int) -> list[Window]:
    """Up to ``count`` windows of ``size x size`` spread evenly over the grid (deterministic).

    A grid smaller than ``size`` gives one window: the whole grid.
    """
    w, h = min(size, grid.width), min(size, grid.height)
    nx = max(1, min(int(np.ceil(np.sqrt(count))), grid.width // max(1, w)))
    ny = max(1, min(int(np.ceil(count / nx)), grid.height // max(1, h)))
    xs = (
        np.linspace(0, grid.width - w, nx).round().astype(int)
        if nx > 1
        else [(grid.width - w) // 2]
    )
    ys = (
        np.linspace(0, grid.height - h, ny).round().astype(int)
        if ny > 1
        else [(grid.height - h) // 2]
    )
    wins = [Window(int(x), int(y), w, h) for y in ys for x in xs]
    return wins[:count] if len(wins) > count else wins


@dataclass(frozen=True)
class BandScaling:
    """Per-band linear map of raw values onto [0, 1]: ``(raw - low) / (high - low)``, clipped."""

    low: tuple[float, ...]
    high: tuple[float, ...]
    method: str

    def apply(self, data: np.ndarray) -> np.ndarray:
        """Scale ``(bands, h, w)`` raw values to float32 in [0, 1]."""
        lo = np.asarray(self.low, dtype=np.float32)[:, None, None]
        span = np.maximum(np.asarray(self.high, dtype=np.float32)[:, None, None] - lo, 1e-12)
        out = (data.astype(np.float32) - lo) / span
        return np.clip(out, 0.0, 1.0, out=out)


def fit_scaling(
    source: RasterSource,
    *,
    method: str = "auto",
    percentiles: tuple[float, float] = (0.5, 99.5),
    max_pixels: int = 1_000_000,
) -> BandScaling:
    """Fit a :class:`BandScaling` once for the whole raster.

    Parameters
    ----------
    method
        ``"auto"``: 8-bit data maps 0..255 to 0..1; any other dtype (uint16, float) gets a
        per-band percentile stretch fitted on a decimated read of the whole raster.
        ``"dtype"``: the dtype's full range (floats assumed already in [0, 1]).
        ``"percentile"``: the stretch for every dtype.
    """
    dtype = source.dtype
    nb = len(source.bands)
    if method == "auto":
        method = "dtype" if dtype == np.uint8 else "percentile"
    if method == "dtype":
        if np.issubdtype(dtype, np.integer):
            return BandScaling((0.0,) * nb, (float(np.iinfo(dtype).max),) * nb, "dtype")
        return BandScaling((0.0,) * nb, (1.0,) * nb, "dtype")
    if method != "percentile":
        raise MssfcError(f"Unknown scaling method {method!r}: use auto, dtype or percentile.")
    data, valid = decimated_read(source, max_pixels=max_pixels)
    lows, highs = [], []
    for band in data:
        values = band[valid].astype(np.float64)
        values = values[np.isfinite(values)]
        if values.size == 0:
            raise MssfcError(f"{source.path} has no valid pixels (all nodata).")
        lo, hi = np.percentile(values, percentiles)
        if hi <= lo:
            hi = lo + 1.0
        lows.append(float(lo))
        highs.append(float(hi))
    return BandScaling(tuple(lows), tuple(highs), "percentile")


# ---------------------------------------------------------------------------------------------
# Outputs


def gdal_type(dtype: np.dtype | str) -> int:
    """GDAL data type for a numpy dtype."""
    try:
        return _NUMPY_TO_GDAL[np.dtype(dtype)]
    except KeyError as exc:
        raise MssfcError(f"Unsupported output data type {dtype}.") from exc


def partial_path(path: str) -> str:
    """Where an output is written until it is complete (renamed over ``path`` at the end)."""
    p = Path(path)
    return str(p.with_name(f".{p.stem}.partial{p.suffix or '.tif'}"))


def check_writable(path: str) -> None:
    """Raise a clear error when ``path`` cannot be created."""
    folder = Path(path).resolve().parent
    if folder.exists() and not folder.is_dir():
        raise MssfcError(
            f"Cannot create the output folder {folder}: a file of that name exists. "
            "Choose another output path."
        )
    if not folder.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MssfcError(f"Cannot create the output folder {folder}: {exc}.") from exc
    if Path(path).is_dir():
        raise MssfcError(f"Cannot write {path}: it is a folder. Choose a file name for the output.")
    try:  # what the OS allows (permissions, a read-only or virtual file system such as /proc)
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".mssfc-probe-")
        probe.close()
    except OSError as exc:
        raise MssfcError(
            f"Cannot write to {folder}: {exc.strerror or exc}. Choose another output folder."
        ) from exc


@dataclass
class RasterWriter:
    """A GeoTIFF being written window by window to a temporary name; ``commit`` renames it into
    place, ``discard`` deletes it, so a failed or canceled run leaves no partial file."""

    path: str
    dataset: gdal.Dataset
    nodata: float | None
    tmp_path: str

    def write(self, data: np.ndarray, window: Window) -> None:
        """Write ``(bands, h, w)`` or ``(h, w)`` data at ``window``."""
        if data.ndim == 2:
            data = data[np.newaxis]
        for i in range(data.shape[0]):
            band = self.dataset.GetRasterBand(i + 1)
            band.WriteArray(data[i], window.x, window.y)

    def commit(self) -> str:
        """Flush, close and move the file into place; returns the final path."""
        self.dataset.FlushCache()
        self.dataset = None  # type: ignore[assignment]
        os.replace(self.tmp_path, self.path)
        return self.path

    def discard(self) -> None:
        """Close and delete the temporary file."""
        self.dataset = None  # type: ignore[assignment]
        _remove_partial(self.tmp_path)


def _remove_partial(tmp_path: str) -> None:
    """Delete a GeoTIFF left half-written under its temporary name (closed), if there is one."""
    with contextlib.suppress(OSError, RuntimeError):
        gdal.GetDriverByName("GTiff").Delete(tmp_path)
    with contextlib.suppress(OSError):
        os.remove(tmp_path)


@contextlib.contextmanager
def scratch_folder(prefix: str, *, parent: str | None = None) -> Iterator[Path]:
    """A temporary folder for intermediate rasters (in ``parent``, default the system's
    temporary folder), deleted with its contents on exit.

    :func:`create_raster` writes the GeoTIFFs under it uncompressed (:data:`SCRATCH_OPTIONS`).
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    key = str(folder.resolve())
    _SCRATCH_DIRS.add(key)
    try:
        yield folder
    finally:
        _SCRATCH_DIRS.discard(key)
        shutil.rmtree(folder, ignore_errors=True)


def _is_scratch(path: str) -> bool:
    return str(Path(path).resolve().parent) in _SCRATCH_DIRS


def _creation_options(path: str, floating: bool, options: Sequence[str]) -> list[str]:
    """GeoTIFF creation options for ``path``: :data:`SCRATCH_OPTIONS` when the default
    ``options`` are asked for a file directly in a :func:`scratch_folder`, else ``options``
    (with no predictor for floating-point data)."""
    if options == GTIFF_OPTIONS and _is_scratch(path):
        return list(SCRATCH_OPTIONS)
    return [*options, "PREDICTOR=1"] if floating else list(options)


def create_raster(
    path: str,
    grid: Grid,
    *,
    bands: int = 1,
    dtype: np.dtype | str = "float32",
    nodata: float | None = None,
    band_names: Sequence[str] | None = None,
    options: Sequence[str] = GTIFF_OPTIONS,
) -> RasterWriter:
    """Create a tiled, compressed GeoTIFF on ``grid`` under a temporary name (uncompressed with
    the default ``options`` when ``path`` lies directly in a :func:`scratch_folder`)."""
    check_writable(path)
    tmp = partial_path(path)
    driver = gdal.GetDriverByName("GTiff")
    opts = _creation_options(path, np.dtype(dtype).kind == "f", options)
    try:
        ds = driver.Create(tmp, grid.width, grid.height, bands, gdal_type(dtype), options=opts)
    except RuntimeError as exc:
        raise MssfcError(f"Cannot create {path}: {exc}. Choose another output path.") from exc
    if grid.georeferenced:  # else none, as the input: QGIS then draws both in one place
        ds.SetGeoTransform(list(grid.geotransform))
    if grid.crs_wkt:
        ds.SetProjection(grid.crs_wkt)
    for i in range(bands):
        band = ds.GetRasterBand(i + 1)
        if nodata is not None:
            band.SetNoDataValue(float(nodata))
        if band_names and i < len(band_names):
            band.SetDescription(band_names[i])
    return RasterWriter(path, ds, nodata, tmp)


def write_array(
    path: str,
    data: np.ndarray,
    grid: Grid,
    *,
    nodata: float | None = None,
    band_names: Sequence[str] | None = None,
) -> str:
    """Write a whole in-memory array ``(bands, h, w)`` or ``(h, w)`` as a GeoTIFF on ``grid``."""
    arr = data if data.ndim == 3 else data[np.newaxis]
    writer = create_raster(
        path, grid, bands=arr.shape[0], dtype=arr.dtype, nodata=nodata, band_names=band_names
    )
    try:
        writer.write(arr, grid.full)
    except BaseException:
        writer.discard()
        raise
    return writer.commit()


def copy_raster(
    source_path: str, path: str, *, is_canceled: Callable[[], bool] | None = None
) -> str:
    """Copy a raster (e.g. a scratch intermediate) to the GeoTIFF ``path``, written as
    :func:`create_raster` writes it (tiled; compressed, or uncompressed directly in a
    :func:`scratch_folder`), with its grid, nodata, mask and band names; under a temporary name
    until complete, so a failure or a cancel (``is_canceled`` returning True, checked as GDAL
    copies) leaves no file at ``path``."""
    check_writable(path)
    tmp = partial_path(path)
    src = gdal.Open(source_path)
    floating = gdal.GetDataTypeName(src.GetRasterBand(1).DataType).startswith("Float")
    opts = _creation_options(path, floating, GTIFF_OPTIONS)
    canceled = False

    def callback(_complete: float, _message: str, _data: object) -> int:
        nonlocal canceled
        canceled = canceled or bool(is_canceled and is_canceled())
        return 0 if canceled else 1

    # a mask goes inside the file (GDAL writes it beside it, as .msk, by default), so that it
    # moves with the file when the temporary name is replaced
    previous = gdal.GetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", None)
    gdal.SetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES")
    try:
        out = gdal.GetDriverByName("GTiff").CreateCopy(
            tmp, src, strict=0, options=opts, callback=callback
        )
        out.FlushCache()
        out = None  # noqa: F841
    except BaseException as exc:
        out = None  # noqa: F841
        _remove_partial(tmp)
        if canceled:
            raise Canceled("Canceled by the user.") from None
        raise MssfcError(f"Cannot write {path}: {exc}. Choose another output path.") from exc
    finally:
        gdal.SetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", previous)
    os.replace(tmp, path)
    return path


def read_array(path: str, *, bands: Sequence[int] | None = None) -> tuple[np.ndarray, Grid]:
    """Read a whole raster into memory: ``(bands, h, w)`` native dtype, and its grid. For tests
    and small rasters; the tools read through the engine."""
    src = open_raster(path, bands=bands)
    return src.read(src.grid.full), src.grid


def iter_blocks(grid: Grid, *, tile: int) -> Iterator[Window]:
    """Row-major windows of at most ``tile x tile`` covering ``grid`` without overlap."""
    for y in range(0, grid.height, tile):
        for x in range(0, grid.width, tile):
            yield Window(x, y, min(tile, grid.width - x), min(tile, grid.height - y))


def remove_outputs(paths: Iterable[str]) -> None:
    """Delete the outputs a failed or canceled run wrote, with GDAL's side files of a raster
    (``.aux.xml``, ``.msk``): the run leaves all of its outputs or none."""
    for path in paths:
        for p in (path, f"{path}.aux.xml", f"{path}.msk"):
            with contextlib.suppress(OSError):
                os.remove(p)


#: Metadata item of a probability or likelihood raster: the threshold its tool cut the mask at.
THRESHOLD_KEY = "MSSFC_THRESHOLD"


def record_threshold(path: str, threshold: float) -> None:
    """Write into the raster ``path`` the threshold its mask was cut at (:data:`THRESHOLD_KEY`),
    where the accuracy tool finds it."""
    ds = gdal.Open(path, gdal.GA_Update)
    ds.SetMetadataItem(THRESHOLD_KEY, f"{float(threshold):.6g}")
    ds.FlushCache()
    ds = None


def metadata_item(path: str, key: str) -> str | None:
    """The dataset-level metadata item ``key`` of the raster ``path``, or None. NetCDF keeps
    GDAL's items as global attributes, which GDAL reads back as ``NC_GLOBAL#GDAL_<key>``."""
    ds = open_dataset(path)
    value = ds.GetMetadataItem(key)
    if value is None:
        value = ds.GetMetadataItem(f"NC_GLOBAL#GDAL_{key}")
    ds = None
    return None if value is None else str(value)
