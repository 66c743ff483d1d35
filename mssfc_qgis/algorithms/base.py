"""What every algorithm of the provider shares: groups, icons, feedback, errors, styles."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from qgis.core import (
    QgsApplication,
    QgsMapLayer,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingParameterBand,
)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..core.errors import Canceled, MssfcError, library_failure
from ..core.raster import check_writable
from ..paths import icon_path, style_path
from .outputs import OutputFormats, is_skipped, output_kind, overwrite_conflict

GROUPS = {
    "deep": "Deep learning (MSSFC-Net)",
    "unsupervised": "Newly built buildings (unsupervised)",
    "evaluation": "Evaluation",
    "utilities": "Utilities",
}


#: The tiled tools compute at most this many tiles at once, whatever the core count (memory
#: grows with each tile in flight, about 100 MB each for the newly built pipeline).
MAX_WORKERS = 8


def compute_workers() -> int:
    """Threads for the tiled tools: QGIS's "Max cores to use" (Settings > Options > Rendering),
    or every core when it is unset, at most :data:`MAX_WORKERS`."""
    n = QgsApplication.maxThreads()
    if n is None or n < 1:
        n = os.cpu_count() or 2
    return max(1, min(int(n), MAX_WORKERS))


def tr(text: str) -> str:
    """Translate a user-visible string (context ``MssfcAlgorithm``)."""
    return QCoreApplication.translate("MssfcAlgorithm", text)


def missing_package_message(exc: ImportError, tool: str) -> str:
    """What to install when ``exc`` says a package is missing: the exact command for QGIS's
    Python (:func:`mssfc_qgis.deps.install_command`), as the deep tools' own check says it."""
    from ..deps import PACKAGES, install_command

    module = (exc.name or "").split(".")[0]
    if not module:
        return f"{tool} could not import a package it needs: {exc}"
    return (
        f"{tool} needs the Python package {PACKAGES.get(module, module)!r}, which is not "
        f"installed in QGIS's Python. Install it with: {install_command(module)} (then restart "
        "QGIS)."
    )


class FeedbackProgress:
    """Adapts ``QgsProcessingFeedback`` to the core's ``Progress`` protocol. A warning is shown
    once per run: the stages of an end-to-end tool check the same things again."""

    def __init__(self, feedback: QgsProcessingFeedback | None) -> None:
        self.feedback = feedback or QgsProcessingFeedback()
        self._warned: set[str] = set()

    def set_progress(self, percent: float) -> None:  # noqa: D102
        self.feedback.setProgress(percent)

    def is_canceled(self) -> bool:  # noqa: D102
        return bool(self.feedback.isCanceled())

    def info(self, message: str) -> None:  # noqa: D102
        self.feedback.pushInfo(message)

    def warning(self, message: str) -> None:  # noqa: D102
        if message not in self._warned:
            self._warned.add(message)
            self.feedback.pushWarning(message)


