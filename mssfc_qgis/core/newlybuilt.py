"""Unsupervised newly built building detection on rasters of any size (no QGIS).

Each step of the method (METHODS.md B) is a stage: rasters in, rasters out, through the shared
tiled engine with that step's halo. Statistics that must be global (ISFA transforms, percentile
normalizations, Otsu thresholds, the BLI scale) are fitted once, on a sample of the whole image,
before the tiles run, so tiled and untiled results agree. The Processing step tools call one
stage each; ``mssfc:newlybuilt`` calls them all in sequence through temporary rasters, so the
chain of step tools in the Graphical Modeler gives exactly the end-to-end result.

Stages and outputs:

1. :func:`change_intensity_stage` (T1, T2) -> CI = a N(T_spec) + (1 - a) N(T_tex)
2. :func:`mbi_stage` (T2) -> MBI (raw)
3. :func:`bli_stage` (T2) -> BLI in [0, 1] (+ the perpendicular segments as lines)
4. :func:`building_intensity_stage` (BLI, MBI) -> BI = phi BLI + (1 - phi) N(MBI)
5. :func:`likelihood_stage` (CI, BI) -> L = N(CI) N(BI) and the thresholded mask
6. :func:`objects_stage` (mask) -> polygons filtered by area and GI, and their mask
"""

from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr
from scipy import ndimage

from .engine import (
    Block,
    OutputSpec,
    compute_pool,
    read_block,
    read_full,
    release_memory,
    run_concurrently,
    run_windows,
)
from .errors import Canceled, MssfcError
from .progress import NullProgress, Progress, ScaledProgress
from .raster import (
    SCRATCH_OPTIONS,
    Grid,
    RasterSource,
    Window,
    align_pair,
    alpha_bands,
    copy_raster,
    decimated_read,
    open_raster,
    record_threshold,
    remove_outputs,
    sample_windows,
    scratch_folder,
    write_array,
)
from .unsupervised import bli as bli_mod
from .unsupervised import fusion, isfa, mbi, texture
from .unsupervised.pipeline import (
    NewlyBuiltConfig,
    PixelParams,
    fit_texture_change,
    newlybuilt_untiled,
    texture_change,
    unused_fusion_note,
    unused_threshold_note,
)

FLOAT_NODATA = -9999.0
MASK_NODATA = 255
TILE = 1024
SAMPLE_WINDOW = 512
SAMPLE_COUNT = 9
CHANGE_SAMPLE_WINDOW = 256
CHANGE_SAMPLE_COUNT = 16
MAX_UNTILED_PIXELS = 25_000_000
DEFAULT_CONFIG = NewlyBuiltConfig()

__all__ = [
    "NewlyBuiltConfig",
    "Outputs",
    "bli_stage",
    "building_intensity_stage",
    "change_intensity_stage",
    "likelihood_stage",
    "mbi_stage",
    "newlybuilt",
    "objects_stage",
    "pixel_size_metres",
    "visible_band_positions",
]


# ---------------------------------------------------------------------------------------------
# Helpers


def pixel_size_metres(
    grid: Grid, *, override: float | None = None, progress: Progress | None = None
) -> float:
    """Ground sampling distance in metres: the override, the projected CRS's pixel size, an
    approximation for geographic CRS, or 0.5 m (with a warning) without georeferencing."""
    progress = progress or NullProgress()
    resolution = grid.ground_resolution()
    if override:
        if resolution is not None and abs(override - resolution) > 0.01 * resolution:
            progress.warning(
                f"PIXEL_SIZE {override:g} m overrides the raster's {resolution:.4g} m pixels: "
                "lengths in metres become pixels, and areas square metres, at "
                f"{override:g} m per pixel."
            )
        return float(override)
    if resolution is None:
        progress.warning(
            "The raster has no CRS: assuming 0.5 m pixels for the lengths given in metres. Set "
            "PIXEL_SIZE if that is wrong."
        )
        return 0.5
    return resolution


def describe_lengths(px: PixelParams) -> str:
    """The MBI line lengths of ``px`` for the log, e.g. ``"4, 14, 24 ... 94, 100 px (11
    lengths)"``; a step beyond the range says so, as only the two ends are then used."""
    lengths = mbi.mbi_lengths(px.mbi_min_length, px.mbi_max_length, px.mbi_step)
    if len(lengths) == 2 and px.mbi_step > px.mbi_max_length - px.mbi_min_length:
        return (
            f"{lengths[0]} and {lengths[1]} px only (the step, {px.mbi_step} px, is longer than "
            "the range between them)"
        )
    if len(lengths) <= 6:
        return ", ".join(str(v) for v in lengths) + " px"
    head = ", ".join(str(v) for v in lengths[:3])
    return f"{head} ... {lengths[-2]}, {lengths[-1]} px ({len(lengths)} lengths)"


def square_metres_per_map_unit(grid: Grid, pixel_size_m: float) -> float:
    """Square metres in one square map unit of ``grid``, whose pixels cover ``pixel_size_m``
    squared on the ground (:func:`pixel_size_metres`): that ground area over the pixel's area in
    map units. Exactly 1 for square pixels in metres; about 8.5e9 for degrees at 45 degrees of
    latitude; 0.0929 for US feet."""
    gt = grid.geotransform
    return pixel_size_m**2 / abs(gt[1] * gt[5] - gt[2] * gt[4])


def ground_area_scale(raster_path: str) -> float:
    """Square metres per square map unit of a raster with a CRS (1 in metres; degrees and feet
    converted), or 1 (square pixels) for one without: the deep tools' polygon areas."""
    grid = open_raster(raster_path, bands=[1]).grid
    if not grid.georeferenced or not grid.crs_wkt:
        return 1.0
    return square_metres_per_map_unit(grid, pixel_size_metres(grid))


def _float(data: np.ndarray) -> np.ndarray:
    return np.asarray(data, dtype=np.float32)


def _sample_blocks(
    sources: Sequence[RasterSource],
    grid: Grid,
    halo: int,
    *,
    size: int = SAMPLE_WINDOW,
    count: int = SAMPLE_COUNT,
    read_data: bool = True,
) -> list[Block]:
    """Blocks of ``count`` evenly spread ``size``-pixel sample windows (with halo), for fitting
    global statistics (validity only, no pixel values, with ``read_data=False``)."""
    return [
        read_block(sources, core.expand(halo, grid.width, grid.height), core, read_data=read_data)
        for core in sample_windows(grid, size=size, count=count)
    ]


def _core(arr: np.ndarray, block: Block) -> np.ndarray:
    rows, cols = block.core_slices
    return arr[..., rows, cols]


def _brightness(data: np.ndarray, cfg: NewlyBuiltConfig) -> np.ndarray:
    return mbi.brightness(_float(data), visible_bands=cfg.visible_bands)


def _range(values: np.ndarray, low: float, high: float) -> tuple[float, float]:
    stats = fusion.fit_percentiles(values, low=low, high=high)
    return stats.low, stats.high if stats.high > stats.low else stats.low + 1.0


def _decimated_values(path: str, *, max_pixels: int = 2_000_000) -> np.ndarray:
    src = open_raster(path, bands=[1])
    data, valid = decimated_read(src, max_pixels=max_pixels)
    return data[0][valid].astype(np.float64)


def _float_out(name: str, path: str, label: str) -> OutputSpec:
    return OutputSpec(name, path, dtype="float32", nodata=FLOAT_NODATA, band_names=(label,))


#: GDAL colour interpretations that mark a visible band.
_VISIBLE_INTERP = {gdal.GCI_RedBand: "red", gdal.GCI_GreenBand: "green", gdal.GCI_BlueBand: "blue"}


