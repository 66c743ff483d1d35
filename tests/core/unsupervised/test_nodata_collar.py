"""A nodata collar (a border of pixels declared nodata, as real scenes have) acts as the outside of
the image: MBI and BLI on the valid part equal, or do not exceed, those of the valid part cut out
alone, and the collar's edge is not taken for a building edge."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from unsup_scenes import urban_brightness

from mssfc_qgis.core.newlybuilt import DEFAULT_CONFIG, bli_stage, fit_bli, mbi_stage
from mssfc_qgis.core.raster import Grid, open_raster, read_array, write_array
from mssfc_qgis.core.unsupervised.bli import (
    NEAR_INVALID_PX,
    building_line_index,
    detect_segments,
    perpendicular_pairs,
)
from mssfc_qgis.core.unsupervised.mbi import mbi_direct, mbi_halo, morphological_building_index
from tests.conftest import utm_wkt

KW = {"min_length": 3, "max_length": 31, "step": 4}
C = 40  # collar width, pixels (a multiple of 5: LSD's 0.8 subsampling sees the same grid)


def _with_collar(b: np.ndarray, top: int = C, left: int = C, bottom: int = C, right: int = C):
    """``b`` inside a 0-filled collar, and the validity mask (False in the collar)."""
    h, w = b.shape[-2:]
    out = np.zeros((*b.shape[:-2], top + h + bottom, left + w + right), b.dtype)
    out[..., top : top + h, left : left + w] = b
    valid = np.zeros(out.shape[-2:], bool)
    valid[top : top + h, left : left + w] = True
    return out, valid


def buildings(size: int = 200, seed: int = 0) -> np.ndarray:
    """(size, size) float32 brightness: noisy ground, bright rectangles, one of them cut by the
    left edge (a building the scene's footprint crosses)."""
    rng = np.random.default_rng(seed)
    b = rng.normal(0.25, 0.02, (size, size)).astype(np.float32)
    for y, x, h, w in ((20, 30, 24, 30), (90, 120, 30, 22), (140, 40, 20, 36), (60, 0, 26, 18)):
        b[y : y + h, x : x + w] = 0.85
    return cv2.GaussianBlur(b, (3, 3), 0.7)


# --------------------------------------------------------------------------------------- MBI


@pytest.mark.parametrize("path", ["8-bit", "16-bit", "float"])
def test_mbi_with_a_collar_equals_mbi_of_the_valid_part(path):
    b = urban_brightness(120, seed=4)
    if path == "8-bit":
        b, vr = np.rint(b * 200 + 20), (0.0, 255.0)
    else:
        vr = (0.0, 1.0) if path == "16-bit" else None
    big, valid = _with_collar(b, 17, 23, 9, 31)
    crop = morphological_building_index(b, **KW, value_range=vr)
    full = morphological_building_index(big, **KW, value_range=vr, valid=valid)
    np.testing.assert_array_equal(full[valid].reshape(crop.shape), crop)
    assert np.all(full[~valid] == 0)
    # the fault this guards against: the 0-filled collar took part in the morphology
    old = morphological_building_index(big, **KW, value_range=vr)
    assert np.abs(old[valid].reshape(crop.shape) - crop).max() > 1e-3


def test_mbi_telescoping_holds_with_invalid_pixels():
    b = urban_brightness(96, seed=2)
    rng = np.random.default_rng(0)
    valid = np.ones(b.shape, bool)
    valid[:, :11] = False  # a collar
    for y, x in rng.integers(10, 86, (6, 2)):  # and holes (clouds masked out)
        valid[y : y + 7, x : x + 5] = False
    b = np.where(valid, b, np.float32(np.nan))  # what invalid pixels hold must not matter
    for value_range in ((0.0, 1.0), None):
        fast = morphological_building_index(b, **KW, value_range=value_range, valid=valid)
        slow = mbi_direct(b, **KW, value_range=value_range, valid=valid)
        np.testing.assert_allclose(fast, slow, atol=1e-6)
        assert np.isfinite(fast).all() and np.all(fast[~valid] == 0) and fast.max() > 0


def test_mbi_tiles_equal_the_whole_image_with_invalid_pixels():
    b = urban_brightness(150, seed=4)
    valid = np.ones(b.shape, bool)
    valid[:, :13] = False
    valid[60:75, 40:90] = False
    full = morphological_building_index(b, **KW, value_range=(0.0, 1.0), valid=valid)
    halo, core = mbi_halo(KW["max_length"]), 48
    tiled = np.zeros_like(full)
    for y0 in range(0, 150, core):
        for x0 in range(0, 150, core):
            wy0, wx0 = max(0, y0 - halo), max(0, x0 - halo)
            window = (slice(wy0, y0 + core + halo), slice(wx0, x0 + core + halo))
            rows = slice(y0 - wy0, min(150, y0 + core) - wy0)
            cols = slice(x0 - wx0, min(150, x0 + core) - wx0)
            tiled[y0 : y0 + core, x0 : x0 + core] = morphological_building_index(
                b[window], **KW, value_range=(0.0, 1.0), valid=valid[window], core=(rows, cols)
            )
    np.testing.assert_array_equal(tiled, full)


def _grid(h: int, w: int) -> Grid:
    return Grid(w, h, (500000.0, 0.5, 0, 4649776.0, 0, -0.5), utm_wkt())


def _scene(tmp_path, size: int = 216) -> tuple[str, str]:
    """A 3-band uint8 image (values >= 1) and the same image in a collar of 0 declared nodata in
    every band, ``C`` pixels wide; returns their paths."""
    b = buildings(size, seed=1)
    rgb = np.clip(np.rint(np.stack([b * 230, b * 220, b * 200])), 1, 255).astype(np.uint8)
    big, _ = _with_collar(rgb)
    plain = write_array(str(tmp_path / "plain.tif"), rgb, _grid(size, size))
    collar = write_array(
        str(tmp_path / "collar.tif"), big, _grid(size + 2 * C, size + 2 * C), nodata=0
    )
    return plain, collar


def test_mbi_stage_with_a_collar_equals_the_valid_part_tiled_or_not(tmp_path):
    plain, collar = _scene(tmp_path)
    mbi_stage(plain, str(tmp_path / "plain_mbi.tif"), tile=4096)
    for tile in (96, 4096):
        mbi_stage(collar, str(tmp_path / f"collar_mbi_{tile}.tif"), tile=tile)
    ref, _ = read_array(str(tmp_path / "plain_mbi.tif"))
    tiled, _ = read_array(str(tmp_path / "collar_mbi_96.tif"))
    whole, _ = read_array(str(tmp_path / "collar_mbi_4096.tif"))
    np.testing.assert_array_equal(tiled, whole)
    np.testing.assert_array_equal(whole[0, C:-C, C:-C], ref[0])
    assert ref.max() > 0


# --------------------------------------------------------------------------------------- BLI


def _along_edge(seg: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Which segments have both ends within 2 px of an invalid pixel (run along the edge)."""
    dist = cv2.distanceTransform(valid.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    h, w = valid.shape

    def at(x, y):
        return dist[
            np.clip(np.rint(y).astype(int), 0, h - 1), np.clip(np.rint(x).astype(int), 0, w - 1)
        ]

    return (at(seg[:, 0], seg[:, 1]) <= NEAR_INVALID_PX) & (
        at(seg[:, 2], seg[:, 3]) <= NEAR_INVALID_PX
    )


def _kept(seg: np.ndarray) -> np.ndarray:
    pairs = perpendicular_pairs(seg, max_distance=6.0, angle_tolerance_deg=4.0)
    return seg[np.unique(pairs.ravel())]


def test_lsd_reports_no_segment_along_the_collar_edge():
    b = buildings()
    big, valid = _with_collar(b)
    vr = (0.0, 1.0)
    old = detect_segments(big, value_range=vr, min_length=5.0)
    assert _along_edge(_kept(old), valid).sum() >= 2  # the fault: the collar edge is a line
    seg = detect_segments(big, value_range=vr, min_length=5.0, valid=valid)
    assert len(_kept(seg)) >= 8  # the buildings' outlines are still found
    assert not _along_edge(seg, valid).any()
    # nothing inside the collar either, though invalid pixels hold an image there
    noisy = np.where(valid, big, np.float32(0.6) + 0.3 * (np.indices(big.shape)[1] % 7 == 0))
    np.testing.assert_array_equal(
        detect_segments(noisy, value_range=vr, min_length=5.0, valid=valid), seg
    )


def test_bli_near_the_collar_is_not_raised():
    b = buildings()
    big, valid = _with_collar(b)
    kw = {"max_distance": 6.0, "sigma": 2.0, "min_length": 5.0, "value_range": (0.0, 1.0)}
    crop = building_line_index(b, **kw)
    full = building_line_index(big, **kw, valid=valid)
    old = building_line_index(big, **kw)
    inner = full[C:-C, C:-C]
    band = np.zeros(b.shape, bool)
    band[:8], band[-8:], band[:, :8], band[:, -8:] = True, True, True, True
    assert np.all(full[~valid] == 0)
    assert inner[band].mean() <= crop[band].mean() + 0.01
    assert old[C:-C, C:-C][band].mean() > crop[band].mean() + 0.05  # the fault, measured
    # away from the edge the buildings score as they do in the cut-out image
    assert np.abs(inner[20:-20, 20:-20] - crop[20:-20, 20:-20]).mean() < 0.02


def test_bli_stage_with_a_collar(tmp_path):
    plain, collar = _scene(tmp_path)
    model = fit_bli(open_raster(collar), cfg=DEFAULT_CONFIG, pixel_size=0.5)
    src = open_raster(collar)
    valid = src.read_valid(src.grid.full)
    assert len(model.lines.segments) >= 8
    assert not _along_edge(model.lines.segments, valid).any()
    bli_stage(plain, str(tmp_path / "plain_bli.tif"), tile=4096)
    for tile in (96, 4096):
        bli_stage(collar, str(tmp_path / f"collar_bli_{tile}.tif"), tile=tile)
    ref, _ = read_array(str(tmp_path / "plain_bli.tif"))
    tiled, _ = read_array(str(tmp_path / "collar_bli_96.tif"))
    whole, _ = read_array(str(tmp_path / "collar_bli_4096.tif"))
    np.testing.assert_array_equal(tiled, whole)
    inner, ref = whole[0, C:-C, C:-C], ref[0]
    band = np.zeros(ref.shape, bool)
    band[:8], band[-8:], band[:, :8], band[:, -8:] = True, True, True, True
    assert inner[band].mean() <= ref[band].mean() + 0.01
