"""Newly built buildings (unsupervised) > Newly built buildings (end to end)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from .base import FeedbackProgress, MssfcAlgorithm, compute_workers
from .unsupervised_common import SOURCE_NOTE, add_params, add_pixel_size, config_from, pixel_size


class NewlyBuiltAlgorithm(MssfcAlgorithm):
    """The whole unsupervised method in one tool."""

    NAME = "newlybuilt"
    DISPLAY = "Newly built buildings (unsupervised)"
    GROUP = "unsupervised"
    HELP = (
        "Finds newly built buildings between two images with no trained weights: change intensity "
        "(ISFA spectral + texture) x building intensity of T2 (MBI + BLI), thresholded, then "
        "objects filtered by area and geometric index. It runs the step tools of this group in "
        "sequence (the model 'newlybuilt_chain' in resources/models chains them in the Graphical "
        "Modeler and gives the same result).\n\nParameters: ANGLE_TOLERANCE theta (degrees, "
        "default 4), FUSION_WEIGHT phi (0.4), THRESHOLD on the likelihood (0-1; empty = Otsu), "
        "MAX_ASPECT_RATIO GI (4), MIN_AREA (square metres, 20), BANDS (for both dates; default "
        "all), VISIBLE_BANDS (band numbers among BANDS whose maximum is the brightness of MBI, BLI "
        "and the texture; default: the bands tagged red, green, blue, else bands 1-3 of a 4-band "
        "image, else all; the log names them), METHOD (the proposed method, or the seed's baselines "
        "OBISFA, SFAMBI, SPETEXMBI for comparison: these run in memory, up to 25 megapixels), "
        "FUSION (feature level, or decision level as the seed compares). Lengths are in metres and "
        "follow the pixel size (PIXEL_SIZE overrides it; rasters without a CRS are taken as 0.5 "
        "m). The seed reports pixel-level P 0.692, R 0.683, F1 0.689 at its defaults.\n\nOutputs: "
        "OUTPUT_LIKELIHOOD (float32 0-1), OUTPUT_MASK (uint8, 1 = newly built, after the GI "
        "filter; nodata 255), OUTPUT_POLYGONS (one polygon per new building with area in square "
        "metres, gi, mean_likelihood, mean_ci, mean_bi). Any of the three may be skipped, not all. "
        "THRESHOLD applies to feature-level fusion and to OBISFA and SFAMBI; decision-level "
        "fusion and SPETEXMBI threshold each layer by Otsu, and the log says the value is "
        "unused. The likelihood records its threshold (metadata MSSFC_THRESHOLD).\n\nThe "
        "stretches and Otsu are relative to the pair: on a pair where nothing was built the tool "
        "still marks its most building-like change (on a LEVIR-CD pair with no change, 14 % of "
        "the image). Check the result, or give THRESHOLD a value read on pairs of known change of "
        "the same kind." + SOURCE_NOTE
    )

    INPUT_T1 = "INPUT_T1"
    INPUT_T2 = "INPUT_T2"
    BANDS = "BANDS"
    VISIBLE_BANDS = "VISIBLE_BANDS"
    OUTPUT_LIKELIHOOD = "OUTPUT_LIKELIHOOD"
    OUTPUT_MASK = "OUTPUT_MASK"
    OUTPUT_POLYGONS = "OUTPUT_POLYGONS"
    THRESHOLD_USED = "THRESHOLD_USED"
    COUNT = "COUNT"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT_T1, self.tr("Image T1 (before)"))
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT_T2, self.tr("Image T2 (after)"))
        )
        self.add_bands(self.BANDS, self.INPUT_T1, "Bands (both dates; default: all)")
        self.add_bands(
            self.VISIBLE_BANDS, self.INPUT_T2, "Visible bands for brightness (default: automatic)"
        )
        add_params(
            self,
            (
                "ANGLE_TOLERANCE",
                "FUSION_WEIGHT",
                "THRESHOLD",
                "MAX_ASPECT_RATIO",
                "MIN_AREA",
                "METHOD",
                "FUSION",
                "LIKELIHOOD_MODE",
                "LIKELIHOOD_WEIGHT",
                "CI_WEIGHT",
                "TEXTURE_CHANGE",
                "TEXTURE_WINDOW",
                "MBI_MIN_LENGTH",
                "MBI_MAX_LENGTH",
                "MBI_STEP",
                "LINE_DISTANCE",
            ),
        )
        add_pixel_size(self)
        # each output may be skipped (created by default): e.g. only the polygons over a city
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_LIKELIHOOD, self.tr("Likelihood"), optional=True, createByDefault=True
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_MASK,
                self.tr("Newly built buildings (mask)"),
                optional=True,
                createByDefault=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT_POLYGONS,
                self.tr("Newly built buildings"),
                optional=True,
                createByDefault=True,
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.THRESHOLD_USED, self.tr("Threshold used")))
        self.addOutput(QgsProcessingOutputNumber(self.COUNT, self.tr("Buildings found")))

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.newlybuilt import Outputs, newlybuilt

        lik = self.output_path(parameters, self.OUTPUT_LIKELIHOOD, context)
        mask = self.output_path(parameters, self.OUTPUT_MASK, context)
        polygons = self.output_path(parameters, self.OUTPUT_POLYGONS, context)
        if not (lik or mask or polygons):
            raise QgsProcessingException(
                self.tr(
                    "Every output is skipped: give at least one of OUTPUT_LIKELIHOOD, OUTPUT_MASK "
                    "and OUTPUT_POLYGONS."
                )
            )
        bands = self.bands(parameters.get(self.BANDS))
        res = newlybuilt(
            self.raster_source(parameters, self.INPUT_T1, context),
            self.raster_source(parameters, self.INPUT_T2, context),
            Outputs(lik, mask, polygons),
            bands_t1=bands,
            bands_t2=bands,
            visible_bands=self.bands(parameters.get(self.VISIBLE_BANDS)),
            cfg=config_from(self, parameters, context),
            pixel_size=pixel_size(self, parameters, context),
            workers=compute_workers(),
            progress=progress,
        )
        self.style(context, lik, "probability")
        self.style(context, mask, "newbuildings")
        self.style(context, polygons, "newbuildings_polygons")
        return {
            self.OUTPUT_LIKELIHOOD: lik,
            self.OUTPUT_MASK: mask,
            self.OUTPUT_POLYGONS: polygons,
            self.THRESHOLD_USED: res["threshold"],
            self.COUNT: res["count"],
        }