def visible_band_positions(
    path: str,
    bands: Sequence[int] | None = None,
    requested: Sequence[int] | None = None,
) -> tuple[tuple[int, ...], str]:
    """Which of the bands read from ``path`` are visible, for the brightness ``b = max over the
    visible bands`` of MBI, BLI and the texture (METHODS B.4). A near-infrared band must stay
    out: vegetation is bright there, so it would get a building index.

    Parameters
    ----------
    path
        The image as the user gave it (its colour interpretation and band count are read).
    bands
        1-based band numbers read from it, in order (None: every band but alpha, as
        :func:`~mssfc_qgis.core.raster.open_raster` reads it).
    requested
        1-based band numbers the user named as visible (each must be among ``bands``); None
        chooses: the bands tagged red, green or blue if any; of a 4-band image with no such
        tags, bands 1-3 (R, G, B, NIR and B, G, R, NIR both put the visible bands first); else
        every band read.

    Returns
    -------
    (positions, note)
        0-based positions into ``bands`` (``cfg.visible_bands``) and a sentence for the log.
    """
    # the bands as every stage reads them (the default leaves alpha bands out)
    src = open_raster(path, bands=bands)
    ds = src.dataset
    chosen = list(src.bands)
    count = ds.RasterCount - len(alpha_bands(ds))  # image bands
    if requested:
        missing = [b for b in requested if b not in chosen]
        if missing:
            raise MssfcError(
                f"Visible band(s) {', '.join(map(str, missing))} are not among the bands read "
                f"({', '.join(map(str, chosen))}): add them to the bands read (BANDS; BANDS_T2 in "
                "the change intensity tool) or set VISIBLE_BANDS to bands from it."
            )
        positions = tuple(chosen.index(b) for b in dict.fromkeys(requested))
        why = "as given"
    else:
        tags = {}
        for b in set(chosen):
            band = ds.GetRasterBand(b)
            if band.GetColorInterpretation() in _VISIBLE_INTERP:
                tags[b] = _VISIBLE_INTERP[band.GetColorInterpretation()]
        if tags:
            positions = tuple(i for i, b in enumerate(chosen) if b in tags)
            why = "tagged " + ", ".join(tags[chosen[i]] for i in positions)
        elif count == 4 and any(b <= 3 for b in chosen) and any(b == 4 for b in chosen):
            positions = tuple(i for i, b in enumerate(chosen) if b <= 3)
            why = (
                "a 4-band image without colour tags is taken as R, G, B, NIR or B, G, R, NIR, "
                "so band 4 is left out; set VISIBLE_BANDS if the order differs"
            )
        else:
            positions = tuple(range(len(chosen)))
            why = "all bands read" + (
                "; set VISIBLE_BANDS if some are not visible (near-infrared, for one)"
                if len(chosen) > 3
                else ""
            )
    numbers = [chosen[i] for i in positions]
    if len(set(numbers)) == 1:
        return positions, f"Brightness is band {numbers[0]} alone ({why})."
    return positions, f"Brightness is the maximum of bands {', '.join(map(str, numbers))} ({why})."


def with_visible_bands(
    cfg: NewlyBuiltConfig,
    path: str,
    bands: Sequence[int] | None,
    requested: Sequence[int] | None,
    progress: Progress,
) -> NewlyBuiltConfig:
    """``cfg`` with ``visible_bands`` set (and logged) by :func:`visible_band_positions`: the
    ``requested`` 1-based band numbers when given, else ``cfg``'s own when set, else chosen."""
    if cfg.visible_bands is not None and not requested:
        return cfg
    positions, note = visible_band_positions(path, bands, requested)
    progress.info(note)
    return replace(cfg, visible_bands=positions)


def check_size(grid: Grid, cfg: NewlyBuiltConfig, pixel_size: float) -> None:
    """Refuse an image smaller than the longest MBI line."""
    s_max = cfg.in_pixels(pixel_size).mbi_max_length
    if min(grid.width, grid.height) < s_max:
        raise MssfcError(
            f"The image is {grid.width} x {grid.height} pixels but the longest MBI line is "
            f"{s_max} pixels ({cfg.mbi_max_length_m:g} m at {pixel_size:g} m): lower the maximum "
            "MBI length (MBI_MAX_LENGTH, in metres) or give a larger image."
        )


# ---------------------------------------------------------------------------------------------
# 1. Change intensity


@dataclass(frozen=True)
class ChangeStats:
    """Globally fitted statistics of the change-intensity stage. ``texture_ranges``: the
    brightness range each date's GLCM quantizes (T1's, T2's)."""

    texture_ranges: tuple[tuple[float, float], tuple[float, float]]
    spectral: isfa.IsfaModel
    textural: isfa.IsfaModel | fusion.DiffStats
    spectral_norm: fusion.PercentileStats
    texture_norm: fusion.PercentileStats


def _texture(
    b: np.ndarray, valid: np.ndarray, rng: tuple[float, float], cfg: NewlyBuiltConfig
) -> np.ndarray:
    return texture.glcm_features(
        b, window=cfg.texture_window, levels=cfg.texture_levels, value_range=rng, valid=valid
    )


