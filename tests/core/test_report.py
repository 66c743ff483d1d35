"""HTML/CSV reports and the coloured error map."""

from __future__ import annotations

import base64
import csv
import re

import numpy as np
import pytest

from mssfc_qgis.core.errors import MssfcError
from mssfc_qgis.core.metrics import (
    Confusion,
    best_threshold,
    confusion,
    object_matches,
    threshold_curve,
)
from mssfc_qgis.core.report import error_map, write_csv, write_html_report

PNG_IMG = '<img src="data:image/png;base64,'


def test_error_map_colours():
    pred = np.array([[1, 1], [0, 0]], bool)
    ref = np.array([[1, 0], [1, 0]], bool)
    rgb = error_map(pred, ref)
    assert rgb.shape == (3, 2, 2) and rgb.dtype == np.uint8
    assert rgb[:, 0, 0].tolist() == [255, 255, 255]  # TP white
    assert rgb[:, 0, 1].tolist() == [255, 0, 0]  # FP red
    assert rgb[:, 1, 0].tolist() == [0, 0, 255]  # FN blue
    assert rgb[:, 1, 1].tolist() == [0, 0, 0]  # TN black
    grey = error_map(pred, ref, valid=np.array([[True, False], [True, True]]))
    assert grey[:, 0, 1].tolist() == [128, 128, 128]
    with pytest.raises(MssfcError, match="one shape"):
        error_map(pred, ref[:1])


@pytest.fixture
def example():
    rng = np.random.default_rng(0)
    prob = rng.random((48, 48))
    ref = (prob + rng.normal(0, 0.25, prob.shape)) > 0.6
    pred = prob >= 0.5
    curve = threshold_curve(prob, ref)
    return pred, ref, curve, best_threshold(curve, "iou")


def test_html_report_is_self_contained_with_figures(tmp_path, example):
    pred, ref, curve, best = example
    path = write_html_report(
        tmp_path / "sub" / "report.html",
        title="Change <accuracy> & co",
        confusion=confusion(pred, ref),
        per_tile={
            "tile_0": confusion(pred[:24], ref[:24]),
            "tile_1": confusion(pred[24:], ref[24:]),
        },
        objects=object_matches(pred, ref),
        curve=curve,
        best=best,
        error_map_rgb=error_map(pred, ref),
        notes=["input: demo <scene>"],
    )
    text = path.read_text(encoding="utf-8")
    assert text.count(PNG_IMG) == 3  # confusion matrix, curve, error map
    for payload in re.findall(r'data:image/png;base64,([^"]+)"', text):
        assert base64.b64decode(payload).startswith(b"\x89PNG")
    assert "Change &lt;accuracy&gt; &amp; co" in text
    assert "demo &lt;scene&gt;" in text
    for needle in (
        "Precision",
        "Recall",
        "IoU",
        "F1",
        "MPA",
        "tile_1",
        "per-tile mean",
        "Buildings missed",
        "Best threshold",
        "Error map",
    ):
        assert needle in text
    assert "<script" not in text and "http" not in text  # nothing external


def test_html_report_minimal_and_undefined_metrics(tmp_path):
    path = write_html_report(tmp_path / "r.html", title="empty", confusion=Confusion(tn=100))
    text = path.read_text(encoding="utf-8")
    assert text.count(PNG_IMG) == 1
    assert "reference has no positive pixel" in text
    assert "n/a" in text
    with pytest.raises(MssfcError, match="uint8"):
        write_html_report(
            tmp_path / "x.html", title="x", confusion=Confusion(), error_map_rgb=np.zeros((2, 2))
        )


def test_write_csv_round_trip(tmp_path):
    rows = [
        {"tile": "a", **Confusion(1, 2, 3, 4).as_dict()},
        {"tile": "b", **Confusion(tn=5).as_dict(), "extra": 1},
    ]
    path = write_csv(tmp_path / "out" / "metrics.csv", rows)
    with path.open(newline="", encoding="utf-8") as f:
        read = list(csv.DictReader(f))
    assert list(read[0])[:5] == ["tile", "tp", "fp", "fn", "tn"]
    assert read[0]["extra"] == "" and read[1]["extra"] == "1"
    assert float(read[0]["f1"]) == pytest.approx(2 / 7)
    assert read[1]["recall"] == "nan"


def test_html_report_leaves_no_garbage_for_the_last_collection(tmp_path, example):
    """The figures' reference cycles are freed as the report is written: left to the
    interpreter's last collection, after a standalone script's QgsApplication.exitQgis(), they
    crashed it (make demo ended with a segmentation fault)."""
    import gc

    pred, ref, curve, best = example

    def write(name: str) -> None:
        write_html_report(
            tmp_path / name, title="t", confusion=confusion(pred, ref), curve=curve, best=best
        )

    write("first.html")  # matplotlib's first import leaves some garbage of its own
    gc.collect()
    write("second.html")
    assert gc.collect() == 0
