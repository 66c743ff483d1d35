import numpy as np
import pytest

from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.unsupervised.texture import (
    GLCM_FEATURES,
    glcm_features,
    quantize,
    texture_halo,
)


def _naive(q: np.ndarray, window: int, levels: int, offsets) -> np.ndarray:
    """Per-pixel loop: symmetric pooled GLCM of the clipped window, both pixels inside it."""
    h, w = q.shape
    r = window // 2
    out = np.zeros((5, h, w))
    i, j = np.indices((levels, levels))
    for y in range(h):
        for x in range(w):
            y0, y1, x0, x1 = max(0, y - r), min(h, y + r + 1), max(0, x - r), min(w, x + r + 1)
            p = np.zeros((levels, levels))
            for dy, dx in offsets:
                for yy in range(y0, y1):
                    for xx in range(x0, x1):
                        y2, x2 = yy + dy, xx + dx
                        if not (y0 <= y2 < y1 and x0 <= x2 < x1):
                            continue
                        a, c = q[yy, xx], q[y2, x2]
                        if a == 255 or c == 255:
                            continue
                        p[a, c] += 1
                        p[c, a] += 1
            if p.sum() == 0:
                continue
            p /= p.sum()
            mu = (p * i).sum()
            nz = p[p > 0]
            out[:, y, x] = [
                (p * (i - j) ** 2).sum(),
                (p / (1 + (i - j) ** 2)).sum(),
                (p**2).sum(),
                -(nz * np.log(nz)).sum(),
                (p * (i - mu) ** 2).sum(),
            ]
    return out


def test_vectorized_matches_naive_loop():
    rng = np.random.default_rng(0)
    b = rng.random((20, 20)).astype(np.float32)
    valid = np.ones((20, 20), bool)
    valid[3, 4] = valid[15, 0] = False
    offsets = ((0, 1), (1, 0), (1, 1), (1, -1))
    fast = glcm_features(b, window=5, levels=6, offsets=offsets, valid=valid)
    q = quantize(b, levels=6, value_range=(0.0, 1.0), valid=valid)
    ref = _naive(q, 5, 6, offsets)
    assert fast.shape == (len(GLCM_FEATURES), 20, 20) and fast.dtype == np.float32
    np.testing.assert_allclose(fast, ref, atol=1e-4)


@pytest.mark.parametrize(
    "levels, offsets",
    [
        # 300 level pairs (16-bit pair codes), 272 pairs per window (16-bit count fields,
        # 32-bit moment sums, 64-bit sums of squares)
        (24, ((0, 1), (1, 0), (1, 1), (1, -1))),
        # 128 pairs in one box (16-bit count fields), 16-bit sums of squares
        (8, ((1, 1), (1, -1))),
    ],
)
def test_other_sizes_match_naive_loop(levels, offsets):
    rng = np.random.default_rng(3)
    b = rng.random((16, 17)).astype(np.float32)
    valid = rng.random((16, 17)) > 0.05
    fast = glcm_features(b, window=9, levels=levels, offsets=offsets, valid=valid)
    q = quantize(b, levels=levels, value_range=(0.0, 1.0), valid=valid)
    np.testing.assert_allclose(fast, _naive(q, 9, levels, offsets), rtol=1e-5, atol=1e-4)


def test_constant_image_has_no_contrast():
    f = glcm_features(np.full((16, 16), 0.3, np.float32), window=5, levels=8)
    contrast, homogeneity, asm, entropy, variance = f
    assert np.all(contrast == 0) and np.all(variance == 0) and np.all(entropy == 0)
    np.testing.assert_allclose(homogeneity, 1.0)
    np.testing.assert_allclose(asm, 1.0)


def test_tiles_equal_untiled_with_halo():
    rng = np.random.default_rng(1)
    b = rng.random((48, 50)).astype(np.float32)
    full = glcm_features(b, window=7, levels=8)
    halo = texture_halo(7)
    core = (slice(16, 32), slice(20, 36))
    win = b[16 - halo : 32 + halo, 20 - halo : 36 + halo]
    part = glcm_features(win, window=7, levels=8)
    np.testing.assert_array_equal(part[:, halo:-halo, halo:-halo], full[:, core[0], core[1]])


def test_bad_window_is_rejected():
    with pytest.raises(MssfcError, match="odd"):
        glcm_features(np.zeros((8, 8), np.float32), window=4)


def test_too_many_levels_are_rejected():
    with pytest.raises(MssfcError, match="levels must be 2..64"):
        glcm_features(np.zeros((8, 8), np.float32), window=3, levels=65)
