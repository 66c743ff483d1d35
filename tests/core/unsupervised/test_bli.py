import json
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from mssfc_qgis.core.errors import Canceled, MssfcError
from mssfc_qgis.core.unsupervised.bli import (
    BliScale,
    bli_halo,
    building_line_index,
    detect_segments,
    fit_bli_scale,
    line_density,
    normalize_bli,
    perpendicular_pairs,
    segment_distance,
)


def _segment_at(angle_deg: float, length: float = 20.0) -> list[float]:
    """A segment starting 1 px from the origin at ``angle_deg`` from the x axis."""
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    return [1.0 * c, 1.0 * s, (1.0 + length) * c, (1.0 + length) * s]


def test_lvc_accepts_perpendicular_and_rejects_85_degrees():
    base = [1.0, 0.0, 21.0, 0.0]
    for angle, expected in ((90.0, 1), (93.5, 1), (86.5, 1), (85.0, 0), (95.0, 0), (40.0, 0)):
        seg = np.array([base, _segment_at(angle)], np.float32)
        pairs = perpendicular_pairs(seg, max_distance=3.0, angle_tolerance_deg=4.0)
        assert len(pairs) == expected, angle


def test_lvc_needs_segments_to_be_close():
    seg = np.array([[0, 0, 20, 0], [30, 1, 30, 20], [5, 10, 5, 30]], np.float32)
    pairs = perpendicular_pairs(seg, max_distance=3.0, angle_tolerance_deg=4.0)
    # segment 2 crosses nothing but lies 10 px from 0; segment 1 is 10 px from 0's end
    assert pairs.shape == (0, 2)
    pairs = perpendicular_pairs(seg, max_distance=10.5, angle_tolerance_deg=4.0)
    np.testing.assert_array_equal(pairs, [[0, 1], [0, 2]])


def test_no_lines_gives_zero_bli_not_nan():
    flat = np.full((64, 64), 0.4, np.float32)
    seg = detect_segments(flat)
    assert seg.shape == (0, 4) and seg.dtype == np.float32
    assert perpendicular_pairs(seg, max_distance=3.0).shape == (0, 2)
    raw = building_line_index(flat, max_distance=3.0, sigma=2.0, value_range=(0.0, 1.0))
    scale = fit_bli_scale(raw)
    bli = normalize_bli(raw, scale)
    assert scale.high == 0.0 and np.all(bli == 0) and not np.isnan(bli).any()


def test_rectangle_outline_beats_lone_line():
    img = np.full((96, 160), 0.1, np.float32)
    cv2.rectangle(img, (15, 20), (60, 70), 0.9, 2)  # a roof outline
    cv2.line(img, (90, 10), (150, 85), 0.9, 2)  # a lone straight edge
    raw = building_line_index(img, max_distance=4.0, sigma=2.0, value_range=(0.0, 1.0))
    bli = normalize_bli(raw, fit_bli_scale(raw))
    roof, lone = bli[20:71, 15:61], bli[:, 80:]
    assert roof.mean() > 0.5  # corners fill the roof, not only its edges
    assert lone.max() == 0.0


def test_density_and_scale_helpers():
    seg = np.array([[2, 2, 2, 20], [2, 20, 20, 20]], np.float32)
    d = line_density((32, 32), seg, sigma=0.0, pairs=np.array([[0, 1]]))
    assert d.dtype == np.float32 and d.max() == 1.0
    assert d[10, 10] == 1.0  # inside the corner parallelogram
    scale = BliScale.from_dict(json.loads(json.dumps(fit_bli_scale(d).to_dict())))
    assert scale.high == 1.0
    assert bli_halo(3.0, 2.0) == 11