def fit_change(
    t1: RasterSource, t2: RasterSource, grid: Grid, cfg: NewlyBuiltConfig, *, workers: int = 1
) -> ChangeStats:
    """Fit spectral ISFA, the texture change (``cfg.texture_change``) and the two normalizations
    on sample windows; the sample textures are computed in ``workers`` threads."""
    halo = texture.texture_halo(cfg.texture_window)
    # ISFA keeps cfg.max_samples pixels: 16 windows of 256 px (1 Mpx) spread the sample wider
    # than 9 of 512, at under half the texture work
    blocks = _sample_blocks(
        [t1, t2], grid, halo, size=CHANGE_SAMPLE_WINDOW, count=CHANGE_SAMPLE_COUNT
    )
    bright = [
        np.concatenate([_brightness(b.data[i], cfg)[b.valid] for b in blocks]) for i in (0, 1)
    ]
    if bright[0].size + bright[1].size < 64:
        raise MssfcError(
            "Fewer than 64 valid pixels in T1 and T2: check nodata values and the overlap."
        )
    # METHODS B.2 leaves the quantization open: one range for both dates, unless they are on
    # different radiometric scales (fusion.texture_ranges)
    tranges = fusion.texture_ranges(bright[0], bright[1])
    per_block = max(1000, cfg.max_samples // len(blocks))
    xs, ys, gxs, gys = [], [], [], []
    feats = []
    # the sample textures are most of the fitting time: run them in the stage's threads
    jobs = [(b.data[i], b.valid, tranges[i]) for b in blocks for i in (0, 1)]
    with compute_pool(workers) as pool:
        textures = list(
            pool.map(lambda job: _texture(_brightness(job[0], cfg), job[1], job[2], cfg), jobs)
        )
    for n, b in enumerate(blocks):
        a1, a2 = _float(b.data[0]), _float(b.data[1])
        x, y = isfa.sample_pixel_pairs(a1, a2, b.valid, max_samples=per_block, seed=cfg.seed)
        xs.append(x)
        ys.append(y)
        g1, g2 = textures[2 * n], textures[2 * n + 1]
        feats.append((a1, a2, g1, g2))
        gx, gy = isfa.sample_pixel_pairs(g1, g2, b.valid, max_samples=per_block, seed=cfg.seed)
        gxs.append(gx)
        gys.append(gy)
    spec = isfa.fit_isfa(
        np.concatenate(xs), np.concatenate(ys), max_iter=cfg.isfa_max_iter, tol=cfg.isfa_tol
    )
    tex = fit_texture_change(np.concatenate(gxs), np.concatenate(gys), cfg)
    t_spec, t_tex = [], []
    for b, (a1, a2, g1, g2) in zip(blocks, feats):
        core_valid = _core(b.valid, b)
        t_spec.append(_core(isfa.isfa_change_intensity(spec, a1, a2, valid=b.valid), b)[core_valid])
        t_tex.append(_core(texture_change(tex, g1, g2, b.valid), b)[core_valid])
    return ChangeStats(
        texture_ranges=tranges,
        spectral=spec,
        textural=tex,
        spectral_norm=fusion.fit_percentiles(np.concatenate(t_spec)),
        texture_norm=fusion.fit_percentiles(np.concatenate(t_tex)),
    )


def change_window(
    block: Block, stats: ChangeStats, cfg: NewlyBuiltConfig, *, components: bool = False
) -> dict[str, np.ndarray]:
    """CI of one window (read with the texture halo): ``ci`` ``(h, w)``, and with
    ``components`` the ISFA ``components`` ``(bands, h, w)``."""
    a1, a2 = _float(block.data[0]), _float(block.data[1])
    valid = block.valid
    spec = fusion.normalize(
        isfa.isfa_change_intensity(stats.spectral, a1, a2, valid=valid), stats.spectral_norm
    )
    g1 = _texture(_brightness(block.data[0], cfg), valid, stats.texture_ranges[0], cfg)
    g2 = _texture(_brightness(block.data[1], cfg), valid, stats.texture_ranges[1], cfg)
    tex = fusion.normalize(texture_change(stats.textural, g1, g2, valid), stats.texture_norm)
    ci = fusion.change_intensity(spec, tex, weight=cfg.ci_weight)
    if not components:
        return {"ci": ci}
    return {"ci": ci, "components": isfa.isfa_components(stats.spectral, a1, a2)}


def change_intensity_stage(
    t1_path: str,
    t2_path: str,
    out_ci: str,
    *,
    out_components: str | None = None,
    bands_t1: Sequence[int] | None = None,
    bands_t2: Sequence[int] | None = None,
    visible_bands: Sequence[int] | None = None,
    cfg: NewlyBuiltConfig = DEFAULT_CONFIG,
    tile: int = 1024,
    workers: int = 2,
    progress: Progress | None = None,
) -> dict[str, str]:
    """Stage 1: change intensity of an aligned pair (ISFA spectral + texture, METHODS B.1-B.3).

    ISFA uses every band read; the texture uses the brightness of the visible ones:
    ``visible_bands`` (1-based numbers of T2's bands, among ``bands_t2``), else
    ``cfg.visible_bands``, else chosen by :func:`visible_band_positions`.
    """
    progress = progress or NullProgress()
    pair = align_pair(t1_path, t2_path, bands_t1=bands_t1, bands_t2=bands_t2)
    for note in pair.notes:
        progress.warning(note)
    cfg = with_visible_bands(cfg, t2_path, bands_t2, visible_bands, progress)
    stats = fit_change(pair.t1, pair.t2, pair.grid, cfg, workers=workers)
    release_memory()  # the sample windows' arrays (see release_memory)
    tex_note = (
        f"texture ISFA {stats.textural.n_iter} iterations"
        if isinstance(stats.textural, isfa.IsfaModel)
        else "texture change as the norm of the standardized GLCM difference"
    )
    spec_note = (
        f"spectral ISFA converged in {stats.spectral.n_iter} iterations"
        if stats.spectral.converged
        else f"spectral ISFA stopped after {stats.spectral.n_iter} iterations before its "
        "eigenvalues settled (the last iteration's statistics are used)"
    )
    progress.info(f"Fitted on a sample: {spec_note}, {tex_note}.")
    (lo1, hi1), (lo2, hi2) = stats.texture_ranges
    if (lo1, hi1) != (lo2, hi2):
        progress.warning(
            f"T1 and T2 brightness are on different scales (98 % of T1 within {lo1:g} - "
            f"{hi1:g}, of T2 within {lo2:g} - {hi2:g}: another bit depth or sensor?). Each "
            "date's texture is quantized over its own range; the spectral change standardizes "
            "each date anyway."
        )
    outputs = [_float_out("ci", out_ci, "change intensity")]
    if out_components:
        nb = len(pair.t1.bands)
        outputs.append(
            OutputSpec(
                "components",
                out_components,
                bands=nb,
                dtype="float32",
                nodata=FLOAT_NODATA,
                band_names=tuple(f"ISFA {i + 1}" for i in range(nb)),
            )
        )
    return run_windows(
        [pair.t1, pair.t2],
        lambda b: change_window(b, stats, cfg, components=bool(out_components)),
        outputs,
        grid=pair.grid,
        tile=tile,
        halo=texture.texture_halo(cfg.texture_window),
        workers=workers,
        progress=progress,
    )


# ---------------------------------------------------------------------------------------------
# 2. MBI


def mbi_window(
    block: Block, *, cfg: NewlyBuiltConfig, pixel_size: float, value_range: tuple[float, float]
) -> dict[str, np.ndarray]:
    """Raw MBI ``(h, w)`` float32 of one window's core (read with :func:`mbi_halo_px`), in
    brightness units. Invalid pixels of the block act as pixels outside the image (they take no
    part in the morphology) and get 0."""
    px = cfg.in_pixels(pixel_size)
    out = mbi.morphological_building_index(
        _brightness(block.data[0], cfg),
        min_length=px.mbi_min_length,
        max_length=px.mbi_max_length,
        step=px.mbi_step,
        reconstruction_radius=cfg.mbi_radius_px(pixel_size),
        value_range=value_range,
        valid=block.valid,
        core=block.core_slices,
    )
    return {"mbi": out}


def mbi_halo_px(cfg: NewlyBuiltConfig, pixel_size: float) -> int:
    """Halo of the MBI stage in pixels."""
    return mbi.mbi_halo(cfg.in_pixels(pixel_size).mbi_max_length, cfg.mbi_radius_px(pixel_size))


def decimated_brightness(source: RasterSource, cfg: NewlyBuiltConfig) -> np.ndarray:
    """Brightness of the valid pixels of a decimated read of ``source`` (at most 2 Mpx), ``(n,)``
    float32: what the MBI and BLI stages fit their brightness ranges on."""
    data, valid = decimated_read(source, max_pixels=2_000_000)
    b = _brightness(data, cfg)[valid]
    if b.size == 0:
        raise MssfcError(f"{source.path} has no valid pixels.")
    return b


@contextlib.contextmanager
def on_reference_grid(
    image_path: str,
    reference_path: str,
    bands: Sequence[int] | None,
    cfg: NewlyBuiltConfig,
    progress: Progress,
) -> Iterator[tuple[str, NewlyBuiltConfig]]:
    """The image (its ``bands``) on ``reference_path``'s grid, common area only, decoded into a
    scratch GeoTIFF exactly as :func:`newlybuilt` prepares T2 for MBI and BLI, and ``cfg`` with
    the visible bands chosen on the image itself (the copy carries no colour tags)."""
    if cfg.visible_bands is None:  # bands named here are the visible ones
        cfg = with_visible_bands(cfg, image_path, bands, bands, progress)
    chosen = open_raster(image_path, bands=bands).bands
    pair = align_pair(reference_path, image_path, bands_t1=[1] * len(chosen), bands_t2=chosen)
    for note in pair.notes:
        progress.info(note)
    with scratch_folder("mssfc_ongrid_") as tmp:
        aligned = _decoded_t2(_aligned_t2(pair, tmp), tmp, progress)
        yield aligned, cfg
        del pair  # the VRTs go before their folder


def mbi_stage(
    image_path: str,
    out_mbi: str,
    *,
    bands: Sequence[int] | None = None,
    cfg: NewlyBuiltConfig = DEFAULT_CONFIG,
    pixel_size: float | None = None,
    tile: int = TILE,
    workers: int = 2,
    progress: Progress | None = None,
    brightness_sample: np.ndarray | None = None,
    reference_path: str | None = None,
) -> dict[str, str]:
    """Stage 2: Morphological Building Index (METHODS B.4), raw values. (Larger tiles would read
    a smaller share of halo but run slower: the reconstruction leaves the CPU cache.)

    ``brightness_sample``: :func:`decimated_brightness` of the image when the caller has it
    (the end-to-end run shares one read between MBI and BLI); read here when None. Brightness
    is the maximum of ``bands`` when given (they are the visible ones), else of the bands
    ``cfg.visible_bands`` or :func:`visible_band_positions` picks. ``reference_path``: compute
    on the image put on that raster's grid (T1's), common area only, as :func:`newlybuilt`
    does. Nodata pixels (a scene's collar) act as the outside of the image: the MBI of the valid
    part equals that of the valid part cut out alone.
    """
    progress = progress or NullProgress()
    if reference_path:
        with on_reference_grid(image_path, reference_path, bands, cfg, progress) as (path, cfg):
            return mbi_stage(
                path,
                out_mbi,
                cfg=cfg,
                pixel_size=pixel_size,
                tile=tile,
                workers=workers,
                progress=progress,
            )
    src = open_raster(image_path, bands=bands)
    grid = src.grid
    gsd = pixel_size_metres(grid, override=pixel_size, progress=progress)
    check_size(grid, cfg, gsd)
    if cfg.visible_bands is None:  # bands named here are the visible ones
        cfg = with_visible_bands(cfg, image_path, bands, bands, progress)
    px = cfg.in_pixels(gsd)
    progress.info(f"MBI lines of {describe_lengths(px)} ({gsd:g} m pixels), 4 directions.")
    bright = decimated_brightness(src, cfg) if brightness_sample is None else brightness_sample
    vr = _range(bright, 0.0, 100.0)
    halo = mbi_halo_px(cfg, gsd)
    return run_windows(
        [src],
        lambda b: mbi_window(b, cfg=cfg, pixel_size=gsd, value_range=vr),
        [_float_out("mbi", out_mbi, "MBI")],
        grid=grid,
        tile=tile,
        halo=halo,
        workers=workers,
        progress=progress,
    )


# ---------------------------------------------------------------------------------------------
# 3. BLI


def _bli_params(cfg: NewlyBuiltConfig, pixel_size: float) -> dict[str, float]:
    px = cfg.in_pixels(pixel_size)
    return {
        "max_distance": px.bli_max_distance,
        "angle_tolerance_deg": cfg.angle_tolerance_deg,
        "sigma": px.bli_sigma,
        "min_length": px.bli_min_segment,
        "max_arm": px.bli_max_arm,
    }


LSD_CELL = 512
LSD_MARGIN = 32


def detect_lattice_segments(
    src: RasterSource,
    grid: Grid,
    *,
    cfg: NewlyBuiltConfig,
    value_range: tuple[float, float],
    min_length: float,
    workers: int = 1,
    progress: Progress | None = None,
) -> np.ndarray:
    """LSD segments of the whole raster, ``(n, 4)`` float32 ``x1, y1, x2, y2`` in grid pixels.

    LSD is not a local operator (its detection threshold depends on the image size), so it runs on
    a fixed lattice of ``LSD_CELL`` blocks, each read with a ``LSD_MARGIN`` margin, and a block
    keeps the segments whose midpoint lies in its cell (ours). The result depends only on the
    raster, never on how a tool tiles it: tiled BLI equals untiled BLI. Memory grows with the
    number of segments (16 bytes each), not with the raster's pixels. Cells are detected in
    ``workers`` threads, read on the calling thread (GDAL requires it), kept in cell order.
    Invalid pixels (nodata, a collar) act as pixels outside the image: nothing is found in them
    or along their edge (:func:`~mssfc_qgis.core.unsupervised.bli.detect_segments`).
    """
    progress = progress or NullProgress()
    cells = [
        (x, y) for y in range(0, grid.height, LSD_CELL) for x in range(0, grid.width, LSD_CELL)
    ]
    masked = src.has_nodata()

    def read(win: Window) -> tuple[np.ndarray, np.ndarray | None]:
        return src.read_with_valid(win) if masked else (src.read(win), None)

    def detect(data: np.ndarray, valid: np.ndarray | None, win: Window, cell: Window) -> np.ndarray:
        segs = bli_mod.detect_segments(
            _brightness(data, cfg), value_range=value_range, min_length=min_length, valid=valid
        )
        if len(segs) == 0:
            return segs
        segs = segs + np.array([win.x, win.y, win.x, win.y], dtype=np.float32)
        mx = 0.5 * (segs[:, 0] + segs[:, 2])
        my = 0.5 * (segs[:, 1] + segs[:, 3])
        own = (
            (mx >= cell.x)
            & (mx < cell.x + cell.width)
            & (my >= cell.y)
            & (my < cell.y + cell.height)
        )
        return segs[own]

    found: list[np.ndarray] = []
    pending: deque[Future[np.ndarray]] = deque()

    done = 0

    def collect() -> None:
        nonlocal done
        segs = pending.popleft().result()
        if len(segs):
            found.append(segs)
        done += 1
        progress.set_progress(100.0 * done / len(cells))

    with compute_pool(workers) as pool:
        try:
            for cx, cy in cells:
                if progress.is_canceled():
                    raise Canceled("Canceled by the user.")
                cell = Window(
                    cx, cy, min(LSD_CELL, grid.width - cx), min(LSD_CELL, grid.height - cy)
                )
                win = cell.expand(LSD_MARGIN, grid.width, grid.height)
                pending.append(pool.submit(detect, *read(win), win, cell))
                while len(pending) > max(1, workers):
                    collect()
            while pending:
                collect()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return np.concatenate(found).astype(np.float32) if found else np.zeros((0, 4), np.float32)


@dataclass(frozen=True)
class LineSet:
    """What BLI draws, in whole grid pixels: segments with a perpendicular partner and the corner
    parallelogram of each pair, rounded once in grid coordinates so every tile draws them alike."""

    segments: np.ndarray  # (n, 4) float64, grid pixels (for the vector output)
    lines: np.ndarray  # (n, 2, 2) int64
    quads: np.ndarray  # (m, 4, 2) int64
    line_box: np.ndarray  # (n, 4) xmin, ymin, xmax, ymax
    quad_box: np.ndarray  # (m, 4)

    @classmethod
    def build(
        cls,
        segments: np.ndarray,
        *,
        max_distance: float,
        angle_tolerance_deg: float,
        max_arm: float,
        executor: Executor | None = None,
        is_canceled: Callable[[], bool] | None = None,
    ) -> LineSet:
        """Apply the Line segment Verticality Criterion (searched in ``executor``'s threads when
        given; ``is_canceled`` asked between areas of a large image); keep segments with a
        partner."""
        seg = np.asarray(segments, dtype=np.float64).reshape(-1, 4)
        pairs = bli_mod.perpendicular_pairs(
            seg,
            max_distance=max_distance,
            angle_tolerance_deg=angle_tolerance_deg,
            executor=executor,
            is_canceled=is_canceled,
        )
        kept = seg[np.unique(pairs.ravel())]
        quads = bli_mod.corner_quads(seg, pairs, max_arm) if len(pairs) else np.zeros((0, 4, 2))
        lines = np.rint(kept).astype(np.int64).reshape(-1, 2, 2)
        quads = np.rint(quads).astype(np.int64).reshape(-1, 4, 2)

        def boxes(pts: np.ndarray) -> np.ndarray:
            if len(pts) == 0:
                return np.zeros((0, 4), np.int64)
            return np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)

        return cls(kept, lines, quads, boxes(lines), boxes(quads))

    def density(self, window: Window, *, sigma: float) -> np.ndarray:
        """Raw BLI ``(h, w)`` of ``window``: coverage of the primitives blurred by ``sigma``."""
        blur = int(math.ceil(bli_mod.BLUR_TRUNCATE * sigma)) + 1
        lo = (window.x - blur, window.y - blur)
        hi = (window.x + window.width + blur, window.y + window.height + blur)

        def near(box: np.ndarray) -> np.ndarray:
            return (
                (box[:, 2] >= lo[0])
                & (box[:, 3] >= lo[1])
                & (box[:, 0] <= hi[0])
                & (box[:, 1] <= hi[1])
            )

        ln, qn = near(self.line_box), near(self.quad_box)
        lines, quads = self.lines[ln], self.quads[qn]
        # The canvas holds every chosen primitive whole: OpenCV rasterizes a clipped line or
        # polygon from its clipped end, so clipping would make tiles differ.
        boxes = np.concatenate([self.line_box[ln], self.quad_box[qn]])
        x0 = min(window.x, int(boxes[:, 0].min())) if len(boxes) else window.x
        y0 = min(window.y, int(boxes[:, 1].min())) if len(boxes) else window.y
        x1 = (
            max(window.x + window.width, int(boxes[:, 2].max()) + 1)
            if len(boxes)
            else window.x + window.width
        )
        y1 = (
            max(window.y + window.height, int(boxes[:, 3].max()) + 1)
            if len(boxes)
            else window.y + window.height
        )
        origin = np.array([x0, y0])
        canvas = bli_mod.draw_coverage((y1 - y0, x1 - x0), lines - origin, quads - origin)
        cover = canvas[
            window.y - y0 : window.y - y0 + window.height,
            window.x - x0 : window.x - x0 + window.width,
        ]
        cover = cover.astype(np.float32)
        if sigma <= 0:
            return cover
        blurred = ndimage.gaussian_filter(
            cover, sigma=sigma, mode="constant", truncate=bli_mod.BLUR_TRUNCATE
        )
        return np.clip(blurred, 0.0, 1.0).astype(np.float32)


