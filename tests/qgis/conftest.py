"""QGIS tier: a QgsApplication (pytest-qgis) with the provider registered once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def provider(qgis_app, qgis_processing):
    """The plugin's provider, registered in the Processing registry (and kept referenced)."""
    from qgis.core import QgsApplication

    from mssfc_qgis.provider import MssfcProvider

    registry = QgsApplication.processingRegistry()
    existing = registry.providerById("mssfc")
    if existing is not None:
        yield existing
        return
    prov = MssfcProvider()
    assert registry.addProvider(prov)
    yield prov
    registry.removeProvider(prov)
