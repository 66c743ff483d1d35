"""One accuracy table for every method the plugin offers, on the same real data.

Data (read from ``../shared/data``, never copied): the 7 LEVIR-CD 256-px test crops
(``list/demo.txt``), the 2 full LEVIR-CD 1024-px test images, the 2 WHU building tiles and the
SpaceNet GeoTIFF (building extraction). Methods: MSSFC-Net with the bundled weights (change,
newly built, building extraction), the unsupervised newly-built method at its defaults
(feature- and decision-level fusion) and the seed's baselines (OBISFA, SFAMBI, SPETEXMBI), with
the published networks' LEVIR-CD change maps (``peer-predictions/``) beside them. Figures are
pooled P, R, IoU, F1 (TP/FP/FN summed over the images, MSSFC-Net Eq. 11). Also a sweep of the
unsupervised likelihood threshold (cf. the seed's Fig. 6), and how well each of the unsupervised
method's evidence layers (CI, MBI, BLI, BI, likelihood) separates the labelled change pixels: the
pooled F1 at each layer's best single threshold (an upper bound for thresholding that layer).

Writes ``bench/RESULTS.md`` (date, machine, command, tables) and prints it.

    .venv/bin/python bench/accuracy.py [--model path.onnx] [--skip-unsupervised] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = (ROOT.parent / "shared" / "data").resolve()

from mssfc_qgis.core.metrics import (  # noqa: E402
    Confusion,
    ThresholdCurve,
    best_threshold,
    confusion,
    default_thresholds,
    threshold_curve,
)
from mssfc_qgis.core.raster import read_array  # noqa: E402

PEERS = ["BIT", "ChangeFormerV6", "DTCDSCN", "SiamUnet_conc", "SiamUnet_diff", "Unet"]
PUBLISHED = {
    "BIT": (0.9387, 0.8846),
    "ChangeFormerV6": (0.9083, 0.8320),
    "DTCDSCN": (0.9150, 0.8433),
    "SiamUnet_conc": (0.9248, 0.8600),
    "SiamUnet_diff": (0.9164, 0.8456),
    "Unet": (0.9243, 0.8592),
}
UNSUPERVISED = [
    ("Unsupervised, proposed (feature-level)", {"method": "proposed"}),
    ("Unsupervised, proposed (decision-level)", {"method": "proposed", "fusion": "decision"}),
    ("Unsupervised baseline OBISFA", {"method": "obisfa"}),
    ("Unsupervised baseline SFAMBI", {"method": "sfambi"}),
    ("Unsupervised baseline SPETEXMBI", {"method": "spetexmbi"}),
]


def levir_256() -> list[tuple[str, str, str]]:
    """(T1, T2, label) paths of the 7 LEVIR-CD test crops."""
    folder = DATA / "levir-cd-256"
    names = (folder / "list" / "demo.txt").read_text().split()
    out = []
    for n in names:
        stem = n if n.endswith(".png") else f"{n}.png"
        out.append(
            (str(folder / "A" / stem), str(folder / "B" / stem), str(folder / "label" / stem))
        )
    return out


def levir_1024() -> list[tuple[str, str, str]]:
    """(T1, T2, label) paths of the 2 full LEVIR-CD test images."""
    folder = DATA / "levir-cd-1024"
    return [
        (str(folder / "A" / s), str(folder / "B" / s), str(folder / "label" / s))
        for s in ("test_7.png", "test_102.png")
    ]


#: The WHU tile the bundled weights never saw (2_1133 is in their training data).
WHU_HELD_OUT = "2_1199.tif"


def whu() -> list[tuple[str, str]]:
    """(image, label) of the held-out WHU tile (:data:`WHU_HELD_OUT`), if present."""
    folder = DATA / "whu-building-512"
    image = folder / "image" / WHU_HELD_OUT
    return [(str(image), str(folder / "label" / WHU_HELD_OUT))] if image.exists() else []


def spacenet() -> list[tuple[str, str]]:
    """(image, mask) of the SpaceNet sample."""
    folder = DATA / "spacenet-sample-geotiff"
    return [(str(folder / "sample_geotiff.tif"), str(folder / "sample_fp_mask.tif"))]


def read_label(path: str) -> np.ndarray:
    """A label as a bool mask: paletted 1-bit masks (the WHU tiles) through their colour table,
    where the bright entry marks buildings; others non-zero = positive."""
    from mssfc_qgis.model.data import read_mask

    return read_mask(path) != 0


def score(pred_path: str, label_path: str) -> Confusion:
    """Confusion of a 0/1 mask raster (nodata 255 ignored) against a label."""
    pred, _ = read_array(pred_path)
    p = pred[0]
    return confusion(p == 1, read_label(label_path), valid=p != 255)


def pooled(pairs: list, run: Callable[[tuple, str], str]) -> tuple[Confusion, float]:
    """Run a method on every item, pool the confusion; returns it and the wall time."""
    total = Confusion()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mssfc_acc_") as tmp:
        for i, item in enumerate(pairs):
            out = run(item, os.path.join(tmp, f"{i}.tif"))
            total = total + score(out, item[-1])
    return total, time.perf_counter() - t0


#: The unsupervised method's evidence layers, as ``newlybuilt_untiled`` returns them, and whether
#: the method normalizes them (1st-99th percentile to [0, 1]) before fusing them.
LAYERS = (
    ("CI (change intensity)", "ci", True),
    ("MBI (T2)", "mbi", True),
    ("BLI (T2)", "bli", False),
    ("BI (building intensity)", "bi", True),
    ("likelihood N(CI) N(BI)", "likelihood", False),
)


def separability(items: list[tuple[str, str, str]]) -> list[str]:
    """Markdown rows: per evidence layer of the unsupervised method (defaults, 0.5 m), the
    threshold with the best pooled F1 over 101 thresholds in [0, 1], and P, R, F1 there."""
    from mssfc_qgis.core.unsupervised import fusion
    from mssfc_qgis.core.unsupervised.pipeline import NewlyBuiltConfig, newlybuilt_untiled

    curves: dict[str, ThresholdCurve] = {}
    for t1, t2, label in items:
        a, _ = read_array(t1)
        b, _ = read_array(t2)
        ref = read_label(label)
        out = newlybuilt_untiled(
            a.astype(np.float32), b.astype(np.float32), None, NewlyBuiltConfig(), pixel_size_m=0.5
        )
        for name, key, normalize in LAYERS:
            v = out[key].astype(np.float64)
            if normalize:
                v = fusion.normalize(v, fusion.fit_percentiles(v.ravel()))
            c = threshold_curve(v, ref, thresholds=default_thresholds(101))
            curves[name] = c if name not in curves else curves[name] + c
    every = curves[LAYERS[0][0]]  # at threshold 0 every pixel is marked (all layers are >= 0)
    c0 = Confusion(int(every.tp[0]), int(every.fp[0]), int(every.fn[0]), int(every.tn[0]))
    rows = [
        f"| every pixel marked as change (reference) | | {c0.precision:.3f} | 1.000 | {c0.f1:.3f} |"
    ]
    for name, _, _ in LAYERS:
        best = best_threshold(curves[name], "f1")
        c = best.confusion
        rows.append(
            f"| {name} | {best.threshold:.2f} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} |"
        )
    return rows


def row(name: str, data: str, c: Confusion, seconds: float | None, note: str = "") -> str:
    """A markdown row."""

    def f(x: float) -> str:
        return "n/a" if np.isnan(x) else f"{x:.3f}"

    t = "" if seconds is None else f"{seconds:.1f}"
    return f"| {name} | {data} | {f(c.precision)} | {f(c.recall)} | {f(c.iou)} | {f(c.f1)} | {t} | {note} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None, help="ONNX model (default: the bundled weights)")
    parser.add_argument("--skip-unsupervised", action="store_true")
    parser.add_argument("--quick", action="store_true", help="LEVIR-CD 256 crops only")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (the real data lives in ../shared/data)")
        return 0

    from mssfc_qgis.core.deep import InferenceOptions, open_pair, open_single, run_inference
    from mssfc_qgis.core.newlybuilt import NewlyBuiltConfig, Outputs, newlybuilt
    from mssfc_qgis.core.onnx_model import load_model
    from mssfc_qgis.paths import default_model_path

    model_path = args.model or str(default_model_path())
    model = load_model(model_path, device="auto")
    opts = InferenceOptions(batch=2)
    lines = [
        "# Accuracy of every method on the shared real data",
        "",
        f"Date: {time.strftime('%Y-%m-%d %H:%M')}; machine: {platform.node()}, {os.cpu_count()} CPU cores, "
        f"ONNX Runtime on {model.provider}; command: `{' '.join([Path(sys.executable).name, *sys.argv])}`.",
        f"Model: `{Path(model_path).name}` ({model.metadata.preset}, {model.metadata.version}); its training "
        f"data: {model.metadata.training_data}",
        "",
        "Pooled P, R, IoU, F1 of the positive class (TP/FP/FN summed over the images). LEVIR-CD labels "
        "mark new and demolished buildings; the newly-built methods are scored against them as they are.",
        "",
        "| method | data | P | R | IoU | F1 | seconds | note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def deep(task: str) -> Callable[[tuple, str], str]:
        def run(item: tuple, out: str) -> str:
            sources, grid, _ = open_pair(
                item[0], item[1], bands_t1=None, bands_t2=None, model=model
            )
            run_inference(task, model, sources, grid, {"mask": out}, options=opts)  # type: ignore[arg-type]
            return out

        return run

    def unsup(cfg: dict) -> Callable[[tuple, str], str]:
        def run(item: tuple, out: str) -> str:
            newlybuilt(
                item[0],
                item[1],
                Outputs(None, out, None),
                cfg=NewlyBuiltConfig(**cfg),
                pixel_size=0.5,
            )
            return out

        return run

    datasets = [("LEVIR-CD 7 test crops (256 px)", levir_256())]
    if not args.quick:
        datasets.append(("LEVIR-CD 2 test images (1024 px)", levir_1024()))
    for data_name, items in datasets:
        for name, task in (
            ("MSSFC-Net change (bundled)", "change"),
            ("MSSFC-Net newly built (bundled)", "newlybuilt"),
        ):
            c, s = pooled(items, deep(task))
            lines.append(row(name, data_name, c, s))
            print(lines[-1], flush=True)
        if not args.skip_unsupervised:
            for name, cfg in UNSUPERVISED:
                c, s = pooled(items, unsup(cfg))
                lines.append(row(name, data_name, c, s, "no training"))
                print(lines[-1], flush=True)
    folder = DATA / "levir-cd-256" / "peer-predictions"
    for peer in PEERS:
        total = Confusion()
        for t1, _, label in levir_256():
            pred, _ = read_array(str(folder / peer / Path(t1).name))
            ref, _ = read_array(label)
            total = total + confusion(pred[0] != 0, ref[0] != 0)
        f1, iou = PUBLISHED[peer]
        lines.append(
            row(
                f"{peer} (published peer, supervised on LEVIR-CD train)",
                "LEVIR-CD 7 test crops (256 px)",
                total,
                None,
                f"README: F1 {f1}, IoU {iou}",
            )
        )

    # building extraction
    def extract(item: tuple, out: str) -> str:
        sources, grid, _ = open_single(item[0], bands=None, model=model)
        run_inference("extraction", model, sources, grid, {"mask": out}, options=opts)
        return out

    if not args.quick:
        for data_name, items in (
            ("WHU building, tile 2_1199 (512 px, 0.3 m; held out)", whu()),
            ("SpaceNet sample (900 px pan, 0.5 m)", spacenet()),
        ):
            if items:
                c, s = pooled(items, extract)
                lines.append(row("MSSFC-Net building extraction (bundled)", data_name, c, s))
                print(lines[-1], flush=True)

    # threshold sweep of the unsupervised likelihood (cf. the seed's Fig. 6)
    if not args.skip_unsupervised:
        lines += [
            "",
            "Threshold sweep of the unsupervised likelihood (proposed method, feature level), pooled:",
            "",
        ]
        for data_name, items in datasets:
            curve = None
            with tempfile.TemporaryDirectory(prefix="mssfc_sweep_") as tmp:
                for i, (t1, t2, label) in enumerate(items):
                    lik = os.path.join(tmp, f"l{i}.tif")
                    newlybuilt(
                        t1, t2, Outputs(lik, os.path.join(tmp, f"m{i}.tif"), None), pixel_size=0.5
                    )
                    like, _ = read_array(lik)
                    ref, _ = read_array(label)
                    valid = like[0] >= 0
                    c = threshold_curve(
                        np.where(valid, like[0], 0.0),
                        ref[0] != 0,
                        thresholds=default_thresholds(21),
                        valid=valid,
                    )
                    curve = c if curve is None else curve + c
            lines += [
                f"{data_name}:",
                "",
                "| threshold | P | R | IoU | F1 |",
                "| --- | --- | --- | --- | --- |",
            ]
            for k in range(1, len(curve.thresholds) - 1, 2):
                lines.append(
                    f"| {curve.thresholds[k]:.2f} | {curve.precision[k]:.3f} | {curve.recall[k]:.3f} | "
                    f"{curve.iou[k]:.3f} | {curve.f1[k]:.3f} |"
                )
            lines.append("")
            print("\n".join(lines[-14:]), flush=True)
        lines += [
            "How well each evidence layer of the unsupervised method separates the labelled "
            "change, pooled: the best single threshold of the layer (layers the method "
            "normalizes are normalized first) and P, R, F1 there. An upper bound for any "
            "threshold on that layer alone, pixel level, before the object filter.",
            "",
        ]
        for data_name, items in datasets:
            lines += [
                f"{data_name}:",
                "",
                "| layer | best threshold | P | R | F1 |",
                "| --- | --- | --- | --- | --- |",
                *separability(items),
                "",
            ]
            print("\n".join(lines[-10:]), flush=True)
    text = "\n".join(lines) + "\n"
    args.output.write_text(text)
    print(text)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
