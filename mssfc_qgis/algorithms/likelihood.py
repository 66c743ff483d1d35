"""Newly built buildings (unsupervised) > Likelihood fusion and threshold."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingOutputNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from .base import FeedbackProgress, MssfcAlgorithm, compute_workers
from .unsupervised_common import SOURCE_NOTE, add_params, config_from


class LikelihoodAlgorithm(MssfcAlgorithm):
    """L = N(CI) N(BI), thresholded."""

    NAME = "likelihood"
    DISPLAY = "Likelihood fusion and threshold"
    GROUP = "unsupervised"
    HELP = (
        "Step 5: fuses change (CI) and building evidence at T2 (BI) into the likelihood of a newly "
        "built building, L = N(CI) * N(BI) (feature-level fusion, which the seed found better), or "
        "a weighted sum (LIKELIHOOD_MODE), N a 1-99 percentile stretch fitted on the whole raster. "
        "The mask is L > THRESHOLD; empty THRESHOLD uses Otsu's threshold on L (the seed tunes it; "
        "its IoU peaks where precision ~ recall). FUSION = decision level instead thresholds N(CI) "
        "and N(BI) separately (Otsu) and keeps pixels above both, as the seed compares. Outputs: "
        "OUTPUT_LIKELIHOOD (float32 0-1), OUTPUT_MASK (uint8 1 = newly built, nodata 255), and the "
        "threshold used (THRESHOLD_USED). The stretch and Otsu are relative to the pair: where "
        "nothing was built the mask still marks the most building-like change." + SOURCE_NOTE
    )

    INPUT_CI = "INPUT_CI"
    INPUT_BI = "INPUT_BI"
    OUTPUT_LIKELIHOOD = "OUTPUT_LIKELIHOOD"
    OUTPUT_MASK = "OUTPUT_MASK"
    THRESHOLD_USED = "THRESHOLD_USED"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT_CI, self.tr("Change intensity"))
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT_BI, self.tr("Building intensity"))
        )
        add_params(self, ("THRESHOLD", "FUSION", "LIKELIHOOD_MODE", "LIKELIHOOD_WEIGHT"))
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT_LIKELIHOOD, self.tr("Likelihood"))
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_MASK, self.tr("Newly built (before GI filter)")
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.THRESHOLD_USED, self.tr("Threshold used")))

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.newlybuilt import likelihood_stage

        lik = self.required_output(parameters, self.OUTPUT_LIKELIHOOD, context)
        mask = self.required_output(parameters, self.OUTPUT_MASK, context)
        written, threshold = likelihood_stage(
            self.raster_source(parameters, self.INPUT_CI, context),
            self.raster_source(parameters, self.INPUT_BI, context),
            lik,
            mask,
            cfg=config_from(self, parameters, context),
            workers=compute_workers(),
            progress=progress,
        )
        self.style(context, lik, "probability")
        self.style(context, mask, "newbuildings")
        return {
            self.OUTPUT_LIKELIHOOD: written["likelihood"],
            self.OUTPUT_MASK: written["mask"],
            self.THRESHOLD_USED: threshold,
        }
