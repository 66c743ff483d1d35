"""Output destinations: the tools write GeoTIFF and GeoPackage, the user may ask for any format.

An output saved under another extension (``.shp``, ``.img``, ``.geojson`` ...) is written as a
GeoTIFF or GeoPackage in a hidden folder beside it, then copied into the asked format once the
tool has finished (:mod:`mssfc_qgis.core.formats`). ``memory:`` (a PyQGIS habit) becomes a
temporary GeoPackage, as ``TEMPORARY_OUTPUT`` does. Database tables are refused with a clear
message: the provider says it writes files only, so QGIS does not offer them in its dialogs.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameters,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
    QgsProcessingUtils,
)
from qgis.PyQt.QtCore import QVariant

from ..core.errors import MssfcError
from ..core.formats import (
    Exported,
    driver_for,
    export_raster,
    export_vector,
    extension,
    is_native,
    native_extension,
)
from ..core.progress import Progress
from ..core.raster import check_writable, scratch_folder

#: Destinations that name a database table or a provider, not a file.
_NOT_FILES = ("ogr:", "postgres:", "postgis:", "spatialite:", "mssql:", "oracle:", "hana:")


def _names_a_table(destination: str) -> bool:
    """True when a destination names a database table or a provider, not a file."""
    return destination.lower().startswith(_NOT_FILES) or "dbname=" in destination


def output_kind(definition: QgsProcessingParameterDefinition | None) -> str | None:
    """``"raster"`` or ``"vector"`` for a layer destination parameter, else None."""
    if isinstance(definition, QgsProcessingParameterRasterDestination):
        return "raster"
    if isinstance(definition, QgsProcessingParameterVectorDestination):
        return "vector"
    return None


class OutputFormats:
    """Per run: which outputs are written natively first and copied to another format after."""

    def __init__(self) -> None:
        self._folders = contextlib.ExitStack()
        self._copies: dict[str, tuple[str, str]] = {}  # native path -> (destination, kind)

    def native_path(self, path: str, kind: str, name: str, context: QgsProcessingContext) -> str:
        """Where the tool writes the output ``name`` that the user sends to ``path``."""
        if kind == "vector" and path.lower().startswith("memory:"):
            temporary = QgsProcessingUtils.generateTempFilename(f"{name}.gpkg")
            _move_load_details(context, path, temporary)
            return temporary
        if _names_a_table(path):
            raise MssfcError(
                f"{name}: this tool writes files, not database tables ({path}). Save the output "
                "as a GeoPackage (.gpkg) or another file, then load it into the database."
            )
        if not extension(path):  # as QGIS's own tools do: the default format's extension
            named = f"{path}.{native_extension(kind)}"
            _move_load_details(context, path, named)
            check_writable(named)
            return named
        if is_native(path, kind):
            check_writable(path)  # before the run, not after its other outputs are written
            return path
        driver_for(path, kind)  # an unknown or virtual format fails now, not after the run
        check_writable(path)
        folder = self._folders.enter_context(
            scratch_folder(f".{Path(path).stem}.mssfc-", parent=str(Path(path).resolve().parent))
        )
        native = str(folder / f"{Path(path).stem}.{native_extension(kind)}")
        self._copies[native] = (path, kind)
        return native

    def destination(self, path: str) -> str:
        """The user's destination of a path :meth:`native_path` returned."""
        return self._copies.get(path, (path, ""))[0]

    def finish(self, results: dict[str, Any], progress: Progress) -> dict[str, Any]:
        """Copy every output written natively into its asked format; ``results`` with the
        destinations in place of the native paths."""
        done: list[Exported] = []
        try:
            for native, (dest, kind) in self._copies.items():
                if not os.path.exists(native):
                    continue  # the tool did not write this output
                export = export_raster if kind == "raster" else export_vector
                done.append(export(native, dest, is_canceled=progress.is_canceled))
        except BaseException:
            for exported in done:  # all of the run's outputs or none
                exported.remove()
            raise
        for exported in done:
            for note in exported.notes:
                progress.info(note)
        return {k: self.destination(v) if isinstance(v, str) else v for k, v in results.items()}

    def close(self) -> None:
        """Remove the native copies' folders."""
        self._folders.close()


def _move_load_details(context: QgsProcessingContext, old: str, new: str) -> None:
    """Load ``new`` on completion where QGIS was to load ``old`` (same name and project)."""
    if not context.willLoadLayerOnCompletion(old):
        return
    layers = context.layersToLoadOnCompletion()
    layers[new] = layers.pop(old)
    context.setLayersToLoadOnCompletion(layers)


def _file(path: str) -> str:
    """``path`` as an absolute file name, without a ``|layername=...`` suffix ('' if none)."""
    path = path.split("|", 1)[0].strip()
    return os.path.realpath(path) if path else ""


def is_skipped(value: Any) -> bool:
    """True when a destination parameter's value skips the output: None, QGIS's NULL (what
    ``qgis_process`` passes for ``NAME=``), an empty text or ``skip``."""
    if value is None or (isinstance(value, QVariant) and value.isNull()):
        return True
    return isinstance(value, str) and value.strip().lower() in ("", "skip")


def _destination_file(value: Any, context: QgsProcessingContext) -> str:
    """The file a destination parameter's value names, without side effects ('' for a skipped
    or temporary output, ``memory:`` or a table)."""
    if is_skipped(value):
        return ""
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.valueAsString(context.expressionContext())[0]
    text = "" if value is None else str(value)
    not_file = text.lower().startswith("memory:") or _names_a_table(text)
    return "" if not_file or text == QgsProcessing.TEMPORARY_OUTPUT else _file(text)


def _input_file(
    definition: QgsProcessingParameterDefinition,
    parameters: dict[str, Any],
    context: QgsProcessingContext,
) -> str:
    """The file behind an input parameter ('' when there is none)."""
    layer_types = (
        QgsProcessingParameterRasterLayer,
        QgsProcessingParameterVectorLayer,
        QgsProcessingParameterMapLayer,
    )
    if isinstance(definition, layer_types):
        layer = QgsProcessingParameters.parameterAsLayer(definition, parameters, context)
        return _file(layer.source()) if layer is not None else ""
    if isinstance(definition, QgsProcessingParameterFile):
        return _file(QgsProcessingParameters.parameterAsFile(definition, parameters, context))
    return ""


def overwrite_conflict(
    algorithm: QgsProcessingAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext
) -> str:
    """A message when an output would overwrite an input or another output of the same run
    (the input image would be lost, or one output would replace the other); '' when none."""
    inputs: dict[str, str] = {}
    for definition in algorithm.parameterDefinitions():
        if not definition.isDestination():
            path = _input_file(definition, parameters, context)
            if path:
                inputs.setdefault(path, definition.name())
    outputs: dict[str, str] = {}
    for definition in algorithm.destinationParameterDefinitions():
        name = definition.name()
        path = _destination_file(parameters.get(name), context)
        if not path:
            continue
        kind = output_kind(definition)
        if kind is not None and not extension(path):  # the run adds it (native_path)
            path = f"{path}.{native_extension(kind)}"
        if path in inputs:
            return (
                f"{name} would overwrite the input {inputs[path]} ({path}): choose another file "
                "for the output."
            )
        if path in outputs:
            return f"{name} and {outputs[path]} are the same file ({path}): give each its own."
        outputs[path] = name
    return ""