def _bli_halo(sigma: float) -> int:
    return int(math.ceil(bli_mod.BLUR_TRUNCATE * sigma)) + 2


@dataclass(frozen=True)
class BliModel:
    """What the BLI of an image is drawn from: the LVC-paired lines, the blur in pixels and
    the density scale fitted on a sample (:func:`fit_bli`)."""

    lines: LineSet
    sigma: float
    scale: bli_mod.BliScale

    @property
    def halo(self) -> int:
        """Pixels a window is read with so that its core's blurred density is whole."""
        return _bli_halo(self.sigma)

    def normalized(self, block: Block) -> np.ndarray:
        """BLI ``(h, w)`` float32 in [0, 1] of a block's read window, 0 where invalid."""
        dens = self.lines.density(block.window, sigma=self.sigma)
        return np.where(block.valid, bli_mod.normalize_bli(dens, self.scale), 0.0).astype(
            np.float32
        )


def fit_bli(
    src: RasterSource,
    *,
    cfg: NewlyBuiltConfig,
    pixel_size: float,
    workers: int = 2,
    progress: Progress | None = None,
    brightness_sample: np.ndarray | None = None,
) -> BliModel:
    """The first half of stage 3: LSD segments of the whole image (:func:`detect_lattice_segments`),
    paired once by the Line segment Verticality Criterion, and the density scale fitted on
    sample windows (valid pixels only). ``brightness_sample`` as in :func:`mbi_stage`. No segment
    lies inside nodata pixels or along their edge (:func:`detect_lattice_segments`)."""
    progress = progress or NullProgress()
    grid = src.grid
    params = _bli_params(cfg, pixel_size)
    if cfg.bli_max_distance_m < 2.0 * pixel_size:
        progress.warning(
            f"At {pixel_size:g} m per pixel the line pairing distance ({cfg.bli_max_distance_m:g} "
            "m) is under 2 pixels, so few perpendicular line pairs can be found: the method is "
            "made for very-high-resolution imagery (about 0.3 - 1 m pixels). Raise LINE_DISTANCE "
            "to suit coarser pixels."
        )
    bright = decimated_brightness(src, cfg) if brightness_sample is None else brightness_sample
    segs = detect_lattice_segments(
        src,
        grid,
        cfg=cfg,
        value_range=_range(bright, 1.0, 99.0),
        min_length=params["min_length"],
        workers=workers,
        progress=progress,
    )
    sigma = params["sigma"]
    blocks = _sample_blocks([src], grid, _bli_halo(sigma), read_data=False)
    with compute_pool(workers) as pool:
        lines = LineSet.build(
            segs,
            max_distance=params["max_distance"],
            angle_tolerance_deg=cfg.angle_tolerance_deg,
            max_arm=params["max_arm"],
            executor=pool,
            is_canceled=progress.is_canceled,
        )
        dens = list(pool.map(lambda b: lines.density(b.window, sigma=sigma), blocks))
    if len(lines.segments) == 0:
        progress.warning("No perpendicular line segments were found: BLI is 0 everywhere.")
    else:
        progress.info(
            f"{len(segs)} line segments, {len(lines.segments)} with a perpendicular partner "
            f"(theta = {cfg.angle_tolerance_deg:g} deg, within {cfg.bli_max_distance_m:g} m)."
        )
    sample = [_core(d, b)[_core(b.valid, b)] for d, b in zip(dens, blocks)]
    return BliModel(lines, sigma, bli_mod.fit_bli_scale(np.concatenate(sample)))


