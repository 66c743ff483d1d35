"""Sliding-window grey-level co-occurrence (GLCM) texture, vectorized.

Haralick, Shanmugam & Dinstein (IEEE SMC 3(6), 1973) statistics of a symmetric GLCM computed in a
square window around every pixel. The GLCM of a window pools the pairs of all ``offsets`` (a
direction-averaged, rotation-tolerant matrix). A pair ``(p, p + offset)`` belongs to the window
when *both* pixels lie inside it and are valid, exactly as ``skimage.feature.graycomatrix`` counts
the pairs of a patch; pixels outside the array are absent (no padding values are invented).

Nothing loops over pixels. Brightness is quantized to ``levels`` grey levels and every pixel pair
gets the code of its unordered level pair ``{i, j}`` (a bin). A pair is filed under the top-left
corner of its bounding box, so offsets with the same ``(|dy|, |dx|)`` share one box shape, and a
window's count of each bin is a box sum (``cv2.boxFilter``) of the bin's indicator. The counts of
four bins are box-summed at once: a look-up table maps a pair's code to an int32 holding one 8-bit
field per bin, and the window sums of the fields never carry into each other. The same packing
gives the counts per grey-level difference and the sums of the pairs' levels and squared levels.
Every count is an exact integer and every statistic a per-pixel function of those counts, so the
result in a window's core does not depend on where the window was cut (``texture_halo`` gives the
halo that makes tiled equal to untiled, bit for bit). The image is processed in strips of rows,
with that halo, so the per-pack planes stay in the CPU cache.

Cost grows with ``levels * (levels + 1) / 2`` times the number of box shapes (3 for the default
offsets); ``levels=8`` is about 4x faster than ``levels=16``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import MssfcError

__all__ = ["GLCM_FEATURES", "MAX_WINDOW", "glcm_features", "quantize", "texture_halo"]

#: Order of the feature planes returned by :func:`glcm_features`.
GLCM_FEATURES: tuple[str, ...] = ("contrast", "homogeneity", "asm", "entropy", "variance")

DEFAULT_OFFSETS: tuple[tuple[int, int], ...] = ((0, 1), (1, 0), (1, 1), (1, -1))


def texture_halo(window: int, offsets: Sequence[tuple[int, int]] = DEFAULT_OFFSETS) -> int:
    """Halo in pixels that makes :func:`glcm_features` on a window equal the untiled result.

    A pixel's statistics read the pixels within ``window // 2`` of it (pairs are confined to the
    window), so the halo is ``window // 2``. The result is then exact (bit-identical), because
    every statistic is computed from integer counts. ``offsets`` is accepted for symmetry with
    other halo functions and validated.
    """
    _check_window_offsets(window, offsets)
    return window // 2


def quantize(
    brightness: np.ndarray,
    *,
    levels: int,
    value_range: tuple[float, float],
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Quantize brightness to ``levels`` grey levels.

    Parameters
    ----------
    brightness : (H, W) float array
    levels : int
        Number of grey levels, 2..255.
    value_range : (low, high)
        Brightness mapped to level 0 and to the top level; values outside are clipped. Fit it once
        on the whole raster (e.g. the 1st and 99th percentiles) so that tiles agree.
    valid : (H, W) bool, optional
        Pixels to use; invalid and non-finite pixels get the code 255.

    Returns
    -------
    (H, W) uint8
        Levels ``0 .. levels - 1``, or 255 where invalid.
    """
    low, high = float(value_range[0]), float(value_range[1])
    if not 2 <= levels <= 254:
        raise MssfcError(f"GLCM levels must be 2..254, got {levels}; use 8 to 32.")
    if not np.isfinite(low) or not np.isfinite(high) or high <= low:
        raise MssfcError(
            f"value_range must be two finite numbers with low < high, got {value_range}; fit "
            "it with fusion.fit_percentiles on the brightness."
        )
    b = np.asarray(brightness)
    scaled = np.subtract(b, low, dtype=np.float64)
    scaled *= levels / (high - low)
    # clipping before the floor gives the same level; NaN stays NaN and is marked below
    np.clip(scaled, 0, levels - 1, out=scaled)
    np.floor(scaled, out=scaled)
    with np.errstate(invalid="ignore"):
        codes = scaled.astype(np.uint8)
    bad = ~np.isfinite(b) if valid is None else ~(np.isfinite(b) & valid)
    codes[bad] = 255
    return codes


