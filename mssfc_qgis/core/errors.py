"""Exceptions raised by the core; the Processing layer turns them into ``QgsProcessingException``."""

from __future__ import annotations


class MssfcError(Exception):
    """Bad input or an impossible request. The message names the problem and the fix."""


class Canceled(Exception):
    """The user canceled the run; partial outputs have been removed."""


class MissingDependency(MssfcError):
    """An optional heavy package (torch, onnxruntime, OpenCV) is not installed."""
