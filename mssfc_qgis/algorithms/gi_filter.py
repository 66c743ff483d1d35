"""Newly built buildings (unsupervised) > Geometric index (GI) object filter."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingOutputNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from .base import FeedbackProgress, MssfcAlgorithm
from .unsupervised_common import SOURCE_NOTE, add_params, add_pixel_size, config_from, pixel_size


class GiFilterAlgorithm(MssfcAlgorithm):
    """Objects of a mask, filtered by area and shape."""

    NAME = "gifilter"
    DISPLAY = "Geometric index (GI) object filter"
    GROUP = "unsupervised"
    HELP = (
        "Step 6: turns a newly-built mask into building objects. Connected regions (4-connected) "
        "become polygons (holes kept); those smaller than MIN_AREA (square metres, default 20; "
        "converted for rasters in degrees or feet through the pixel size, PIXEL_SIZE overrides "
        "it) or with a geometric index GI = long side / short side of the minimum-area rectangle "
        "above MAX_ASPECT_RATIO (default 4: roads, field edges and other elongated false alarms) "
        "are removed. The seed reports that GI filtering raised IoU by 0.023. Optional LIKELIHOOD, "
        "CI and BI rasters add mean_likelihood, mean_ci and mean_bi to each polygon. Outputs: "
        "OUTPUT_POLYGONS (area in square metres, gi, means) and OUTPUT_MASK (the kept objects, uint8)."
        + SOURCE_NOTE
    )

    INPUT = "INPUT"
    LIKELIHOOD = "LIKELIHOOD"
    CI = "CI"
    BI = "BI"
    OUTPUT_POLYGONS = "OUTPUT_POLYGONS"
    OUTPUT_MASK = "OUTPUT_MASK"
    COUNT = "COUNT"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Mask (1 = newly built)"))
        )
        for name, label in (
            (self.LIKELIHOOD, "Likelihood"),
            (self.CI, "Change intensity"),
            (self.BI, "Building intensity"),
        ):
            self.addParameter(
                QgsProcessingParameterRasterLayer(
                    name, self.tr(f"{label} (optional, for attributes)"), optional=True
                )
            )
        add_params(self, ("MAX_ASPECT_RATIO", "MIN_AREA"))
        add_pixel_size(self)
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT_POLYGONS, self.tr("Newly built buildings")
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_MASK, self.tr("Filtered mask"), optional=True
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.COUNT, self.tr("Objects kept")))

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.newlybuilt import objects_stage

        polygons = self.output_path(parameters, self.OUTPUT_POLYGONS, context)
        mask = self.output_path(parameters, self.OUTPUT_MASK, context)
        path, count = objects_stage(
            self.raster_source(parameters, self.INPUT, context),
            polygons,
            out_mask=mask,
            likelihood_path=self.optional_raster_source(parameters, self.LIKELIHOOD, context),
            ci_path=self.optional_raster_source(parameters, self.CI, context),
            bi_path=self.optional_raster_source(parameters, self.BI, context),
            cfg=config_from(self, parameters, context),
            pixel_size=pixel_size(self, parameters, context),
            progress=progress,
        )
        self.style(context, polygons, "newbuildings_polygons")
        self.style(context, mask, "newbuildings")
        return {self.OUTPUT_POLYGONS: path, self.OUTPUT_MASK: mask, self.COUNT: count}
