"""Newly built buildings (unsupervised) > Building line index (BLI)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
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


class BliAlgorithm(MssfcAlgorithm):
    """BLI from perpendicular line segments."""

    NAME = "buildinglineindex"
    DISPLAY = "Building line index (BLI)"
    GROUP = "unsupervised"
    HELP = (
        "Step 3: the Building Line Index (the seed's own index, rebuilt): building outlines are "
        "made of perpendicular straight edges. Line segments are detected with LSD (OpenCV) on "
        "the brightness, the maximum of the visible bands (BANDS; default chosen as in the MBI "
        "tool). Two segments within LINE_DISTANCE (metres, true segment-to-segment "
        "distance) pass the Line segment Verticality Criterion when their acute angle differs "
        "from 90 degrees by at most ANGLE_TOLERANCE theta (seed: 4). Segments with a "
        "perpendicular partner, and the corner region each pair encloses (up to the longest MBI "
        "line), are drawn and smoothed by a 1 m Gaussian (ours); the density is scaled to [0, 1] "
        "by its 99th percentile over a sample of the image. An image with no such lines gives "
        "BLI = 0 (not NaN) and a log message. Outputs: OUTPUT (BLI, float32 0-1), optional "
        "OUTPUT_SEGMENTS (the kept segments as lines, with their length in metres). REFERENCE (optional, the pair's T1): the "
        "image is first resampled onto its grid, common area only, as mssfc:newlybuilt does, so "
        "a Modeler chain gives its result exactly (the model in resources/models does so)."
        + SOURCE_NOTE
    )

    INPUT = "INPUT"
    BANDS = "BANDS"
    OUTPUT = "OUTPUT"
    OUTPUT_SEGMENTS = "OUTPUT_SEGMENTS"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Image (T2)")))
        self.add_bands(self.BANDS, self.INPUT, "Visible bands (default: automatic)")
        add_params(self, ("ANGLE_TOLERANCE", "LINE_DISTANCE", "MBI_MAX_LENGTH"))
        add_reference(self)
        add_pixel_size(self)
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("BLI")))
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT_SEGMENTS,
                self.tr("Perpendicular line segments"),
                optional=True,
                createByDefault=False,
            )
        )

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.newlybuilt import bli_stage

        out = self.required_output(parameters, self.OUTPUT, context)
        segs = self.output_path(parameters, self.OUTPUT_SEGMENTS, context)
        written = bli_stage(
            self.raster_source(parameters, self.INPUT, context),
            out,
            out_segments=segs,
            bands=self.bands(parameters.get(self.BANDS)),
            cfg=config_from(self, parameters, context),
            pixel_size=pixel_size(self, parameters, context),
            reference_path=self.optional_raster_source(parameters, REFERENCE, context),
            workers=compute_workers(),
            progress=progress,
        )
        self.style(context, out, "probability")
        return {self.OUTPUT: written["bli"], self.OUTPUT_SEGMENTS: written.get("segments")}