def test_lvc_orientation_bins_miss_no_pair():
    """The orientation-binned candidate search gives exactly the brute-force LVC pairs."""
    rng = np.random.default_rng(7)
    seg = rng.random((600, 4)) * 120
    n = len(seg)
    i, j = np.triu_indices(n, 1)
    theta = np.degrees(np.arctan2(seg[:, 3] - seg[:, 1], seg[:, 2] - seg[:, 0])) % 180
    delta = np.abs(theta[i] - theta[j]) % 180
    acute = np.minimum(delta, 180 - delta)
    dist = segment_distance(seg[i], seg[j])
    for tol in (0.0, 4.0, 9.99, 10.0, 45.0, 90.0):
        ok = (90 - acute <= tol + 1e-9) & (dist <= 4.0)
        expected = np.stack([i[ok], j[ok]], axis=1)
        got = perpendicular_pairs(seg, max_distance=4.0, angle_tolerance_deg=tol)
        np.testing.assert_array_equal(got, expected, err_msg=f"tolerance {tol}")
        assert tol == 0.0 or len(got) > 0
        with ThreadPoolExecutor(3) as pool:  # the bins searched in threads: the same pairs
            threaded = perpendicular_pairs(
                seg, max_distance=4.0, angle_tolerance_deg=tol, executor=pool
            )
        np.testing.assert_array_equal(threaded, expected, err_msg=f"tolerance {tol}, threads")
        if tol in (4.0, 45.0):  # paired area by area (4 cells, long segments crossing them)
            chunked = perpendicular_pairs(seg, max_distance=4.0, angle_tolerance_deg=tol, chunk=150)
            np.testing.assert_array_equal(chunked, expected, err_msg=f"tolerance {tol}, by area")


def test_lvc_by_area_on_short_segments_of_a_large_image():
    """Many short segments over a wide area (as LSD gives on a city), paired in cells of a few
    hundred segments: exactly the pairs of one search over all of them."""
    rng = np.random.default_rng(11)
    n = 4000
    start = rng.random((n, 2)) * 3000
    angle = rng.choice([0.0, 90.0, 45.0], n) + rng.normal(0, 3, n)
    length = rng.uniform(3, 40, n)
    end = start + length[:, None] * np.stack(
        [np.cos(np.radians(angle)), np.sin(np.radians(angle))], axis=1
    )
    # a quarter of the segments crowd into one 200 px square
    offset = end - start
    start[: n // 4] %= 200
    end[: n // 4] = start[: n // 4] + offset[: n // 4]
    seg = np.concatenate([start, end], axis=1)
    whole = perpendicular_pairs(seg, max_distance=6.0, chunk=n)
    assert len(whole) > 500
    for chunk in (100, 333, 1999):
        np.testing.assert_array_equal(
            perpendicular_pairs(seg, max_distance=6.0, chunk=chunk), whole
        )


def test_lvc_by_area_finds_a_pair_with_a_gap_across_cells():
    """A horizontal and a vertical segment 5.4 px apart, in different cells whose segments'
    boxes do not meet: the pair is still found (boxes grow by the pairing distance)."""
    seg = np.array(
        [
            [0.0, 0.0, 10.0, 0.0],  # cell (0, 0)
            [15.0, 2.0, 15.0, 12.0],  # cell (1, 0); 5.4 px from the first one's end
            [0.0, 30.0, 0.0, 31.0],  # fillers that span the grid, far from both
            [30.0, 30.0, 31.0, 30.0],
        ]
    )
    expected = np.array([[0, 1]])
    np.testing.assert_array_equal(perpendicular_pairs(seg, max_distance=6.0, chunk=4), expected)
    np.testing.assert_array_equal(perpendicular_pairs(seg, max_distance=6.0, chunk=1), expected)


def test_lvc_by_area_stops_on_cancel():
    rng = np.random.default_rng(5)
    seg = rng.random((400, 4)) * 1000
    asked = []

    def cancel_on_third():
        asked.append(1)
        return len(asked) >= 3

    with pytest.raises(Canceled):
        perpendicular_pairs(seg, max_distance=4.0, chunk=20, is_canceled=cancel_on_third)
    assert len(asked) == 3
    with pytest.raises(MssfcError, match="chunk must be at least 1"):
        perpendicular_pairs(seg, max_distance=4.0, chunk=0)
