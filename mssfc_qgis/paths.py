"""Where the plugin's bundled files live, in a checkout and in an installed plugin zip."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """The ``resources/`` folder: inside the package when installed from the zip, beside it in a
    checkout."""
    for candidate in (PACKAGE_DIR / "resources", PACKAGE_DIR.parent / "resources"):
        if candidate.is_dir():
            return candidate
    return PACKAGE_DIR / "resources"


def i18n_dir() -> Path:
    """The ``i18n/`` folder (translation catalogues): inside the package when installed from the
    zip, beside it in a checkout."""
    for candidate in (PACKAGE_DIR / "i18n", PACKAGE_DIR.parent / "i18n"):
        if candidate.is_dir():
            return candidate
    return PACKAGE_DIR / "i18n"


def icon_path(name: str) -> Path:
    """Path of ``resources/icons/<name>.svg``."""
    return resources_dir() / "icons" / f"{name}.svg"


def style_path(name: str) -> Path:
    """Path of ``resources/styles/<name>.qml``."""
    return resources_dir() / "styles" / f"{name}.qml"


def default_model_path() -> Path:
    """The bundled MSSFC-Net ONNX weights."""
    return PACKAGE_DIR / "weights" / "mssfc_compact.onnx"
