"""Write resources/models/newlybuilt_chain.model3: the unsupervised step tools chained in a
Graphical Modeler model, equivalent to mssfc:newlybuilt (a test checks they agree).

    .venv/bin/python scripts/make_model.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
OUT = ROOT / "resources" / "models" / "newlybuilt_chain.model3"


def build() -> object:
    """The model, built with the Processing model API."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterNumber,
        QgsProcessingParameterRasterLayer,
    )
    from qgis.core import (
        QgsProcessingModelChildParameterSource as Src,
    )
    from qgis.PyQt.QtCore import QPointF

    model = QgsProcessingModelAlgorithm(
        "newlybuilt_chain", "Newly built buildings (unsupervised)", "unsupervised"
    )
    model.setHelpContent(
        {
            "ALG_DESC": "The unsupervised newly-built building method as a chain of the MSSFC "
            "step tools: change intensity, MBI and BLI of T2, building intensity, likelihood "
            "and threshold, GI object filter. Same result as mssfc:newlybuilt at the same "
            "parameters; open it in the Graphical Modeler to inspect or change a step."
        }
    )
    params = [
        QgsProcessingParameterRasterLayer("t1", "Image T1 (before)"),
        QgsProcessingParameterRasterLayer("t2", "Image T2 (after)"),
        QgsProcessingParameterNumber(
            "angle", "LVC angle tolerance (degrees)", QgsProcessingParameterNumber.Double, 4.0
        ),
        QgsProcessingParameterNumber(
            "phi", "Fusion weight phi", QgsProcessingParameterNumber.Double, 0.4
        ),
        QgsProcessingParameterNumber("gi", "Maximum GI", QgsProcessingParameterNumber.Double, 4.0),
        QgsProcessingParameterNumber(
            "minarea", "Minimum area (square metres)", QgsProcessingParameterNumber.Double, 20.0
        ),
    ]
    for i, p in enumerate(params):
        mp = QgsProcessingModelParameter(p.name())
        mp.setPosition(QPointF(120, 80 + 70 * i))
        model.addModelParameter(p, mp)

    def child(
        cid: str, alg: str, x: float, y: float, sources: dict, outputs: dict | None = None
    ) -> None:
        c = QgsProcessingModelChildAlgorithm(alg)
        c.setChildId(cid)
        c.setDescription(cid)
        c.setPosition(QPointF(x, y))
        for name, src in sources.items():
            c.addParameterSources(name, [src])
        outs = {}
        for name, (child_output, label) in (outputs or {}).items():
            o = QgsProcessingModelOutput(name, label)
            o.setChildId(cid)
            o.setChildOutputName(child_output)
            outs[name] = o
        c.setModelOutputs(outs)
        model.addChildAlgorithm(c)

    p = Src.fromModelParameter
    out = Src.fromChildOutput
    child(
        "change intensity",
        "mssfc:changeintensity",
        420,
        80,
        {"INPUT_T1": p("t1"), "INPUT_T2": p("t2")},
    )
    child(
        "MBI",
        "mssfc:morphologicalbuildingindex",
        420,
        200,
        {"INPUT": p("t2"), "REFERENCE": p("t1")},
    )
    child(
        "BLI",
        "mssfc:buildinglineindex",
        420,
        320,
        {"INPUT": p("t2"), "REFERENCE": p("t1"), "ANGLE_TOLERANCE": p("angle")},
    )
    child(
        "building intensity",
        "mssfc:buildingintensity",
        700,
        260,
        {
            "INPUT_BLI": out("BLI", "OUTPUT"),
            "INPUT_MBI": out("MBI", "OUTPUT"),
            "FUSION_WEIGHT": p("phi"),
        },
    )
    child(
        "likelihood",
        "mssfc:likelihood",
        960,
        160,
        {
            "INPUT_CI": out("change intensity", "OUTPUT"),
            "INPUT_BI": out("building intensity", "OUTPUT"),
        },
        {"likelihood": ("OUTPUT_LIKELIHOOD", "Likelihood")},
    )
    child(
        "GI filter",
        "mssfc:gifilter",
        1200,
        220,
        {
            "INPUT": out("likelihood", "OUTPUT_MASK"),
            "LIKELIHOOD": out("likelihood", "OUTPUT_LIKELIHOOD"),
            "CI": out("change intensity", "OUTPUT"),
            "BI": out("building intensity", "OUTPUT"),
            "MAX_ASPECT_RATIO": p("gi"),
            "MIN_AREA": p("minarea"),
        },
        {
            "polygons": ("OUTPUT_POLYGONS", "Newly built buildings"),
            "mask": ("OUTPUT_MASK", "Newly built buildings (mask)"),
        },
    )
    return model


def main() -> int:
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    from mssfc_qgis.provider import MssfcProvider

    provider = MssfcProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    model = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    ok = model.toFile(str(OUT))
    print(f"{'wrote' if ok else 'FAILED to write'} {OUT}")
    del provider
    app.exitQgis()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
