"""Parameters and model loading shared by the three MSSFC-Net tools."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ..paths import default_model_path
from .base import FeedbackProgress, MssfcAlgorithm

DEVICES = ("auto", "cuda", "cpu")

DEEP_HELP = (
    "\n\nMODEL: an .onnx file exported by this plugin's exporter (python -m "
    "mssfc_qgis.model.export), or a .pt checkpoint of its training CLI when torch is installed; "
    "empty uses the bundled weights. DEVICE: Auto uses the GPU (CUDA) when ONNX Runtime can, and "
    "says in the log which it used and why; CUDA fails with a clear message when it cannot. "
    "TILE_SIZE and OVERLAP (pixels; 0 and -1 take the model's recommendation): tiles overlap and "
    "are blended with smooth weights, so no seam shows. BATCH_SIZE: tiles per call. THRESHOLD: "
    "probability for the masks (empty: the model's own, per head, which the log lists; the "
    "bundled model cuts buildings at 0.30 and change at 0.50). The probability output records "
    "its threshold (metadata MSSFC_THRESHOLD), which the accuracy tool then uses. BANDS: which "
    "input bands feed the model's red, green and blue (default: the bands tagged red, green, "
    "blue, else the first three; a single-band image is repeated). "
    "8-bit imagery is scaled by 1/255, 16-bit and float imagery by a per-band 0.5-99.5 percentile "
    "stretch. Nodata stays nodata in every output. RESAMPLE: when the input's ground resolution "
    "(its CRS's unit, feet or degrees, converted to metres) differs from the model's by more "
    "than 50 %, run at the model's resolution and resample the outputs back (nearest neighbour, so "
    "each mask is its probability at the threshold on every pixel).\n\nMSSFC-Net: Huo et al., 'MSSFC-Net: Enhancing Building Interpretation with "
    "Multi-Scale Spatial-Spectral Feature Collaboration' (IEEE TGRS 2025). The network, its "
    "training and the bundled weights are this project's own implementation; see the model card."
)


class DeepAlgorithm(MssfcAlgorithm):
    """Adds and reads the model parameters every MSSFC-Net tool shares."""

    GROUP = "deep"
    MODEL = "MODEL"
    DEVICE = "DEVICE"
    TILE_SIZE = "TILE_SIZE"
    OVERLAP = "OVERLAP"
    BATCH_SIZE = "BATCH_SIZE"
    THRESHOLD = "THRESHOLD"
    RESAMPLE = "RESAMPLE"
    SIMPLIFY = "SIMPLIFY"

    def add_model_parameters(self) -> None:
        """MODEL, DEVICE, TILE_SIZE, OVERLAP, BATCH_SIZE, THRESHOLD, RESAMPLE."""
        model = QgsProcessingParameterFile(
            self.MODEL,
            self.tr("Model (.onnx, or .pt with torch); empty = bundled weights"),
            QgsProcessingParameterFile.File,
            optional=True,
            fileFilter="ONNX model (*.onnx);;PyTorch checkpoint (*.pt *.pth)",
        )
        self.addParameter(model)
        self.addParameter(
            QgsProcessingParameterEnum(
                self.DEVICE,
                self.tr("Device"),
                options=[self.tr(o) for o in ("Auto", "CUDA", "CPU")],
                defaultValue=0,
            )
        )
        advanced = [
            QgsProcessingParameterNumber(
                self.TILE_SIZE,
                self.tr("Tile size (pixels, 0 = model's)"),
                QgsProcessingParameterNumber.Integer,
                0,
                False,
                0,
                8192,
            ),
            QgsProcessingParameterNumber(
                self.OVERLAP,
                self.tr("Tile overlap (pixels, -1 = model's)"),
                QgsProcessingParameterNumber.Integer,
                -1,
                False,
                -1,
                4096,
            ),
            QgsProcessingParameterNumber(
                self.BATCH_SIZE,
                self.tr("Batch size (tiles)"),
                QgsProcessingParameterNumber.Integer,
                2,
                False,
                1,
                64,
            ),
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                self.tr("Probability threshold (empty = model's default)"),
                QgsProcessingParameterNumber.Double,
                None,
                True,
                0.0,
                1.0,
            ),
            QgsProcessingParameterBoolean(
                self.RESAMPLE, self.tr("Resample to the model's ground resolution"), False
            ),
        ]
        for p in advanced:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(p)

    INPUT_T1 = "INPUT_T1"
    INPUT_T2 = "INPUT_T2"
    BANDS_T1 = "BANDS_T1"
    BANDS_T2 = "BANDS_T2"

    def add_pair_inputs(self) -> None:
        """INPUT_T1, INPUT_T2 and their band choices."""
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT_T1, self.tr("Image T1 (before)"))
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT_T2, self.tr("Image T2 (after)"))
        )
        self.add_bands(self.BANDS_T1, self.INPUT_T1, "T1 bands for red, green, blue")
        self.add_bands(self.BANDS_T2, self.INPUT_T2, "T2 bands for red, green, blue")

    def open_pair_inputs(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        model: Any,
        progress: FeedbackProgress,
    ) -> tuple[list[Any], Any]:
        """The aligned T1/T2 sources and their grid; alignment notes go to the log."""
        from ..core.deep import open_pair

        sources, grid, notes = open_pair(
            self.raster_source(parameters, self.INPUT_T1, context),
            self.raster_source(parameters, self.INPUT_T2, context),
            bands_t1=self.bands(parameters.get(self.BANDS_T1)),
            bands_t2=self.bands(parameters.get(self.BANDS_T2)),
            model=model,
        )
        for note in notes:
            progress.warning(note)
        return sources, grid

    def add_simplify(self) -> None:
        """SIMPLIFY tolerance for polygons."""
        p = QgsProcessingParameterNumber(
            self.SIMPLIFY,
            self.tr("Polygon simplification tolerance (map units, 0 = none)"),
            QgsProcessingParameterNumber.Double,
            0.0,
            False,
            0.0,
        )
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(p)

    def load(
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> tuple[Any, Any]:
        """The ONNX model and the inference options from the parameters."""
        from ..core.deep import InferenceOptions
        from ..core.onnx_model import load_model

        path = self.parameterAsFile(parameters, self.MODEL, context) or str(default_model_path())
        if path.lower().endswith((".pt", ".pth")):
            path = self._export_checkpoint(path, progress)
        elif not Path(path).exists() and Path(path) == default_model_path():
            raise QgsProcessingException(
                self.tr(
                    "The bundled model {} is missing from this installation; reinstall the "
                    "plugin or give a model file."
                ).format(path)
            )
        device = DEVICES[self.parameterAsEnum(parameters, self.DEVICE, context)]
        model = load_model(path, device=device)  # type: ignore[arg-type]
        if model.fallback_reason:
            progress.info(f"Running on the CPU: {model.fallback_reason}")
        threshold = parameters.get(self.THRESHOLD)
        overlap = self.parameterAsInt(parameters, self.OVERLAP, context)
        options = InferenceOptions(
            tile=self.parameterAsInt(parameters, self.TILE_SIZE, context) or None,
            overlap=None if overlap < 0 else overlap,
            batch=self.parameterAsInt(parameters, self.BATCH_SIZE, context),
            threshold=None
            if threshold in (None, "")
            else self.parameterAsDouble(parameters, self.THRESHOLD, context),
            resample=self.parameterAsBool(parameters, self.RESAMPLE, context),
        )
        return model, options

    def _export_checkpoint(self, path: str, progress: FeedbackProgress) -> str:
        """Export a training checkpoint to a temporary ONNX file (needs torch)."""
        from ..deps import require

        require("torch", purpose="Running a .pt checkpoint")
        from ..model.export import main as export_main

        out = Path(tempfile.mkdtemp(prefix="mssfc_ckpt_")) / (Path(path).stem + ".onnx")
        progress.info(f"Exporting {path} to ONNX ({out}) ...")
        if export_main([path, str(out)]) != 0 or not out.exists():
            raise QgsProcessingException(
                self.tr("Could not export the checkpoint {} to ONNX.").format(path)
            )
        return str(out)

    def polygons(
        self,
        mask: str,
        out: str | None,
        values: dict[str, str],
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        progress: FeedbackProgress,
        *,
        written: Mapping[str, str],
        **kwargs: Any,
    ) -> str | None:
        """Vectorize ``mask`` into ``out`` with ``mean_<name>`` of each value raster; areas (and
        a ``min_area`` among ``kwargs``) in square metres, or square pixels without a CRS.
        ``written``: the rasters the run has written; a cancel or failure here removes them,
        so the run leaves all of its outputs or none."""
        if not out:
            return None
        from ..core.newlybuilt import ground_area_scale
        from ..core.raster import remove_outputs
        from ..core.vector import polygons_from_mask

        simplify = self.parameterAsDouble(parameters, self.SIMPLIFY, context)
        try:
            path, count = polygons_from_mask(
                mask,
                out,
                values=values,
                simplify=simplify,
                area_scale=ground_area_scale(mask),
                progress=progress,
                **kwargs,
            )
        except BaseException:
            remove_outputs(written.values())
            raise
        progress.info(f"{count} polygons written to {self._formats.destination(path)}")
        return path
