"""The QGIS plugin object: loads the translations and registers the Processing provider."""

from __future__ import annotations

from typing import Any

from qgis.core import QgsApplication

from .provider import MssfcProvider
from .translation import install_translator, remove_translator


class MssfcPlugin:
    """Registers :class:`MssfcProvider` in ``initProcessing`` (which ``qgis_process`` also calls),
    after installing the catalogue of QGIS's interface language, if the plugin has one."""

    def __init__(self, iface: Any) -> None:
        self.iface = iface
        self.provider: MssfcProvider | None = None
        self.translator = install_translator()

    def initProcessing(self) -> None:  # noqa: N802 (QGIS's name)
        """Add the provider to the Processing registry once."""
        if self.provider is None:
            self.provider = MssfcProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 (QGIS's name)
        """Desktop start-up: the provider is all the plugin adds."""
        self.initProcessing()

    def unload(self) -> None:
        """Remove the provider when the plugin is unloaded."""
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator(self.translator)
        self.translator = None