def draw_bli(
    src: RasterSource,
    model: BliModel,
    out_bli: str,
    *,
    cfg: NewlyBuiltConfig = DEFAULT_CONFIG,
    tile: int = 1024,
    workers: int = 2,
    progress: Progress | None = None,
    building_index: tuple[str, str] | None = None,
) -> dict[str, str]:
    """The second half of stage 3: each tile draws the pairs near it, so tiles equal the untiled
    result. ``building_index=(mbi_path, out_bi)``: also write stage 4's BI
    (:func:`building_intensity_stage`) in the same pass, from the BLI drawn here and the MBI
    raster at ``mbi_path`` (on the image's grid); the written ``bi`` is the same."""
    sources = [src]
    outputs = [_float_out("bli", out_bli, "BLI")]
    mbi_norm = None
    if building_index is not None:
        mbi_path, out_bi = building_index
        sources.append(open_raster(mbi_path, bands=[1]))
        outputs.append(_float_out("bi", out_bi, "building intensity"))
        mbi_norm = fit_mbi_normalization(mbi_path)

    def window(block: Block) -> dict[str, np.ndarray]:
        bli = model.normalized(block)
        if mbi_norm is None:
            return {"bli": bli}
        return {"bli": bli, "bi": building_intensity(bli, block.data[1][0], mbi_norm, cfg)}

    return run_windows(
        sources,
        window,
        outputs,
        grid=src.grid,
        tile=tile,
        halo=model.halo,
        workers=workers,
        progress=progress,
        # the density is drawn from the segments: of the image only validity is needed
        read_data=mbi_norm is not None,
    )


