"""The training and export command lines, end to end on tiny synthetic folders."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
gdal = pytest.importorskip("osgeo.gdal")

from mssfc_qgis.model import export, train  # noqa: E402


def write_png(path, arr):
    gdal.UseExceptions()
    path.parent.mkdir(parents=True, exist_ok=True)
    bands = 1 if arr.ndim == 2 else arr.shape[2]
    mem = gdal.GetDriverByName("MEM").Create("", arr.shape[1], arr.shape[0], bands, gdal.GDT_Byte)
    for i in range(bands):
        mem.GetRasterBand(i + 1).WriteArray(arr if arr.ndim == 2 else arr[..., i])
    out = gdal.GetDriverByName("PNG").CreateCopy(str(path), mem)
    del out, mem


@pytest.fixture
def folders(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(2):
        mask = np.zeros((64, 64), np.uint8)
        mask[10 + 5 * i : 30, 20:40] = 1
        write_png(
            tmp_path / "levir" / "A" / f"p{i}.png", rng.integers(0, 255, (64, 64, 3), np.uint8)
        )
        write_png(
            tmp_path / "levir" / "B" / f"p{i}.png", rng.integers(0, 255, (64, 64, 3), np.uint8)
        )
        write_png(tmp_path / "levir" / "label" / f"p{i}.png", mask * 255)
        write_png(
            tmp_path / "whu" / "image" / f"w{i}.png", rng.integers(0, 255, (64, 64, 3), np.uint8)
        )
        write_png(tmp_path / "whu" / "label" / f"w{i}.png", mask)
    return tmp_path


@pytest.mark.slow
def test_train_resume_and_export(folders, capsys):
    """About 5-10 s on a shared 2-core CPU, so marked slow."""
    cfg = {
        "preset": "tiny",
        "sources": [
            {"kind": "levir", "root": str(folders / "levir"), "exclude": ["p1"]},
            {"kind": "whu", "root": str(folders / "whu"), "scale": 1.0},
        ],
        "val_sources": [{"kind": "levir", "root": str(folders / "levir"), "include": ["p1"]}],
        "crop": 32,
        "val_size": 64,
        "batch_size": 2,
        "samples_per_epoch": 4,
        "epochs": 2,
        "lr": 1e-3,
        "warmup_steps": 1,
        "threads": 1,
        "out_dir": str(folders / "run"),
        "log_every": 1,
    }
    path = folders / "cfg.json"
    path.write_text(json.dumps(cfg))
    assert train.main(["--config", str(path)]) == 0
    log = capsys.readouterr().out
    assert "val change: P=" in log and "samples/s" in log
    assert (folders / "run" / "last.pt").exists() and (folders / "run" / "best.pt").exists()

    cfg["epochs"] = 3
    path.write_text(json.dumps(cfg))
    assert train.main(["--config", str(path), "--resume"]) == 0
    log = capsys.readouterr().out
    assert "resumed from" in log and "epoch 3/3" in log
    state = torch.load(folders / "run" / "last.pt", map_location="cpu", weights_only=False)
    assert state["epoch"] == 3 and state["step"] == 6

    out = folders / "m.onnx"
    assert export.main([str(folders / "run" / "last.pt"), str(out)]) == 0
    from mssfc_qgis.core.onnx_model import load_model

    md = load_model(out, device="cpu").metadata
    assert md.preset == "tiny" and md.extra["training_steps"] == "6"
    assert "levir" in md.training_data


def test_scores_are_the_papers_eq_11():
    s = train.scores(tp=8, fp=2, fn=8)
    assert s["precision"] == pytest.approx(0.8)
    assert s["recall"] == pytest.approx(0.5)
    assert s["iou"] == pytest.approx(8 / 18)
    assert s["f1"] == pytest.approx(2 * 0.8 * 0.5 / 1.3)
