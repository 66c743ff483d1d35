"""MSSFC-Net inference on rasters of any size through the shared tiled engine (no QGIS).

One function per task, each a few lines over :func:`run_inference`: tiles overlap and are
blended (:func:`~mssfc_qgis.core.engine.run_blended`), inputs are scaled to [0, 1] once for the
whole raster (:func:`~mssfc_qgis.core.raster.fit_scaling`) and normalized by the model's own
metadata, and the three heads (buildings at T1, buildings at T2, change) are turned into the
requested outputs as rows finish.

Single-image building extraction feeds the same image as T1 and T2, the paper's dual-image input
scheme; the building probability is the mean of the two building heads.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from osgeo import gdal

from .engine import BatchFunction, Finalize, OutputSpec, run_blended
from .errors import MssfcError
from .onnx_model import OnnxModel, normalize
from .progress import NullProgress, Progress
from .raster import (
    AlignedPair,
    BandScaling,
    Grid,
    RasterSource,
    align_pair,
    alpha_bands,
    fit_scaling,
    open_raster,
    record_threshold,
    rgb_note,
    warp_to,
)

Task = Literal["extraction", "change", "newlybuilt"]
MASK_NODATA = 255
PROB_NODATA = -1.0


@dataclass(frozen=True)
class InferenceOptions:
    """How to run the network.

    Attributes
    ----------
    tile, overlap : int or None
        Tile side and overlap in pixels; None takes the model's recommendation.
    batch : int
        Tiles per ONNX Runtime call.
    threshold : float or None
        Probability threshold for the masks; None takes the model's default per head.
    scaling : str
        ``"auto"`` (8-bit: /255; other types: percentile stretch), ``"dtype"`` or ``"percentile"``.
    resample : bool
        Run at the model's ground resolution (resampling the input, then the outputs back) when
        the input's resolution differs from it by more than 50 %.
    """

    tile: int | None = None
    overlap: int | None = None
    batch: int = 2
    threshold: float | None = None
    scaling: str = "auto"
    resample: bool = False


def check_tile(model: OnnxModel, tile: int, overlap: int) -> None:
    """Refuse tiles the model cannot take."""
    m = model.metadata.size_multiple
    if tile < 2 * m:
        raise MssfcError(
            f"Tile size {tile} is smaller than this model's minimum ({2 * m} px). "
            f"Use a tile of at least {2 * m} (the model recommends {model.metadata.tile_size})."
        )
    if not 0 <= overlap < tile // 2:
        raise MssfcError(
            f"Overlap {overlap} px does not fit tiles of {tile} px: it must be from 0 to "
            f"{tile // 2 - 1} px (less than half the tile). Lower OVERLAP, or set it to -1 for "
            "the default."
        )


def default_overlap(model: OnnxModel, tile: int) -> int:
    """The model's recommended overlap, at most a quarter of ``tile`` (a small tile keeps most
    of its pixels as its core)."""
    return min(model.metadata.tile_overlap, tile // 4)


def resolution_note(model: OnnxModel, grid: Grid, *, resample: bool = False) -> str | None:
    """A note when the input's ground resolution differs from the model's by more than 50 %:
    a warning, or with ``resample`` what the run does about it. None when it is close, or
    unknown (no CRS)."""
    res = grid.ground_resolution()
    want = model.metadata.resolution_m
    if res is None or not want > 0 or abs(res - want) / want <= 0.5:
        return None
    if resample:
        return (
            f"The input's pixels are {res:.2f} m; the model was trained at {want:.2f} m: the "
            "image is resampled to the model's resolution and the outputs back to the input's."
        )
    return (
        f"The input's pixels are {res:.2f} m; the model was trained at {want:.2f} m "
        f"({res / want:.1f}x). Results may be poor: turn on RESAMPLE (resampling to the model's "
        "resolution), or give imagery closer to it."
    )


def _model_grid(grid: Grid, resolution_m: float) -> Grid:
    """The grid covering ``grid``'s extent with pixels of ``resolution_m`` metres on the ground
    (in the grid's own units: metres, feet or degrees, whose x and y steps then differ)."""
    ground = grid.ground_pixel_size()
    if ground is None:
        raise MssfcError("Internal error: resampling needs a raster with a CRS.")
    gt = grid.geotransform
    px, py = grid.pixel_size
    step_x, step_y = resolution_m * px / ground[0], resolution_m * py / ground[1]
    width = max(1, round(grid.width * ground[0] / resolution_m))
    height = max(1, round(grid.height * ground[1] / resolution_m))
    return Grid(width, height, (gt[0], step_x, 0.0, gt[3], 0.0, -step_y), grid.crs_wkt)


def _model_fn(model: OnnxModel, scalings: Sequence[BandScaling]) -> BatchFunction:
    """The batch function for the engine: native tiles ``(n, bands, h, w)`` per source ->
    ``(n, 3, h, w)`` probabilities (building T1, building T2, change)."""

    def prepare(scaling: BandScaling, tiles: np.ndarray, valid: np.ndarray) -> np.ndarray:
        x = normalize(scaling.apply(tiles), model.metadata)
        # invalid pixels (nodata, NaN) get the training mean, 0 after normalization: a NaN
        # would spread through the convolutions over the whole tile and its neighbours
        return np.where(valid[:, None], x, np.float32(0.0))

    def fn(data: list[np.ndarray], valid: np.ndarray) -> np.ndarray:
        t1 = prepare(scalings[0], data[0], valid)
        t2 = prepare(scalings[-1], data[-1], valid) if len(data) > 1 else t1
        out = model.predict(t1, t2)
        return np.stack([out["building_t1"], out["building_t2"], out["change"]], axis=1)

    return fn


def _finalizer(
    task: Task, thresholds: Mapping[str, float], wanted: set[str], *, single: bool
) -> Finalize:
    """Turn blended heads ``(3, h, w)`` into the requested output arrays."""
    tb1, tb2, tc = thresholds["building_t1"], thresholds["building_t2"], thresholds["change"]

    def finalize(blended: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
        b1, b2, ch = blended
        out: dict[str, np.ndarray] = {}
        if task == "extraction":
            prob = 0.5 * (b1 + b2) if single else b2
            out["probability"] = prob
            out["mask"] = (prob >= tb2).astype(np.uint8)
        elif task == "change":
            out["probability"] = ch
            out["mask"] = (ch >= tc).astype(np.uint8)
            out["buildings_t1"] = (b1 >= tb1).astype(np.uint8)
            out["buildings_t2"] = (b2 >= tb2).astype(np.uint8)
        else:
            # Fuzzy AND of change, building at T2 and no building at T1: at the default
            # thresholds of 0.5 the mask is exactly change & building(T2) & not building(T1).
            like = np.minimum(np.minimum(ch - tc, b2 - tb2), tb1 - b1) + 0.5
            out["probability"] = np.clip(like, 0.0, 1.0)
            out["mask"] = ((ch >= tc) & (b2 >= tb2) & (b1 < tb1)).astype(np.uint8)
        out["building_prob_t1"] = b1
        out["building_prob_t2"] = b2
        out["change_prob"] = ch
        return {k: v for k, v in out.items() if k in wanted}

    return finalize


OUTPUT_KINDS = {
    "probability": ("float32", PROB_NODATA),
    "building_prob_t1": ("float32", PROB_NODATA),
    "building_prob_t2": ("float32", PROB_NODATA),
    "change_prob": ("float32", PROB_NODATA),
    "mask": ("uint8", MASK_NODATA),
    "buildings_t1": ("uint8", MASK_NODATA),
    "buildings_t2": ("uint8", MASK_NODATA),
}


def run_inference(
    task: Task,
    model: OnnxModel,
    sources: Sequence[RasterSource],
    grid: Grid,
    outputs: Mapping[str, str],
    *,
    options: InferenceOptions | None = None,
    progress: Progress | None = None,
) -> dict[str, str]:
    """Run the network over ``sources`` (one image, or an aligned T1/T2 pair) on ``grid``.

    Parameters
    ----------
    outputs
        ``{kind: path}`` with kinds from :data:`OUTPUT_KINDS` (``probability``, ``mask``,
        ``buildings_t1``, ``buildings_t2``, ``building_prob_t1``, ``building_prob_t2``,
        ``change_prob``).

    Returns
    -------
    dict
        ``{kind: path}`` written. Masks are uint8 0/1 with nodata 255; probabilities float32 in
        [0, 1] with nodata -1. Nothing is left behind on error or cancel.
    """
    progress = progress or NullProgress()
    options = options or InferenceOptions()
    md = model.metadata
    nb = len(md.bands)
    for src in sources:
        if len(src.bands) != nb:
            raise MssfcError(
                f"The model takes {nb} bands ({', '.join(md.bands)}) but {len(src.bands)} were "
                f"chosen for {src.path}. Choose {nb} bands in that order."
            )
    tile = options.tile or md.tile_size
    overlap = default_overlap(model, tile) if options.overlap is None else options.overlap
    check_tile(model, tile, overlap)
    note = resolution_note(model, grid, resample=options.resample)
    if note and not options.resample:
        progress.warning(note)
    thresholds = head_thresholds(model, options)
    progress.info(
        f"MSSFC-Net {md.preset} ({md.version}) on {model.provider.replace('ExecutionProvider', '')}"
        + f"; tiles {tile} px, overlap {overlap} px, batch {options.batch}; "
        f"thresholds {', '.join(f'{k} {v:.2f}' for k, v in thresholds.items())}."
    )
    scalings = [fit_scaling(s, method=options.scaling) for s in sources]
    for s, sc in zip(sources, scalings):
        if sc.method == "percentile":
            progress.info(
                f"{Path(s.path).name}: {s.dtype} scaled per band from "
                f"{[round(v, 1) for v in sc.low]} .. {[round(v, 1) for v in sc.high]} to [0, 1]."
            )
    fn = _model_fn(model, scalings)
    specs = []
    for kind, path in outputs.items():
        if kind not in OUTPUT_KINDS:
            raise MssfcError(f"Internal error: unknown output kind {kind!r}.")
        dtype, nodata = OUTPUT_KINDS[kind]
        specs.append(OutputSpec(kind, path, dtype=dtype, nodata=nodata, band_names=(kind,)))

    run_grid, run_sources, final = grid, list(sources), None
    if options.resample and note:
        progress.info(note)
        run_grid = _model_grid(grid, md.resolution_m)
        run_sources = [warp_to(s, run_grid) for s in sources]
        final = {spec.name: spec for spec in specs}
        tmpdir = tempfile.mkdtemp(prefix="mssfc_resample_")
        specs = [
            OutputSpec(
                s.name,
                os.path.join(tmpdir, f"{s.name}.tif"),
                s.bands,
                s.dtype,
                s.nodata,
                s.band_names,
            )
            for s in specs
        ]
        progress.info(
            f"Resampled to the model's {md.resolution_m:g} m: {run_grid.width}x{run_grid.height} px."
        )
    try:
        written = run_blended(
            run_sources,
            fn,
            specs,
            grid=run_grid,
            channels=3,
            finalize=_finalizer(task, thresholds, set(outputs), single=len(sources) == 1),
            tile=tile,
            overlap=overlap,
            batch=options.batch,
            progress=progress,
        )
    except BaseException:
        if final is not None:  # the model-grid scratch folder (empty: nothing was committed)
            shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    if final is not None:
        written = _resample_back(written, final, grid)
    for kind, path in written.items():
        cut = output_threshold(task, kind, thresholds)
        if cut is not None:
            record_threshold(path, cut)
    return written


def head_thresholds(model: OnnxModel, options: InferenceOptions) -> dict[str, float]:
    """The probability each head's mask is cut at: ``options.threshold`` for every head, or the
    model's own per head (``building_t1``, ``building_t2``, ``change``)."""
    if options.threshold is None:
        return dict(model.metadata.thresholds)
    if not 0.0 <= options.threshold <= 1.0:
        raise MssfcError(f"Threshold {options.threshold} must be between 0 and 1.")
    return {k: options.threshold for k in model.metadata.thresholds}


def output_threshold(task: Task, kind: str, thresholds: Mapping[str, float]) -> float | None:
    """The threshold that makes the mask of a probability output ``kind`` (None for masks):
    what :func:`~mssfc_qgis.core.raster.record_threshold` writes into it."""
    by_kind = {
        "building_prob_t1": thresholds["building_t1"],
        "building_prob_t2": thresholds["building_t2"],
        "change_prob": thresholds["change"],
        # extraction: the building probability; change: the change head; newly built: the
        # fuzzy AND, shifted so that its mask is where it reaches 0.5
        "probability": {
            "extraction": thresholds["building_t2"],
            "change": thresholds["change"],
        }.get(task, 0.5),
    }
    return by_kind.get(kind)


def _resample_back(
    written: Mapping[str, str], final: Mapping[str, OutputSpec], grid: Grid
) -> dict[str, str]:
    """Warp outputs made on the model's grid back onto the input grid, nearest neighbour for
    all: a bilinear probability beside a nearest mask disagreed with it along every edge (mask
    pixels below the threshold, polygons whose mean probability was under it)."""
    from .raster import GTIFF_OPTIONS, check_writable, grid_bounds, partial_path

    out = {}
    xmin, ymin, xmax, ymax = grid_bounds(grid)
    try:
        for name, tmp in written.items():
            spec = final[name]
            check_writable(spec.path)
            part = partial_path(spec.path)
            ds = gdal.Warp(
                part,
                tmp,
                format="GTiff",
                outputBounds=(xmin, ymin, xmax, ymax),
                width=grid.width,
                height=grid.height,
                resampleAlg="near",
                creationOptions=list(GTIFF_OPTIONS),
            )
            ds.FlushCache()
            ds = None
            os.replace(part, spec.path)
            out[name] = spec.path
    finally:
        for tmp in written.values():
            with contextlib.suppress(OSError):
                os.remove(tmp)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(next(iter(written.values()))))
    return out


def open_single(
    path: str, *, bands: Sequence[int] | None, model: OnnxModel
) -> tuple[list[RasterSource], Grid, list[str]]:
    """One image for building extraction: sources and grid, with notes for the log."""
    src = open_raster(path, bands=bands, needed=len(model.metadata.bands))
    notes = []
    if not src.grid.georeferenced:
        notes.append(f"{path} has no georeferencing: outputs are in pixel units (no CRS).")
    if len(set(src.bands)) == 1:
        if src.dataset.RasterCount - len(alpha_bands(src.dataset)) == 1:
            notes.append(f"{path} has a single band: it is repeated as red, green and blue.")
        else:
            notes.append(f"Band {src.bands[0]} of {path} is used as red, green and blue.")
    note = rgb_note(src)
    if note:
        notes.append(note)
    return [src], src.grid, notes


def open_pair(
    path_t1: str,
    path_t2: str,
    *,
    bands_t1: Sequence[int] | None,
    bands_t2: Sequence[int] | None,
    model: OnnxModel,
) -> tuple[list[RasterSource], Grid, list[str]]:
    """An aligned T1/T2 pair for change detection: sources, grid and notes."""
    pair: AlignedPair = align_pair(
        path_t1, path_t2, bands_t1=bands_t1, bands_t2=bands_t2, needed=len(model.metadata.bands)
    )
    notes = list(pair.notes)
    for src in (pair.t1, pair.t2):
        note = rgb_note(src)
        if note:
            notes.append(note)
    return [pair.t1, pair.t2], pair.grid, notes
