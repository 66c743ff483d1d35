"""The plugin's translations: ``i18n/mssfc_qgis_<locale>.qm`` for QGIS's interface language.

Translators copy ``i18n/mssfc_qgis_en.ts`` (the catalogue ``make i18n`` writes) to
``mssfc_qgis_<locale>.ts`` and translate it in Qt Linguist; ``make i18n`` keeps their catalogues
in step with the code and ``make package`` compiles them into the ``.qm`` files loaded here.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QCoreApplication, QTranslator

from .paths import i18n_dir


def qm_path(locale: str, folder: Path | None = None) -> Path | None:
    """The compiled catalogue for ``locale`` (``de_AT`` falls back on ``de``), or None."""
    folder = folder or i18n_dir()
    for name in dict.fromkeys((locale, locale.split("_")[0])):
        path = folder / f"mssfc_qgis_{name}.qm"
        if name and path.is_file():
            return path
    return None


def install_translator(locale: str | None = None, folder: Path | None = None) -> QTranslator | None:
    """Load and install the catalogue for ``locale`` (default: QGIS's interface locale, which
    follows the user's override in the options). Returns the installed translator (keep it, to
    remove it on unload), or None when there is no catalogue for that language (English)."""
    path = qm_path(locale or QgsApplication.locale() or "", folder)
    if path is None:
        return None
    translator = QTranslator()
    if not translator.load(str(path)):
        return None
    QCoreApplication.installTranslator(translator)
    return translator


def remove_translator(translator: QTranslator | None) -> None:
    """Undo :func:`install_translator`."""
    if translator is not None:
        QCoreApplication.removeTranslator(translator)
