"""Accuracy assessment of a building or change map against a reference (no QGIS).

The prediction (a 0/1 mask or a probability raster, or polygons) and the reference (a mask raster
or building polygons) are brought onto one grid: a reference raster is warped onto the
prediction's grid with nearest-neighbour resampling (reprojected if its CRS differs), polygons are
reprojected and rasterized. The map is then read block by block: confusion counts, a threshold
curve for probabilities, object counts and an error map (TP white, FP red, FN blue, TN black, as
in the papers' figures) accumulate with bounded memory.
"""

from __future__ import annotations

import contextlib
import os
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
    Grid,
    RasterSource,
    align_pair,
    decimated_read,
    grid_bounds,
    open_raster,
)
from .report import error_map, write_csv, write_html_report

gdal.UseExceptions()
ogr.UseExceptions()

DEFAULT_THRESHOLD = 0.5


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


def is_vector(path: str) -> bool:
    """True when ``path`` opens as vector data (polygons) rather than a raster."""
    if Path(path).suffix.lower() in {".gpkg", ".shp", ".geojson", ".json", ".kml", ".gml", ".fgb"}:
        return True
    with contextlib.suppress(RuntimeError):
        ds = gdal.OpenEx(path, gdal.OF_VECTOR)
        if ds is not None and ds.GetLayerCount() > 0:
            return True
    return False


def rasterize_polygons(path: str, grid: Grid, *, notes: list[str], what: str) -> str:
    """Burn the polygons of ``path`` (value 1) onto ``grid``, reprojecting them if needed;
    returns a temporary GeoTIFF path (the caller deletes it)."""
    try:
        src = gdal.OpenEx(path, gdal.OF_VECTOR)
    except RuntimeError as exc:
        raise MssfcError(f"Cannot read the {what} polygons {path}: {exc}.") from exc
    layer = src.GetLayer(0)
    src_srs = layer.GetSpatialRef()
    vector = path
    tmp_vec = None
    if grid.crs_wkt and src_srs is not None:
        dst = osr.SpatialReference()
        dst.ImportFromWkt(grid.crs_wkt)
        if not src_srs.IsSame(dst):
            tmp_vec = f"/vsimem/reproj_{uuid.uuid4().hex}.gpkg"
            reproj = gdal.VectorTranslate(tmp_vec, src, dstSRS=grid.crs_wkt, format="GPKG")
            reproj = None  # noqa: F841 (closes and flushes)
            vector = tmp_vec
            notes.append(f"The {what} polygons were reprojected to the raster's CRS.")
    out = os.path.join(
        gdal.GetConfigOption("CPL_TMPDIR") or "/tmp", f"mssfc_rast_{uuid.uuid4().hex}.tif"
    )
    xmin, ymin, xmax, ymax = grid_bounds(grid)
    ds = gdal.Rasterize(
        out,
        vector,
        outputBounds=(xmin, ymin, xmax, ymax),
        width=grid.width,
        height=grid.height,
        burnValues=[1],
        initValues=[0],
        outputType=gdal.GDT_Byte,
        outputSRS=grid.crs_wkt or None,
        creationOptions=list(GTIFF_OPTIONS),
    )
    ds = None  # noqa: F841
    if tmp_vec:
        gdal.Unlink(tmp_vec)
    return out


def _positive(data: np.ndarray, *, probability: bool, threshold: float) -> np.ndarray:
    return data >= threshold if probability else data != 0


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
        A mask raster (non-zero = positive), a probability raster (float, thresholded at
        ``threshold``), or polygons (rasterized onto the reference's grid).
    reference
        A mask raster (non-zero = positive) or polygons.
    area
        Optional polygons limiting the evaluation.
    threshold
        For probability rasters; None uses 0.5 (the bundled model's default) and says so.
    block
        Evaluation window (pixels): per-tile figures and object counting are per window.

    Returns
    -------
    Assessment
        Pooled counts, per-window counts, object counts, the threshold curve (probabilities).
    """
    progress = progress or NullProgress()
    notes: list[str] = []
    temps: list[str] = []
    try:
        pred_vec, ref_vec = is_vector(prediction), is_vector(reference)
        if pred_vec and ref_vec:
            raise MssfcError(
                "Both the prediction and the reference are polygons: give one of them as a "
                "raster (its grid is used to rasterize the other)."
            )
        if pred_vec:
            grid_src = open_raster(reference, bands=[1])
            pred_path = rasterize_polygons(
                prediction, grid_src.grid, notes=notes, what="prediction"
            )
            temps.append(pred_path)
        else:
            pred_path = prediction
        pred_src = open_raster(pred_path, bands=[1])
        if ref_vec:
            ref_path = rasterize_polygons(reference, pred_src.grid, notes=notes, what="reference")
            temps.append(ref_path)
        else:
            ref_path = reference
        pair = align_pair(pred_path, ref_path, bands_t1=[1], bands_t2=[1], resample="near")
        notes += [
            n.replace("T2", "the reference").replace("T1", "the prediction") for n in pair.notes
        ]
        sources: list[RasterSource] = [pair.t1, pair.t2]
        grid = pair.grid
        if area:
            area_path = rasterize_polygons(area, grid, notes=notes, what="area")
            temps.append(area_path)
            sources.append(open_raster(area_path, bands=[1]))
            notes.append(f"Evaluation limited to the polygons of {area}.")
        dtype = pred_src.dtype
        probability = np.issubdtype(dtype, np.floating)
        if probability:
            if threshold is None:
                threshold = DEFAULT_THRESHOLD
                notes.append(
                    f"The prediction is a probability raster and no threshold was given: using "
                    f"{DEFAULT_THRESHOLD} (the bundled model's default)."
                )
        elif threshold is not None:
            notes.append("The prediction is a mask: the threshold is not used.")
            threshold = None
        result = _accumulate(
            sources,
            grid,
            probability=probability,
            threshold=threshold if threshold is not None else 0.5,
            out_errors=out_errors,
            block=block,
            iou_threshold=iou_threshold,
            progress=ScaledProgress(progress, 0, 90),
        )
        result.threshold = threshold
        result.notes = notes
        for name, reason in result.confusion.reasons.items():
            notes.append(f"{name} is undefined (shown as n/a): {reason}.")
        if result.curve is not None:
            result.best = best_threshold(result.curve, "iou")
        for n in notes:
            progress.info(n)
        err_rgb = None
        if out_errors:
            err_src = open_raster(out_errors, bands=[1, 2, 3])
            err_rgb, _ = decimated_read(err_src, max_pixels=512 * 512)
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
        if out_table:
            write_csv(out_table, table_rows(result))
        progress.set_progress(100)
        return result
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
    probability: bool,
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

    def fn(b: Block) -> dict[str, np.ndarray]:
        pred = b.data[0][0]
        ref = b.data[1][0] != 0
        valid = b.valid & np.isfinite(pred) if probability else b.valid.copy()
        if len(b.data) > 2:
            valid &= b.data[2][0] != 0
        pos = _positive(pred, probability=probability, threshold=threshold)
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
