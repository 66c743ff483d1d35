import cv2
import numpy as np
import pytest

from mssfc_qgis.core.unsupervised.objects import (
    filter_by_gi,
    geometric_index,
    label_objects,
    min_area_rectangle,
    object_table,
)


def test_min_area_rectangle_of_points():
    pts = np.array([[0, 0], [40, 0], [40, 10], [0, 10], [20, 5]], float)
    length, width, angle = min_area_rectangle(pts)
    assert (length, width) == pytest.approx((40, 10))
    assert angle == pytest.approx(0.0, abs=1e-3) or angle == pytest.approx(180.0, abs=1e-3)
    assert geometric_index(pts) == pytest.approx(4.0)


def test_gi_of_pixel_rectangles():
    mask = np.zeros((128, 128), bool)
    mask[5:15, 5:45] = True  # 10 x 40 axis-aligned
    mask[60:80, 60:80] = True  # square
    rot = np.zeros((128, 128), np.uint8)
    box = cv2.boxPoints(((85.0, 30.0), (40.0, 10.0), 45.0))
    cv2.fillConvexPoly(rot, np.rint(box).astype(np.int32), 1)
    mask |= rot.astype(bool)
    labels = label_objects(mask, min_area_px=5)
    table = object_table(labels, value=mask.astype(float))
    assert len(table["label"]) == 3
    by_label = {int(lab): g for lab, g in zip(table["label"], table["gi"])}
    assert by_label[int(labels[10, 10])] == pytest.approx(4.0, abs=1e-6)
    rot_label = int(labels[30, 85])
    assert by_label[rot_label] == pytest.approx(4.0, abs=0.4)
    assert by_label[int(labels[70, 70])] == pytest.approx(1.0)
    np.testing.assert_allclose(table["mean_value"], 1.0)


def test_filter_by_gi_and_min_area():
    mask = np.zeros((64, 64), bool)
    mask[2:6, 2:62] = True  # a road-like strip, GI 15
    mask[20:35, 20:32] = True  # a building
    mask[50, 50] = True  # a speck
    kept = filter_by_gi(mask, min_area_px=4, max_aspect_ratio=4.0)
    assert kept[25, 25] and not kept[3, 30] and not kept[50, 50]
    assert label_objects(mask, min_area_px=2).max() == 2
