"""Morphological Building Index (MBI).

Huang & Zhang, "A multidirectional and multiscale morphological index for automatic building
extraction from multispectral GeoEye-1 imagery", PE&RS 77(7), 2011; and "Morphological building/
shadow index for building extraction from high-resolution imagery over urban areas", IEEE JSTARS
5(1), 2012. METHODS B.4.

Buildings are bright, compact structures: a linear structuring element longer than the building
in every direction removes them, one shorter keeps them. For directions ``d`` and lengths
``s_0 < s_1 < ... < s_S`` (pixels):

* ``WTH(d, s) = b - R_b(erode(b, line(d, s)))``, the white top-hat by reconstruction,
* ``DMP(d, s_i) = |WTH(d, s_(i+1)) - WTH(d, s_i)|``,
* ``MBI = sum_(d, i) DMP(d, s_i) / (D * S)``.

Because the lines are *nested* (every longer line contains every shorter one: same centre, same
direction, same pixel steps; see :func:`line_kernel`), the openings by reconstruction decrease
with ``s`` and WTH increases, so every DMP is non-negative and the sum telescopes:
``MBI = sum_d [WTH(d, s_S) - WTH(d, s_0)] / (D * S)`` — exactly :func:`mbi_direct`, with 2 instead
of ``S + 1`` reconstructions per direction.

Reconstruction by dilation is computed by iterated 3x3 geodesic dilation (OpenCV). Brightness
that takes whole values spanning at most 256 levels (8-bit imagery) runs as uint8, shifted but
not rescaled, so nothing is rounded (one step ~0.25 ms per megapixel); other brightness is
quantized to 16 bits over the fitted range (~0.5 ms per megapixel). With ``reconstruction_radius=K`` the
dilation stops after K steps (or earlier, at the fixed point), which makes the operator local:
the result at a pixel depends only on pixels within ``K + (s_S - 1) // 2 + 1`` of it, so
:func:`mbi_halo` gives an exact tiled == untiled halo. It differs from the full reconstruction only
where a bright plateau floods more than K pixels (e.g. along a bright road into a building
farther than K away). ``reconstruction_radius=None`` runs to convergence (the textbook operator,
non-local; with the same halo, tiles agree with the untiled result on most but not all pixels —
see the tests).

Invalid pixels (nodata, e.g. a scene's collar) are treated exactly as pixels outside the array:
the erosion ignores them (they enter it at the type's maximum, neutral for a minimum, as OpenCV
pads the array's border) and the reconstruction cannot pass through them (marker and mask at the
type's minimum, neutral for a maximum). The MBI of an image's valid part therefore equals the MBI
of that part cut out on its own, and the collar's edge is no bright or dark structure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple

import cv2
import numpy as np

from ..errors import MssfcError

__all__ = [
    "DIRECTIONS",
    "brightness",
    "line_kernel",
    "mask_invalid",
    "mbi_direct",
    "mbi_halo",
    "mbi_lengths",
    "metres_to_pixels",
    "morphological_building_index",
    "quantize_uint16",
    "reconstruct_by_dilation",
    "to_uint8_exact",
    "white_tophat_by_reconstruction",
]

DIRECTIONS: tuple[int, ...] = (0, 45, 90, 135)
_STEP = {0: (0, 1), 45: (-1, 1), 90: (1, 0), 135: (1, 1)}  # (row, col) per pixel step
_KERNEL3 = np.ones((3, 3), np.uint8)
_CHECK_EVERY = 16  # geodesic steps between fixed-point checks

Radius = int | None | Literal["auto"]


def brightness(image: np.ndarray, *, visible_bands: Sequence[int] | None = None) -> np.ndarray:
    """Brightness ``b = max over visible bands`` (Huang & Zhang 2011, Eq. 1).

    Parameters
    ----------
    image : (bands, H, W) array
    visible_bands : sequence of int, optional
        0-based band indices of the visible bands; default all bands.

    Returns
    -------
    (H, W) float32
    """
    image = np.asarray(image)
    if image.ndim != 3:
        raise MssfcError(f"brightness needs a (bands, H, W) image, got shape {image.shape}.")
    bands = range(image.shape[0]) if visible_bands is None else list(visible_bands)
    if len(bands) == 0 or any(not 0 <= i < image.shape[0] for i in bands):
        raise MssfcError(
            f"visible_bands {list(bands)} must be 0-based indices of the image's "
            f"{image.shape[0]} bands."
        )
    return np.max(image[list(bands)], axis=0).astype(np.float32)


def metres_to_pixels(length_m: float, pixel_size_m: float) -> int:
    """Convert a length in metres to a whole number of pixels (rounded, at least 1)."""
    if not pixel_size_m > 0 or not math.isfinite(pixel_size_m):
        raise MssfcError(
            f"pixel size must be a positive number of metres, got {pixel_size_m}; a raster in "
            "degrees needs reprojecting to a metric CRS first."
        )
    if not length_m > 0 or not math.isfinite(length_m):
        raise MssfcError(f"length must be a positive number of metres, got {length_m}.")
    return max(1, int(round(length_m / pixel_size_m)))


def mbi_lengths(min_length: int, max_length: int, step: int) -> tuple[int, ...]:
    """Line lengths ``s_min, s_min + step, ...`` up to and including ``s_max`` (pixels).

    ``s_max`` is appended when the step does not land on it, so the largest scale is always used.
    At least two lengths are needed (one DMP level).
    """
    if min_length < 1 or step < 1 or max_length <= min_length:
        raise MssfcError(
            f"MBI lengths need 1 <= s_min < s_max and step >= 1 (pixels), got s_min="
            f"{min_length}, s_max={max_length}, step={step}."
        )
    lengths = list(range(min_length, max_length + 1, step))
    if lengths[-1] != max_length:
        lengths.append(max_length)
    return tuple(lengths)


def line_kernel(length: int, direction: int) -> np.ndarray:
    """Linear structuring element of ``length`` pixels as a square uint8 kernel.

    The line covers steps ``t = -(length - 1) // 2 .. length // 2`` from the kernel centre along
    ``direction`` (0 = east-west, 45 = south-west to north-east, 90 = north-south, 135 = north-west
    to south-east). The interval only grows with ``length``, so the lines are nested.
    The kernel side is ``2 * (length // 2) + 1`` with the origin at its centre.
    """
    if direction not in _STEP:
        raise MssfcError(f"MBI direction must be one of {sorted(_STEP)}, got {direction}.")
    if length < 1:
        raise MssfcError(f"line length must be >= 1 pixel, got {length}.")
    half = length // 2
    kernel = np.zeros((2 * half + 1, 2 * half + 1), np.uint8)
    dr, dc = _STEP[direction]
    t = np.arange(-((length - 1) // 2), half + 1)
    kernel[half + dr * t, half + dc * t] = 1
    return kernel


def quantize_uint16(image: np.ndarray, *, value_range: tuple[float, float]) -> np.ndarray:
    """Map ``value_range`` linearly onto 0..65535 (clipped; non-finite to 0), uint16."""
    low, high = float(value_range[0]), float(value_range[1])
    if not (np.isfinite(low) and np.isfinite(high) and high > low):
        raise MssfcError(f"value_range must be finite with low < high, got {value_range}.")
    scaled = (np.asarray(image, dtype=np.float32) - low) * (65535.0 / (high - low))
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=65535.0, neginf=0.0)
    return np.clip(np.rint(scaled), 0, 65535).astype(np.uint16)


def to_uint8_exact(
    image: np.ndarray, *, value_range: tuple[float, float], integer: bool | None = None
) -> np.ndarray | None:
    """``image - low`` as uint8 when that is exact, else None.

    Exact when ``low`` is a whole number, ``high - low <= 255`` and every finite value is whole
    (``integer=True`` asserts the last, e.g. for integer rasters; None checks the data). Values
    are clipped to ``[0, high - low]`` and non-finite ones mapped as in :func:`quantize_uint16`
    (NaN and -inf to 0, +inf to the top), so the result is :func:`quantize_uint16`'s order of
    values on a coarser, unrounded scale.
    """
    low, high = float(value_range[0]), float(value_range[1])
    if not (np.isfinite(low) and np.isfinite(high) and high > low):
        raise MssfcError(f"value_range must be finite with low < high, got {value_range}.")
    if not low.is_integer() or high - low > 255:
        return None
    a = np.asarray(image, dtype=np.float32)
    if integer is None:
        finite = a[np.isfinite(a)]
        integer = bool(np.array_equal(finite, np.floor(finite)))
    if not integer:
        return None
    top = float(math.floor(high - low))
    shifted = np.nan_to_num(a - np.float32(low), nan=0.0, posinf=top, neginf=0.0)
    return np.clip(shifted, 0.0, top).astype(np.uint8)


Region = tuple[int, int, int, int]  # rows y0:y1, columns x0:x1


def reconstruct_by_dilation(
    marker: np.ndarray,
    mask: np.ndarray,
    *,
    radius: int | None = None,
    core: Region | None = None,
) -> np.ndarray:
    """Grey-scale reconstruction by dilation of ``marker`` under ``mask`` (8-connectivity).

    Iterates ``marker = min(dilate_3x3(marker), mask)`` until nothing changes, or at most
    ``radius`` times. Same dtype as the input (uint8, uint16 or float32; 8 and 16 bits are
    fastest). ``marker <= mask`` is enforced first.

    ``core = (y0, y1, x0, x1)``, with a finite ``radius``, asks for the result inside that box
    only: a pixel's value after the remaining ``k`` steps depends only on pixels within ``k`` of
    it, so the steps run on the core grown by the steps still to come, a box that shrinks as
    they run (same values in the core, about a third less work for a core framed by a halo of
    ``radius``). Outside the core the returned values are unspecified.
    """
    if marker.shape != mask.shape or marker.dtype != mask.dtype:
        raise MssfcError("marker and mask must have the same shape and dtype.")
    current = np.minimum(marker, mask)
    if current.ndim != 2 or current.size == 0:
        return _reconstruct_plain(current, mask, radius)
    h, w = current.shape
    if core is None or radius is None:
        core = (0, h, 0, w)
    # Reconstruction only raises values, and a pixel changes in a step only next to a pixel that
    # changed in the previous one: after a block of steps whose changes lie in a box, the next
    # block can change only that box grown by the block length. Steps run on that box (plus one
    # row and column of fixed neighbours) only: the same result, with less work as it settles.
    y0, y1, x0, x1 = 0, h, 0, w
    done = 0
    limit = radius if radius is not None else np.iinfo(np.int64).max
    while done < limit:
        block = int(min(_CHECK_EVERY, limit - done))
        # what the core needs: the core grown by the steps left (before and after this block)
        need = _grow(core, limit - done, h, w)
        after = _grow(core, limit - done - block, h, w)
        ya, yb = max(need[0], y0 - 1), min(need[1], y1 + 1)
        xa, xb = max(need[2], x0 - 1), min(need[3], x1 + 1)
        if ya >= yb or xa >= xb:
            break
        cur = current[ya:yb, xa:xb]
        msk = mask[ya:yb, xa:xb]
        before = cur.copy()
        work, scratch = cur.copy(), np.empty_like(cur)
        for _ in range(block):
            cv2.dilate(work, _KERNEL3, dst=scratch)
            cv2.min(scratch, msk, dst=scratch)
            # a frame row or column outside the change box does not change (its own neighbours
            # lie outside the box); one cut by ``need`` goes wrong from the edge inwards, one
            # pixel per step, so never inside ``after``
            if ya == y0 - 1:
                scratch[0] = work[0]
            if yb == y1 + 1:
                scratch[-1] = work[-1]
            if xa == x0 - 1:
                scratch[:, 0] = work[:, 0]
            if xb == x1 + 1:
                scratch[:, -1] = work[:, -1]
            work, scratch = scratch, work
        done += block
        # changes that matter: inside what the rest of the steps still read
        ra, rb = max(after[0], ya) - ya, min(after[1], yb) - ya
        ca, cb = max(after[2], xa) - xa, min(after[3], xb) - xa
        changed = work[ra:rb, ca:cb] != before[ra:rb, ca:cb]
        rows = np.flatnonzero(changed.any(axis=1))
        cur[...] = work
        if rows.size == 0:  # fixed point: more steps change nothing that matters
            break
        cols = np.flatnonzero(changed.any(axis=0))
        top, left = ya + ra, xa + ca
        y0, y1 = (
            max(0, top + int(rows[0]) - _CHECK_EVERY),
            min(h, top + int(rows[-1]) + 1 + _CHECK_EVERY),
        )
        x0, x1 = (
            max(0, left + int(cols[0]) - _CHECK_EVERY),
            min(w, left + int(cols[-1]) + 1 + _CHECK_EVERY),
        )
    return current


def _grow(box: Region, margin: int, h: int, w: int) -> Region:
    m = max(0, int(min(margin, max(h, w))))
    return (max(0, box[0] - m), min(h, box[1] + m), max(0, box[2] - m), min(w, box[3] + m))


def _reconstruct_plain(current: np.ndarray, mask: np.ndarray, radius: int | None) -> np.ndarray:
    scratch = np.empty_like(current)
    before = np.empty_like(current)
    done = 0
    limit = radius if radius is not None else np.iinfo(np.int64).max
    while done < limit:
        block = int(min(_CHECK_EVERY, limit - done))
        np.copyto(before, current)
        for _ in range(block):
            cv2.dilate(current, _KERNEL3, dst=scratch)
            cv2.min(scratch, mask, dst=current)
        done += block
        if cv2.norm(before, current, cv2.NORM_INF) == 0:  # fixed point: more steps change nothing
            break
    return current


def white_tophat_by_reconstruction(
    b: np.ndarray,
    *,
    length: int,
    direction: int,
    radius: int | None,
    core: Region | None = None,
    erode_from: np.ndarray | None = None,
) -> np.ndarray:
    """``WTH(d, s) = b - R_b(erode(b, line(d, s)))``, same dtype as ``b`` (never negative).

    With ``core`` (see :func:`reconstruct_by_dilation`) only the values inside that box are
    meaningful. ``erode_from``: the array the erosion reads instead of ``b``, same shape and
    dtype (:func:`mask_invalid` makes both for an image with invalid pixels).
    """
    source = b if erode_from is None else erode_from
    marker = cv2.erode(source, line_kernel(length, direction))  # outside the array is ignored
    opened = reconstruct_by_dilation(marker, b, radius=radius, core=core)
    return cv2.subtract(b, opened)


def mask_invalid(
    work: np.ndarray, valid: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Make invalid pixels act as pixels outside the array in :func:`white_tophat_by_reconstruction`.

    Parameters
    ----------
    work : (H, W) uint8, uint16 or float32
        Brightness as the morphology runs on it.
    valid : (H, W) bool, optional

    Returns
    -------
    b, erode_from : (H, W) arrays of ``work``'s dtype
        ``b`` is ``work`` with invalid pixels at the type's minimum (the reconstruction's mask:
        nothing grows into or through them, and a maximum over a neighbourhood ignores them);
        ``erode_from`` is ``work`` with invalid pixels at the type's maximum (a minimum over a
        line ignores them, as OpenCV's border does). ``(work, None)`` when every pixel is valid
        or ``valid`` is None: no extra work, the same result as before invalid pixels existed.
    """
    valid = _some_invalid(valid, work.shape)
    if valid is None:
        return work, None
    info = np.iinfo(work.dtype) if work.dtype.kind in "ui" else np.finfo(work.dtype)
    b = np.where(valid, work, work.dtype.type(info.min))
    erode_from = np.where(valid, work, work.dtype.type(info.max))
    return b, erode_from


def _some_invalid(valid: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """``valid`` as a bool array when it marks some pixel invalid, else None (nothing to do)."""
    if valid is None:
        return None
    valid = np.asarray(valid, dtype=bool)
    if valid.shape != tuple(shape):
        raise MssfcError(f"valid has shape {valid.shape}, the brightness {tuple(shape)}.")
    return None if valid.all() else valid


def _prepare(
    b: np.ndarray,
    min_length: int,
    max_length: int,
    step: int,
    directions: Sequence[int],
    reconstruction_radius: Radius,
    value_range: tuple[float, float] | None,
    valid: np.ndarray | None,
) -> _Prepared:
    """The checked parameters and the arrays the morphology runs on (see :class:`_Prepared`)."""
    b = np.asarray(b)
    if b.ndim != 2:
        raise MssfcError(f"MBI needs a 2-D brightness array, got shape {b.shape}.")
    valid = _some_invalid(valid, b.shape)
    if valid is not None:
        # what invalid pixels hold (a 0 fill, NaN) must not decide between the 8- and 16-bit paths
        fill = 0.0 if value_range is None else float(value_range[0])
        b = np.where(valid, b.astype(np.float32, copy=False), np.float32(fill))
    lengths = mbi_lengths(min_length, max_length, step)
    for d in directions:
        if d not in _STEP:
            raise MssfcError(f"MBI direction must be one of {sorted(_STEP)}, got {d}.")
    radius = max_length if reconstruction_radius == "auto" else reconstruction_radius
    if radius is not None and (not isinstance(radius, int) or radius < 0):
        raise MssfcError(f"reconstruction_radius must be an int >= 0 or None, got {radius}.")
    exact = None if value_range is None else to_uint8_exact(b, value_range=value_range)
    if exact is not None:
        work, unit = exact, 1.0
    elif value_range is not None:
        work = quantize_uint16(b, value_range=value_range)
        unit = (float(value_range[1]) - float(value_range[0])) / 65535.0
    else:
        work = np.nan_to_num(b.astype(np.float32), nan=0.0)
        unit = 1.0
    work, erode_from = mask_invalid(work, valid)
    return _Prepared(work, erode_from, valid, lengths, radius, unit)


class _Prepared(NamedTuple):
    """What both MBI forms run on: ``work`` (H, W) the brightness (invalid pixels at the type's
    minimum) and ``erode_from`` what the erosions read (:func:`mask_invalid`), ``valid`` (H, W)
    bool or None when every pixel is valid, the line ``lengths`` (pixels), the reconstruction
    ``radius`` and the brightness ``unit`` of one step of ``work``."""

    work: np.ndarray
    erode_from: np.ndarray | None
    valid: np.ndarray | None
    lengths: tuple[int, ...]
    radius: int | None
    unit: float


def morphological_building_index(
    brightness: np.ndarray,
    *,
    min_length: int,
    max_length: int,
    step: int,
    directions: Sequence[int] = DIRECTIONS,
    reconstruction_radius: Radius = "auto",
    value_range: tuple[float, float] | None = None,
    valid: np.ndarray | None = None,
    core: tuple[slice, slice] | None = None,
) -> np.ndarray:
    """MBI by the telescoping identity (METHODS B.4), 2 reconstructions per direction.

    Parameters
    ----------
    brightness : (H, W) float array
        Brightness of the (post-change) image, see :func:`brightness`.
    min_length, max_length, step : int
        Line lengths in pixels (:func:`mbi_lengths`); ``max_length`` must exceed the widest
        building, use :func:`metres_to_pixels`.
    directions : sequence of {0, 45, 90, 135}
    reconstruction_radius : int, None or "auto"
        Geodesic steps of the reconstruction; "auto" = ``max_length``; None = to convergence.
    value_range : (low, high), optional
        Fitted brightness range. When given, the morphology runs on 8-bit brightness where that
        is exact (:func:`to_uint8_exact`), else on 16-bit quantized brightness (8x to 16x faster
        than float32); the result is in brightness units.
    valid : (H, W) bool, optional
        Invalid pixels act as pixels outside the array (:func:`mask_invalid`): their brightness
        takes no part in the morphology, and their MBI is 0. On the valid part, the result
        equals that of the valid part cut out alone (where it is a rectangle).
    core : (rows, cols) slices, optional
        Compute only this part of the array (a tile's core inside its halo): the same values
        there, with less work (see :func:`reconstruct_by_dilation`).

    Returns
    -------
    (H, W) float32, or the ``core``'s shape
        MBI in brightness units, >= 0.
    """
    work, erode_from, valid, lengths, radius, unit = _prepare(
        brightness,
        min_length,
        max_length,
        step,
        directions,
        reconstruction_radius,
        value_range,
        valid,
    )
    rows, cols = core if core is not None else (slice(None), slice(None))
    box = _box(work.shape, rows, cols)
    total = np.zeros((box[1] - box[0], box[3] - box[2]), np.float64)
    for d in directions:
        wth_max = white_tophat_by_reconstruction(
            work, length=lengths[-1], direction=d, radius=radius, core=box, erode_from=erode_from
        )
        wth_min = white_tophat_by_reconstruction(
            work, length=lengths[0], direction=d, radius=radius, core=box, erode_from=erode_from
        )
        total += wth_max[rows, cols].astype(np.float64) - wth_min[rows, cols]
    return _finish(
        total,
        unit / (len(directions) * (len(lengths) - 1)),
        None if valid is None else valid[rows, cols],
    )


def _box(shape: tuple[int, ...], rows: slice, cols: slice) -> Region:
    y0, y1, ystep = rows.indices(shape[0])
    x0, x1, xstep = cols.indices(shape[1])
    if ystep != 1 or xstep != 1 or y1 <= y0 or x1 <= x0:
        raise MssfcError(f"core must be two non-empty unit-step slices, got {rows}, {cols}.")
    return y0, y1, x0, x1


def mbi_direct(
    brightness: np.ndarray,
    *,
    min_length: int,
    max_length: int,
    step: int,
    directions: Sequence[int] = DIRECTIONS,
    reconstruction_radius: Radius = "auto",
    value_range: tuple[float, float] | None = None,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """MBI summing every DMP explicitly (Huang & Zhang 2011); reference for the telescoping form.

    Same parameters and result as :func:`morphological_building_index`, ``S + 1``
    reconstructions per direction instead of 2.
    """
    work, erode_from, valid, lengths, radius, unit = _prepare(
        brightness,
        min_length,
        max_length,
        step,
        directions,
        reconstruction_radius,
        value_range,
        valid,
    )
    total = np.zeros(work.shape, np.float64)
    for d in directions:
        previous = None
        for s in lengths:
            wth = white_tophat_by_reconstruction(
                work, length=s, direction=d, radius=radius, erode_from=erode_from
            )
            wth = wth.astype(np.float64)
            if previous is not None:
                total += np.abs(wth - previous)
            previous = wth
    return _finish(total, unit / (len(directions) * (len(lengths) - 1)), valid)


def _finish(total: np.ndarray, scale: float, valid: np.ndarray | None) -> np.ndarray:
    out = total * scale
    if valid is not None:
        out = np.where(valid, out, 0.0)
    return out.astype(np.float32)


def mbi_halo(max_length: int, reconstruction_radius: Radius = "auto") -> int:
    """Halo (pixels) for :func:`morphological_building_index` on a window.

    With a finite reconstruction radius K (default ``max_length``) the result depends on pixels
    within ``K + max_length // 2`` (erosion reach plus K geodesic 3x3 steps), so this halo makes
    tiled equal to untiled exactly. With ``reconstruction_radius=None`` the operator is global;
    the same formula with K = ``max_length`` is returned and agreement is approximate.
    """
    radius = max_length if reconstruction_radius in ("auto", None) else reconstruction_radius
    if not isinstance(radius, int) or radius < 0:
        raise MssfcError(f"reconstruction_radius must be an int >= 0 or None, got {radius}.")
    return int(radius + max_length // 2)
