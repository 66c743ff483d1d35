"""MSSFC-Net in PyTorch: network, presets, losses, data, training and ONNX export.

Imports torch; nothing in the plugin's runtime path imports this package (the Processing tools run
the exported ONNX file through :mod:`mssfc_qgis.core.onnx_model`).
"""

from .network import HEADS, MSSFCNet, NetworkConfig
from .presets import PRESETS, get_config

__all__ = ["HEADS", "PRESETS", "MSSFCNet", "NetworkConfig", "build_model", "get_config"]


def build_model(preset: str = "compact", **overrides: object) -> MSSFCNet:
    """A freshly initialised :class:`MSSFCNet` of a named preset."""
    return MSSFCNet(get_config(preset, **overrides))
