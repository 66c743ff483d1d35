"""Exceptions raised by the core; the Processing layer turns them into ``QgsProcessingException``."""

from __future__ import annotations


class MssfcError(Exception):
    """Bad input or an impossible request. The message names the problem and the fix."""


class Canceled(Exception):
    """The user canceled the run; partial outputs have been removed."""


class MissingDependency(MssfcError):
    """An optional heavy package (torch, onnxruntime, OpenCV) is not installed."""


def unreadable(path: str, exc: Exception) -> MssfcError:
    """The error for a raster whose pixels GDAL cannot decode (a truncated or damaged file, a
    compression GDAL lacks): names the file, GDAL's reason and what to do."""
    return MssfcError(
        f"Cannot read the pixels of {path}: {_said(exc)}. The file is damaged, truncated "
        "or compressed in a way this GDAL cannot decode: check it with 'gdalinfo -checksum' and "
        "re-export or re-download it."
    )


def library_failure(exc: Exception) -> str:
    """The message for an error a library (GDAL, OpenCV, ONNX Runtime) raised that no check
    caught: its own words, and where to look."""
    return (
        f"The run stopped on an error from GDAL or another library: {_said(exc)}. If it "
        "names an input, that file is damaged or unreadable (check it with 'gdalinfo "
        "-checksum' and re-export it); if it names an output, check the free disk space and "
        "the folder's write permission. No output was written."
    )


def _said(exc: Exception) -> str:
    """An exception's message as one clause: trimmed, without its closing full stop."""
    return str(exc).strip().rstrip(".")
