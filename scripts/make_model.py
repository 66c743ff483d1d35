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
        QgsProcessingParameterDefinition,
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
    double = QgsProcessingParameterNumber.Double
    params = [
        QgsProcessingParameterRasterLayer("t1", "Image T1 (before)"),
        QgsProcessingParameterRasterLayer("t2", "Image T2 (after)"),
        # the same ranges as the step tools' parameters
        QgsProcessingParameterNumber(
            "angle", "LVC angle tolerance (degrees)", double, 4.0, False, 0.0, 45.0
        ),
        QgsProcessingParameterNumber("phi", "Fusion weight phi", double, 0.4, False, 0.0, 1.0),
        QgsProcessingParameterNumber("gi", "Maximum GI", double, 4.0, False, 1.0, 1000.0),
        QgsProcessingParameterNumber(
            "minarea", "Minimum area (square metres)", double, 20.0, False, 0.0
        ),
    ]
    helps = {
        "t1": "The earlier image.",
        "t2": "The later image, resampled onto T1's grid where it differs.",
        "angle": "theta of the Line segment Verticality Criterion, degrees (seed: 4).",
        "phi": "BI = phi BLI + (1 - phi) N(MBI) (seed: 0.4).",
        "gi": "Objects whose long / short side of the minimum-area rectangle exceeds this are "
        "removed (ours: 4).",
        "minarea": "Objects smaller than this are removed, square metres (ours: 20).",
    }
    # the Modeler keeps a model's help by parameter name, beside its description
    model.setHelpContent({**model.helpContent(), **helps})
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
        # every other mandatory input at the tool's default, as the Modeler's dialog fills it:
        # without them QGIS's validate() finds the model invalid ("Parameter X is mandatory")
        for definition in c.algorithm().parameterDefinitions():
            name = definition.name()
            optional = definition.flags() & QgsProcessingParameterDefinition.FlagOptional
            if name in sources or definition.isDestination() or optional:
                continue
            if definition.defaultValue() is not None:
                c.addParameterSources(name, [Src.fromStaticValue(definition.defaultValue())])
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
