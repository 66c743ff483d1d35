<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>MssfcAlgorithm</name>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="22"/>
        <source>Deep learning (MSSFC-Net)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="23"/>
        <source>Newly built buildings (unsupervised)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="24"/>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="25"/>
        <source>Utilities</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="144"/>
        <source>Canceled: no output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="157"/>
        <source>No raster layer was given for {} (or it could not be opened).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="163"/>
        <source>{} is a {} layer; this tool reads files GDAL can open (GeoTIFF, PNG, JPEG, VRT). Save the layer as a GeoTIFF first (Export &gt; Save As).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py" line="21"/>
        <source>Generate demo scene</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py" line="23"/>
        <source>Writes a synthetic but realistic bi-temporal scene as GeoTIFFs in UTM zone 33N: buildings with roofs of several materials and cast shadows, roads, trees, grass and bare soil. T2 adds new buildings, removes a few, changes illumination and season and adds a small misregistration and sensor noise. Also writes the building masks at T1 and T2 and the change mask (new or demolished), so every tool of the provider can be tried and evaluated without data of your own.

SEED: the same seed gives the same scene. SIZE: pixels per side. PIXEL_SIZE: metres.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py" line="42"/>
        <source>Random seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py" line="48"/>
        <source>Size (pixels per side)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py" line="59"/>
        <source>Pixel size (metres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py" line="68"/>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
