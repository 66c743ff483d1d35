"""Outputs loaded into the project get the bundled QML style (as from the desktop)."""

from __future__ import annotations

from mssfc_qgis.core.demo_scene import make_scene, write_scene


def test_run_and_load_applies_style(provider, tmp_path, qgis_iface):
    import processing
    from qgis.core import QgsProject

    paths = write_scene(make_scene(seed=2, size=128), tmp_path)
    QgsProject.instance().clear()
    processing.runAndLoadResults(
        "mssfc:buildinglineindex",
        {"INPUT": str(paths["t2"]), "OUTPUT": str(tmp_path / "bli.tif")},
    )
    layers = list(QgsProject.instance().mapLayers().values())
    assert layers, "the output was not added to the project"
    renderers = {layer.renderer().type() for layer in layers}
    assert "singlebandpseudocolor" in renderers
    QgsProject.instance().clear()
