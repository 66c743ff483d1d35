"""Sliding-window grey-level co-occurrence (GLCM) texture, vectorized.

Haralick, Shanmugam & Dinstein (IEEE SMC 3(6), 1973) statistics of a symmetric GLCM computed in a
square window around every pixel. The GLCM of a window pools the pairs of all ``offsets`` (a
direction-averaged, rotation-tolerant matrix). A pair ``(p, p + offset)`` belongs to the window
when *both* pixels lie inside it and are valid, exactly as ``skimage.feature.graycomatrix`` counts
the pairs of a patch; pixels outside the array are absent (no padding values are invented).

Nothing loops over pixels. Brightness is quantized to ``levels`` grey levels; for every unordered
level pair ``{i, j}`` an indicator image is box-summed (``cv2.boxFilter``, integer output) once per
box shape (a pair is filed under the top-left corner of its bounding box, so offsets with the same
``(|dy|, |dx|)`` share one box), so every count is an exact integer and every statistic is a
fixed function of those counts: the result in a window's core does not depend on where the window
was cut (``texture_halo`` gives the halo that makes tiled equal to untiled, bit for bit). The
image is processed in strips of rows, with that halo, so the per-pair planes stay in the CPU
cache.

Cost grows with ``levels * (levels + 1) / 2`` times the number of box shapes (3 for the default
offsets); ``levels=8`` is about 4x faster than ``levels=16``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from ..errors import MssfcError

__all__ = ["GLCM_FEATURES", "glcm_features", "quantize", "texture_halo"]

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
    b = np.asarray(brightness, dtype=np.float64)
    scaled = (b - low) * (levels / (high - low))
    finite = np.isfinite(scaled)
    codes = np.clip(np.floor(np.where(finite, scaled, 0.0)), 0, levels - 1).astype(np.uint8)
    bad = ~finite if valid is None else ~(finite & valid)
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


_STRIP_ROWS = 64
#: Up to this many pairs per window (181: 2 * 181**2 < 2**16) the per-pixel sums of counts and
#: squared counts are exact 16-bit integers; the default 7 x 7 window with 4 offsets has 156.
_SMALL_PAIRS = 181


class _Plan:
    """Tables shared by every strip: the bin of each unordered level pair, and the offsets grouped
    by the box that counts their pairs."""

    def __init__(self, window: int, levels: int, offsets: Sequence[tuple[int, int]]) -> None:
        self.window = window
        self.levels = levels
        r = window // 2
        self.anchor = (r, r)
        n_bins = levels * (levels + 1) // 2
        self.n_bins = n_bins
        # bin index of the unordered pair {i, j}, i <= j, in row-major upper-triangle order
        lo_idx, hi_idx = np.triu_indices(levels)
        self.dtype = np.uint8 if n_bins < 255 else np.uint16
        self.none = int(np.iinfo(self.dtype).max)  # code of a pair with an invalid pixel
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
        self.bin_d = (hi_idx - lo_idx).astype(np.int64)
        # A pair is filed under the top-left corner of its bounding box: it lies in the window
        # around (y, x) when that corner is in [y - r, y + r - |dy|] x [x - r, x + r - |dx|], so
        # offsets with the same (|dy|, |dx|) share one box and are summed before filtering.
        groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for dy, dx in offsets:
            groups.setdefault((abs(dy), abs(dx)), []).append((dy, dx))
        self.groups = [((window - adx, window - ady), offs) for (ady, adx), offs in groups.items()]
        self.max_pairs = sum((window - abs(dy)) * (window - abs(dx)) for dy, dx in offsets)
        table_len = 256 if self.max_pairs <= 255 else self.max_pairs + 1
        k_arr = np.arange(table_len, dtype=np.float64)
        self.lut_ulogu = (k_arr * np.log(np.maximum(k_arr, 1.0))).astype(np.float32)


# per box shape: (ksize, [(pair codes of one offset, which bins occur in them)])
_GroupCodes = list[tuple[tuple[int, int], list[tuple[np.ndarray, np.ndarray]]]]


def _glcm_strip(q: np.ndarray, plan: _Plan) -> np.ndarray:
    """Features ``(5, h, w)`` of quantized codes ``q`` (pixels outside ``q`` are absent)."""
    h, w = q.shape
    levels = plan.levels
    anchor = plan.anchor
    group_codes: _GroupCodes = []
    sum_ab = np.zeros((h, w), np.int32)
    sum_a2b2 = np.zeros((h, w), np.int32)
    for ksize, offs in plan.groups:
        codes = []
        wide = 2 * len(offs) * (levels - 1) ** 2 > 65535
        s1: np.ndarray = np.zeros((h, w), np.int32 if wide else np.uint16)
        s2: np.ndarray = np.zeros_like(s1)
        for dy, dx in offs:
            rows, cols = h - abs(dy), w - abs(dx)
            if rows <= 0 or cols <= 0:
                continue
            y_a, x_a = max(0, -dy), max(0, -dx)  # reference pixel p, from the corner
            y_c, x_c = max(0, dy), max(0, dx)  # p + offset
            a = q[y_a : y_a + rows, x_a : x_a + cols]
            c = q[y_c : y_c + rows, x_c : x_c + cols]
            code = np.full((h, w), plan.none, plan.dtype)
            if plan.pair_lut is not None:
                pair = np.minimum(a, levels) * np.uint8(levels + 1) + np.minimum(c, levels)
                code[:rows, :cols] = cv2.LUT(pair, plan.pair_lut)
            else:
                code[:rows, :cols] = plan.bin_of[a, c]
            present = np.bincount(code.ravel(), minlength=plan.none + 1)[: plan.n_bins] > 0
            codes.append((code, present))
            ok = code[:rows, :cols] != plan.none
            a16: np.ndarray = np.where(ok, a, 0).astype(s1.dtype)
            c16: np.ndarray = np.where(ok, c, 0).astype(s1.dtype)
            s1[:rows, :cols] += a16 + c16
            s2[:rows, :cols] += a16 * a16 + c16 * c16
        if not codes:
            continue
        group_codes.append((ksize, codes))
        sum_ab += _box_sum(s1, (ksize, anchor))
        sum_a2b2 += _box_sum(s2, (ksize, anchor))

    s_ulogu, s_u2, count_by_d = _pair_sums(group_codes, plan, h, w)

    # pair counts and sum of d^2 from the per-d counts (exact integers)
    n_i = count_by_d.sum(axis=0, dtype=np.int32)
    sum_d2 = np.zeros((h, w), np.int32)
    for d in range(1, levels):
        sum_d2 += count_by_d[d] * np.int32(d * d)
    with np.errstate(divide="ignore", invalid="ignore"):
        nf = n_i.astype(np.float64)
        has = n_i > 0
        inv_n = np.where(has, 1.0 / np.maximum(nf, 1.0), 0.0)
        contrast = sum_d2 * inv_n
        homogeneity = np.zeros((h, w), np.float64)
        for d in range(levels):
            homogeneity += count_by_d[d] * (1.0 / (1.0 + d * d))
        homogeneity *= inv_n
        asm = s_u2 * (0.5 * inv_n * inv_n)
        u_off = nf - count_by_d[0]
        entropy = np.where(
            has, np.log(np.maximum(nf, 1.0)) + np.log(2.0) * u_off * inv_n - s_ulogu * inv_n, 0.0
        )
        # A window's smallest positive entropy, (N - 1, 1) pairs, exceeds ln(N) / N; float32
        # sums leave ~1e-6 where it is 0 (e.g. a constant window): snap those to 0 exactly.
        floor = 0.1 * math.log(plan.max_pairs) / plan.max_pairs
        entropy = np.where(entropy < floor, 0.0, entropy)
        mean = sum_ab * (0.5 * inv_n)
        variance = np.maximum(sum_a2b2 * (0.5 * inv_n) - mean * mean, 0.0)
    return np.stack([contrast, homogeneity, asm, entropy, variance]).astype(np.float32)


def _pair_sums(
    group_codes: _GroupCodes, plan: _Plan, h: int, w: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums over level pairs of ``u ln u``, of ``u^2`` (off-diagonal pairs once, diagonal ones
    twice) and of ``u`` per ``|i - j|``, where ``u`` is a pair's count in the window; one box
    filter per pair and box shape.

    Returns ``(s_ulogu (h, w) float32, s_u2 (h, w), count_by_d (levels, h, w))``; with at most
    :data:`_SMALL_PAIRS` pairs per window the last two are exact uint16 sums (cheaper than
    float), otherwise float32 (exact below 2**24).
    """
    lut_ulogu = plan.lut_ulogu
    fast = plan.max_pairs <= _SMALL_PAIRS  # every sum below fits 16 bits: 2 * n^2 < 65536
    # float32 sums of at most n_bins terms, always in the same order: a pixel's value does not
    # depend on the strip or tile it was computed in
    s_ulogu = np.zeros((h, w), np.float32)
    s_u2 = np.zeros((h, w), np.uint16) if fast else np.zeros((h, w), np.float32)
    shape = (plan.levels, h, w)
    count_by_d = np.zeros(shape, np.uint16) if fast else np.zeros(shape, np.float32)
    seen = np.zeros(plan.n_bins, bool)
    for _, codes in group_codes:
        for _, present in codes:
            seen |= present
    for k in map(int, np.flatnonzero(seen)):
        u: np.ndarray | None = None
        for ksize, codes in group_codes:
            ind: np.ndarray | None = None
            for code, present in codes:
                if present[k]:
                    eq = np.equal(code, k).view(np.uint8)
                    ind = eq if ind is None else ind + eq
            if ind is None:
                continue
            part = _box_sum(ind, (ksize, plan.anchor), depth=cv2.CV_16U)
            u = part if u is None else cv2.add(u, part)
        if u is None:
            continue
        twice = 2.0 if plan.bin_d[k] == 0 else 1.0
        if fast:
            cv2.add(s_ulogu, cv2.LUT(u.astype(np.uint8), lut_ulogu), dst=s_ulogu)
            cv2.add(s_u2, cv2.multiply(u, u, scale=twice), dst=s_u2)
            cv2.add(count_by_d[plan.bin_d[k]], u, dst=count_by_d[plan.bin_d[k]])
        else:
            uf = u.astype(np.float32)
            cv2.add(s_ulogu, lut_ulogu[u], dst=s_ulogu)
            cv2.add(s_u2, uf * uf * np.float32(twice), dst=s_u2)
            cv2.add(count_by_d[plan.bin_d[k]], uf, dst=count_by_d[plan.bin_d[k]])
    return s_ulogu, s_u2, count_by_d


def _box_sum(
    image: np.ndarray, box: tuple[tuple[int, int], tuple[int, int]], *, depth: int = cv2.CV_32S
) -> np.ndarray:
    """Exact integer sum over a (possibly off-centre) box; outside the array counts as 0."""
    ksize, anchor = box
    return cv2.boxFilter(
        image, depth, ksize, anchor=anchor, normalize=False, borderType=cv2.BORDER_CONSTANT
    )


def _check_window_offsets(window: int, offsets: Sequence[tuple[int, int]]) -> None:
    if window < 3 or window % 2 == 0:
        raise MssfcError(f"GLCM window must be an odd number >= 3 of pixels, got {window}.")
    if len(offsets) == 0:
        raise MssfcError("GLCM needs at least one offset, e.g. ((0, 1), (1, 0)).")
    for dy, dx in offsets:
        if (dy, dx) == (0, 0) or max(abs(dy), abs(dx)) > window // 2:
            raise MssfcError(
                f"GLCM offset {(dy, dx)} must be non-zero and at most window // 2 "
                f"({window // 2}) pixels long; enlarge the window or shorten the offset."
            )