def bli_stage(
    image_path: str,
    out_bli: str,
    *,
    out_segments: str | None = None,
    bands: Sequence[int] | None = None,
    cfg: NewlyBuiltConfig = DEFAULT_CONFIG,
    pixel_size: float | None = None,
    tile: int = 1024,
    workers: int = 2,
    progress: Progress | None = None,
    brightness_sample: np.ndarray | None = None,
    reference_path: str | None = None,
) -> dict[str, str]:
    """Stage 3: Building Line Index (METHODS B.5), normalized to [0, 1] with a scale fitted on a
    sample (:func:`fit_bli`, then :func:`draw_bli`); optionally the perpendicular segments as a
    line GeoPackage. ``brightness_sample``, the visible bands and ``reference_path`` as in
    :func:`mbi_stage`.
    """
    progress = progress or NullProgress()
    if reference_path:
        with on_reference_grid(image_path, reference_path, bands, cfg, progress) as (path, cfg):
            return bli_stage(
                path,
                out_bli,
                out_segments=out_segments,
                cfg=cfg,
                pixel_size=pixel_size,
                tile=tile,
                workers=workers,
                progress=progress,
            )
    src = open_raster(image_path, bands=bands)
    gsd = pixel_size_metres(src.grid, override=pixel_size, progress=progress)
    if cfg.visible_bands is None:  # bands named here are the visible ones
        cfg = with_visible_bands(cfg, image_path, bands, bands, progress)
    model = fit_bli(
        src,
        cfg=cfg,
        pixel_size=gsd,
        workers=workers,
        progress=ScaledProgress(progress, 0, 40),
        brightness_sample=brightness_sample,
    )
    written = draw_bli(
        src,
        model,
        out_bli,
        cfg=cfg,
        tile=tile,
        workers=workers,
        progress=ScaledProgress(progress, 40, 100),
    )
    if out_segments:
        ground = src.grid.ground_pixel_size()
        metres = (gsd, gsd) if pixel_size or ground is None else ground
        try:
            written["segments"] = write_segments(
                out_segments,
                model.lines.segments,
                src.grid.display(),
                pixel_metres=metres,
                is_canceled=progress.is_canceled,
            )
        except BaseException:  # all of the step's outputs or none
            remove_outputs([written["bli"]])
            raise
    return written


def write_segments(
    path: str,
    segments: np.ndarray,
    grid: Grid,
    *,
    pixel_metres: tuple[float, float],
    is_canceled: Callable[[], bool] | None = None,
) -> str:
    """Write ``(n, 4)`` pixel segments ``x1, y1, x2, y2`` as map-coordinate lines (GeoPackage)
    with their ``length`` in metres (``pixel_metres``: a pixel's ground width and height, m).
    A cancel (``is_canceled``) leaves no file."""
    from .raster import check_writable, partial_path
    from .vector import mark_undefined_cartesian

    check_writable(path)
    tmp = partial_path(path)
    with contextlib.suppress(OSError):
        Path(tmp).unlink()
    srs = None
    if grid.crs_wkt:
        srs = osr.SpatialReference()
        srs.ImportFromWkt(grid.crs_wkt)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(tmp)
    layer = ds.CreateLayer(Path(path).stem, srs=srs, geom_type=ogr.wkbLineString)
    layer.CreateField(ogr.FieldDefn("length", ogr.OFTReal))
    gt = grid.geotransform
    layer.StartTransaction()
    for i, (x1, y1, x2, y2) in enumerate(segments):
        if is_canceled is not None and i % 4096 == 0 and is_canceled():
            layer.CommitTransaction()  # closed whole, then removed: nothing is left
            ds = None
            Path(tmp).unlink(missing_ok=True)
            raise Canceled("Canceled by the user.")
        line = ogr.Geometry(ogr.wkbLineString)
        for x, y in ((x1, y1), (x2, y2)):
            line.AddPoint_2D(gt[0] + x * gt[1] + y * gt[2], gt[3] + x * gt[4] + y * gt[5])
        feat = ogr.Feature(layer.GetLayerDefn())
        feat.SetGeometry(line)
        feat.SetField(
            "length", math.hypot((x2 - x1) * pixel_metres[0], (y2 - y1) * pixel_metres[1])
        )
        layer.CreateFeature(feat)
    layer.CommitTransaction()
    if srs is None:
        mark_undefined_cartesian(ds, Path(path).stem)
    ds = None
    Path(tmp).replace(path)
    return path


# ---------------------------------------------------------------------------------------------
# 4. Building intensity, 5. likelihood


def check_one_band(path: str, what: str, tool: str) -> None:
    """Refuse a raster with more than one image band (alpha bands aside) where a step needs an
    index raster: ``what`` it should be and the ``tool`` that writes it, for the message."""
    src = open_raster(path)
    if len(src.bands) != 1:
        raise MssfcError(
            f"The {what} ({path}) has {len(src.bands)} bands; it must be a one-band index "
            f"raster, as {tool} writes it."
        )


def building_intensity_stage(
    bli_path: str,
    mbi_path: str,
    out_bi: str,
    *,
    cfg: NewlyBuiltConfig = DEFAULT_CONFIG,
    tile: int = 1024,
    workers: int = 2,
    progress: Progress | None = None,
) -> dict[str, str]:
    """Stage 4: BI = phi BLI + (1 - phi) N(MBI) (METHODS B.6), N fitted on the whole MBI."""
    progress = progress or NullProgress()
    check_one_band(bli_path, "BLI", "mssfc:buildinglineindex")
    check_one_band(mbi_path, "MBI", "mssfc:morphologicalbuildingindex")
    pair = align_pair(bli_path, mbi_path, bands_t1=[1], bands_t2=[1], resample="bilinear")
    mbi_norm = fit_mbi_normalization(mbi_path)

    def window(block: Block) -> dict[str, np.ndarray]:
        return {"bi": building_intensity(block.data[0][0], block.data[1][0], mbi_norm, cfg)}

    return run_windows(
        [pair.t1, pair.t2],
        window,
        [_float_out("bi", out_bi, "building intensity")],
        grid=pair.grid,
        tile=tile,
        workers=workers,
        progress=progress,
    )


def fit_mbi_normalization(mbi_path: str) -> fusion.PercentileStats:
    """N(MBI) of stage 4, fitted on a decimated read of the whole raw MBI raster."""
    return fusion.fit_percentiles(_decimated_values(mbi_path))


def building_intensity(
    bli: np.ndarray, mbi_raw: np.ndarray, mbi_norm: fusion.PercentileStats, cfg: NewlyBuiltConfig
) -> np.ndarray:
    """BI ``(h, w)`` float32 of a window from its BLI and raw MBI ``(h, w)`` (METHODS B.6)."""
    mbi_n = fusion.normalize(mbi_raw, mbi_norm)
    return fusion.building_index(_float(bli), mbi_n, weight=cfg.fusion_weight)


