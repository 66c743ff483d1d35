"""Deep learning > Newly built buildings (MSSFC-Net)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
    QgsProcessingUtils,
)

from .base import FeedbackProgress
from .deep_common import DEEP_HELP, DeepAlgorithm


class NewlyBuiltDeepAlgorithm(DeepAlgorithm):
    """New buildings only: change AND building at T2 AND NOT building at T1."""

    NAME = "newlybuilt_deep"
    DISPLAY = "Newly built buildings (MSSFC-Net)"
    HELP = (
        "The supervised counterpart of 'Newly built buildings (unsupervised)': new buildings only, "
        "where MSSFC-Net sees change AND a building at T2 AND no building at T1. Its outputs have "
        "the same schema as the unsupervised tool so the two can be compared side by side.\n\n"
        "OUTPUT_LIKELIHOOD (float32 0-1): a fuzzy AND of the three conditions, min(change - t_c, "
        "building_T2 - t_b2, t_b1 - building_T1) + 0.5, so it is >= 0.5 exactly where the mask is "
        "1. OUTPUT_MASK (uint8, nodata 255). OUTPUT_POLYGONS (GeoPackage): one polygon per new "
        "building with area (square metres; square pixels without a CRS), gi (long / short side "
        "of its minimum-area rectangle), mean_likelihood, mean_ci (here: mean change probability) and mean_bi (here: "
        "mean building probability at T2). MIN_AREA drops smaller buildings from the polygons "
        "and from OUTPUT_MASK, as the unsupervised tool does." + DEEP_HELP
    )

    MIN_AREA = "MIN_AREA"
    OUTPUT_LIKELIHOOD = "OUTPUT_LIKELIHOOD"
    OUTPUT_MASK = "OUTPUT_MASK"
    OUTPUT_POLYGONS = "OUTPUT_POLYGONS"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.add_pair_inputs()
        self.add_model_parameters()
        self.add_simplify()
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_AREA,
                self.tr("Minimum building area (square metres; pixels without a CRS)"),
                QgsProcessingParameterNumber.Double,
                0.0,
                False,
                0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_LIKELIHOOD, self.tr("New building likelihood")
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT_MASK, self.tr("New buildings"))
        )
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT_POLYGONS,
                self.tr("New building polygons"),
                optional=True,
                createByDefault=True,
            )
        )

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.deep import run_inference

        model, options = self.load(parameters, context, progress)
        sources, grid = self.open_pair_inputs(parameters, context, model, progress)
        tmp = QgsProcessingUtils.generateTempFilename
        like = self.output_path(parameters, self.OUTPUT_LIKELIHOOD, context) or tmp("like.tif")
        mask = self.output_path(parameters, self.OUTPUT_MASK, context) or tmp("new.tif")
        polygons = self.output_path(parameters, self.OUTPUT_POLYGONS, context)
        min_area = self.parameterAsDouble(parameters, self.MIN_AREA, context)
        # with MIN_AREA the mask is the kept polygons' (as the unsupervised tool's): the
        # network's mask goes to a temporary file, the polygons' pass writes the output
        outs = {"probability": like, "mask": tmp("new_raw.tif") if min_area > 0 else mask}
        if polygons or min_area > 0:
            outs["building_prob_t2"] = tmp("b2.tif")
            outs["change_prob"] = tmp("change_prob.tif")
        written = run_inference(
            "newlybuilt", model, sources, grid, outs, options=options, progress=progress
        )
        poly = None
        if polygons or min_area > 0:
            poly = self.polygons(
                written["mask"],
                polygons or tmp("new.gpkg"),
                {
                    "likelihood": written["probability"],
                    "ci": written["change_prob"],
                    "bi": written["building_prob_t2"],
                },
                parameters,
                context,
                progress,
                written=written,
                with_gi=True,
                min_area=min_area,
                filtered_mask_path=mask if min_area > 0 else None,
            )
            written["mask"] = mask
            poly = poly if polygons else None
        self.style(context, like, "probability")
        self.style(context, mask, "newbuildings")
        self.style(context, polygons, "newbuildings_polygons")
        return {
            self.OUTPUT_LIKELIHOOD: written["probability"],
            self.OUTPUT_MASK: written["mask"],
            self.OUTPUT_POLYGONS: poly,
        }
