<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>MssfcAlgorithm</name>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Accuracy assessment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Measures how good a building or change map is against a reference, as the papers do, and writes a report a manager can read.

PREDICTION: a mask raster (non-zero = building or change), a probability raster (float, thresholded at THRESHOLD; empty uses 0.5, the bundled model's default, and says so), or polygons. REFERENCE: a mask raster or building polygons; it is brought onto the prediction's grid (nearest neighbour; reprojected if its CRS differs, and the log says so; polygons are rasterized). Only the common area is evaluated; AREA (polygons) limits it further.

Figures: the confusion matrix; pooled precision P = TP/(TP+FP), recall R = TP/(TP+FN), IoU = TP/(TP+FP+FN), F1 = 2PR/(P+R) (MSSFC-Net Eq. 11, TP/FP/FN summed over the whole map), PA (overall pixel accuracy) and MPA (mean of the per-class pixel accuracies); per-window figures and their mean (1024-px windows); object counts (buildings found, missed, false: connected components matched one-to-one at IoU &gt;= 0.5, counted per window); for probabilities, P, R, IoU and F1 over thresholds with the best threshold marked (cf. the newly-built paper's Fig. 6). A metric whose denominator is zero (e.g. an empty reference) is reported as undefined, not as 0.

Outputs: OUTPUT_REPORT (HTML, opens from the results viewer), OUTPUT_TABLE (CSV), OUTPUT_ERRORS (RGB raster: true positive white, false positive red, false negative blue, true negative black, outside the evaluation grey).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Object matching IoU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Prediction (mask or probability raster, or polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Reference (mask raster or polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Evaluation area (optional polygons)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Threshold for probability rasters (empty = 0.5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Metrics table</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Error map</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>No layer was given for {} (or it could not be opened).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py"/>
        <source>Deep learning (MSSFC-Net)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py"/>
        <source>Newly built buildings (unsupervised)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py"/>
        <source>Evaluation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py"/>
        <source>Utilities</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py"/>
        <source>Canceled: no output was written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py"/>
        <source>No raster layer was given for {} (or it could not be opened).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py"/>
        <source>{} is a {} layer; this tool reads files GDAL can open (GeoTIFF, PNG, JPEG, VRT). Save the layer as a GeoTIFF first (Export &gt; Save As).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/base.py"/>
        <source>No destination was given for {}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py"/>
        <source>Building line index (BLI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py"/>
        <source>Image (T2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py"/>
        <source>BLI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py"/>
        <source>Perpendicular line segments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Building extraction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Second date (optional: buildings of this date)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Building mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Building probability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Building polygons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_intensity.py"/>
        <source>Building intensity (BLI + MBI fusion)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_intensity.py"/>
        <source>MBI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_intensity.py"/>
        <source>Building intensity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>Building change detection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>Change mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>Change probability</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>Change polygons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>Change intensity (ISFA spectral + texture)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>Image T1 (before)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>Image T2 (after)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>Change intensity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>ISFA components</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Model (.onnx, or .pt with torch); empty = bundled weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Polygon simplification tolerance (map units, 0 = none)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Tile size (pixels, 0 = model's)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Tile overlap (pixels, -1 = model's)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Batch size (tiles)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Probability threshold (empty = model's default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Resample to the model's ground resolution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>Could not export the checkpoint {} to ONNX.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/deep_common.py"/>
        <source>The bundled model {} is missing from this installation; reinstall the plugin or give a model file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>Generate demo scene</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>Writes a synthetic but realistic bi-temporal scene as GeoTIFFs in UTM zone 33N: buildings with roofs of several materials and cast shadows, roads, trees, grass and bare soil. T2 adds new buildings, removes a few, changes illumination and season and adds a small misregistration and sensor noise. Also writes the building masks at T1 and T2 and the change mask (new or demolished), so every tool of the provider can be tried and evaluated without data of your own.

SEED: the same seed gives the same scene. SIZE: pixels per side. PIXEL_SIZE: metres.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>Random seed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>Size (pixels per side)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>Pixel size (metres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>Output folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Geometric index (GI) object filter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Mask (1 = newly built)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Newly built buildings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Filtered mask</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Objects kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py"/>
        <source>Likelihood fusion and threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py"/>
        <source>Likelihood</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py"/>
        <source>Newly built (before GI filter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py"/>
        <source>Threshold used</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/mbi.py"/>
        <source>Morphological building index (MBI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Newly built buildings (mask)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Buildings found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py"/>
        <source>Newly built buildings (MSSFC-Net)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py"/>
        <source>Minimum building area (map units squared)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py"/>
        <source>New building likelihood</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py"/>
        <source>New buildings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py"/>
        <source>New building polygons</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/unsupervised_common.py"/>
        <source>Pixel size in metres (0 = from the raster's CRS)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