def likelihood_stage(
    ci_path: str,
    bi_path: str,
    out_likelihood: str,
    out_mask: str,
    *,
    cfg: NewlyBuiltConfig = DEFAULT_CONFIG,
    tile: int = 1024,
    workers: int = 2,
    progress: Progress | None = None,
) -> tuple[dict[str, str], float | None]:
    """Stage 5: likelihood L = N(CI) N(BI) (or a weighted sum) and the mask L > threshold, or,
    with decision-level fusion, Otsu on N(CI) and N(BI) separately then AND (METHODS B.7).

    Returns
    -------
    (paths, threshold)
        The threshold applied to L (None for decision-level fusion).
    """
    progress = progress or NullProgress()
    if cfg.threshold is not None and not 0.0 <= cfg.threshold <= 1.0:
        raise MssfcError(f"The likelihood threshold must be within [0, 1], got {cfg.threshold}.")
    unused = unused_threshold_note(replace(cfg, method="proposed"))
    if unused:
        progress.warning(unused)
    check_one_band(ci_path, "change intensity", "mssfc:changeintensity")
    check_one_band(bi_path, "building intensity", "mssfc:buildingintensity")
    pair = align_pair(ci_path, bi_path, bands_t1=[1], bands_t2=[1])
    ci_src, bi_src = pair.t1, pair.t2
    # the two samples are read, and their normalizations fitted, on two threads (one dataset
    # each): this stage runs when nothing else does
    with compute_pool(workers) as pool:
        (ci_s, ok1), (bi_s, ok2) = pool.map(
            lambda src: decimated_read(src, max_pixels=2_000_000), [ci_src, bi_src]
        )
        ok = ok1 & ok2
        ci_v, bi_v = ci_s[0][ok], bi_s[0][ok]
        ci_norm, bi_norm = pool.map(fusion.fit_percentiles, [ci_v, bi_v])
    ci_n = fusion.normalize(ci_v, ci_norm)
    bi_n = fusion.normalize(bi_v, bi_norm)
    lik_sample = fusion.likelihood(
        ci_n, bi_n, mode=cfg.likelihood_mode, weight=cfg.likelihood_weight
    )
    threshold: float | None
    if cfg.fusion == "decision":
        ci_t, bi_t = fusion.otsu_threshold(ci_n), fusion.otsu_threshold(bi_n)
        threshold = None
        progress.info(f"Decision-level fusion: N(CI) > {ci_t:.3f} AND N(BI) > {bi_t:.3f} (Otsu).")
    else:
        threshold = (
            cfg.threshold if cfg.threshold is not None else fusion.otsu_threshold(lik_sample)
        )
        how = "given" if cfg.threshold is not None else "Otsu on the likelihood"
        progress.info(f"Likelihood threshold {threshold:.3f} ({how}).")

    def window(block: Block) -> dict[str, np.ndarray]:
        c = fusion.normalize(block.data[0][0], ci_norm)
        b = fusion.normalize(block.data[1][0], bi_norm)
        lik = fusion.likelihood(c, b, mode=cfg.likelihood_mode, weight=cfg.likelihood_weight)
        if threshold is None:
            mask = fusion.decision_fusion(c, b, ci_threshold=ci_t, bi_threshold=bi_t)
        else:
            mask = lik > threshold
        return {"likelihood": lik, "mask": mask.astype(np.uint8)}

    paths = run_windows(
        [ci_src, bi_src],
        window,
        [
            _float_out("likelihood", out_likelihood, "likelihood"),
            OutputSpec(
                "mask", out_mask, dtype="uint8", nodata=MASK_NODATA, band_names=("newly built",)
            ),
        ],
        grid=pair.grid,
        tile=tile,
        workers=workers,
        progress=progress,
    )
    if threshold is not None:
        record_threshold(paths["likelihood"], threshold)
    return paths, threshold


# ---------------------------------------------------------------------------------------------
# 6. Objects


def check_mask(path: str) -> None:
    """Raise a clear error unless ``path`` looks like a mask: besides 0 and its nodata, one value
    (1, or 255 as many masks have it), judged on a decimated read of band 1. A likelihood or an
    image given by mistake would otherwise become polygons of everything that is not 0."""
    data, valid = decimated_read(open_raster(path, bands=[1]), max_pixels=1_000_000)
    values = np.unique(data[0][valid])
    values = values[values != 0]
    if values.size <= 1 and all(float(v).is_integer() for v in values):
        return
    shown = ", ".join(f"{v:g}" for v in values[:4]) + (", ..." if values.size > 4 else "")
    raise MssfcError(
        f"{path} is not a mask: besides 0 it holds {values.size} values ({shown}). Give a 0/1 "
        "mask (e.g. OUTPUT_MASK of the likelihood tool) or threshold the raster first; if one "
        "of the values marks missing data, set it as the band's nodata."
    )


def objects_stage(
    mask_path: str,
    out_polygons: str | None,
    *,
    out_mask: str | None = None,
    likelihood_path: str | None = None,
    ci_path: str | None = None,
    bi_path: str | None = None,
    cfg: NewlyBuiltConfig = DEFAULT_CONFIG,
    pixel_size: float | None = None,
    simplify: float = 0.0,
    progress: Progress | None = None,
) -> tuple[str | None, int]:
    """Stage 6: polygons of the mask, minus those smaller than ``cfg.min_area_m2`` (square
    metres) or with GI above ``cfg.max_aspect_ratio`` (METHODS B.8); attributes area (square
    metres), gi and mean likelihood, CI and BI where given. ``pixel_size``: metres per pixel
    (default from the mask's CRS, :func:`pixel_size_metres`), so areas are square metres in a
    geographic or feet CRS too."""
    from .vector import polygons_from_mask

    progress = progress or NullProgress()
    if out_polygons is None and out_mask is None:
        return None, 0
    check_mask(mask_path)
    grid = open_raster(mask_path, bands=[1]).grid
    scale = square_metres_per_map_unit(
        grid, pixel_size_metres(grid, override=pixel_size, progress=progress)
    )
    values = {
        k: v for k, v in (("likelihood", likelihood_path), ("ci", ci_path), ("bi", bi_path)) if v
    }
    target = out_polygons or str(Path(tempfile.mkdtemp(prefix="mssfc_obj_")) / "objects.gpkg")
    try:
        path, count = polygons_from_mask(
            mask_path,
            target,
            values=values,
            simplify=simplify,
            min_area=cfg.min_area_m2,
            area_scale=scale,
            max_aspect_ratio=cfg.max_aspect_ratio,
            with_gi=True,
            filtered_mask_path=out_mask,
            progress=progress,
        )
    finally:
        if out_polygons is None:
            shutil.rmtree(Path(target).parent, ignore_errors=True)
    progress.info(
        f"{count} objects kept (area >= {cfg.min_area_m2:g} m², GI <= {cfg.max_aspect_ratio:g})."
    )
    return (path if out_polygons else None), count


# ---------------------------------------------------------------------------------------------
# End to end


@dataclass(frozen=True)
class Outputs:
    """Where ``newlybuilt`` writes; None skips an output."""

    likelihood: str | None = None
    mask: str | None = None
    polygons: str | None = None


