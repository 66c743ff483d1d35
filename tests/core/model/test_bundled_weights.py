"""Accuracy of the bundled ``mssfc_compact.onnx`` on real held-out data (``../shared/data``).

Run with ``pytest -m slow tests/core/model/test_bundled_weights.py -s`` to print the figures that
``MODEL_CARD.md`` reports. The floors below sit a little under those figures: they catch a broken
export or a wrong normalisation, not a small regression.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("cv2")
pytest.importorskip("osgeo.gdal")

REPO = Path(__file__).resolve().parents[3]
DATA = REPO.parent / "shared" / "data"
WEIGHTS = REPO / "mssfc_qgis" / "weights" / "mssfc_compact.onnx"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not DATA.is_dir(), reason=f"real data folder {DATA} absent"),
    pytest.mark.skipif(not WEIGHTS.exists(), reason=f"bundled weights {WEIGHTS} absent"),
]

# measured figures minus a margin (see MODEL_CARD.md)
LEVIR_CHANGE_F1_FLOOR = 0.12
WHU_BUILDING_IOU_FLOOR = 0.40


def counts(prob: np.ndarray, truth: np.ndarray, threshold: float) -> np.ndarray:
    pred = prob >= threshold
    truth = truth.astype(bool)
    return np.array([(pred & truth).sum(), (pred & ~truth).sum(), (~pred & truth).sum()], float)


def scores(tp: float, fp: float, fn: float) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "P": p,
        "R": r,
        "IoU": tp / (tp + fp + fn) if tp + fp + fn else 0.0,
        "F1": 2 * p * r / (p + r) if p + r else 0.0,
    }


def as_input(img_hwc: np.ndarray, md) -> np.ndarray:
    from mssfc_qgis.core.onnx_model import normalize

    return normalize(img_hwc.transpose(2, 0, 1)[None].astype(np.float32) / 255.0, md)


def test_levir_cd_change_on_the_seven_test_crops():
    from mssfc_qgis.core.onnx_model import load_model
    from mssfc_qgis.model.data import read_list, read_mask, read_rgb

    model = load_model(WEIGHTS, device="cpu")
    md = model.metadata
    root = DATA / "levir-cd-256"
    total = np.zeros(3)
    per_image = []
    for name in read_list(root / "list" / "demo.txt"):
        a, b = read_rgb(root / "A" / f"{name}.png"), read_rgb(root / "B" / f"{name}.png")
        truth = read_mask(root / "label" / f"{name}.png")
        prob = model.predict(as_input(a, md), as_input(b, md))["change"][0]
        c = counts(prob, truth, md.thresholds["change"])
        total += c
        per_image.append(scores(*c)["F1"])
    s = scores(*total)
    print(
        f"\nLEVIR-CD 7 test crops, change (pooled): {s}; mean per-image F1 {np.mean(per_image):.4f}"
    )
    assert s["F1"] >= LEVIR_CHANGE_F1_FLOOR


def test_whu_building_iou():
    import cv2

    from mssfc_qgis.core.onnx_model import load_model
    from mssfc_qgis.model.data import read_mask, read_rgb

    model = load_model(WEIGHTS, device="cpu")
    md = model.metadata
    root = DATA / "whu-building-512"
    for resample in (False, True):
        for name in ("2_1133", "2_1199"):
            img = read_rgb(root / "image" / f"{name}.tif")
            truth = read_mask(root / "label" / f"{name}.tif")
            x = img
            if resample:  # 0.3 m to the model's 0.5 m, as the Processing tools resample
                side = round(img.shape[0] * 0.3 / md.resolution_m)
                x = cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)
            t = as_input(x, md)
            out = model.predict(t, t)
            prob = (out["building_t1"][0] + out["building_t2"][0]) / 2
            if resample:
                prob = cv2.resize(prob, truth.shape[::-1], interpolation=cv2.INTER_LINEAR)
            s = scores(*counts(prob, truth, md.thresholds["building_t1"]))
            seen = " (tile seen in training)" if name == "2_1133" else " (held out)"
            print(f"\nWHU {name}{seen}, resampled to {md.resolution_m} m: {resample}: {s}")
            if name == "2_1199" and resample:
                assert s["IoU"] >= WHU_BUILDING_IOU_FLOOR


def test_levir_cd_full_test_pairs():
    """The two 1024 x 1024 LEVIR-CD test pairs, run whole (1024 is a multiple of 32)."""
    from mssfc_qgis.core.onnx_model import load_model
    from mssfc_qgis.model.data import read_mask, read_rgb

    model = load_model(WEIGHTS, device="cpu")
    md = model.metadata
    root = DATA / "levir-cd-1024"
    total = np.zeros(3)
    for name in ("test_7", "test_102"):
        a, b = read_rgb(root / "A" / f"{name}.png"), read_rgb(root / "B" / f"{name}.png")
        truth = read_mask(root / "label" / f"{name}.png")
        prob = model.predict(as_input(a, md), as_input(b, md))["change"][0]
        c = counts(prob, truth, md.thresholds["change"])
        total += c
        print(f"\nLEVIR-CD {name}: {scores(*c)}")
    print(f"LEVIR-CD 1024 pairs pooled: {scores(*total)}")
    assert prob.shape == truth.shape
