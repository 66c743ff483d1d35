"""MSSFC building tools: a QGIS Processing plugin for building extraction and change detection.

``classFactory`` is QGIS's entry point. Importing this package touches neither QGIS nor ``iface``,
so its QGIS-free core (:mod:`mssfc_qgis.core`) is usable from plain Python.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def classFactory(iface: Any) -> Any:  # noqa: N802 (QGIS's name)
    """Return the plugin object QGIS loads; ``iface`` is kept, never used at import."""
    from .plugin import MssfcPlugin

    return MssfcPlugin(iface)