def newlybuilt(
    t1_path: str,
    t2_path: str,
    outputs: Outputs,
    *,
    bands_t1: Sequence[int] | None = None,
    bands_t2: Sequence[int] | None = None,
    visible_bands: Sequence[int] | None = None,
    cfg: NewlyBuiltConfig = DEFAULT_CONFIG,
    pixel_size: float | None = None,
    tile: int = TILE,
    workers: int = 2,
    progress: Progress | None = None,
) -> dict[str, str | float | None]:
    """The whole unsupervised method: stages 1-6 (``cfg.method == "proposed"``), or a baseline of
    the seed (OBISFA, SFAMBI, SPETEXMBI) run on the whole image in memory. Brightness (MBI, BLI,
    texture) is the maximum of the visible bands, as in :func:`change_intensity_stage`.

    Returns
    -------
    dict
        ``likelihood``, ``mask``, ``polygons`` paths (as requested), ``threshold`` and ``count``.
    """
    progress = progress or NullProgress()
    pair = align_pair(t1_path, t2_path, bands_t1=bands_t1, bands_t2=bands_t2)
    gsd = pixel_size_metres(pair.grid, override=pixel_size, progress=progress)
    check_size(pair.grid, cfg, gsd)
    cfg = with_visible_bands(cfg, str(t2_path), bands_t2, visible_bands, progress)
    # the proposed method's likelihood stage names an unused THRESHOLD itself
    for note in (unused_threshold_note(cfg), unused_fusion_note(cfg)):
        if note and cfg.method != "proposed":
            progress.warning(note)
    if cfg.method != "proposed":
        return _baseline(pair, outputs, cfg, gsd, progress)
    with scratch_folder("mssfc_newlybuilt_") as tmp:
        p = {k: str(tmp / f"{k}.tif") for k in ("ci", "mbi", "bli", "bi", "lik", "raw_mask")}
        t1 = str(t1_path)
        t2 = str(t2_path)
        # T2 on the common grid (the CI raster's), through the pair VRT; the buildings lane
        # reads it from a decoded scratch copy when that VRT is slow to read (_decoded_t2).
        t2_aligned = _aligned_t2(pair, tmp)
        # Change intensity (T1, T2) and building intensity (T2) do not depend on each other: they
        # run side by side, their windows computed on one shared pool of ``workers`` threads, so
        # one's serial parts (fitting, reading, writing) overlap the other's computing and the
        # one that finishes first leaves its threads to the other.
        workers = max(1, workers)

        def change(pr: Progress) -> None:
            change_intensity_stage(
                t1,
                t2,
                p["ci"],
                bands_t1=bands_t1,
                bands_t2=bands_t2,
                cfg=cfg,
                tile=tile,
                workers=workers,
                progress=pr,
            )

        def buildings(pr: Progress) -> None:
            t2 = _decoded_t2(t2_aligned, tmp, pr)
            release_memory()  # the blocks decoding freed from GDAL's cache
            # one decimated read of T2 gives both the MBI and the BLI brightness ranges
            t2_src = open_raster(t2)
            sample = decimated_brightness(t2_src, cfg)
            # BLI's serial parts (pairing the lines, fitting its scale) go first, while the
            # change lane keeps the other threads busy
            bli = fit_bli(
                t2_src,
                cfg=cfg,
                pixel_size=gsd,
                workers=workers,
                progress=ScaledProgress(pr, 0, 30),
                brightness_sample=sample,
            )
            release_memory()  # the line pairing's temporaries
            mbi_stage(
                t2,
                p["mbi"],
                cfg=cfg,
                pixel_size=gsd,
                tile=tile,
                workers=workers,
                progress=ScaledProgress(pr, 30, 75),
                brightness_sample=sample,
            )
            # BLI and BI in one pass over the windows
            draw_bli(
                t2_src,
                bli,
                p["bli"],
                cfg=cfg,
                tile=tile,
                workers=workers,
                progress=ScaledProgress(pr, 75, 100),
                building_index=(p["mbi"], p["bi"]),
            )

        run_concurrently(
            [change, buildings], ScaledProgress(progress, 0, 75), shared_workers=workers
        )
        # the likelihood goes to scratch (uncompressed) first: the objects read it there, and
        # its compressed copy to the output is written on another thread meanwhile, so the
        # compression keeps the core the mostly serial objects stage leaves idle
        _, threshold = likelihood_stage(
            p["ci"],
            p["bi"],
            p["lik"],
            p["raw_mask"],
            cfg=cfg,
            tile=tile,
            workers=workers,
            progress=ScaledProgress(progress, 75, 85),
        )

        def objects(pr: Progress) -> int:
            return objects_stage(
                p["raw_mask"],
                outputs.polygons,
                out_mask=outputs.mask,
                likelihood_path=p["lik"],
                ci_path=p["ci"],
                bi_path=p["bi"],
                cfg=cfg,
                pixel_size=gsd,
                progress=pr,
            )[1]

        def likelihood_copy(pr: Progress) -> None:
            if outputs.likelihood:
                copy_raster(p["lik"], outputs.likelihood, is_canceled=pr.is_canceled)
            pr.set_progress(100.0)

        done = run_concurrently(
            [objects, likelihood_copy], ScaledProgress(progress, 85, 100), weights=[3.0, 1.0]
        )
        count = done[0]
        assert isinstance(count, int)
    return {
        "likelihood": outputs.likelihood,
        "mask": outputs.mask,
        "polygons": outputs.polygons,
        "threshold": threshold,
        "count": count,
    }


def _aligned_t2(pair, folder: Path) -> str:
    """A path GDAL can open for T2 on the pair's grid (a VRT when warped or cropped)."""
    from osgeo import gdal

    src = pair.t2
    path = str(folder / "t2_aligned.vrt")
    # the alpha band a warp adds (which the band list leaves out) becomes the VRT's mask, so its
    # copies and readers still see where T2 has no data
    alpha = src.alpha_band()
    options = {"maskBand": alpha} if alpha is not None else {}
    ds = gdal.Translate(path, src.dataset, format="VRT", bandList=list(src.bands), **options)
    ds = None  # noqa: F841
    return path


def _decodes_cheaply(path: str) -> bool:
    """Whether ``path`` (a raster) is read straight from an uncompressed GeoTIFF: a VRT over one
    with no warping or resampling, or the file itself."""
    from osgeo import gdal

    ds = gdal.Open(path)
    files = ds.GetFileList() or []
    if ds.GetDriver().ShortName == "VRT":
        sources = [f for f in files if not f.lower().endswith(".vrt")]
        if len(sources) != 1 or "VRTWarped" in (ds.GetMetadata("xml:VRT") or [""])[0]:
            return False
        ds = gdal.Open(sources[0])
    return (
        ds.GetDriver().ShortName == "GTiff"
        and ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") is None
    )


def _decoded_t2(aligned: str, folder: Path, progress: Progress) -> str:
    """T2 for the buildings lane, which reads it three times (LSD cells with their margins, MBI
    tiles with their wide halo, a decimated sample): decoded once into an uncompressed scratch
    GeoTIFF (``folder`` is a :func:`scratch_folder`) when it is compressed, warped or not a
    GeoTIFF (PNG, JPEG...), else as it is."""
    from osgeo import gdal

    if _decodes_cheaply(aligned):
        return aligned
    path = str(folder / "t2_decoded.tif")

    def callback(_complete: float, _message: str, _data: object) -> int:
        return 0 if progress.is_canceled() else 1

    try:
        ds = gdal.Translate(
            path, aligned, format="GTiff", creationOptions=list(SCRATCH_OPTIONS), callback=callback
        )
        ds = None  # noqa: F841
    except RuntimeError:
        if progress.is_canceled():
            raise Canceled("Canceled by the user.") from None
        raise
    return path


def _baseline(
    pair, outputs: Outputs, cfg: NewlyBuiltConfig, gsd: float, progress: Progress
) -> dict[str, str | float | None]:
    """Run a baseline of the seed on the whole pair in memory (they are for comparison)."""
    grid = pair.grid
    if grid.width * grid.height > MAX_UNTILED_PIXELS:
        raise MssfcError(
            f"The baseline {cfg.method.upper()} runs on the whole image in memory, up to "
            f"{MAX_UNTILED_PIXELS / 1e6:.0f} megapixels; this pair has "
            f"{grid.width * grid.height / 1e6:.0f}. Clip the images, or use the proposed method."
        )
    progress.info(
        f"Running the baseline {cfg.method.upper()} on the whole image ({grid.width} x {grid.height})."
    )
    block = read_full([pair.t1, pair.t2], grid)
    res = newlybuilt_untiled(
        _float(block.data[0]), _float(block.data[1]), block.valid, cfg, pixel_size_m=gsd
    )
    with scratch_folder("mssfc_baseline_") as tmp:
        valid = block.valid
        lik = np.where(valid, res["likelihood"], FLOAT_NODATA).astype(np.float32)
        mask = np.where(valid, res["mask"], MASK_NODATA).astype(np.uint8)
        lik_path = write_array(
            outputs.likelihood or str(tmp / "lik.tif"), lik, grid, nodata=FLOAT_NODATA
        )
        mask_path = write_array(str(tmp / "mask.tif"), mask, grid, nodata=MASK_NODATA)
        ci_path = write_array(
            str(tmp / "ci.tif"),
            np.where(valid, res["ci"], FLOAT_NODATA).astype(np.float32),
            grid,
            nodata=FLOAT_NODATA,
        )
        bi_path = write_array(
            str(tmp / "bi.tif"),
            np.where(valid, res["bi"], FLOAT_NODATA).astype(np.float32),
            grid,
            nodata=FLOAT_NODATA,
        )
        _, count = objects_stage(
            mask_path,
            outputs.polygons,
            out_mask=outputs.mask,
            likelihood_path=lik_path,
            ci_path=ci_path,
            bi_path=bi_path,
            cfg=cfg,
            pixel_size=gsd,
            progress=progress,
        )
    thr = float(res["threshold"])
    if outputs.likelihood and not math.isnan(thr):
        record_threshold(outputs.likelihood, thr)
    return {
        "likelihood": outputs.likelihood,
        "mask": outputs.mask,
        "polygons": outputs.polygons,
        "threshold": None if math.isnan(thr) else thr,
        "count": count,
    }
