"""Metrics: hand-made counts, undefined cases, threshold curves, objects, LEVIR-CD peer figures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.metrics import (
    Confusion,
    ObjectCounts,
    best_threshold,
    confusion,
    object_matches,
    per_image_mean,
    pooled,
    threshold_curve,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LEVIR = DATA / "levir-cd-256"

# pooled F1 / IoU of the published networks on the 7 demo crops (data README)
PEER_FIGURES = {
    "BIT": (0.9387, 0.8846),
    "ChangeFormerV6": (0.9083, 0.8320),
    "DTCDSCN": (0.9150, 0.8433),
    "SiamUnet_conc": (0.9248, 0.8600),
    "SiamUnet_diff": (0.9164, 0.8456),
    "Unet": (0.9243, 0.8592),
}


def test_confusion_hand_made_counts():
    pred = np.array([[1, 1, 0, 0], [1, 0, 0, 1]], bool)
    ref = np.array([[1, 0, 1, 0], [1, 0, 0, 0]], bool)
    c = confusion(pred, ref)
    assert (c.tp, c.fp, c.fn, c.tn) == (2, 2, 1, 3)
    assert c.precision == pytest.approx(0.5)
    assert c.recall == pytest.approx(2 / 3)
    assert c.iou == pytest.approx(0.4)
    assert c.f1 == pytest.approx(4 / 7)
    assert c.pa == pytest.approx(5 / 8)
    assert c.mpa == pytest.approx((2 / 3 + 3 / 5) / 2)
    assert c.defined == dict.fromkeys(c.defined, True)
    assert c.reasons == {}


def test_confusion_reads_255_masks_and_valid():
    pred = np.array([255, 255, 0, 0], np.uint8)
    ref = np.array([255, 0, 255, 0], np.uint8)
    valid = np.array([True, True, False, True])
    c = confusion(pred, ref, valid=valid)
    assert (c.tp, c.fp, c.fn, c.tn) == (1, 1, 0, 1)


def test_confusion_adds_up_like_the_whole():
    rng = np.random.default_rng(1)
    pred = rng.random((40, 30)) > 0.5
    ref = rng.random((40, 30)) > 0.6
    whole = confusion(pred, ref)
    parts = [confusion(pred[i : i + 10], ref[i : i + 10]) for i in range(0, 40, 10)]
    assert parts[0] + parts[1] + parts[2] + parts[3] == whole
    assert sum(parts) == whole
    assert pooled(parts) == whole
    assert isinstance(whole.tp, int)


def test_empty_reference_gives_nan_and_reason_not_exception():
    ref = np.zeros((8, 8), bool)
    pred = np.zeros((8, 8), bool)
    pred[0, 0] = True
    c = confusion(pred, ref)
    assert math.isnan(c.recall)
    assert c.precision == 0.0
    assert c.iou == 0.0
    assert "reference has no positive" in c.explain("recall").reason
    assert not c.explain("recall").defined
    assert c.mpa == pytest.approx(63 / 64)  # only the negative class counts

    both_empty = confusion(ref, ref)
    for name in ("precision", "recall", "iou", "f1"):
        assert math.isnan(getattr(both_empty, name))
    assert set(both_empty.reasons) == {"precision", "recall", "iou", "f1"}
    assert both_empty.pa == 1.0

    nothing = Confusion()
    assert all(math.isnan(v) for v in nothing.metrics().values())
    assert "no pixel" in nothing.explain("pa").reason


def test_bad_input_raises_clear_errors():
    with pytest.raises(MssfcError, match="shapes differ"):
        confusion(np.zeros((3, 3)), np.zeros((3, 4)))
    with pytest.raises(MssfcError, match="Unknown metric"):
        Confusion(1, 0, 0, 0).explain("kappa")
    with pytest.raises(MssfcError, match="negative"):
        Confusion(-1, 0, 0, 0)


def test_per_image_mean_differs_from_pooled_and_skips_undefined():
    a = Confusion(tp=90, fp=10, fn=0, tn=0)  # F1 0.947
    b = Confusion(tp=1, fp=0, fn=9, tn=90)  # F1 0.182
    empty = Confusion(tp=0, fp=0, fn=0, tn=100)  # F1 undefined
    mean = per_image_mean([a, b, empty])
    assert mean.counts["f1"] == 2
    assert mean.values["f1"] == pytest.approx((a.f1 + b.f1) / 2)
    assert pooled([a, b, empty]).f1 == pytest.approx(2 * 91 / (2 * 91 + 10 + 9))


def test_threshold_curve_equals_brute_force_and_accumulates():
    rng = np.random.default_rng(0)
    prob = rng.random((50, 60))
    prob[0, :5] = [0.0, 0.25, 0.5, 1.0, 0.75]  # values exactly on thresholds
    ref = (prob + rng.normal(0, 0.3, prob.shape)) > 0.6
    thresholds = np.linspace(0, 1, 21)
    curve = threshold_curve(prob, ref, thresholds=thresholds)
    for k, t in enumerate(thresholds):
        assert curve.confusion_at(k) == confusion(prob >= t, ref)
    brute_iou = [confusion(prob >= t, ref).iou for t in thresholds]
    np.testing.assert_allclose(curve.iou, brute_iou)
    tiles = threshold_curve(prob[:20], ref[:20], thresholds=thresholds) + threshold_curve(
        prob[20:], ref[20:], thresholds=thresholds
    )
    np.testing.assert_array_equal(tiles.tp, curve.tp)
    np.testing.assert_array_equal(tiles.tn, curve.tn)


def test_threshold_curve_uint8_valid_and_errors():
    prob = np.array([0, 100, 200, 255], np.uint8)
    ref = np.array([0, 1, 1, 0], bool)
    curve = threshold_curve(prob, ref, thresholds=np.array([50, 150, 250]), valid=prob != 255)
    assert curve.tp.tolist() == [2, 1, 0]
    assert curve.fp.tolist() == [0, 0, 0]
    assert math.isnan(curve.precision[2])
    with pytest.raises(MssfcError, match="valid="):
        threshold_curve(np.array([0.1, np.nan]), np.array([0, 1]))
    with pytest.raises(MssfcError, match="strictly increasing"):
        threshold_curve(prob, ref, thresholds=np.array([0.5, 0.2]))
    with pytest.raises(MssfcError, match="different thresholds"):
        _ = curve + threshold_curve(prob, ref, thresholds=np.array([1, 2]))


def test_best_threshold():
    rng = np.random.default_rng(3)
    prob = rng.random((40, 40))
    ref = (prob + rng.normal(0, 0.2, prob.shape)) > 0.5
    curve = threshold_curve(prob, ref)
    best = best_threshold(curve, "iou")
    assert best.value == pytest.approx(np.nanmax(curve.iou))
    assert best.confusion.iou == pytest.approx(best.value)
    assert best_threshold(curve, "f1").value == pytest.approx(np.nanmax(curve.f1))
    bal = best_threshold(curve, "balance")
    assert bal.value == pytest.approx(np.nanmin(np.abs(curve.precision - curve.recall)))
    with pytest.raises(MssfcError, match="undefined at every threshold"):
        best_threshold(threshold_curve(prob, np.zeros_like(ref)), "recall")
    with pytest.raises(MssfcError, match="Unknown criterion"):
        best_threshold(curve, "kappa")  # type: ignore[arg-type]


def _square(mask: np.ndarray, y: int, x: int, size: int) -> None:
    mask[y : y + size, x : x + size] = True


def test_object_matches_found_missed_false():
    ref = np.zeros((40, 40), bool)
    pred = np.zeros((40, 40), bool)
    _square(ref, 2, 2, 8)  # found exactly
    _square(pred, 2, 2, 8)
    _square(ref, 2, 20, 8)  # missed: prediction overlaps only a quarter
    _square(pred, 6, 24, 8)
    _square(ref, 25, 2, 6)  # missed entirely
    _square(pred, 25, 25, 5)  # false
    counts = object_matches(pred, ref)
    assert counts == ObjectCounts(found=1, missed=2, false=2)
    assert counts.n_ref == 3 and counts.n_pred == 3
    assert counts.recall == pytest.approx(1 / 3)
    low = object_matches(pred, ref, iou_threshold=0.1)
    assert low == ObjectCounts(found=2, missed=1, false=1)


def test_object_matches_is_one_to_one():
    ref = np.zeros((20, 30), bool)
    _square(ref, 5, 2, 10)
    _square(ref, 5, 13, 10)  # two houses, 1 px apart
    pred = np.zeros_like(ref)
    pred[5:15, 2:23] = True  # one blob over both
    counts = object_matches(pred, ref, iou_threshold=0.3)
    assert counts == ObjectCounts(found=1, missed=1, false=0)


def test_object_matches_empty_and_min_area():
    empty = np.zeros((10, 10), bool)
    one = empty.copy()
    one[2:5, 2:5] = True
    assert object_matches(empty, empty) == ObjectCounts()
    assert object_matches(one, empty) == ObjectCounts(false=1)
    assert math.isnan(object_matches(one, empty).recall)
    assert object_matches(one, empty, min_area=10) == ObjectCounts()
    assert (ObjectCounts(1, 2, 3) + ObjectCounts(1, 1, 1)).as_dict()["found"] == 2


def _read_png(path: Path) -> np.ndarray:
    from osgeo import gdal

    gdal.UseExceptions()
    ds = gdal.Open(str(path))
    array = ds.ReadAsArray()
    ds = None
    return array if array.ndim == 2 else array[0]


@pytest.mark.skipif(not LEVIR.is_dir(), reason=f"real LEVIR-CD crops not found at {LEVIR}")
@pytest.mark.parametrize("method", sorted(PEER_FIGURES))
def test_levir_peer_predictions_reproduce_published_pooled_figures(method: str):
    # Convention: PNG value 255 (any non-zero) is change; counts pooled over the 7 crops of
    # list/demo.txt, then F1 and IoU of the change class (MSSFC-Net Eq. 11).
    names = (LEVIR / "list" / "demo.txt").read_text().split()
    assert len(names) == 7
    total = pooled(
        confusion(
            _read_png(LEVIR / "peer-predictions" / method / n), _read_png(LEVIR / "label" / n)
        )
        for n in names
    )
    f1, iou = PEER_FIGURES[method]
    assert total.f1 == pytest.approx(f1, abs=1e-3)
    assert total.iou == pytest.approx(iou, abs=1e-3)
    assert total.total == 7 * 256 * 256
