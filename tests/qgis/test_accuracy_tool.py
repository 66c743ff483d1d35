"""mssfc:accuracy through processing.run: the HTML report holds the figures and a plot."""

from __future__ import annotations

import numpy as np

from mssfc_qgis.core.raster import Grid, write_array
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


def test_accuracy_tool_report(provider, tmp_path):
    import processing

    ref = np.zeros((80, 80), np.uint8)
    ref[10:40, 10:40] = 1
    prob = np.full((80, 80), 0.1, np.float32)
    prob[15:40, 10:45] = 0.9
    grid = Grid(80, 80, GT, utm_wkt())
    r = write_array(str(tmp_path / "ref.tif"), ref, grid)
    p = write_array(str(tmp_path / "prob.tif"), prob, grid)
    res = processing.run(
        "mssfc:accuracy",
        {
            "PREDICTION": p,
            "REFERENCE": r,
            "OUTPUT_REPORT": str(tmp_path / "report.html"),
            "OUTPUT_TABLE": str(tmp_path / "m.csv"),
            "OUTPUT_ERRORS": str(tmp_path / "err.tif"),
        },
    )
    tp, fp, fn = 25 * 30, 25 * 5, 5 * 30
    assert res["PRECISION"] == tp / (tp + fp)
    assert res["RECALL"] == tp / (tp + fn)
    html = (tmp_path / "report.html").read_text()
    assert f"{res['F1']:.3f}" in html or f"{res['F1']:.4f}" in html
    assert html.count("data:image/png;base64,") >= 2  # confusion matrix, curve, error map
    assert "0.5" in html  # the default threshold is stated