class StyleSetter(QgsProcessingLayerPostProcessorInterface):
    """Applies a bundled QML style to an output layer once QGIS loads it into the project."""

    _alive: ClassVar[list[StyleSetter]] = []  # QGIS holds no Python reference to these

    def __init__(self, qml: str) -> None:
        super().__init__()
        self.qml = qml

    def postProcessLayer(  # noqa: N802 (QGIS's name)
        self, layer: QgsMapLayer, context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> None:
        """Load the style into ``layer``."""
        if layer is not None and layer.isValid():
            layer.loadNamedStyle(self.qml)
            layer.triggerRepaint()

    @classmethod
    def create(cls, qml: str) -> StyleSetter:
        """A setter kept alive for the session."""
        inst = cls(qml)
        cls._alive.append(inst)
        return inst


class MssfcAlgorithm(QgsProcessingAlgorithm):
    """Base class: subclasses set ``NAME``, ``DISPLAY``, ``GROUP``, ``HELP`` and implement
    ``define(config)`` and ``execute(parameters, context, progress)``."""

    NAME: ClassVar[str] = ""
    DISPLAY: ClassVar[str] = ""
    GROUP: ClassVar[str] = "utilities"
    HELP: ClassVar[str] = ""

    def tr(self, text: str) -> str:
        """Translate ``text``."""
        return tr(text)

    def createInstance(self) -> MssfcAlgorithm:  # noqa: N802 (QGIS's name)
        """A fresh instance of the same class."""
        return type(self)()

    def name(self) -> str:
        """Lowercase id, e.g. ``newlybuilt`` (``mssfc:newlybuilt`` with the provider's id)."""
        return self.NAME

    def displayName(self) -> str:  # noqa: N802 (QGIS's name)
        """Name shown in the toolbox."""
        return self.tr(self.DISPLAY)

    def group(self) -> str:
        """Toolbox group."""
        return self.tr(GROUPS[self.GROUP])

    def groupId(self) -> str:  # noqa: N802 (QGIS's name)
        """Toolbox group id."""
        return self.GROUP

    def shortHelpString(self) -> str:  # noqa: N802 (QGIS's name)
        """Help shown beside the parameters."""
        return self.tr(self.HELP)

    def icon(self) -> QIcon:
        """The group's icon."""
        return QIcon(str(icon_path(self.GROUP)))

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        """Declare parameters (see ``define``)."""
        self.define(config or {})

    def define(self, config: dict[str, Any]) -> None:
        """Subclasses add their parameters here."""
        raise NotImplementedError

    def execute(
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        """Subclasses do the work here, calling the core."""
        raise NotImplementedError

    def checkParameterValues(  # noqa: N802 (QGIS's name)
        self, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> tuple[bool, str]:
        """QGIS's checks, then: no output may overwrite an input or another output."""
        ok, message = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, message
        conflict = overwrite_conflict(self, parameters, context)
        return (False, conflict) if conflict else (True, "")

    def processAlgorithm(  # noqa: N802 (QGIS's name)
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        """Run, turning core errors into ``QgsProcessingException`` with their message."""
        progress = FeedbackProgress(feedback)
        self.__dict__["_output_formats"] = OutputFormats()
        try:
            results = self.execute(parameters, context, progress)
            return self._formats.finish(results, progress)
        except Canceled as exc:
            raise QgsProcessingException(self.tr("Canceled: no output was written.")) from exc
        except MssfcError as exc:
            raise QgsProcessingException(str(exc)) from exc
        except (RuntimeError, OSError) as exc:  # GDAL's, ONNX Runtime's, the disk's: unforeseen
            raise QgsProcessingException(library_failure(exc)) from exc
        except ImportError as exc:  # a package the tool imports when it runs is missing
            raise QgsProcessingException(missing_package_message(exc, self.displayName())) from exc
        finally:
            self._formats.close()

    @property
    def _formats(self) -> OutputFormats:
        """This run's output formats (QGIS runs each execution on a fresh instance)."""
        formats = self.__dict__.get("_output_formats")
        if formats is None:
            formats = self.__dict__["_output_formats"] = OutputFormats()
        return formats

    # --- helpers for subclasses ------------------------------------------------------------

    def raster_source(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> str:
        """File path of a raster layer parameter (GDAL-readable), or a clear error."""
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            raise QgsProcessingException(
                self.tr("No raster layer was given for {} (or it could not be opened).").format(
                    name
                )
            )
        if layer.providerType() != "gdal":
            raise QgsProcessingException(
                self.tr(
                    "{} is a {} layer; this tool reads files GDAL can open (GeoTIFF, PNG, JPEG, "
                    "VRT). Save the layer as a GeoTIFF first (Export > Save As)."
                ).format(layer.name(), layer.providerType())
            )
        return layer.source()

    def optional_raster_source(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> str | None:
        """Like :meth:`raster_source` but None when the parameter is empty."""
        if parameters.get(name) in (None, ""):
            return None
        return self.raster_source(parameters, name, context)

    def output_path(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> str | None:
        """Destination path of an output parameter; None when an optional output is skipped."""
        if is_skipped(parameters.get(name)):
            return None
        path = self.parameterAsOutputLayer(parameters, name, context)
        if not path:
            return None
        kind = output_kind(self.parameterDefinition(name))
        if kind is None:  # a report, a table: checked before the run as the layers are
            check_writable(path)
            return path
        return self._formats.native_path(path, kind, name, context)

    def required_output(
        self, parameters: dict[str, Any], name: str, context: QgsProcessingContext
    ) -> str:
        """Destination path of a mandatory output parameter."""
        path = self.output_path(parameters, name, context)
        if not path:
            raise QgsProcessingException(self.tr("No destination was given for {}.").format(name))
        return path

    def add_bands(self, name: str, parent: str, label: str) -> None:
        """An optional multi-band choice tied to the raster parameter ``parent``."""
        self.addParameter(
            QgsProcessingParameterBand(
                name, self.tr(label), None, parent, optional=True, allowMultiple=True
            )
        )

    def style(self, context: QgsProcessingContext, path: str | None, style: str) -> None:
        """Apply ``resources/styles/<style>.qml`` when ``path`` (as :meth:`output_path` gave it)
        is loaded into the project."""
        path = path and self._formats.destination(path)
        if path and context.willLoadLayerOnCompletion(path):
            qml = style_path(style)
            if qml.exists():
                details = context.layerToLoadOnCompletionDetails(path)
                details.setPostProcessor(StyleSetter.create(str(qml)))

    @staticmethod
    def bands(value: Any) -> list[int] | None:
        """A band parameter's value as 1-based band numbers (None for the default)."""
        if value in (None, "", []):
            return None
        if isinstance(value, list | tuple):
            return [int(v) for v in value]
        return [int(v) for v in str(value).replace(";", ",").split(",") if v.strip()]
