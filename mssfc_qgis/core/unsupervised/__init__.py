"""Unsupervised newly built building detection (METHODS B): ISFA spectral and GLCM texture change,
MBI and BLI building evidence, fusion, and GI object filtering.

Every stage is a pure window function with its global statistics fitted beforehand
(``fit_*``, JSON-serialisable via ``to_dict``/``from_dict``) and a ``*_halo`` function, so a
tiled engine reproduces :func:`~mssfc_qgis.core.unsupervised.pipeline.newlybuilt_untiled`.
"""

from __future__ import annotations

from .pipeline import NewlyBuiltConfig, PixelParams, newlybuilt_untiled

__all__ = ["NewlyBuiltConfig", "PixelParams", "newlybuilt_untiled"]
