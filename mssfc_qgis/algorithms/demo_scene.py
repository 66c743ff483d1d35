"""Utilities > Generate demo scene: a synthetic bi-temporal GeoTIFF pair with building masks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingOutputRasterLayer,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
)

from ..core.errors import Canceled
from .base import FeedbackProgress, MssfcAlgorithm


class DemoSceneAlgorithm(MssfcAlgorithm):
    """Writes the project's deterministic demo scene (the default input of ``make demo``)."""

    NAME = "demoscene"
    DISPLAY = "Generate demo scene"
    GROUP = "utilities"
    HELP = (
        "Writes a synthetic but realistic bi-temporal scene as GeoTIFFs in UTM zone 33N: "
        "buildings with roofs of several materials and cast shadows, roads, trees, grass and bare "
        "soil. T2 adds new buildings, removes a few, changes illumination and season and adds a "
        "small misregistration and sensor noise. Also writes the building masks at T1 and T2 and "
        "the change mask (new or demolished), so every tool of the provider can be tried and "
        "evaluated without data of your own.\n\n"
        "SEED: the same seed gives the same scene. SIZE: pixels per side. PIXEL_SIZE: metres."
    )

    SEED = "SEED"
    SIZE = "SIZE"
    PIXEL_SIZE = "PIXEL_SIZE"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    OUTPUTS = ("T1", "T2", "BUILDINGS_T1", "BUILDINGS_T2", "CHANGE")

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(
            QgsProcessingParameterNumber(
                self.SEED, self.tr("Random seed"), QgsProcessingParameterNumber.Integer, 0, False, 0
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.SIZE,
                self.tr("Size (pixels per side)"),
                QgsProcessingParameterNumber.Integer,
                1024,
                False,
                128,
                8192,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.PIXEL_SIZE,
                self.tr("Pixel size (metres)"),
                QgsProcessingParameterNumber.Double,
                0.5,
                False,
                0.1,
                5.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(self.OUTPUT_FOLDER, self.tr("Output folder"))
        )
        for key in self.OUTPUTS:
            self.addOutput(QgsProcessingOutputRasterLayer(key, self.tr(key.replace("_", " "))))

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.demo_scene import make_scene, write_scene

        folder = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context)
        # the generator asks nothing while it draws (20 s at 3000 px): it runs on a thread of
        # its own, and a cancel returns at once, its scene discarded unwritten
        pool = ThreadPoolExecutor(max_workers=1)
        job = pool.submit(
            make_scene,
            seed=self.parameterAsInt(parameters, self.SEED, context),
            size=self.parameterAsInt(parameters, self.SIZE, context),
            pixel_size=self.parameterAsDouble(parameters, self.PIXEL_SIZE, context),
        )
        pool.shutdown(wait=False)
        while not wait([job], timeout=0.2).done:
            if progress.is_canceled():
                raise Canceled("Canceled by the user.")
        paths = write_scene(job.result(), folder, is_canceled=progress.is_canceled)
        progress.info(f"Demo scene written to {folder}")
        result: dict[str, Any] = {self.OUTPUT_FOLDER: folder}
        for key in self.OUTPUTS:
            result[key] = str(paths[key.lower()])
        return result
