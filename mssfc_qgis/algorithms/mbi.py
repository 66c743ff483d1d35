"""Newly built buildings (unsupervised) > Morphological building index (MBI)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from .base import FeedbackProgress, MssfcAlgorithm, compute_workers
from .unsupervised_common import (
    REFERENCE,
    SOURCE_NOTE,
    add_params,
    add_pixel_size,
    add_reference,
    config_from,
    pixel_size,
)


class MbiAlgorithm(MssfcAlgorithm):
    """MBI of one image (the T2 image in the method)."""

    NAME = "morphologicalbuildingindex"
    DISPLAY = "Morphological building index (MBI)"
    GROUP = "unsupervised"
    HELP = (
        "Step 2: the Morphological Building Index (Huang & Zhang 2011, 2012) of an image, high "
        "on bright, compact structures (roofs). Brightness b = maximum of the visible bands "
        "(BANDS; default: the bands tagged red, green, blue, else bands 1-3 of a 4-band image "
        "(R, G, B, NIR or B, G, R, NIR), else all: a near-infrared band would make vegetation "
        "look bright; the log names them). For 4 directions d and line lengths s from "
        "MBI_MIN_LENGTH to "
        "MBI_MAX_LENGTH by MBI_STEP (metres, converted with the pixel size), the white top-hat by "
        "reconstruction WTH(d, s) = b - reconstruction of b from its erosion by a line; the "
        "differential profile DMP(d, s) = |WTH(d, s + ds) - WTH(d, s)| and MBI = sum DMP / (D S). "
        "Because the lines are nested the sum telescopes to sum_d [WTH(d, s_max) - WTH(d, s_min)] / "
        "(D S): identical, about 6x less work. The reconstruction stops at a geodesic reach of "
        "MBI_MAX_LENGTH (ours): MBI becomes a local operator, so tiles are exact and fast; it "
        "raises the background a little compared with reconstruction to convergence. "
        "MBI_MAX_LENGTH must exceed the widest building (default 50 m). Output: raw MBI (float32, "
        "units of brightness). REFERENCE (optional, the pair's T1): the image is first resampled "
        "onto its grid, common area only, as mssfc:newlybuilt does, so a Modeler chain gives its "
        "result exactly (the model in resources/models does so)." + SOURCE_NOTE
    )

    INPUT = "INPUT"
    BANDS = "BANDS"
    OUTPUT = "OUTPUT"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Image (T2)")))
        self.add_bands(self.BANDS, self.INPUT, "Visible bands (default: automatic)")
        add_params(self, ("MBI_MIN_LENGTH", "MBI_MAX_LENGTH", "MBI_STEP"))
        add_reference(self)
        add_pixel_size(self)
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("MBI")))

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.newlybuilt import mbi_stage

        out = self.required_output(parameters, self.OUTPUT, context)
        written = mbi_stage(
            self.raster_source(parameters, self.INPUT, context),
            out,
            bands=self.bands(parameters.get(self.BANDS)),
            cfg=config_from(self, parameters, context),
            pixel_size=pixel_size(self, parameters, context),
            reference_path=self.optional_raster_source(parameters, REFERENCE, context),
            workers=compute_workers(),
            progress=progress,
        )
        return {self.OUTPUT: written["mbi"]}
