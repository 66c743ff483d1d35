"""Deep learning > Building change detection (MSSFC-Net)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
    QgsProcessingUtils,
)

from .base import FeedbackProgress
from .deep_common import DEEP_HELP, DeepAlgorithm


class ChangeDetectionAlgorithm(DeepAlgorithm):
    """Building change between two dates, with the buildings of each date."""

    NAME = "changedetection"
    DISPLAY = "Building change detection"
    HELP = (
        "Finds building change (new and demolished buildings) between two images of the same "
        "area with MSSFC-Net, which also gives the buildings at each date. T2 is aligned onto "
        "T1's grid when their CRS, resolution or extent differ; only the common area is "
        "processed.\n\nOutputs: OUTPUT_CHANGE (uint8, 1 = change, nodata 255), "
        "OUTPUT_PROBABILITY (change probability, float32 0-1, nodata -1), optional "
        "OUTPUT_BUILDINGS_T1 and OUTPUT_BUILDINGS_T2 (building masks), and optional "
        "OUTPUT_POLYGONS: one polygon per change region with its area (square metres; square "
        "pixels without a CRS), mean change probability, mean building probability at each "
        "date, and change_type: 'new "
        "building' (building at T2 only), 'demolished building' (T1 only) or 'modified' (both "
        "or neither)." + DEEP_HELP
    )

    OUTPUT_CHANGE = "OUTPUT_CHANGE"
    OUTPUT_PROBABILITY = "OUTPUT_PROBABILITY"
    OUTPUT_BUILDINGS_T1 = "OUTPUT_BUILDINGS_T1"
    OUTPUT_BUILDINGS_T2 = "OUTPUT_BUILDINGS_T2"
    OUTPUT_POLYGONS = "OUTPUT_POLYGONS"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.add_pair_inputs()
        self.add_model_parameters()
        self.add_simplify()
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT_CHANGE, self.tr("Change mask"))
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_PROBABILITY, self.tr("Change probability")
            )
        )
        for name, label in (
            (self.OUTPUT_BUILDINGS_T1, "Buildings at T1"),
            (self.OUTPUT_BUILDINGS_T2, "Buildings at T2"),
        ):
            self.addParameter(
                QgsProcessingParameterRasterDestination(
                    name, self.tr(label), optional=True, createByDefault=False
                )
            )
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT_POLYGONS,
                self.tr("Change polygons"),
                optional=True,
                createByDefault=False,
            )
        )

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.deep import head_thresholds, run_inference

        model, options = self.load(parameters, context, progress)
        sources, grid = self.open_pair_inputs(parameters, context, model, progress)
        change = self.output_path(parameters, self.OUTPUT_CHANGE, context)
        prob = self.output_path(parameters, self.OUTPUT_PROBABILITY, context)
        b1 = self.output_path(parameters, self.OUTPUT_BUILDINGS_T1, context)
        b2 = self.output_path(parameters, self.OUTPUT_BUILDINGS_T2, context)
        polygons = self.output_path(parameters, self.OUTPUT_POLYGONS, context)
        tmp = QgsProcessingUtils.generateTempFilename
        outs = {
            "mask": change or tmp("change.tif"),
            "probability": prob or tmp("change_prob.tif"),
        }
        if b1:
            outs["buildings_t1"] = b1
        if b2:
            outs["buildings_t2"] = b2
        if polygons:
            outs["building_prob_t1"] = tmp("building_prob_t1.tif")
            outs["building_prob_t2"] = tmp("building_prob_t2.tif")
        written = run_inference(
            "change", model, sources, grid, outs, options=options, progress=progress
        )
        thresholds = head_thresholds(model, options)
        poly = None
        if polygons:
            poly = self.polygons(
                written["mask"],
                polygons,
                {
                    "probability": written["probability"],
                    "building_t1": written["building_prob_t1"],
                    "building_t2": written["building_prob_t2"],
                },
                parameters,
                context,
                progress,
                written=written,
                change_type_from=("building_t1", "building_t2"),
                change_type_thresholds=(thresholds["building_t1"], thresholds["building_t2"]),
            )
        self.style(context, change, "change")
        self.style(context, prob, "probability")
        self.style(context, b1, "mask")
        self.style(context, b2, "mask")
        self.style(context, polygons, "change_polygons")
        return {
            self.OUTPUT_CHANGE: written["mask"],
            self.OUTPUT_PROBABILITY: written["probability"],
            self.OUTPUT_BUILDINGS_T1: written.get("buildings_t1"),
            self.OUTPUT_BUILDINGS_T2: written.get("buildings_t2"),
            self.OUTPUT_POLYGONS: poly,
        }
