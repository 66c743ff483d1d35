"""Sliding-window grey-level co-occurrence (GLCM) texture, vectorized.

Haralick, Shanmugam & Dinstein (IEEE SMC 3(6), 1973) statistics of a symmetric GLCM computed in a
square window around every pixel. The GLCM of a window pools the pairs of all ``offsets`` (a
direction-averaged, rotation-tolerant matrix). A pair ``(p, p + offset)`` belongs to the window
when *both* pixels lie inside it and are valid, exactly as ``skimage.feature.graycomatrix`` counts
the pairs of a patch; pixels outside the array are absent (no padding values are invented).

Nothing loops over pixels. Brightness is quantized to ``levels`` grey levels; for every unordered
level pair ``{i, j}`` an indicator image is box-summed (``cv2.boxFilter``, integer output) once per
offset, so every count is an exact integer and every statistic is a fixed function of those
counts: the result in a window's core does not depend on where the window was cut
(``texture_halo`` gives the halo that makes tiled equal to untiled, bit for bit).

Cost grows with ``levels * (levels + 1) / 2 * len(offsets)`` box filters; ``levels=8`` is about
4x faster than ``levels=16``.
"""

from __future__ import annotations

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
    r = window // 2
    n_bins = levels * (levels + 1) // 2
    # bin index of the unordered pair {i, j}, i <= j, in row-major upper-triangle order
    lo_idx, hi_idx = np.triu_indices(levels)
    bin_of = np.full((256, 256), 255, dtype=np.uint8)
    bin_of[lo_idx, hi_idx] = np.arange(n_bins)
    bin_of[hi_idx, lo_idx] = np.arange(n_bins)
    bin_d = (hi_idx - lo_idx).astype(np.int64)

    pair_codes: list[np.ndarray] = []
    boxes: list[tuple[tuple[int, int], tuple[int, int]]] = []
    n = np.zeros((h, w), np.int32)
    sum_d2 = np.zeros((h, w), np.int32)
    sum_ab = np.zeros((h, w), np.int32)
    sum_a2b2 = np.zeros((h, w), np.int32)
    max_pairs = 0
    for dy, dx in offsets:
        ys = slice(max(0, -dy), h - max(0, dy))
        xs = slice(max(0, -dx), w - max(0, dx))
        a = q[ys, xs]  # reference pixel p
        c = q[max(0, dy) : h - max(0, -dy), max(0, dx) : w - max(0, -dx)]  # p + offset
        code = np.full((h, w), 255, np.uint8)
        code[ys, xs] = bin_of[a, c]
        pair_codes.append(code)
        ok = code != 255
        a16 = np.zeros((h, w), np.uint16)
        c16 = np.zeros((h, w), np.uint16)
        a16[ys, xs] = a
        c16[ys, xs] = c
        a16[~ok] = 0
        c16[~ok] = 0
        # the window [y - r, y + r] must hold both p and p + offset
        ky, ay = window - abs(dy), r - max(0, -dy)
        kx, ax = window - abs(dx), r - max(0, -dx)
        box = ((kx, ky), (ax, ay))
        boxes.append(box)
        max_pairs += kx * ky
        n += _box_sum(ok.view(np.uint8), box)
        diff = a16.astype(np.int32) - c16
        sum_d2 += _box_sum((diff * diff).astype(np.uint16), box)
        sum_ab += _box_sum(a16 + c16, box)
        sum_a2b2 += _box_sum(a16 * a16 + c16 * c16, box)

    # Per-bin counts: small integers, so u*ln(u) and u^2 come from look-up tables.
    small = max_pairs <= 255
    table_len = 256 if small else max_pairs + 1
    k_arr = np.arange(table_len, dtype=np.float64)
    lut_ulogu = k_arr * np.log(np.maximum(k_arr, 1.0))  # float64: entropy cancels digits
    lut_u2 = (k_arr * k_arr).astype(np.float32)
    # float32 sums of at most n_bins terms; exact for the integer ones (< 2**24)
    s_ulogu = np.zeros((h, w), np.float64)
    s_off2 = np.zeros((h, w), np.float32)
    s_diag2 = np.zeros((h, w), np.float32)
    count_by_d = np.zeros((levels, h, w), np.float32)
    present = [np.bincount(code.ravel(), minlength=256) > 0 for code in pair_codes]
    for k in range(n_bins):
        u: np.ndarray | None = None
        for code, box, seen in zip(pair_codes, boxes, present):
            if not seen[k]:
                continue
            part = _box_sum(np.equal(code, k).view(np.uint8), box, depth=cv2.CV_16U)
            u = part if u is None else cv2.add(u, part)
        if u is None:
            continue
        if small:  # boxFilter is fastest into 16 bits, LUT needs 8
            u8 = u.astype(np.uint8)
            ulogu, u2 = cv2.LUT(u8, lut_ulogu), cv2.LUT(u8, lut_u2)
        else:
            ulogu, u2 = lut_ulogu[u], lut_u2[u]
        cv2.accumulate(ulogu, s_ulogu)
        cv2.accumulate(u2, s_diag2 if bin_d[k] == 0 else s_off2)
        cv2.accumulate(u, count_by_d[bin_d[k]])

    with np.errstate(divide="ignore", invalid="ignore"):
        nf = n.astype(np.float64)
        inv_n = np.where(n > 0, 1.0 / np.maximum(nf, 1.0), 0.0)
        contrast = sum_d2 * inv_n
        homogeneity = np.zeros((h, w), np.float64)
        for d in range(levels):
            homogeneity += count_by_d[d] * (1.0 / (1.0 + d * d))
        homogeneity *= inv_n
        asm = (s_off2 / 2.0 + s_diag2) * inv_n * inv_n
        u_off = nf - count_by_d[0]
        entropy = np.where(
            n > 0, np.log(np.maximum(nf, 1.0)) + np.log(2.0) * u_off * inv_n - s_ulogu * inv_n, 0.0
        )
        entropy = np.maximum(entropy, 0.0)
        mean = sum_ab * (0.5 * inv_n)
        variance = np.maximum(sum_a2b2 * (0.5 * inv_n) - mean * mean, 0.0)
    return np.stack([contrast, homogeneity, asm, entropy, variance]).astype(np.float32)


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
