"""Deep learning > Building extraction (MSSFC-Net)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
    QgsProcessingUtils,
)

from .base import FeedbackProgress
from .deep_common import DEEP_HELP, DeepAlgorithm


class BuildingExtractionAlgorithm(DeepAlgorithm):
    """Buildings in one image (or the T2 building head of a pair)."""

    NAME = "buildingextraction"
    DISPLAY = "Building extraction"
    HELP = (
        "Finds buildings in an aerial or satellite image with MSSFC-Net. The image is fed as both "
        "dates (the paper's dual-image input scheme) and the building probability is the mean of "
        "the two building heads. With INPUT_T2 set, the pair is aligned (T2 resampled onto "
        "INPUT's grid, common area only) and the output is the buildings of INPUT_T2 as the "
        "network sees them beside INPUT. BANDS picks INPUT's red, green and blue, BANDS_T2 those of "
        "INPUT_T2.\n\nOutputs: OUTPUT_MASK (uint8, 1 = building, nodata "
        "255), OUTPUT_PROBABILITY (float32 0-1, nodata -1), optional OUTPUT_POLYGONS (GeoPackage, "
        "one polygon per building with its area in square metres (square pixels without a CRS) "
        "and mean probability; SIMPLIFY tolerance in map units)." + DEEP_HELP
    )

    INPUT = "INPUT"
    INPUT_T2 = "INPUT_T2"
    BANDS = "BANDS"
    BANDS_T2 = "BANDS_T2"
    OUTPUT_MASK = "OUTPUT_MASK"
    OUTPUT_PROBABILITY = "OUTPUT_PROBABILITY"
    OUTPUT_POLYGONS = "OUTPUT_POLYGONS"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("Image")))
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.INPUT_T2,
                self.tr("Second date (optional: buildings of this date)"),
                optional=True,
            )
        )
        self.add_bands(self.BANDS, self.INPUT, "Bands for red, green, blue (default 1, 2, 3)")
        self.add_bands(
            self.BANDS_T2,
            self.INPUT_T2,
            "Second date's bands for red, green, blue (default: chosen as for the image)",
        )
        self.add_model_parameters()
        self.add_simplify()
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT_MASK, self.tr("Building mask"))
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_PROBABILITY, self.tr("Building probability")
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT_POLYGONS,
                self.tr("Building polygons"),
                optional=True,
                createByDefault=False,
            )
        )

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.deep import open_pair, open_single, run_inference

        model, options = self.load(parameters, context, progress)
        image = self.raster_source(parameters, self.INPUT, context)
        second = self.optional_raster_source(parameters, self.INPUT_T2, context)
        bands = self.bands(parameters.get(self.BANDS))
        if second:
            # each date's bands are its own: a BGR or 4-band image beside an RGB second date
            bands_t2 = self.bands(parameters.get(self.BANDS_T2))
            sources, grid, notes = open_pair(
                image, second, bands_t1=bands, bands_t2=bands_t2, model=model
            )
        else:
            sources, grid, notes = open_single(image, bands=bands, model=model)
        for note in notes:
            progress.warning(note)
        mask = self.output_path(parameters, self.OUTPUT_MASK, context)
        prob = self.output_path(parameters, self.OUTPUT_PROBABILITY, context)
        polygons = self.output_path(parameters, self.OUTPUT_POLYGONS, context)
        outs = {"mask": mask or QgsProcessingUtils.generateTempFilename("mask.tif")}
        outs["probability"] = prob or QgsProcessingUtils.generateTempFilename("prob.tif")
        written = run_inference(
            "extraction", model, sources, grid, outs, options=options, progress=progress
        )
        poly = self.polygons(
            written["mask"],
            polygons,
            {"probability": written["probability"]},
            parameters,
            context,
            progress,
            written=written,
        )
        self.style(context, mask, "mask")
        self.style(context, prob, "probability")
        self.style(context, polygons, "polygons")
        return {
            self.OUTPUT_MASK: written["mask"],
            self.OUTPUT_PROBABILITY: written["probability"],
            self.OUTPUT_POLYGONS: poly,
        }