def glcm_features(
    brightness: np.ndarray,
    *,
    window: int = 7,
    levels: int = 16,
    offsets: Sequence[tuple[int, int]] = DEFAULT_OFFSETS,
    value_range: tuple[float, float] = (0.0, 1.0),
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """GLCM texture statistics of the window around every pixel.

    Parameters
    ----------
    brightness : (H, W) float array
        One brightness band (e.g. :func:`mssfc_qgis.core.unsupervised.mbi.brightness`).
    window : int
        Odd side of the square window, in pixels.
    levels : int
        Grey levels after quantization of ``value_range``.
    offsets : sequence of (dy, dx)
        Pixel displacements whose pairs are pooled into one symmetric GLCM.
    value_range : (low, high)
        Brightness range quantized to ``levels`` (fitted globally, see :func:`quantize`).
    valid : (H, W) bool, optional
        Pairs touching an invalid pixel are not counted.

    Returns
    -------
    (5, H, W) float32
        Planes in :data:`GLCM_FEATURES` order, grey levels as units: contrast
        ``sum P(i,j)(i-j)^2``, homogeneity ``sum P/(1+(i-j)^2)``, angular second moment
        ``sum P^2``, entropy ``-sum P ln P`` (nats), variance ``sum P (i-mu)^2``. Pixels whose
        window holds no valid pair get 0 everywhere.
    """
    _check_window_offsets(window, offsets)
    if not 2 <= levels <= _MAX_LEVELS:
        raise MssfcError(f"GLCM levels must be 2..{_MAX_LEVELS}, got {levels}; use 8 to 32.")
    b = np.asarray(brightness)
    if b.ndim != 2:
        raise MssfcError(f"brightness must be a 2-D (H, W) array, got shape {b.shape}.")
    h, w = b.shape
    q = quantize(b, levels=levels, value_range=value_range, valid=valid)
    plan = _Plan(window, levels, offsets)
    # Strips of rows (read with the halo) keep the per-level-pair planes in the CPU cache; the
    # counts are exact integers, so every strip's core equals the whole-image result.
    r = window // 2
    out = np.empty((len(GLCM_FEATURES), h, w), np.float32)
    for y0 in range(0, h, _STRIP_ROWS):
        y1 = min(h, y0 + _STRIP_ROWS)
        top, bottom = max(0, y0 - r), min(h, y1 + r)
        out[:, y0:y1] = _glcm_strip(q[top:bottom], plan)[:, y0 - top : y1 - top]
    return out


_STRIP_ROWS = 128
#: Up to this many pairs per window (181: 2 * 181**2 < 2**16) the sums of squared counts are exact
#: 16-bit integers; the default 7 x 7 window with 4 offsets has 156.
_SMALL_PAIRS = 181
_MAX_LEVELS = 64
#: The largest GLCM window side, pixels (the TEXTURE_WINDOW parameter stops there too).
MAX_WINDOW = 63
_LITTLE = sys.byteorder == "little"


@dataclass(frozen=True)
class _Pack:
    """Up to ``32 // bits`` per-pair integer values packed in one int32 lookup table.

    Box-summing ``table[code]`` over a window sums every field at once: no field carries into the
    next because each field's window sum stays below ``2 ** bits`` (and the top one below
    ``2 ** (bits - 1)`` in one box shape, so the int32 box filter never overflows)."""

    table: np.ndarray  # (n_codes,) int32: packed value of each pair code (0 for an invalid pair)
    bits: int  # field width: 8, 16 or 32
    items: tuple[int, ...]  # what each field holds (a bin, a grey-level difference, ...)
    diagonal: bool = False  # bin packs: the bins are diagonal ones (i == j)


def _pack(values: np.ndarray, bits: int, items: Iterable[int], *, diagonal: bool = False) -> _Pack:
    """Pack ``values`` ``(fields, n_codes)`` (field f of each pair code) into one int32 table."""
    n_fields = 32 // bits
    table = np.zeros(values.shape[1], np.int64)
    for f, row in enumerate(values):
        shift = bits * (f if _LITTLE else n_fields - 1 - f)  # field f is element f of a view
        table += row.astype(np.int64) << shift
    return _Pack(
        table.astype(np.uint32).view(np.int32), bits, tuple(int(i) for i in items), diagonal
    )


class _Plan:
    """Tables shared by every strip: the bin of each unordered level pair, the offsets grouped by
    the box that counts their pairs, and the packs of per-pair values that are box-summed."""

    def __init__(self, window: int, levels: int, offsets: Sequence[tuple[int, int]]) -> None:
        self.window = window
        self.levels = levels
        r = window // 2
        self.anchor = (r, r)
        n_bins = levels * (levels + 1) // 2
        self.n_bins = n_bins
        # bin index of the unordered pair {i, j}, i <= j, in row-major upper-triangle order; the
        # code ``n_bins`` marks a pair with an invalid pixel
        lo_idx, hi_idx = np.triu_indices(levels)
        self.dtype = np.uint8 if n_bins < 256 else np.uint16
        self.none = n_bins
        bin_of = np.full((256, 256), self.none, dtype=self.dtype)
        bin_of[lo_idx, hi_idx] = np.arange(n_bins)
        bin_of[hi_idx, lo_idx] = np.arange(n_bins)
        self.bin_of = bin_of
        # with few levels, a pair's bin is one 8-bit look-up of a * (levels + 1) + c, the
        # invalid code 255 first clipped to ``levels`` (much faster than 2-D fancy indexing)
        self.pair_lut: np.ndarray | None = None
        if (levels + 1) ** 2 <= 256 and self.dtype == np.uint8:
            lut = np.full(256, self.none, np.uint8)
            i, j = np.meshgrid(np.arange(levels + 1), np.arange(levels + 1), indexing="ij")
            lut[(i * (levels + 1) + j).ravel()] = bin_of[
                np.where(i < levels, i, 255), np.where(j < levels, j, 255)
            ].ravel()
            self.pair_lut = lut
        # A pair is filed under the top-left corner of its bounding box: it lies in the window
        # around (y, x) when that corner is in [y - r, y + r - |dy|] x [x - r, x + r - |dx|], so
        # offsets with the same (|dy|, |dx|) share one box and are summed before filtering.
        groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for dy, dx in offsets:
            groups.setdefault((abs(dy), abs(dx)), []).append((dy, dx))
        self.groups = [((window - adx, window - ady), offs) for (ady, adx), offs in groups.items()]
        per_group = [
            len(offs) * (window - ady) * (window - adx) for (ady, adx), offs in groups.items()
        ]
        self.max_pairs = sum(per_group)
        if self.max_pairs >= 2**15:
            raise MssfcError(
                f"{self.max_pairs} pixel pairs per GLCM window is too many (at most {2**15 - 1}): "
                "use a smaller window or fewer offsets."
            )
        self.small = self.max_pairs <= _SMALL_PAIRS
        # 8-bit fields hold a count when the window's total fits 8 bits and one box's 7 bits
        self.bits = 8 if self.max_pairs < 256 and max(per_group) < 128 else 16
        n_codes = 256 if self.dtype == np.uint8 else n_bins + 1  # cv2.LUT takes 256 entries
        self.bin_packs, self.d_packs = _count_packs(levels, self.bits, n_codes)
        self.moment_packs = _moment_packs(levels, n_codes, max(per_group), self.max_pairs)
        table_len = 256 if self.bits == 8 else self.max_pairs + 1
        k_arr = np.arange(table_len, dtype=np.float64)
        self.lut_ulogu = (k_arr * np.log(np.maximum(k_arr, 1.0))).astype(np.float32)


def _count_packs(levels: int, bits: int, n_codes: int) -> tuple[list[_Pack], list[_Pack]]:
    """Packs that count pairs: per unordered level pair (bin), diagonal and off-diagonal bins in
    separate packs, and per grey-level difference ``d = |i - j|``."""
    n_bins = levels * (levels + 1) // 2
    lo_idx, hi_idx = np.triu_indices(levels)
    diff = hi_idx - lo_idx
    n_fields = 32 // bits
    ones = np.eye(n_bins, n_codes, dtype=np.int64)  # row k: the indicator of bin k
    bin_packs = [
        _pack(ones[chunk], bits, chunk, diagonal=diag)
        for diag in (True, False)
        for chunk in _chunks(np.flatnonzero((diff == 0) == diag), n_fields)
    ]
    by_d = np.zeros((levels, n_codes), np.int64)
    by_d[diff, np.arange(n_bins)] = 1
    d_packs = [_pack(by_d[chunk], bits, chunk) for chunk in _chunks(np.arange(levels), n_fields)]
    return bin_packs, d_packs


def _moment_packs(levels: int, n_codes: int, box_pairs: int, max_pairs: int) -> list[_Pack]:
    """Packs of the sum of a pair's two grey levels and of their squares: two 16-bit fields of
    one pack when one box's sums stay below 2**15 and the window's below 2**16, else one each."""
    n_bins = levels * (levels + 1) // 2
    lo_idx, hi_idx = np.triu_indices(levels)
    moments = np.zeros((2, n_codes), np.int64)
    moments[0, :n_bins] = lo_idx + hi_idx
    moments[1, :n_bins] = lo_idx**2 + hi_idx**2
    top = int(moments[1].max())
    if top * box_pairs < 2**15 and top * max_pairs < 2**16:
        return [_pack(moments, 16, (0, 1))]
    return [_pack(moments[k : k + 1], 32, (k,)) for k in (0, 1)]


def _chunks(items: np.ndarray, size: int) -> list[np.ndarray]:
    return [items[i : i + size] for i in range(0, len(items), size)]


# per box shape: (ksize, pair codes of each of its offsets)
_GroupCodes = list[tuple[tuple[int, int], list[np.ndarray]]]


def _pair_codes(q: np.ndarray, plan: _Plan) -> _GroupCodes:
    """Bin code ``(h, w)`` of every pair, filed under its bounding box's top-left pixel (the
    code ``plan.none`` where the pair leaves the strip or touches an invalid pixel)."""
    h, w = q.shape
    levels = plan.levels
    grouped: _GroupCodes = []
    for ksize, offs in plan.groups:
        codes = []
        for dy, dx in offs:
            rows, cols = h - abs(dy), w - abs(dx)
            if rows <= 0 or cols <= 0:
                continue
            a = q[max(0, -dy) : max(0, -dy) + rows, max(0, -dx) : max(0, -dx) + cols]
            c = q[max(0, dy) : max(0, dy) + rows, max(0, dx) : max(0, dx) + cols]
            code = np.full((h, w), plan.none, plan.dtype)
            if plan.pair_lut is not None:
                pair = np.minimum(a, levels) * np.uint8(levels + 1) + np.minimum(c, levels)
                code[:rows, :cols] = cv2.LUT(pair, plan.pair_lut)
            else:
                code[:rows, :cols] = plan.bin_of[a, c]
            codes.append(code)
        if codes:
            grouped.append((ksize, codes))
    return grouped


def _box_fields(grouped: _GroupCodes, pack: _Pack, anchor: tuple[int, int]) -> np.ndarray:
    """Window sums of ``pack``'s fields: ``(h, w, 32 // bits)``, field f in ``[..., f]``."""
    total: np.ndarray | None = None
    for ksize, codes in grouped:
        ind: np.ndarray | None = None
        for code in codes:
            v = cv2.LUT(code, pack.table) if code.dtype == np.uint8 else pack.table[code]
            ind = v if ind is None else np.add(ind, v, out=ind)
        assert ind is not None
        part = _box_sum(ind, (ksize, anchor)).view(np.uint32)
        total = part if total is None else np.add(total, part, out=total)
    assert total is not None
    dtype = {8: np.uint8, 16: np.uint16, 32: np.uint32}[pack.bits]
    return total.view(dtype).reshape(*total.shape, 32 // pack.bits)


def _glcm_strip(q: np.ndarray, plan: _Plan) -> np.ndarray:
    """Features ``(5, h, w)`` of quantized codes ``q`` (pixels outside ``q`` are absent)."""
    h, w = q.shape
    grouped = _pair_codes(q, plan)
    if not grouped:
        return np.zeros((len(GLCM_FEATURES), h, w), np.float32)
    anchor = plan.anchor
    sum_ab, sum_a2b2 = _planes(grouped, plan.moment_packs, anchor)
    count_by_d = _planes(grouped, plan.d_packs, anchor)
    s_ulogu, s_u2 = _pair_sums(grouped, plan, h, w)
    return _statistics(count_by_d, sum_ab, sum_a2b2, s_ulogu, s_u2, plan=plan)


def _planes(
    grouped: _GroupCodes, packs: Sequence[_Pack], anchor: tuple[int, int]
) -> list[np.ndarray]:
    """The window sums of every field of ``packs``, one contiguous ``(h, w)`` plane each."""
    planes: list[np.ndarray] = []
    for pack in packs:
        fields = _box_fields(grouped, pack, anchor)
        split = cv2.split(fields) if fields.shape[-1] > 1 else [fields[..., 0]]
        planes.extend(split[: len(pack.items)])
    return planes


def _statistics(
    count_by_d: Sequence[np.ndarray],
    sum_ab: np.ndarray,
    sum_a2b2: np.ndarray,
    s_ulogu: np.ndarray,
    s_u2: np.ndarray,
    *,
    plan: _Plan,
) -> np.ndarray:
    """The five features ``(5, h, w)`` float32 from a window's integer sums: pair counts per grey
    level difference ``d`` (``count_by_d[d]``), sums of ``a + c`` and ``a^2 + c^2`` over its
    pairs ``(a, c)``, and the sums over level pairs of ``u ln u`` and (diagonal ones twice)
    ``u^2``. Each is a per-pixel function of those sums, so tiles agree with the whole."""
    n_i = np.zeros(s_ulogu.shape, np.int32)
    sum_d2 = np.zeros(s_ulogu.shape, np.int32)
    homog = np.zeros(s_ulogu.shape, np.float32)
    for d, count in enumerate(count_by_d):
        n_i += count
        c = count.astype(np.float32)
        if d:
            sum_d2 += np.multiply(count, d * d, dtype=np.int32)
            c *= np.float32(1.0 / (1.0 + d * d))
        homog += c
    has = n_i > 0
    nf = n_i.astype(np.float32)
    inv_n = np.zeros_like(nf)
    np.divide(1.0, nf, out=inv_n, where=has)
    out = np.zeros((len(GLCM_FEATURES), *nf.shape), np.float32)
    contrast, homogeneity, asm, entropy, variance = out
    # divisions, not products with 1 / N: a constant window gets homogeneity and ASM exactly 1
    np.divide(sum_d2, nf, out=contrast, where=has)
    np.divide(homog, nf, out=homogeneity, where=has)
    np.divide(s_u2, 2 * nf * nf, out=asm, where=has, casting="unsafe")
    half_inv = inv_n * np.float32(0.5)
    # entropy of the symmetric GLCM: ln N + ln 2 * (off-diagonal share) - sum(u ln u) / N
    off = (nf - count_by_d[0]) * np.float32(math.log(2.0))
    entropy[...] = np.log(np.maximum(nf, 1.0)) + (off - s_ulogu) * inv_n
    # A window's smallest positive entropy, (N - 1, 1) pairs, exceeds ln(N) / N; float32
    # sums leave ~1e-6 where it is 0 (e.g. a constant window): snap those to 0 exactly.
    entropy[entropy < 0.1 * math.log(plan.max_pairs) / plan.max_pairs] = 0.0
    # variance of the 2N grey levels: (2N sum(a^2 + c^2) - sum(a + c)^2) / (2N)^2, its
    # numerator an exact integer (0 in a constant window, never negative)
    top = 2 * plan.max_pairs * 2 * (plan.levels - 1) ** 2 * plan.max_pairs
    wide: type[np.signedinteger] = np.int32 if top < 2**31 else np.int64
    s1: np.ndarray = sum_ab.astype(wide)
    spread = 2 * n_i.astype(wide) * sum_a2b2.astype(wide) - s1 * s1
    np.multiply(spread, half_inv * half_inv, out=variance, casting="unsafe")
    return out


def _pair_sums(grouped: _GroupCodes, plan: _Plan, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums over level pairs of ``u ln u`` and of ``u^2`` (off-diagonal pairs once, diagonal ones
    twice), where ``u`` is a pair's count in the window; the counts of a pack of bins come from
    one box filter per box shape.

    Returns ``(s_ulogu (h, w) float32, s_u2 (h, w))``; ``s_u2`` is an exact uint16 sum with at
    most :data:`_SMALL_PAIRS` pairs per window, int64 otherwise.
    """
    present = np.zeros(plan.none + 1, bool)
    for _, codes in grouped:
        for code in codes:
            present |= np.bincount(code.ravel(), minlength=plan.none + 1)[: plan.none + 1] > 0
    n_fields = 32 // plan.bits
    # float32 sums per field, always over the packs in the same order (an absent pack adds 0):
    # a pixel's value does not depend on the strip or tile it was computed in
    acc_ulogu = np.zeros((h, w, n_fields), np.float32)
    acc_u2: np.ndarray = np.zeros((h, w, n_fields), np.uint16 if plan.small else np.int64)
    for pack in plan.bin_packs:
        if not present[list(pack.items)].any():
            continue
        u = _box_fields(grouped, pack, plan.anchor)
        if pack.bits == 8:
            cv2.add(acc_ulogu, cv2.LUT(u, plan.lut_ulogu), dst=acc_ulogu)
        else:
            acc_ulogu += plan.lut_ulogu[u]
        sq = u.astype(acc_u2.dtype)
        np.multiply(sq, sq, out=sq)
        if pack.diagonal:
            np.left_shift(sq, 1, out=sq)
        np.add(acc_u2, sq, out=acc_u2)
    s_ulogu = acc_ulogu[..., 0].copy()
    s_u2 = acc_u2[..., 0].copy()
    for f in range(1, n_fields):
        s_ulogu += acc_ulogu[..., f]
        s_u2 += acc_u2[..., f]
    return s_ulogu, s_u2


def _box_sum(
    image: np.ndarray, box: tuple[tuple[int, int], tuple[int, int]], *, depth: int = cv2.CV_32S
) -> np.ndarray:
    """Exact integer sum over a (possibly off-centre) box; outside the array counts as 0."""
    ksize, anchor = box
    return cv2.boxFilter(
        image, depth, ksize, anchor=anchor, normalize=False, borderType=cv2.BORDER_CONSTANT
    )


def _check_window_offsets(window: int, offsets: Sequence[tuple[int, int]]) -> None:
    if window < 3 or window % 2 == 0 or window > MAX_WINDOW:
        raise MssfcError(
            f"GLCM window must be an odd number of pixels from 3 to {MAX_WINDOW}, got {window}."
        )
    if len(offsets) == 0:
        raise MssfcError("GLCM needs at least one offset, e.g. ((0, 1), (1, 0)).")
    for dy, dx in offsets:
        if (dy, dx) == (0, 0) or max(abs(dy), abs(dx)) > window // 2:
            raise MssfcError(
                f"GLCM offset {(dy, dx)} must be non-zero and at most window // 2 "
                f"({window // 2}) pixels long; enlarge the window or shorten the offset."
            )
