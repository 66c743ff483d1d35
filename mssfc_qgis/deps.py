"""Optional heavy packages, imported only when a tool runs.

The plugin opens and its provider lists every tool without torch or onnxruntime; a tool that needs
a missing package says exactly how to install it.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from .core.errors import MissingDependency

#: module name -> pip requirement
PACKAGES = {
    "onnxruntime": "onnxruntime-gpu==1.23.2",
    "cv2": "opencv-python-headless==4.11.0.86",
    "skimage": "scikit-image==0.25.2",
    "scipy": "scipy==1.15.3",
    "torch": "torch==2.13.0",
    "matplotlib": "matplotlib==3.10.9",
}


def install_command(module: str) -> str:
    """The exact command that installs ``module`` into the Python QGIS runs."""
    return f'"{sys.executable}" -m pip install "{PACKAGES.get(module, module)}"'


def require(module: str, *, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependency` naming the install command."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(
            f"{purpose} needs the Python package {PACKAGES.get(module, module)!r}, which is not "
            f"installed in QGIS's Python. Install it with: {install_command(module)} "
            "(then restart QGIS)."
        ) from exc
