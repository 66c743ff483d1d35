import cv2
import numpy as np
import pytest
from unsup_scenes import urban_brightness

from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.unsupervised.mbi import (
    brightness,
    line_kernel,
    mbi_direct,
    mbi_halo,
    mbi_lengths,
    metres_to_pixels,
    morphological_building_index,
    reconstruct_by_dilation,
    to_uint8_exact,
    white_tophat_by_reconstruction,
)

KW = {"min_length": 3, "max_length": 31, "step": 4}


def _tiled(fn, image: np.ndarray, *, core: int, halo: int) -> np.ndarray:
    """Run ``fn`` on overlapping windows (core + halo, clipped at the edges), keep the cores."""
    h, w = image.shape
    out = np.zeros(image.shape, np.float32)
    for y0 in range(0, h, core):
        for x0 in range(0, w, core):
            y1, x1 = min(h, y0 + core), min(w, x0 + core)
            wy0, wx0 = max(0, y0 - halo), max(0, x0 - halo)
            wy1, wx1 = min(h, y1 + halo), min(w, x1 + halo)
            part = fn(image[wy0:wy1, wx0:wx1])
            out[y0:y1, x0:x1] = part[y0 - wy0 : y1 - wy0, x0 - wx0 : x1 - wx0]
    return out


def test_lines_are_nested():
    for d in (0, 45, 90, 135):
        for s in range(1, 12):
            small, big = line_kernel(s, d), line_kernel(s + 1, d)
            assert small.sum() == s
            pad = (big.shape[0] - small.shape[0]) // 2
            grown = np.pad(small, pad)
            assert np.all(big[grown == 1] == 1)


def test_telescoping_equals_direct_sum():
    b = urban_brightness(96, seed=2)
    for value_range in ((0.0, 1.0), None):
        fast = morphological_building_index(b, **KW, value_range=value_range)
        slow = mbi_direct(b, **KW, value_range=value_range)
        np.testing.assert_allclose(fast, slow, atol=1e-6)


def test_opening_never_brightens():
    b = urban_brightness(64, seed=3)
    for d in (0, 45, 90, 135):
        wth = white_tophat_by_reconstruction(b, length=9, direction=d, radius=None)
        assert np.all(wth >= 0)
    marker = np.minimum(b, np.roll(b, 3, axis=1))
    assert np.all(reconstruct_by_dilation(marker, b) <= b)


def test_isolated_building_beats_long_road_and_large_plaza():
    b = np.full((128, 128), 0.1, np.float32)
    b[20:34, 20:36] = 0.8  # a 14 x 16 px building, shorter than s_max in every direction
    b[70:74, :] = 0.8  # a road longer than s_max: kept by the line along it
    b[85:125, 60:110] = 0.8  # a plaza wider than s_max in every direction
    mbi = morphological_building_index(b, **KW, value_range=(0.0, 1.0))
    building, road, plaza = mbi[27, 28], mbi[72, 48], mbi[105, 85]
    # the building is removed in all 4 directions: 4 * 0.7 / (D * S) with S = 7 DMP levels
    assert building == pytest.approx(4 * 0.7 / (4 * 7), rel=1e-3)
    # the road survives the line along it: 3 of 4 directions (why BLI and GI follow MBI)
    assert road == pytest.approx(0.75 * building, rel=1e-3)
    assert plaza == pytest.approx(0.0, abs=1e-6)


def test_tiled_equals_untiled_with_bounded_reconstruction():
    b = urban_brightness(160, seed=4)

    def fn(x):
        return morphological_building_index(x, **KW, value_range=(0.0, 1.0))

    full = fn(b)
    tiled = _tiled(fn, b, core=48, halo=mbi_halo(KW["max_length"]))
    np.testing.assert_array_equal(tiled, full)


