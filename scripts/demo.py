"""`make demo`: run every tool of the provider on the bundled demo scene, headless.

Writes the scene and every tool's outputs under ``--output`` (default ``demo-output/``) and
prints where each file is and the accuracy figures against the scene's own masks.

    .venv/bin/python scripts/demo.py --output demo-output [--size 1024] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def start_qgis() -> Any:
    """A headless QgsApplication with Processing and this plugin's provider."""
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    from mssfc_qgis.provider import MssfcProvider

    provider = MssfcProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    return app, provider


def plan(out: Path, scene: dict[str, str]) -> list[tuple[str, dict[str, Any], str]]:
    """``(algorithm id, parameters, what it shows)`` for every tool, in a sensible order."""
    t1, t2 = scene["T1"], scene["T2"]
    u = out / "unsupervised"
    d = out / "deep"
    e = out / "evaluation"
    return [
        (
            "mssfc:morphologicalbuildingindex",
            {"INPUT": t2, "OUTPUT": str(u / "mbi.tif")},
            "MBI of T2",
        ),
        (
            "mssfc:buildinglineindex",
            {
                "INPUT": t2,
                "OUTPUT": str(u / "bli.tif"),
                "OUTPUT_SEGMENTS": str(u / "bli_segments.gpkg"),
            },
            "BLI of T2",
        ),
        (
            "mssfc:changeintensity",
            {"INPUT_T1": t1, "INPUT_T2": t2, "OUTPUT": str(u / "ci.tif")},
            "change intensity",
        ),
        (
            "mssfc:buildingintensity",
            {
                "INPUT_BLI": str(u / "bli.tif"),
                "INPUT_MBI": str(u / "mbi.tif"),
                "OUTPUT": str(u / "bi.tif"),
            },
            "building intensity, the step tools chained by hand",
        ),
        (
            "mssfc:likelihood",
            {
                "INPUT_CI": str(u / "ci.tif"),
                "INPUT_BI": str(u / "bi.tif"),
                "OUTPUT_LIKELIHOOD": str(u / "steps_likelihood.tif"),
                "OUTPUT_MASK": str(u / "steps_raw_mask.tif"),
            },
            "likelihood and its Otsu mask",
        ),
        (
            "mssfc:gifilter",
            {
                "INPUT": str(u / "steps_raw_mask.tif"),
                "LIKELIHOOD": str(u / "steps_likelihood.tif"),
                "OUTPUT_POLYGONS": str(u / "steps_newlybuilt.gpkg"),
                "OUTPUT_MASK": str(u / "steps_newlybuilt_mask.tif"),
            },
            "objects by area and GI (as mssfc:newlybuilt gives them)",
        ),
        (
            "mssfc:newlybuilt",
            {
                "INPUT_T1": t1,
                "INPUT_T2": t2,
                "OUTPUT_LIKELIHOOD": str(u / "likelihood.tif"),
                "OUTPUT_MASK": str(u / "newlybuilt_mask.tif"),
                "OUTPUT_POLYGONS": str(u / "newlybuilt.gpkg"),
            },
            "new buildings, unsupervised",
        ),
        (
            "mssfc:buildingextraction",
            {
                "INPUT": t2,
                "OUTPUT_MASK": str(d / "buildings_t2_mask.tif"),
                "OUTPUT_PROBABILITY": str(d / "buildings_t2_prob.tif"),
                "OUTPUT_POLYGONS": str(d / "buildings_t2.gpkg"),
            },
            "buildings at T2, MSSFC-Net",
        ),
        (
            "mssfc:changedetection",
            {
                "INPUT_T1": t1,
                "INPUT_T2": t2,
                "OUTPUT_CHANGE": str(d / "change_mask.tif"),
                "OUTPUT_PROBABILITY": str(d / "change_prob.tif"),
                "OUTPUT_POLYGONS": str(d / "change.gpkg"),
            },
            "building change, MSSFC-Net",
        ),
        (
            "mssfc:newlybuilt_deep",
            {
                "INPUT_T1": t1,
                "INPUT_T2": t2,
                "OUTPUT_LIKELIHOOD": str(d / "new_prob.tif"),
                "OUTPUT_MASK": str(d / "new_mask.tif"),
                "OUTPUT_POLYGONS": str(d / "new.gpkg"),
            },
            "new buildings, MSSFC-Net",
        ),
        (
            "mssfc:accuracy",
            {
                "PREDICTION": str(d / "change_mask.tif"),
                "REFERENCE": scene["CHANGE"],
                "OUTPUT_REPORT": str(e / "change_report.html"),
                "OUTPUT_TABLE": str(e / "change_metrics.csv"),
                "OUTPUT_ERRORS": str(e / "change_errors.tif"),
            },
            "accuracy of MSSFC-Net change vs the scene's change mask",
        ),
        (
            "mssfc:accuracy",
            {
                "PREDICTION": str(u / "newlybuilt_mask.tif"),
                "REFERENCE": scene["CHANGE"],
                "OUTPUT_REPORT": str(e / "newlybuilt_report.html"),
                "OUTPUT_TABLE": str(e / "newlybuilt_metrics.csv"),
                "OUTPUT_ERRORS": str(e / "newlybuilt_errors.tif"),
            },
            "accuracy of the unsupervised method vs the scene's change mask",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT / "demo-output")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = args.output.resolve()
    for sub in ("scene", "unsupervised", "deep", "evaluation"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    app, provider = start_qgis()
    import processing
    from qgis.core import QgsApplication, QgsProcessingFeedback

    registry = QgsApplication.processingRegistry()
    feedback = QgsProcessingFeedback()
    t0 = time.perf_counter()
    scene = processing.run(
        "mssfc:demoscene",
        {"SEED": args.seed, "SIZE": args.size, "OUTPUT_FOLDER": str(out / "scene")},
        feedback=feedback,
    )
    print(f"demo scene ({args.size} px, seed {args.seed}) -> {out / 'scene'}")
    failures = 0
    for alg_id, params, what in plan(out, scene):
        if registry.algorithmById(alg_id) is None:
            continue
        start = time.perf_counter()
        try:
            result = processing.run(alg_id, params, feedback=feedback)
        except Exception as exc:  # report every tool, then fail at the end
            failures += 1
            print(f"FAILED {alg_id}: {exc}")
            continue
        files = [str(v) for k, v in result.items() if isinstance(v, str) and Path(v).exists()]
        print(f"{alg_id:<36} {time.perf_counter() - start:6.1f} s  {what}")
        for f in files:
            print(f"    {f}")
        for key in ("PRECISION", "RECALL", "F1", "IOU"):
            if key in result:
                value = result[key]
                print(f"    {key} = {'n/a (undefined)' if value is None else f'{value:.3f}'}")
    print(f"all outputs under {out} ({time.perf_counter() - t0:.0f} s)")
    del provider
    app.exitQgis()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
