"""Accuracy assessment of a building or change map against a reference (no QGIS).

The prediction (a 0/1 mask or a probability raster, or polygons) and the reference (a mask raster
or building polygons) are checked (an image, a class map or a likelihood given by mistake is
refused; a black-and-white paletted mask is read by colour) and brought onto one grid: a
reference raster is warped onto the prediction's grid with nearest-neighbour resampling
(reprojected if its CRS differs), polygons are reprojected and rasterized. The map is then read block by block: confusion counts, a threshold
curve for probabilities, object counts and an error map (TP white, FP red, FN blue, TN black, as
in the papers' figures) accumulate with bounded memory.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr

from .engine import Block, OutputSpec, core_windows, read_block, run_windows
from .errors import Canceled, MssfcError
from .metrics import (
    BestThreshold,
    Confusion,
    ObjectCounts,
    ThresholdCurve,
    best_threshold,
    confusion,
    object_matches,
    threshold_curve,
)
from .progress import NullProgress, Progress, ScaledProgress
from .raster import (
    GTIFF_OPTIONS,
    THRESHOLD_KEY,
    Grid,
    RasterSource,
    align_pair,
    alpha_bands,
    check_writable,
    decimated_read,
    grid_bounds,
    metadata_item,
    open_raster,
    remove_outputs,
)
from .report import error_map, write_csv, write_html_report

gdal.UseExceptions()
ogr.UseExceptions()

#: Threshold for a probability prediction when none is given and none is recorded in it.
DEFAULT_THRESHOLD = 0.5
#: Dataset-level GDAL metadata item in which this plugin's tools record the threshold they used
#: to make a mask from the probability or likelihood raster they write (a decimal string).
#: Pixels read (at most) to check that an input is a mask or a probability raster.
CHECK_PIXELS = 1_000_000
#: File name endings taken as vector data without opening the file.
VECTOR_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".json", ".kml", ".gml", ".fgb"})


@dataclass
class Assessment:
    """Everything the report shows."""

    confusion: Confusion
    per_tile: dict[str, Confusion] = field(default_factory=dict)
    objects: ObjectCounts | None = None
    curve: ThresholdCurve | None = None
    best: BestThreshold | None = None
    threshold: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VectorRef:
    """One layer of a vector file, as QGIS names it in a layer source.

    ``path|layername=NAME`` picks a layer by name, ``path|layerid=N`` by its 0-based index and
    ``|subset=SQL`` keeps the features matching an OGR SQL ``WHERE`` clause; a bare path means
    the file's only layer.
    """

    path: str
    layer: str | int | None = None
    where: str | None = None


def parse_vector_source(source: str) -> VectorRef:
    """Split a QGIS vector layer source (``path|layername=NAME|subset=SQL``) into its parts;
    options other than ``layername``, ``layerid`` and ``subset`` are ignored."""
    path, *options = source.split("|")
    layer: str | int | None = None
    where = None
    for i, option in enumerate(options):
        key, _, value = option.partition("=")
        key = key.strip().lower()
        if key == "layername" and value:
            layer = value
        elif key == "layerid" and value.strip().isdigit():
            layer = int(value)
        elif key == "subset":  # last in QGIS's sources; SQL may itself hold "|"
            where = "|".join([value, *options[i + 1 :]]) or None
            break
    return VectorRef(path, layer, where)


def is_vector(path: str) -> bool:
    """True when ``path`` (a file, or a QGIS layer source ``file|layername=NAME``) opens as
    vector data (polygons) rather than a raster."""
    ref = parse_vector_source(path)
    if ref.layer is not None or ref.where is not None:
        return True
    if Path(ref.path).suffix.lower() in VECTOR_SUFFIXES:
        return True
    with contextlib.suppress(RuntimeError):
        ds = gdal.OpenEx(ref.path, gdal.OF_VECTOR)
        if ds is not None and ds.GetLayerCount() > 0:
            return True
    return False


def open_layer(ref: VectorRef, *, what: str) -> tuple[gdal.Dataset, ogr.Layer]:
    """Open the layer ``ref`` names; returns the dataset with it (keep both: the layer lives
    only as long as its dataset).

    Raises
    ------
    MssfcError
        When the file cannot be read, holds no layer, holds several and ``ref`` names none, or
        has no layer of that name or index; the message lists the layers and how to pick one.
    """
    try:
        src = gdal.OpenEx(ref.path, gdal.OF_VECTOR)
    except RuntimeError as exc:
        raise MssfcError(f"Cannot read the {what} polygons {ref.path}: {exc}.") from exc
    names = [src.GetLayer(i).GetName() for i in range(src.GetLayerCount())]
    listed = ", ".join(names)
    how = f"give it as {ref.path}|layername=NAME (or add that layer to QGIS and pick it)"
    layer = None
    if isinstance(ref.layer, str):
        layer = src.GetLayerByName(ref.layer) if ref.layer in names else None
        if layer is None:
            raise MssfcError(
                f"The {what} {ref.path} has no layer named {ref.layer!r}; its layers are: "
                f"{listed}. Pick one of them: {how}."
            )
    elif isinstance(ref.layer, int):
        if not 0 <= ref.layer < len(names):
            raise MssfcError(
                f"The {what} {ref.path} has {len(names)} layer(s) ({listed}); there is no layer "
                f"number {ref.layer}. Pick one by name: {how}."
            )
        layer = src.GetLayer(ref.layer)
    elif len(names) == 1:
        layer = src.GetLayer(0)
    elif not names:
        raise MssfcError(f"The {what} {ref.path} holds no vector layer; give polygons.")
    else:
        raise MssfcError(
            f"The {what} {ref.path} holds {len(names)} layers ({listed}) and none was chosen. "
            f"Say which one holds the polygons: {how}."
        )
    return src, layer


def rasterize_polygons(source: str, grid: Grid, *, notes: list[str], what: str) -> str:
    """Burn the polygons of one layer (value 1) onto ``grid``, reprojecting them if needed;
    returns a temporary GeoTIFF path (the caller deletes it).

    ``source`` is a file or a QGIS layer source naming one of its layers
    (``file.gpkg|layername=NAME``, see :func:`parse_vector_source`); a file with several layers
    must name one (see :func:`open_layer`).
    """
    ref = parse_vector_source(source)
    src, layer = open_layer(ref, what=what)
    name = layer.GetName()
    src_srs = layer.GetSpatialRef()
    if not grid.georeferenced and _has_crs(src_srs):
        raise MssfcError(
            f"The {what} polygons ({source}) are in a CRS but the raster they are compared with "
            "has no georeferencing, so they cannot be placed on it. Georeference the raster "
            "(Raster > Georeferencer), or give polygons drawn on it without a CRS."
        )
    vector: str | gdal.Dataset = src
    where = ref.where
    tmp_vec = None
    if grid.crs_wkt and src_srs is not None:
        dst = osr.SpatialReference()
        dst.ImportFromWkt(grid.crs_wkt)
        if not src_srs.IsSame(dst):
            tmp_vec = f"/vsimem/reproj_{uuid.uuid4().hex}.gpkg"
            reproj = gdal.VectorTranslate(
                tmp_vec, src, layers=[name], where=where, dstSRS=grid.crs_wkt, format="GPKG"
            )
            reproj = None  # noqa: F841 (closes and flushes)
            vector, where = tmp_vec, None
            notes.append(f"The {what} polygons were reprojected to the raster's CRS.")
    out = os.path.join(
        gdal.GetConfigOption("CPL_TMPDIR") or tempfile.gettempdir(),
        f"mssfc_rast_{uuid.uuid4().hex}.tif",
    )
    try:
        _check_polygons_overlap(vector, name, where, grid, source=source, what=what)
        # burnt into a raster of the grid made first: a grid without a CRS gets none (GDAL
        # would take the layer's, which a GeoPackage without one reports as an undefined
        # geographic CRS), and without georeferencing the grid is where QGIS draws it, as
        # this plugin's polygons of such rasters are
        ds = gdal.GetDriverByName("GTiff").Create(
            out, grid.width, grid.height, 1, gdal.GDT_Byte, options=list(GTIFF_OPTIONS)
        )
        ds.SetGeoTransform(list(grid.display().geotransform))
        if grid.crs_wkt:
            ds.SetProjection(grid.crs_wkt)
        ds = gdal.Rasterize(ds, vector, layers=[name], where=where, burnValues=[1])
        ds = None  # noqa: F841
    finally:
        if tmp_vec:
            gdal.Unlink(tmp_vec)
    return out


def _has_crs(srs: osr.SpatialReference | None) -> bool:
    """Whether a layer's SRS places it on the Earth (GeoPackages without one report an
    "Undefined" geographic or cartesian SRS, which does not)."""
    if srs is None:
        return False
    return not (srs.GetName() or "").lower().startswith("undefined") and bool(
        srs.IsProjected() or srs.IsGeographic()
    )


def _check_polygons_overlap(
    vector: str | gdal.Dataset,
    layer_name: str,
    where: str | None,
    grid: Grid,
    *,
    source: str,
    what: str,
) -> None:
    """Refuse polygons (already in the grid's CRS) whose extent misses the grid: they would be
    scored as an empty layer."""
    ds = gdal.OpenEx(vector, gdal.OF_VECTOR) if isinstance(vector, str) else vector
    layer = ds.GetLayerByName(layer_name)
    if where:
        layer.SetAttributeFilter(where)
    if layer.GetFeatureCount() == 0:
        return  # an empty prediction or reference is a result, not an error
    xmin, xmax, ymin, ymax = layer.GetExtent()
    gx0, gy0, gx1, gy1 = grid_bounds(grid.display())
    if xmax < gx0 or xmin > gx1 or ymax < gy0 or ymin > gy1:
        raise MssfcError(
            f"The {what} polygons ({source}) do not overlap the raster they are compared with: "
            f"polygons within x {xmin:.6g} - {xmax:.6g}, y {ymin:.6g} - {ymax:.6g}; raster "
            f"within x {gx0:.6g} - {gx1:.6g}, y {gy0:.6g} - {gy1:.6g}. Check that both cover "
            "the same area and that their CRS are right."
        )


@dataclass(frozen=True)
class MaskReading:
    """How the band-1 values of a prediction or reference become building (True) or not.

    Attributes
    ----------
    probability : bool
        A probability raster: building where the value is ``>= threshold``.
    lut : numpy.ndarray or None
        For a paletted mask, bool ``(entries,)``: building for each raw value, by its colour
        (values outside the table are background). None: building where the value is not 0.
    """

    probability: bool = False
    lut: np.ndarray | None = None

    def positive(self, data: np.ndarray, *, threshold: float) -> np.ndarray:
        """Bool ``(H, W)`` building mask of raw values ``data`` ``(H, W)``."""
        if self.probability:
            return np.asarray(data >= threshold)
        if self.lut is None:
            return np.asarray(data != 0)
        idx = np.clip(data, 0, self.lut.size - 1).astype(np.intp)
        return np.asarray(self.lut[idx] & (data >= 0) & (data < self.lut.size))


def palette_class(entry: tuple[int, ...]) -> bool | None:
    """Read one colour-table entry ``(r, g, b[, alpha])`` (0-255) as a mask value: True for white
    or light grey (building), False for black, dark grey or fully transparent (background),
    None for anything else (a colour or a mid grey: a class map, not a mask)."""
    r, g, b = (int(v) for v in entry[:3])
    if len(entry) > 3 and int(entry[3]) == 0:
        return False
    if max(r, g, b) - min(r, g, b) > 32:
        return None
    level = (r + g + b) / 3
    return True if level >= 192 else False if level <= 63 else None


def _shown(values: np.ndarray) -> str:
    return ", ".join(f"{v:g}" for v in values[:4]) + (", ..." if values.size > 4 else "")


def read_as_mask(path: str, *, what: str, allow_probability: bool) -> tuple[MaskReading, str]:
    """Check that the raster ``path`` is a mask (or, with ``allow_probability``, a probability
    raster) and say how its values are read; judged on a decimated read of band 1 (at most
    :data:`CHECK_PIXELS` pixels), nodata and alpha excluded.

    A mask has one band and, besides 0 and its nodata, one integer value (1, or 255). A
    probability raster is floating point with values in [0, 1]. A paletted raster whose used
    colours are black and white is read by colour (white = building, as
    ``mssfc_qgis.model.data.read_mask`` reads training masks): the WHU tiles store buildings as
    value 0 with a white entry.

    Returns
    -------
    reading : MaskReading
    note : str
        What was decided, for the log (empty when the raster is a plain mask).

    Raises
    ------
    MssfcError
        For several bands (an image, an RGB class map), a palette of other colours, or values
        that are not a mask (nor probabilities); the message names the input, what was found and
        what to give instead.
    """
    source = open_raster(path, bands=[1])
    ds = source.dataset
    wanted = (
        "a 0/1 mask (1 = building; 0/255 works too), a probability raster (floating point, "
        "0-1) or polygons"
        if allow_probability
        else "a 0/1 building mask (0/255 works too) or building polygons"
    )
    image_bands = [b for b in range(1, ds.RasterCount + 1) if b not in alpha_bands(ds)]
    if len(image_bands) > 1:
        raise MssfcError(
            f"The {what} {path} has {len(image_bands)} bands: it is an image or a colour-coded "
            f"class map, not a mask. Give {wanted}; for a class map, make a mask of the "
            "building class first (e.g. with the Raster calculator)."
        )
    data, valid = decimated_read(source, max_pixels=CHECK_PIXELS)
    values = data[0][valid]
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    table = ds.GetRasterBand(1).GetColorTable()
    if table is not None and values.dtype.kind in "iu":
        count = table.GetCount()
        entries = [table.GetColorEntry(i) for i in range(count)]
        used = [int(v) for v in np.unique(values)]
        classes = {v: palette_class(entries[v]) if 0 <= v < count else None for v in used}
        odd = [v for v, c in classes.items() if c is None]
        if odd:
            colours = ", ".join(
                f"{v} = RGB{tuple(entries[v][:3])}" if 0 <= v < count else f"{v} = none"
                for v in odd[:4]
            )
            raise MssfcError(
                f"The {what} {path} is a paletted raster whose colours are not black and white "
                f"({colours}): it looks like a class map, not a mask. Give {wanted}."
            )
        lut = np.array([palette_class(e) is True for e in entries], dtype=bool)
        white = [v for v, c in classes.items() if c]
        black = [v for v, c in classes.items() if not c]
        note = (
            f"The {what} has a colour table: it is read by colour, white as building "
            f"(value {', '.join(map(str, white)) or 'none'}) and black as background "
            f"(value {', '.join(map(str, black)) or 'none'})."
        )
        return MaskReading(lut=lut), note
    if allow_probability and values.dtype.kind == "f":
        if values.size == 0 or (values.min() >= 0 and values.max() <= 1):
            return MaskReading(probability=True), ""
    nonzero = np.unique(values[values != 0])
    fractional = nonzero.dtype.kind == "f" and not np.all(nonzero == np.round(nonzero))
    if nonzero.size <= 1 and not fractional:
        return MaskReading(), ""
    found = (
        f"floating-point values from {values.min():g} to {values.max():g}"
        if fractional
        else f"{nonzero.size} values besides 0 ({_shown(nonzero)})"
    )
    kind = "neither a mask nor a probability raster" if allow_probability else "not a mask"
    raise MssfcError(
        f"The {what} {path} is {kind}: it holds {found}. Give {wanted}; if one of the values "
        "marks missing data, set it as the band's nodata (gdal_edit -a_nodata VALUE, or "
        "Raster > Conversion > Translate with a nodata value)."
    )


def read_threshold_item(path: str) -> tuple[float | None, str]:
    """The threshold recorded in the raster ``path`` by the tool that made it.

    This plugin's probability and likelihood outputs carry it as the dataset-level GDAL
    metadata item :data:`THRESHOLD_KEY` (a decimal string, e.g. ``"0.3"``).

    Returns
    -------
    threshold : float or None
        In [0, 1]; None when the item is absent or unusable.
    note : str
        Why an item that is present was not used (empty otherwise).
    """
    raw = metadata_item(path, THRESHOLD_KEY)
    if raw is None:
        return None, ""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 1.0:
        return (
            None,
            f"The prediction records {THRESHOLD_KEY}={raw!r}, not a number in [0, 1]: ignored.",
        )
    return value, ""


def _fmt_threshold(value: float) -> str:
    return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"


def choose_threshold(given: float | None, path: str) -> tuple[float, list[str]]:
    """The threshold for the probability raster ``path``: ``given``, else the one recorded in
    it (:func:`read_threshold_item`), else :data:`DEFAULT_THRESHOLD`; with notes saying which."""
    recorded, note = read_threshold_item(path)
    notes = [note] if note else []
    if given is not None:
        if recorded is not None and recorded != given:
            notes.append(
                f"The prediction records the threshold {_fmt_threshold(recorded)} (the tool that "
                f"made it used it for its mask); using the given {_fmt_threshold(given)}."
            )
        return given, notes
    if recorded is not None:
        notes.append(
            f"The prediction is a probability raster and no threshold was given: using "
            f"{_fmt_threshold(recorded)}, the threshold recorded in the prediction by the tool "
            "that made it."
        )
        return recorded, notes
    notes.append(
        "The prediction is a probability raster; no threshold given or recorded: using "
        f"{DEFAULT_THRESHOLD}."
    )
    return DEFAULT_THRESHOLD, notes


def check_destinations(outputs: dict[str, str | None], inputs: list[str]) -> None:
    """Raise :class:`MssfcError` unless every given output path (``{label: path}``) can be
    written, before anything is computed: its folder exists or can be made and is writable
    (:func:`raster.check_writable`), it is not a folder, no two outputs share a path and none
    is one of the ``inputs``."""
    seen: dict[str, str] = {os.path.abspath(parse_vector_source(p).path): "input" for p in inputs}
    for label, path in outputs.items():
        if not path:
            continue
        key = os.path.abspath(path)
        if key in seen:
            other = "an input" if seen[key] == "input" else f"the {seen[key]}"
            raise MssfcError(
                f"The {label} would be written to {path}, which is {other}: give the {label} "
                "its own path."
            )
        seen[key] = label
        if Path(path).is_dir():
            raise MssfcError(f"The {label} path {path} is a folder: give a file name.")
        try:
            check_writable(path)
        except MssfcError as exc:
            raise MssfcError(f"The {label} cannot be written to {path}. {exc}") from exc


_T_WORDS = {"T1": "the prediction", "T2": "the reference"}


def _as_prediction_reference(text: str, paths: dict[str, str]) -> str:
    """Rewrite a message of :func:`raster.align_pair` (T1, T2, "the other date") in the
    accuracy tool's words (the prediction, the reference), with the user's paths in place of
    temporary ones (``paths``: as written -> as shown), first letter capitalized."""
    holders = {f"\x00{i}\x00": shown for i, shown in enumerate(paths.values())}
    for holder, written in zip(holders, paths):
        text = text.replace(written, holder)
    text = re.sub(
        r"\b(T[12])\b([^.]*?)the other date",
        lambda m: f"{m[1]}{m[2]}{'T2' if m[1] == 'T1' else 'T1'}",
        text,
    )
    text = re.sub(r"\bT([12])'s\b", lambda m: f"{_T_WORDS['T' + m[1]]}'s", text)
    text = re.sub(r"\bT[12]\b", lambda m: _T_WORDS[m[0]], text)
    text = text.replace("Both dates", "Both inputs").replace("both dates", "both inputs")
    for holder, shown in holders.items():
        text = text.replace(holder, shown)
    return text[:1].upper() + text[1:]


def assess(
    prediction: str,
    reference: str,
    *,
    area: str | None = None,
    threshold: float | None = None,
    out_errors: str | None = None,
    out_report: str | None = None,
    out_table: str | None = None,
    title: str = "Accuracy assessment",
    block: int = 1024,
    iou_threshold: float = 0.5,
    progress: Progress | None = None,
) -> Assessment:
    """Compare ``prediction`` with ``reference`` and write the requested outputs.

    Parameters
    ----------
    prediction
        A one-band mask raster (non-zero = positive, or by colour when paletted: see
        :func:`read_as_mask`), a probability raster (floating point, 0-1, thresholded at
        ``threshold``), or polygons (rasterized onto the reference's grid). Polygons may be
        given as a QGIS layer source, ``file.gpkg|layername=NAME``.
    reference
        A one-band mask raster (as above) or polygons.
    area
        Optional polygons limiting the evaluation.
    threshold
        For probability rasters, in [0, 1]. None uses the threshold recorded in the prediction
        by the tool that made it (GDAL metadata item :data:`THRESHOLD_KEY`), else
        :data:`DEFAULT_THRESHOLD` (0.5); the notes say which.
    out_errors, out_report, out_table
        Outputs (error map GeoTIFF, HTML report, CSV table), each optional. They are checked
        before anything is computed; if the run fails, those it had written are removed.
    block
        Evaluation window (pixels): per-tile figures and object counting are per window.

    Returns
    -------
    Assessment
        Pooled counts, per-window counts, object counts, the threshold curve (probabilities).

    Raises
    ------
    MssfcError
        For an input that is not a mask (nor, for the prediction, a probability raster), a
        multi-layer vector file without a layer name, inputs that cannot be aligned, or an
        output that cannot be written; the message says what to do.
    """
    progress = progress or NullProgress()
    notes: list[str] = []
    temps: list[str] = []
    written: list[str] = []
    outputs = {"error map": out_errors, "report": out_report, "table": out_table}
    check_destinations(outputs, [p for p in (prediction, reference, area) if p])
    try:
        pred_vec, ref_vec = is_vector(prediction), is_vector(reference)
        if pred_vec and ref_vec:
            raise MssfcError(
                "Both the prediction and the reference are polygons: give one of them as a "
                "raster (its grid is used to rasterize the other)."
            )
        pred_reading = ref_reading = MaskReading()
        if not ref_vec:
            ref_reading, note = read_as_mask(reference, what="reference", allow_probability=False)
            notes += [note] if note else []
        if pred_vec:
            grid_src = open_raster(reference, bands=[1])
            pred_path = rasterize_polygons(
                prediction, grid_src.grid, notes=notes, what="prediction"
            )
            temps.append(pred_path)
        else:
            pred_path = prediction
            pred_reading, note = read_as_mask(prediction, what="prediction", allow_probability=True)
            notes += [note] if note else []
        pred_src = open_raster(pred_path, bands=[1])
        if ref_vec:
            ref_path = rasterize_polygons(reference, pred_src.grid, notes=notes, what="reference")
            temps.append(ref_path)
        else:
            ref_path = reference
        shown = {pred_path: prediction, ref_path: reference}
        try:
            pair = align_pair(pred_path, ref_path, bands_t1=[1], bands_t2=[1], resample="near")
        except MssfcError as exc:
            raise MssfcError(_as_prediction_reference(str(exc), shown)) from exc
        notes += [_as_prediction_reference(n, shown) for n in pair.notes]
        sources: list[RasterSource] = [pair.t1, pair.t2]
        grid = pair.grid
        if area:
            area_path = rasterize_polygons(area, grid, notes=notes, what="area")
            temps.append(area_path)
            sources.append(open_raster(area_path, bands=[1]))
            notes.append(f"Evaluation limited to the polygons of {area}.")
        probability = pred_reading.probability
        if probability:
            threshold, threshold_notes = choose_threshold(threshold, prediction)
            notes += threshold_notes
        elif threshold is not None:
            notes.append("The prediction is a mask: the threshold is not used.")
            threshold = None
        result = _accumulate(
            sources,
            grid,
            readings=(pred_reading, ref_reading),
            threshold=threshold if threshold is not None else DEFAULT_THRESHOLD,
            out_errors=out_errors,
            block=block,
            iou_threshold=iou_threshold,
            progress=ScaledProgress(progress, 0, 90),
        )
        if out_errors:
            written.append(out_errors)
        result.threshold = threshold
        result.notes = notes
        for name, reason in result.confusion.reasons.items():
            notes.append(f"{name} is undefined (shown as n/a): {reason}.")
        if result.curve is not None:
            result.best = best_threshold(result.curve, "iou")
        for n in notes:
            progress.info(n)
        if progress.is_canceled():  # before the report and table: the run leaves none
            raise Canceled("Canceled by the user.")
        err_rgb = None
        if out_errors:
            err_src = open_raster(out_errors, bands=[1, 2, 3])
            err_rgb, _ = decimated_read(err_src, max_pixels=512 * 512)
            del err_src
        if out_report:
            write_html_report(
                out_report,
                title=title,
                confusion=result.confusion,
                per_tile=result.per_tile if len(result.per_tile) > 1 else None,
                objects=result.objects,
                curve=result.curve,
                best=result.best,
                error_map_rgb=err_rgb,
                notes=[f"Prediction: {prediction}", f"Reference: {reference}", *notes],
            )
            written.append(out_report)
        if out_table:
            write_csv(out_table, table_rows(result))
            written.append(out_table)
        progress.set_progress(100)
        return result
    except BaseException:
        remove_outputs(written)
        raise
    finally:
        for t in temps:
            with contextlib.suppress(OSError):
                os.remove(t)


def table_rows(result: Assessment) -> list[dict[str, object]]:
    """Rows of the CSV table: scope, metric, value."""
    rows: list[dict[str, object]] = []
    for name, value in result.confusion.as_dict().items():
        rows.append({"scope": "pooled", "metric": name, "value": value})
    if result.objects is not None:
        for name, value in result.objects.as_dict().items():
            rows.append({"scope": "objects", "metric": name, "value": value})
    if result.best is not None:
        rows.append(
            {"scope": "curve", "metric": "best_threshold_iou", "value": result.best.threshold}
        )
    if len(result.per_tile) > 1:
        for tile, conf in result.per_tile.items():
            for name, value in conf.metrics().items():
                rows.append({"scope": tile, "metric": name, "value": value})
    return rows


def _accumulate(
    sources: list[RasterSource],
    grid: Grid,
    *,
    readings: tuple[MaskReading, MaskReading],
    threshold: float,
    out_errors: str | None,
    block: int,
    iou_threshold: float,
    progress: Progress,
) -> Assessment:
    @dataclass
    class State:
        conf: Confusion = field(default_factory=Confusion)
        objects: ObjectCounts = field(default_factory=ObjectCounts)
        curve: ThresholdCurve | None = None

    state = State()
    per_tile: dict[str, Confusion] = {}

    pred_reading, ref_reading = readings
    probability = pred_reading.probability

    def fn(b: Block) -> dict[str, np.ndarray]:
        pred, raw_ref = b.data[0][0], b.data[1][0]
        valid = b.valid.copy()
        for raw in (pred, raw_ref):
            if raw.dtype.kind == "f":  # NaN without a nodata value is missing data too
                valid &= np.isfinite(raw)
        if len(b.data) > 2:
            valid &= b.data[2][0] != 0
        pos = pred_reading.positive(pred, threshold=threshold)
        ref = ref_reading.positive(raw_ref, threshold=threshold)
        conf = confusion(pos, ref, valid=valid)
        state.conf = state.conf + conf
        per_tile[f"r{b.core.y // block}c{b.core.x // block}"] = conf
        state.objects = state.objects + object_matches(
            pos, ref, valid=valid, iou_threshold=iou_threshold
        )
        if probability:
            curve = threshold_curve(np.where(valid, pred, 0.0), ref, valid=valid)
            state.curve = curve if state.curve is None else state.curve + curve
        return {"errors": error_map(pos, ref, valid=valid)}

    if out_errors:
        run_windows(
            sources,
            fn,
            [
                OutputSpec(
                    "errors",
                    out_errors,
                    bands=3,
                    dtype="uint8",
                    nodata=None,
                    band_names=("red", "green", "blue"),
                )
            ],
            grid=grid,
            tile=block,
            workers=1,
            progress=progress,
        )
    else:
        wins = core_windows(grid, tile=block)
        for i, win in enumerate(wins):
            if progress.is_canceled():
                raise Canceled("Canceled by the user.")
            fn(read_block(sources, win))
            progress.set_progress(100.0 * (i + 1) / len(wins))
    return Assessment(
        confusion=state.conf,
        per_tile=per_tile,
        objects=state.objects,
        curve=state.curve,
    )