def test_tiled_close_to_untiled_with_full_reconstruction():
    """Full reconstruction is global; with the same halo most pixels still agree exactly.

    Measured on this scene: 88.9 % identical with the halo of ``mbi_halo`` (46 px), 96.4 % with
    80 px, 100 % with 120 px; the 99th percentile of the difference is 6 % of the MBI maximum.
    """
    b = urban_brightness(160, seed=4)

    def fn(x):
        return morphological_building_index(
            x, **KW, value_range=(0.0, 1.0), reconstruction_radius=None
        )

    full = fn(b)
    tiled = _tiled(fn, b, core=48, halo=mbi_halo(KW["max_length"], None))
    identical = np.mean(tiled == full)
    assert identical >= 0.85
    assert np.percentile(np.abs(tiled - full), 99) < 0.1 * full.max()


def test_units_and_bad_input():
    assert metres_to_pixels(50.0, 0.5) == 100
    assert mbi_lengths(4, 100, 10)[-1] == 100
    img = np.stack([np.full((4, 4), v, np.float32) for v in (0.1, 0.5, 0.3, 0.9)])
    assert np.all(brightness(img, visible_bands=(0, 1, 2)) == np.float32(0.5))
    with pytest.raises(MssfcError, match="metric CRS"):
        metres_to_pixels(10.0, 0.0)
    with pytest.raises(MssfcError, match="s_min"):
        mbi_lengths(10, 5, 1)


def test_core_only_reconstruction_equals_full_in_the_core():
    """Shrinking the work box as the steps run changes nothing inside the requested core."""
    rng = np.random.default_rng(5)
    for trial in range(12):
        b = (urban_brightness(int(rng.integers(40, 110)), seed=trial) * 255).astype(np.uint8)
        h, w = b.shape
        length, d = int(rng.integers(2, 25)), int(rng.choice([0, 45, 90, 135]))
        radius = int(rng.integers(1, 50))
        marker = cv2.erode(b, line_kernel(length, d))
        full = reconstruct_by_dilation(marker, b, radius=radius)
        y0, x0 = int(rng.integers(0, h // 2)), int(rng.integers(0, w // 2))
        y1, x1 = int(rng.integers(y0 + 1, h + 1)), int(rng.integers(x0 + 1, w + 1))
        part = reconstruct_by_dilation(marker, b, radius=radius, core=(y0, y1, x0, x1))
        np.testing.assert_array_equal(part[y0:y1, x0:x1], full[y0:y1, x0:x1])


def test_mbi_of_a_core_equals_the_whole_image_result_there():
    b = urban_brightness(120, seed=4)
    full = morphological_building_index(b, **KW, value_range=(0.0, 1.0))
    core = (slice(30, 85), slice(17, 101))
    part = morphological_building_index(b, **KW, value_range=(0.0, 1.0), core=core)
    assert part.shape == (55, 84)
    np.testing.assert_array_equal(part, full[core])


def test_eight_bit_brightness_runs_unrounded():
    """Whole-valued brightness spanning <= 256 levels runs as uint8 with no rounding: the MBI is
    a multiple of the brightness step, and agrees with the 16-bit path to its quantization."""
    b8 = np.rint(urban_brightness(96, seed=3) * 200 + 20).astype(np.float32)
    vr = (float(b8.min()), float(b8.max()))
    assert to_uint8_exact(b8, value_range=vr) is not None
    assert to_uint8_exact(b8 + 0.5, value_range=(vr[0] + 0.5, vr[1] + 0.5)) is None
    assert to_uint8_exact(b8 * 2, value_range=(2 * vr[0], 2 * vr[1])) is None  # 400 levels
    exact = morphological_building_index(b8, **KW, value_range=vr)
    s = len(mbi_lengths(KW["min_length"], KW["max_length"], KW["step"])) - 1
    np.testing.assert_allclose(exact * 4 * s, np.rint(exact * 4 * s), atol=1e-3)
    # the same image seen as non-integer (shifted by 1/4) takes the 16-bit path
    shifted = morphological_building_index(
        b8 + 0.25, **KW, value_range=(vr[0] + 0.25, vr[1] + 0.25)
    )
    np.testing.assert_allclose(exact, shifted, atol=2 * (vr[1] - vr[0]) / 65535)
    assert exact.max() > 5  # the test scene has buildings
