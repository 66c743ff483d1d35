"""Finished outputs in the file format a user asked for (no QGIS).

Every tool writes GeoTIFF rasters and GeoPackage polygons. When a user saves an output under
another extension (``.img``, ``.shp``, ``.geojson`` ...), the tool writes its GeoTIFF or
GeoPackage first and this module then copies it into the GDAL/OGR format of that extension.
The copy is made in a hidden folder beside the destination and its files (with their sidecars:
``.shx``, ``.dbf``, ``.prj`` ...) are moved in only once it is complete, so a failure or a cancel
leaves nothing at the destination.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from osgeo import gdal, ogr

from .errors import Canceled, MssfcError
from .raster import check_writable

gdal.UseExceptions()
ogr.UseExceptions()

#: Extensions the tools write themselves (no copy needed).
NATIVE_RASTER_EXTENSIONS: tuple[str, ...] = ("tif", "tiff")
NATIVE_VECTOR_EXTENSIONS: tuple[str, ...] = ("gpkg",)

#: What the tools write, for messages.
_NATIVE_NAMES = {"raster": "GeoTIFF (.tif)", "vector": "GeoPackage (.gpkg)"}

#: The driver to pick where several writable GDAL drivers claim one extension.
_PREFERRED = {"tif": "GTiff", "tiff": "GTiff", "json": "GeoJSON", "sqlite": "SQLite"}
#: Formats that would only point at the tool's temporary file, which is deleted afterwards.
_REFERENCING = {"VRT", "OGR_VRT"}


def extension(path: str) -> str:
    """The lower-case extension of ``path`` without the dot ('' when there is none)."""
    return Path(path).suffix.lower().lstrip(".")


def native_extension(kind: str) -> str:
    """The extension the tools write for ``kind`` (``"raster"``: tif, ``"vector"``: gpkg)."""
    return (NATIVE_RASTER_EXTENSIONS if kind == "raster" else NATIVE_VECTOR_EXTENSIONS)[0]


def is_native(path: str, kind: str) -> bool:
    """True when the tools write ``path`` directly: a GeoTIFF raster or a GeoPackage vector
    (``kind`` is ``"raster"`` or ``"vector"``)."""
    native = NATIVE_RASTER_EXTENSIONS if kind == "raster" else NATIVE_VECTOR_EXTENSIONS
    return extension(path) in native


def _writable(driver: gdal.Driver, kind: str) -> bool:
    md = driver.GetMetadata() or {}
    capability = "DCAP_RASTER" if kind == "raster" else "DCAP_VECTOR"
    creates = md.get("DCAP_CREATE") == "YES" or md.get("DCAP_CREATECOPY") == "YES"
    return md.get(capability) == "YES" and creates


def driver_for(path: str, kind: str) -> str:
    """Name of the GDAL driver that writes ``kind`` (``"raster"`` or ``"vector"``) files with
    ``path``'s extension, e.g. ``"HFA"`` for ``.img`` or ``"ESRI Shapefile"`` for ``.shp``.

    Raises
    ------
    MssfcError
        No writable driver has that extension, or the format would only reference the tool's
        temporary file (VRT).
    """
    ext = extension(path)
    native = _NATIVE_NAMES[kind]
    if not ext:
        raise MssfcError(f"{path} has no file extension: add one, e.g. {native}.")
    candidates = []
    for i in range(gdal.GetDriverCount()):
        drv = gdal.GetDriver(i)
        extensions = (drv.GetMetadataItem("DMD_EXTENSIONS") or "").lower().split()
        if ext in extensions and _writable(drv, kind):
            candidates.append(drv.ShortName)
    if not candidates:
        raise MssfcError(
            f"GDAL writes no {kind} format with the extension .{ext} ({path}): save it as "
            f"{native} or another format GDAL can write."
        )
    preferred = _PREFERRED.get(ext, "")
    name = preferred if preferred in candidates else candidates[0]
    if name in _REFERENCING:
        raise MssfcError(
            f"A virtual .{ext} file would only point at the tool's temporary output, which is "
            f"deleted when it finishes: save {path} as {native} instead."
        )
    return name


@dataclass
class Exported:
    """What an export wrote: its ``files`` (the destination and its sidecars) and ``notes`` for
    the log."""

    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def remove(self) -> None:
        """Delete the written files (a later output of the same run failed)."""
        for f in self.files:
            with contextlib.suppress(OSError):
                os.remove(f)


@contextlib.contextmanager
def _staged(path: str, done: Exported) -> Iterator[Path]:
    """A hidden folder beside ``path`` (same file system) in which the copy is written under
    ``path``'s name; on success its files replace those at the destination (and are listed in
    ``done.files``), on failure the folder goes with whatever it holds."""
    check_writable(path)
    dest = Path(path).resolve()
    stage = Path(tempfile.mkdtemp(prefix=f".{dest.stem}.partial-", dir=dest.parent))
    try:
        yield stage / dest.name
        try:
            for item in sorted(stage.iterdir()):
                os.replace(item, dest.parent / item.name)
                done.files.append(str(dest.parent / item.name))
        except OSError:
            done.remove()  # not half a Shapefile
            raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _callback(is_canceled: Callable[[], bool] | None) -> tuple[Callable[..., int], list[bool]]:
    state = [False]

    def callback(_complete: float, _message: str, _data: object) -> int:
        state[0] = state[0] or bool(is_canceled and is_canceled())
        return 0 if state[0] else 1

    return callback, state


def export_raster(
    source: str,
    path: str,
    *,
    driver: str | None = None,
    is_canceled: Callable[[], bool] | None = None,
) -> Exported:
    """Copy the finished raster ``source`` to ``path`` in the format ``driver`` (default: the one
    of ``path``'s extension, :func:`driver_for`), keeping grid, CRS, nodata and band names where
    the format has them. Nothing is left at ``path`` when it fails or is canceled.
    """

    def write(target: str, name: str, callback: Callable[..., int]) -> list[str]:
        src = gdal.Open(source)
        out = gdal.GetDriverByName(name).CreateCopy(target, src, strict=0, callback=callback)
        if out is None:
            raise RuntimeError(gdal.GetLastErrorMsg() or "no dataset was written")
        out.FlushCache()
        out = None  # closed before its files move
        return []

    return _export(path, "raster", driver, is_canceled, write)


def export_vector(
    source: str,
    path: str,
    *,
    driver: str | None = None,
    is_canceled: Callable[[], bool] | None = None,
) -> Exported:
    """Copy the finished GeoPackage ``source`` to ``path`` in the format ``driver`` (default: the
    one of ``path``'s extension), with its CRS and fields. Nothing is left at ``path`` when it
    fails or is canceled. The notes name each field the format renamed (a Shapefile keeps 10
    characters of a name).
    """

    def write(target: str, name: str, callback: Callable[..., int]) -> list[str]:
        # quiet: GDAL would print each laundered field name; the notes say it in words
        gdal.PushErrorHandler("CPLQuietErrorHandler")
        try:
            # a CSV keeps the geometry only when asked: as WKT, which QGIS reads back
            options = ["GEOMETRY=AS_WKT"] if name == "CSV" else []
            out = gdal.VectorTranslate(
                target, source, format=name, layerCreationOptions=options, callback=callback
            )
        finally:
            gdal.PopErrorHandler()
        if out is None:
            raise RuntimeError(gdal.GetLastErrorMsg() or "no dataset was written")
        out = None  # closed before its fields are read and its files move
        renamed = _renamed_fields(source, target)
        return [f"{name} renamed the field {a} to {b}." for a, b in renamed]

    return _export(path, "vector", driver, is_canceled, write)


def _export(
    path: str,
    kind: str,
    driver: str | None,
    is_canceled: Callable[[], bool] | None,
    write: Callable[[str, str, Callable[..., int]], list[str]],
) -> Exported:
    """Run ``write(target, driver name, GDAL progress callback) -> notes`` into a staging folder
    beside ``path`` and move its files in; turn failures and cancels into the core's errors."""
    name = driver or driver_for(path, kind)
    callback, canceled = _callback(is_canceled)
    done = Exported()
    try:
        with _staged(path, done) as target:
            done.notes.extend(write(str(target), name, callback))
    except (RuntimeError, OSError) as exc:
        if canceled[0]:
            raise Canceled("Canceled by the user.") from None
        native = _NATIVE_NAMES[kind]
        raise MssfcError(
            f"Cannot write {path} as {name}: {exc}. Save it as {native} instead."
        ) from exc
    return done


def _field_names(path: str) -> list[str]:
    ds = ogr.Open(path)
    layer = ds.GetLayer(0)
    defn = layer.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    ds = None  # noqa: F841
    return names


def _renamed_fields(source: str, copy: str) -> list[tuple[str, str]]:
    """``(source name, copy name)`` of the fields whose names differ, matched by position."""
    return [(a, b) for a, b in zip(_field_names(source), _field_names(copy)) if a != b]
