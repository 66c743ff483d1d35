<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>MssfcAlgorithm</name>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="28"/>
        <source>Accuracy assessment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="30"/>
        <source>Measures how good a building or change map is against a reference, as the papers do, and writes a report a manager can read.

PREDICTION: a mask raster (non-zero = building or change), a probability raster (float, thresholded at THRESHOLD; empty uses 0.5, the bundled model's default, and says so), or polygons. REFERENCE: a mask raster or building polygons; it is brought onto the prediction's grid (nearest neighbour; reprojected if its CRS differs, and the log says so; polygons are rasterized). Only the common area is evaluated; AREA (polygons) limits it further.

Figures: the confusion matrix; pooled precision P = TP/(TP+FP), recall R = TP/(TP+FN), IoU = TP/(TP+FP+FN), F1 = 2PR/(P+R) (MSSFC-Net Eq. 11, TP/FP/FN summed over the whole map), PA (overall pixel accuracy) and MPA (mean of the per-class pixel accuracies); per-window figures and their mean (1024-px windows); object counts (buildings found, missed, false: connected components matched one-to-one at IoU &gt;= 0.5, counted per window); for probabilities, P, R, IoU and F1 over thresholds with the best threshold marked (cf. the newly-built paper's Fig. 6). A metric whose denominator is zero (e.g. an empty reference) is reported as undefined, not as 0.

Outputs: OUTPUT_REPORT (HTML, opens from the results viewer), OUTPUT_TABLE (CSV), OUTPUT_ERRORS (RGB raster: true positive white, false positive red, false negative blue, true negative black, outside the evaluation grey).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="96"/>
        <source>Object matching IoU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="64"/>
        <source>Prediction (mask or probability raster, or polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="71"/>
        <source>Reference (mask raster or polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="78"/>
        <source>Evaluation area (optional polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="86"/>
        <source>Threshold for probability rasters (empty = 0.5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="107"/>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="112"/>
        <source>Metrics table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="117"/>
        <source>Error map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py" line="127"/>
        <source>No layer was given for {} (or it could not be opened).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="23"/>
        <source>Deep learning (MSSFC-Net)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="24"/>
        <source>Newly built buildings (unsupervised)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="25"/>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="26"/>
        <source>Utilities</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="145"/>
        <source>Canceled: no output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="158"/>
        <source>No raster layer was given for {} (or it could not be opened).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="164"/>
        <source>{} is a {} layer; this tool reads files GDAL can open (GeoTIFF, PNG, JPEG, VRT). Save the layer as a GeoTIFF first (Export &gt; Save As).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py" line="195"/>
        <source>No destination was given for {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py" line="22"/>
        <source>Building line index (BLI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py" line="43"/>
        <source>Image (T2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py" line="47"/>
        <source>BLI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py" line="51"/>
        <source>Perpendicular line segments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py" line="23"/>
        <source>Building extraction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py" line="43"/>
        <source>Image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py" line="47"/>
        <source>Second date (optional: buildings of this date)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py" line="55"/>
        <source>Building mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py" line="59"/>
        <source>Building probability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py" line="65"/>
        <source>Building polygons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_intensity.py" line="21"/>
        <source>Building intensity (BLI + MBI fusion)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_intensity.py" line="38"/>
        <source>MBI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_intensity.py" line="41"/>
        <source>Building intensity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py" line="22"/>
        <source>Building change detection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py" line="47"/>
        <source>Change mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py" line="51"/>
        <source>Change probability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py" line="66"/>
        <source>Change polygons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py" line="21"/>
        <source>Change intensity (ISFA spectral + texture)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py" line="48"/>
        <source>Image T1 (before)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py" line="51"/>
        <source>Image T2 (after)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py" line="57"/>
        <source>Change intensity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py" line="62"/>
        <source>ISFA components</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="60"/>
        <source>Model (.onnx, or .pt with torch); empty = bundled weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="157"/>
        <source>Polygon simplification tolerance (map units, 0 = none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="68"/>
        <source>Device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="74"/>
        <source>Tile size (pixels, 0 = model's)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="83"/>
        <source>Tile overlap (pixels, -1 = model's)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="92"/>
        <source>Batch size (tiles)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="101"/>
        <source>Probability threshold (empty = model's default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="109"/>
        <source>Resample to the model's ground resolution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="211"/>
        <source>Could not export the checkpoint {} to ONNX.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py" line="178"/>
        <source>The bundled model {} is missing from this installation; reinstall the plugin or give a model file.</source>
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
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py" line="23"/>
        <source>Geometric index (GI) object filter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py" line="45"/>
        <source>Mask (1 = newly built)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py" line="60"/>
        <source>Newly built buildings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py" line="65"/>
        <source>Filtered mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py" line="68"/>
        <source>Objects kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py" line="22"/>
        <source>Likelihood fusion and threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py" line="50"/>
        <source>Likelihood</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py" line="54"/>
        <source>Newly built (before GI filter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py" line="57"/>
        <source>Threshold used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/mbi.py" line="21"/>
        <source>Morphological building index (MBI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py" line="86"/>
        <source>Newly built buildings (mask)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py" line="95"/>
        <source>Buildings found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py" line="23"/>
        <source>Newly built buildings (MSSFC-Net)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py" line="48"/>
        <source>Minimum building area (map units squared)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py" line="57"/>
        <source>New building likelihood</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py" line="61"/>
        <source>New buildings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py" line="66"/>
        <source>New building polygons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/unsupervised_common.py" line="251"/>
        <source>Pixel size in metres (0 = from the raster's CRS)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
