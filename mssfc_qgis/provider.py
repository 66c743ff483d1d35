"""The Processing provider "MSSFC building tools" (id ``mssfc``): lists its algorithms explicitly.

Algorithm modules import only QGIS and the standard library at load time, so the provider lists
every tool even when numpy-heavy or deep-learning packages are missing; each tool imports what it
needs when it runs.
"""

from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from . import __version__
from .algorithms.base import tr
from .paths import icon_path


def algorithm_classes() -> list[type]:
    """Every algorithm class of the provider, in toolbox order."""
    from .algorithms.accuracy import AccuracyAlgorithm
    from .algorithms.bli import BliAlgorithm
    from .algorithms.building_extraction import BuildingExtractionAlgorithm
    from .algorithms.building_intensity import BuildingIntensityAlgorithm
    from .algorithms.change_detection import ChangeDetectionAlgorithm
    from .algorithms.change_intensity import ChangeIntensityAlgorithm
    from .algorithms.demo_scene import DemoSceneAlgorithm
    from .algorithms.gi_filter import GiFilterAlgorithm
    from .algorithms.likelihood import LikelihoodAlgorithm
    from .algorithms.mbi import MbiAlgorithm
    from .algorithms.newly_built import NewlyBuiltAlgorithm
    from .algorithms.newly_built_deep import NewlyBuiltDeepAlgorithm

    classes: list[type] = [
        BuildingExtractionAlgorithm,
        ChangeDetectionAlgorithm,
        NewlyBuiltDeepAlgorithm,
        NewlyBuiltAlgorithm,
        ChangeIntensityAlgorithm,
        MbiAlgorithm,
        BliAlgorithm,
        BuildingIntensityAlgorithm,
        LikelihoodAlgorithm,
        GiFilterAlgorithm,
        AccuracyAlgorithm,
        DemoSceneAlgorithm,
    ]
    return classes


class MssfcProvider(QgsProcessingProvider):
    """Processing provider for the plugin's tools."""

    def id(self) -> str:
        """Provider id: tools are ``mssfc:<name>``."""
        return "mssfc"

    def name(self) -> str:
        """Name shown in the toolbox."""
        return tr("MSSFC building tools")

    def longName(self) -> str:  # noqa: N802 (QGIS's name)
        """Name with version."""
        return f"{self.name()} {__version__}"

    def icon(self) -> QIcon:
        """Provider icon."""
        return QIcon(str(icon_path("mssfc")))

    def svgIconPath(self) -> str:  # noqa: N802 (QGIS's name)
        """Provider icon path."""
        return str(icon_path("mssfc"))

    def supportsNonFileBasedOutput(self) -> bool:  # noqa: N802 (QGIS's name)
        """The tools write files (any GDAL/OGR format, see ``algorithms/outputs.py``); QGIS then
        offers no database-table destinations in their dialogs."""
        return False

    def defaultRasterFileExtension(self) -> str:  # noqa: N802 (QGIS's name)
        """Temporary raster outputs: GeoTIFF, which the tools write directly."""
        return "tif"

    def defaultVectorFileExtension(self, hasGeometry: bool = True) -> str:  # noqa: N802, N803
        """Temporary vector outputs: GeoPackage, which the tools write directly."""
        return "gpkg"

    def loadAlgorithms(self) -> None:  # noqa: N802 (QGIS's name)
        """Register one instance of each algorithm."""
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
