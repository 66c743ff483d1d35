"""Evaluation > Accuracy assessment."""

from __future__ import annotations

import math
from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorLayer,
    QgsVectorLayer,
)

from .base import FeedbackProgress, MssfcAlgorithm


class AccuracyAlgorithm(MssfcAlgorithm):
    """P, R, IoU, F1, PA, MPA, object counts and an HTML report."""

    NAME = "accuracy"
    DISPLAY = "Accuracy assessment"
    GROUP = "evaluation"
    HELP = (
        "Measures how good a building or change map is against a reference, as the papers do, and "
        "writes a report a manager can read.\n\nPREDICTION: a one-band mask raster (0/1 or "
        "0/255, non-zero = building or change), a probability raster (floating point, 0-1, "
        "thresholded at THRESHOLD), or polygons. REFERENCE: a one-band mask raster or building "
        "polygons; it is brought onto the prediction's grid (nearest neighbour; reprojected if its "
        "CRS differs, and the log says so; polygons are rasterized). A black-and-white paletted "
        "mask (e.g. the WHU labels) is read by colour: white = building, black = background. An "
        "image, a colour-coded class map or (as reference) a probability raster is refused: make "
        "a 0/1 mask of it first. Polygons in a file with several layers (a GeoPackage) are read "
        "from the layer picked in QGIS (file.gpkg|layername=NAME). Only the common area is "
        "evaluated; AREA (polygons) limits it further.\n\nTHRESHOLD (0-1, probability "
        "predictions only): empty uses the threshold recorded in the prediction by the tool that "
        "made it (this plugin's probability and likelihood outputs record the one their mask "
        "used), else 0.5; the log says which.\n\nFigures: the confusion matrix; pooled "
        "precision P = TP/(TP+FP), recall R = TP/(TP+FN), IoU = TP/(TP+FP+FN), F1 = 2PR/(P+R) "
        "(MSSFC-Net Eq. 11, TP/FP/FN summed over the whole map), PA (overall pixel accuracy) and "
        "MPA (mean of the per-class pixel accuracies); per-window figures and their mean (1024-px "
        "windows); object counts (buildings found, missed, false: connected components matched "
        "one-to-one at IoU >= 0.5, counted per window); for probabilities, P, R, IoU and F1 over "
        "thresholds with the best threshold marked (cf. the newly-built paper's Fig. 6). A metric "
        "whose denominator is zero (e.g. an empty reference) is reported as undefined, not as 0."
        "\n\nOutputs: OUTPUT_REPORT (HTML, opens from the results viewer), OUTPUT_TABLE (CSV), "
        "OUTPUT_ERRORS (RGB raster: true positive white, false positive red, false negative blue, "
        "true negative black, outside the evaluation grey)."
    )

    PREDICTION = "PREDICTION"
    REFERENCE = "REFERENCE"
    AREA = "AREA"
    THRESHOLD = "THRESHOLD"
    IOU = "OBJECT_IOU"
    OUTPUT_REPORT = "OUTPUT_REPORT"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_ERRORS = "OUTPUT_ERRORS"
    NUMBERS = ("PRECISION", "RECALL", "IOU", "F1", "PA", "MPA")
    NUMBER_LABELS = (
        "Precision",
        "Recall",
        "IoU (intersection over union)",
        "F1 score",
        "Pixel accuracy (PA)",
        "Mean pixel accuracy (MPA)",
    )

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(
            QgsProcessingParameterMapLayer(
                self.PREDICTION,
                self.tr("Prediction (mask or probability raster, or polygons)"),
                types=[QgsProcessing.TypeRaster, QgsProcessing.TypeVectorPolygon],
            )
        )
        self.addParameter(
            QgsProcessingParameterMapLayer(
                self.REFERENCE,
                self.tr("Reference (mask raster or polygons)"),
                types=[QgsProcessing.TypeRaster, QgsProcessing.TypeVectorPolygon],
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.AREA,
                self.tr("Evaluation area (optional polygons)"),
                [QgsProcessing.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                self.tr("Threshold for probability rasters (empty = recorded in it, else 0.5)"),
                QgsProcessingParameterNumber.Double,
                None,
                True,
                0.0,
                1.0,
            )
        )
        iou = QgsProcessingParameterNumber(
            self.IOU,
            self.tr("Object matching IoU"),
            QgsProcessingParameterNumber.Double,
            0.5,
            False,
            0.01,
            1.0,
        )
        iou.setFlags(iou.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(iou)
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT_REPORT, self.tr("Report"), "HTML files (*.html)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT_TABLE, self.tr("Metrics table"), "CSV files (*.csv)", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_ERRORS, self.tr("Error map"), optional=True
            )
        )
        for name, label in zip(self.NUMBERS, self.NUMBER_LABELS):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))

    def _source(self, parameters: dict[str, Any], name: str, context: QgsProcessingContext) -> str:
        """The file of a layer parameter; for polygons, QGIS's source with the layer chosen in a
        multi-layer file (``file.gpkg|layername=NAME``), which the core reads."""
        layer = self.parameterAsLayer(parameters, name, context)
        if layer is None:
            raise QgsProcessingException(
                self.tr("No layer was given for {} (or it could not be opened).").format(name)
            )
        if isinstance(layer, QgsVectorLayer):
            if layer.providerType() != "ogr":
                raise QgsProcessingException(
                    self.tr(
                        "{} is a {} layer; this tool reads polygon files (GeoPackage, Shapefile, "
                        "GeoJSON). Save the layer as a GeoPackage first (Export > Save Features "
                        "As)."
                    ).format(layer.name(), layer.providerType())
                )
            return layer.source()
        return layer.source().split("|")[0]

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.assessment import assess

        area = None
        if parameters.get(self.AREA):
            area = self._source(parameters, self.AREA, context)
        threshold = parameters.get(self.THRESHOLD)
        report = self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context)
        table = self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context) or None
        errors = self.output_path(parameters, self.OUTPUT_ERRORS, context)
        result = assess(
            self._source(parameters, self.PREDICTION, context),
            self._source(parameters, self.REFERENCE, context),
            area=area,
            threshold=None
            if threshold in (None, "")
            else self.parameterAsDouble(parameters, self.THRESHOLD, context),
            out_errors=errors,
            out_report=report,
            out_table=table,
            iou_threshold=self.parameterAsDouble(parameters, self.IOU, context),
            progress=progress,
        )
        metrics = result.confusion.metrics()
        progress.info(
            "P {precision:.3f}  R {recall:.3f}  IoU {iou:.3f}  F1 {f1:.3f}  PA {pa:.3f}  "
            "MPA {mpa:.3f}".format(**metrics)
        )
        out: dict[str, Any] = {
            self.OUTPUT_REPORT: report,
            self.OUTPUT_TABLE: table,
            self.OUTPUT_ERRORS: errors,
        }
        for name in self.NUMBERS:
            value = metrics[name.lower()]
            out[name] = None if math.isnan(value) else value
        return out
