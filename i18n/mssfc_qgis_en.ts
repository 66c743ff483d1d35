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

PREDICTION: a one-band mask raster (0/1 or 0/255, non-zero = building or change), a probability raster (floating point, 0-1, thresholded at THRESHOLD), or polygons. REFERENCE: a one-band mask raster or building polygons; it is brought onto the prediction's grid (nearest neighbour; reprojected if its CRS differs, and the log says so; polygons are rasterized). A black-and-white paletted mask (e.g. the WHU labels) is read by colour: white = building, black = background. An image, a colour-coded class map or (as reference) a probability raster is refused: make a 0/1 mask of it first. Polygons in a file with several layers (a GeoPackage) are read from the layer picked in QGIS (file.gpkg|layername=NAME). Only the common area is evaluated; AREA (polygons) limits it further.

THRESHOLD (0-1, probability predictions only): empty uses the threshold recorded in the prediction by the tool that made it (this plugin's probability and likelihood outputs record the one their mask used), else 0.5; the log says which.

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
        <source>Threshold for probability rasters (empty = recorded in it, else 0.5)</source>
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
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>{} is a {} layer; this tool reads polygon files (GeoPackage, Shapefile, GeoJSON). Save the layer as a GeoPackage first (Export &gt; Save Features As).</source>
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
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Every output is skipped: give at least one of OUTPUT_LIKELIHOOD, OUTPUT_MASK and OUTPUT_POLYGONS.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py"/>
        <source>Newly built buildings (MSSFC-Net)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py"/>
        <source>Minimum building area (square metres; pixels without a CRS)</source>
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
    <message>
        <location filename="../mssfc_qgis/algorithms/unsupervised_common.py"/>
        <source>Put the image on this raster's grid first (T1 of the pair; optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/provider.py"/>
        <source>MSSFC building tools</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Bands for red, green, blue (default 1, 2, 3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Second date's bands for red, green, blue (default: chosen as for the image)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Auto</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>CUDA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>CPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_extraction.py"/>
        <source>Finds buildings in an aerial or satellite image with MSSFC-Net. The image is fed as both dates (the paper's dual-image input scheme) and the building probability is the mean of the two building heads. With INPUT_T2 set, the pair is aligned (T2 resampled onto INPUT's grid, common area only) and the output is the buildings of INPUT_T2 as the network sees them beside INPUT. BANDS picks INPUT's red, green and blue, BANDS_T2 those of INPUT_T2.

Outputs: OUTPUT_MASK (uint8, 1 = building, nodata 255), OUTPUT_PROBABILITY (float32 0-1, nodata -1), optional OUTPUT_POLYGONS (GeoPackage, one polygon per building with its area in square metres (square pixels without a CRS) and mean probability; SIMPLIFY tolerance in map units).

MODEL: an .onnx file exported by this plugin's exporter (python -m mssfc_qgis.model.export), or a .pt checkpoint of its training CLI when torch is installed; empty uses the bundled weights. DEVICE: Auto uses the GPU (CUDA) when ONNX Runtime can, and says in the log which it used and why; CUDA fails with a clear message when it cannot. TILE_SIZE and OVERLAP (pixels; 0 and -1 take the model's recommendation): tiles overlap and are blended with smooth weights, so no seam shows. BATCH_SIZE: tiles per call. THRESHOLD: probability for the masks (empty: the model's own, per head, which the log lists; the bundled model cuts buildings at 0.30 and change at 0.50). The probability output records its threshold (metadata MSSFC_THRESHOLD), which the accuracy tool then uses. BANDS: which input bands feed the model's red, green and blue (default: the bands tagged red, green, blue, else the first three; a single-band image is repeated). 8-bit imagery is scaled by 1/255, 16-bit and float imagery by a per-band 0.5-99.5 percentile stretch. Nodata stays nodata in every output. RESAMPLE: when the input's ground resolution (its CRS's unit, feet or degrees, converted to metres) differs from the model's by more than 50 %, run at the model's resolution and resample the outputs back (nearest neighbour, so each mask is its probability at the threshold on every pixel).

MSSFC-Net: Huo et al., 'MSSFC-Net: Enhancing Building Interpretation with Multi-Scale Spatial-Spectral Feature Collaboration' (IEEE TGRS 2025). The network, its training and the bundled weights are this project's own implementation; see the model card.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>T1 bands for red, green, blue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>T2 bands for red, green, blue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>Buildings at T1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>Buildings at T2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_detection.py"/>
        <source>Finds building change (new and demolished buildings) between two images of the same area with MSSFC-Net, which also gives the buildings at each date. T2 is aligned onto T1's grid when their CRS, resolution or extent differ; only the common area is processed.

Outputs: OUTPUT_CHANGE (uint8, 1 = change, nodata 255), OUTPUT_PROBABILITY (change probability, float32 0-1, nodata -1), optional OUTPUT_BUILDINGS_T1 and OUTPUT_BUILDINGS_T2 (building masks), and optional OUTPUT_POLYGONS: one polygon per change region with its area (square metres; square pixels without a CRS), mean change probability, mean building probability at each date, and change_type: 'new building' (building at T2 only), 'demolished building' (T1 only) or 'modified' (both or neither).

MODEL: an .onnx file exported by this plugin's exporter (python -m mssfc_qgis.model.export), or a .pt checkpoint of its training CLI when torch is installed; empty uses the bundled weights. DEVICE: Auto uses the GPU (CUDA) when ONNX Runtime can, and says in the log which it used and why; CUDA fails with a clear message when it cannot. TILE_SIZE and OVERLAP (pixels; 0 and -1 take the model's recommendation): tiles overlap and are blended with smooth weights, so no seam shows. BATCH_SIZE: tiles per call. THRESHOLD: probability for the masks (empty: the model's own, per head, which the log lists; the bundled model cuts buildings at 0.30 and change at 0.50). The probability output records its threshold (metadata MSSFC_THRESHOLD), which the accuracy tool then uses. BANDS: which input bands feed the model's red, green and blue (default: the bands tagged red, green, blue, else the first three; a single-band image is repeated). 8-bit imagery is scaled by 1/255, 16-bit and float imagery by a per-band 0.5-99.5 percentile stretch. Nodata stays nodata in every output. RESAMPLE: when the input's ground resolution (its CRS's unit, feet or degrees, converted to metres) differs from the model's by more than 50 %, run at the model's resolution and resample the outputs back (nearest neighbour, so each mask is its probability at the threshold on every pixel).

MSSFC-Net: Huo et al., 'MSSFC-Net: Enhancing Building Interpretation with Multi-Scale Spatial-Spectral Feature Collaboration' (IEEE TGRS 2025). The network, its training and the bundled weights are this project's own implementation; see the model card.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built_deep.py"/>
        <source>The supervised counterpart of 'Newly built buildings (unsupervised)': new buildings only, where MSSFC-Net sees change AND a building at T2 AND no building at T1. Its outputs have the same schema as the unsupervised tool so the two can be compared side by side.

OUTPUT_LIKELIHOOD (float32 0-1): a fuzzy AND of the three conditions, min(change - t_c, building_T2 - t_b2, t_b1 - building_T1) + 0.5, so it is &gt;= 0.5 exactly where the mask is 1. OUTPUT_MASK (uint8, nodata 255). OUTPUT_POLYGONS (GeoPackage): one polygon per new building with area (square metres; square pixels without a CRS), gi (long / short side of its minimum-area rectangle), mean_likelihood, mean_ci (here: mean change probability) and mean_bi (here: mean building probability at T2). MIN_AREA drops smaller buildings from the polygons and from OUTPUT_MASK, as the unsupervised tool does.

MODEL: an .onnx file exported by this plugin's exporter (python -m mssfc_qgis.model.export), or a .pt checkpoint of its training CLI when torch is installed; empty uses the bundled weights. DEVICE: Auto uses the GPU (CUDA) when ONNX Runtime can, and says in the log which it used and why; CUDA fails with a clear message when it cannot. TILE_SIZE and OVERLAP (pixels; 0 and -1 take the model's recommendation): tiles overlap and are blended with smooth weights, so no seam shows. BATCH_SIZE: tiles per call. THRESHOLD: probability for the masks (empty: the model's own, per head, which the log lists; the bundled model cuts buildings at 0.30 and change at 0.50). The probability output records its threshold (metadata MSSFC_THRESHOLD), which the accuracy tool then uses. BANDS: which input bands feed the model's red, green and blue (default: the bands tagged red, green, blue, else the first three; a single-band image is repeated). 8-bit imagery is scaled by 1/255, 16-bit and float imagery by a per-band 0.5-99.5 percentile stretch. Nodata stays nodata in every output. RESAMPLE: when the input's ground resolution (its CRS's unit, feet or degrees, converted to metres) differs from the model's by more than 50 %, run at the model's resolution and resample the outputs back (nearest neighbour, so each mask is its probability at the threshold on every pixel).

MSSFC-Net: Huo et al., 'MSSFC-Net: Enhancing Building Interpretation with Multi-Scale Spatial-Spectral Feature Collaboration' (IEEE TGRS 2025). The network, its training and the bundled weights are this project's own implementation; see the model card.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Bands (both dates; default: all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Visible bands for brightness (default: automatic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>LVC angle tolerance theta (degrees)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Fusion weight phi of BLI in BI</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Likelihood threshold (empty = Otsu)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Maximum geometric index GI (long / short side)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Minimum object area (square metres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Proposed (ISFA + texture, MBI + BLI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>OBISFA (baseline)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>SFAMBI (baseline)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>SPETEXMBI (baseline)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Fusion</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Feature level (likelihood, default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Decision level (threshold CI and BI, then AND)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Product N(CI) x N(BI)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Weighted sum</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Weight of CI in a weighted-sum likelihood</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Weight a of spectral change in CI (ours)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Texture change measure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Standardized difference of the GLCM statistics (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>ISFA over the GLCM statistics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Texture (GLCM) window (pixels, odd)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>MBI shortest line (metres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>MBI longest line (metres; above the widest building)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>MBI line length step (metres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>LVC distance between segments (metres)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/newly_built.py"/>
        <source>Finds newly built buildings between two images with no trained weights: change intensity (ISFA spectral + texture) x building intensity of T2 (MBI + BLI), thresholded, then objects filtered by area and geometric index. It runs the step tools of this group in sequence (the model 'newlybuilt_chain' in resources/models chains them in the Graphical Modeler and gives the same result).

Parameters: ANGLE_TOLERANCE theta (degrees, default 4), FUSION_WEIGHT phi (0.4), THRESHOLD on the likelihood (0-1; empty = Otsu), MAX_ASPECT_RATIO GI (4), MIN_AREA (square metres, 20), BANDS (for both dates; default all), VISIBLE_BANDS (band numbers among BANDS whose maximum is the brightness of MBI, BLI and the texture; default: the bands tagged red, green, blue, else bands 1-3 of a 4-band image, else all; the log names them), METHOD (the proposed method, or the seed's baselines OBISFA, SFAMBI, SPETEXMBI for comparison: these run in memory, up to 25 megapixels), FUSION (feature level, or decision level as the seed compares). Lengths are in metres and follow the pixel size (PIXEL_SIZE overrides it; rasters without a CRS are taken as 0.5 m). The seed reports pixel-level P 0.692, R 0.683, F1 0.689 at its defaults.

Outputs: OUTPUT_LIKELIHOOD (float32 0-1), OUTPUT_MASK (uint8, 1 = newly built, after the GI filter; nodata 255), OUTPUT_POLYGONS (one polygon per new building with area in square metres, gi, mean_likelihood, mean_ci, mean_bi). Any of the three may be skipped, not all. THRESHOLD applies to feature-level fusion and to OBISFA and SFAMBI; decision-level fusion and SPETEXMBI threshold each layer by Otsu, and the log says the value is unused. The likelihood records its threshold (metadata MSSFC_THRESHOLD).

The stretches and Otsu are relative to the pair: on a pair where nothing was built the tool still marks its most building-like change (on a LEVIR-CD pair with no change, 14 % of the image). Check the result, or give THRESHOLD a value read on pairs of known change of the same kind.

Method: 'Automatic Detection of Newly Built Buildings Utilizing Change Information and Building Indices' (Buildings, MDPI, 2025, 15(21), 3946). Only its discussion survives; the steps are rebuilt from the methods it cites (ISFA: Wu, Du &amp; Zhang, IEEE TGRS 2014; MBI: Huang &amp; Zhang, PE&amp;RS 2011 and IEEE JSTARS 2012). Choices that are this project's own reconstruction are marked 'ours'.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>T1 bands (default: all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>T2 bands (default: all)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>Visible bands for the texture's brightness (default: automatic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/change_intensity.py"/>
        <source>Step 1 of the unsupervised newly-built method: how much each pixel changed between T1 and T2. Spectral change is Iterative Slow Feature Analysis (ISFA): each band is standardized per date, the generalized eigenproblem A w = lambda B w gives slow features, and T = sum SFA_j^2 / sigma_j^2 (chi-square for unchanged pixels) is re-weighted until the eigenvalues settle; it ignores linear radiometric differences (illumination, season). Texture change compares GLCM statistics (contrast, homogeneity, ASM, entropy, variance) of the brightness in a TEXTURE_WINDOW x TEXTURE_WINDOW window, 8 grey levels over the 1-99 percentile range of both dates (each date its own range when their spreads differ more than 4 times: another bit depth or sensor; ours): by default the norm of their standardized T2 - T1 difference (ours; TEXTURE_CHANGE can select ISFA over the statistics instead: the five statistics are strongly correlated, and ISFA then weights their least-changing, noisiest combinations most). CI = a N(T_spec) + (1 - a) N(T_tex) (the seed's Eq. 7, rebuilt; a = CI_WEIGHT, 0.5, ours), N a 1-99 percentile stretch to [0, 1]. ISFA and the stretches are fitted once on a sample of the whole image, then applied tile by tile.

T2 is aligned onto T1's grid when they differ (common area only). Both dates must give the same number of bands (BANDS_T1 and BANDS_T2, default all); ISFA uses them all, the texture the maximum of the VISIBLE_BANDS (T2 band numbers; default: the bands tagged red, green, blue, else bands 1-3 of a 4-band image (R, G, B, NIR or B, G, R, NIR), else all: a near-infrared band would make vegetation look bright). Outputs: OUTPUT (CI, float32 0-1), optional OUTPUT_COMPONENTS (the spectral ISFA components, one band each).

Method: 'Automatic Detection of Newly Built Buildings Utilizing Change Information and Building Indices' (Buildings, MDPI, 2025, 15(21), 3946). Only its discussion survives; the steps are rebuilt from the methods it cites (ISFA: Wu, Du &amp; Zhang, IEEE TGRS 2014; MBI: Huang &amp; Zhang, PE&amp;RS 2011 and IEEE JSTARS 2012). Choices that are this project's own reconstruction are marked 'ours'.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/mbi.py"/>
        <source>Visible bands (default: automatic)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/mbi.py"/>
        <source>Step 2: the Morphological Building Index (Huang &amp; Zhang 2011, 2012) of an image, high on bright, compact structures (roofs). Brightness b = maximum of the visible bands (BANDS; default: the bands tagged red, green, blue, else bands 1-3 of a 4-band image (R, G, B, NIR or B, G, R, NIR), else all: a near-infrared band would make vegetation look bright; the log names them). For 4 directions d and line lengths s from MBI_MIN_LENGTH to MBI_MAX_LENGTH by MBI_STEP (metres, converted with the pixel size), the white top-hat by reconstruction WTH(d, s) = b - reconstruction of b from its erosion by a line; the differential profile DMP(d, s) = |WTH(d, s + ds) - WTH(d, s)| and MBI = sum DMP / (D S). Because the lines are nested the sum telescopes to sum_d [WTH(d, s_max) - WTH(d, s_min)] / (D S): identical, about 6x less work. The reconstruction stops at a geodesic reach of MBI_MAX_LENGTH (ours): MBI becomes a local operator, so tiles are exact and fast; it raises the background a little compared with reconstruction to convergence. MBI_MAX_LENGTH must exceed the widest building (default 50 m). Output: raw MBI (float32, units of brightness). REFERENCE (optional, the pair's T1): the image is first resampled onto its grid, common area only, as mssfc:newlybuilt does, so a Modeler chain gives its result exactly (the model in resources/models does so).

Method: 'Automatic Detection of Newly Built Buildings Utilizing Change Information and Building Indices' (Buildings, MDPI, 2025, 15(21), 3946). Only its discussion survives; the steps are rebuilt from the methods it cites (ISFA: Wu, Du &amp; Zhang, IEEE TGRS 2014; MBI: Huang &amp; Zhang, PE&amp;RS 2011 and IEEE JSTARS 2012). Choices that are this project's own reconstruction are marked 'ours'.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/bli.py"/>
        <source>Step 3: the Building Line Index (the seed's own index, rebuilt): building outlines are made of perpendicular straight edges. Line segments are detected with LSD (OpenCV) on the brightness, the maximum of the visible bands (BANDS; default chosen as in the MBI tool). Two segments within LINE_DISTANCE (metres, true segment-to-segment distance) pass the Line segment Verticality Criterion when their acute angle differs from 90 degrees by at most ANGLE_TOLERANCE theta (seed: 4). Segments with a perpendicular partner, and the corner region each pair encloses (up to the longest MBI line), are drawn and smoothed by a 1 m Gaussian (ours); the density is scaled to [0, 1] by its 99th percentile over a sample of the image. An image with no such lines gives BLI = 0 (not NaN) and a log message. Outputs: OUTPUT (BLI, float32 0-1), optional OUTPUT_SEGMENTS (the kept segments as lines, with their length in metres). REFERENCE (optional, the pair's T1): the image is first resampled onto its grid, common area only, as mssfc:newlybuilt does, so a Modeler chain gives its result exactly (the model in resources/models does so).

Method: 'Automatic Detection of Newly Built Buildings Utilizing Change Information and Building Indices' (Buildings, MDPI, 2025, 15(21), 3946). Only its discussion survives; the steps are rebuilt from the methods it cites (ISFA: Wu, Du &amp; Zhang, IEEE TGRS 2014; MBI: Huang &amp; Zhang, PE&amp;RS 2011 and IEEE JSTARS 2012). Choices that are this project's own reconstruction are marked 'ours'.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/building_intensity.py"/>
        <source>Step 4: building intensity BI = phi * BLI + (1 - phi) * N(MBI) (the seed's Eq. 14, rebuilt), N a 1-99 percentile stretch of the MBI to [0, 1] fitted on the whole raster. FUSION_WEIGHT phi defaults to 0.4, the seed's best: MBI alone is precise (P 0.721, R 0.630), BLI alone finds more (R 0.758) with more false alarms (P 0.592). Inputs: the outputs of the BLI and MBI tools (any two single-band rasters; MBI is aligned onto BLI's grid). Output: BI (float32 0-1).

Method: 'Automatic Detection of Newly Built Buildings Utilizing Change Information and Building Indices' (Buildings, MDPI, 2025, 15(21), 3946). Only its discussion survives; the steps are rebuilt from the methods it cites (ISFA: Wu, Du &amp; Zhang, IEEE TGRS 2014; MBI: Huang &amp; Zhang, PE&amp;RS 2011 and IEEE JSTARS 2012). Choices that are this project's own reconstruction are marked 'ours'.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/likelihood.py"/>
        <source>Step 5: fuses change (CI) and building evidence at T2 (BI) into the likelihood of a newly built building, L = N(CI) * N(BI) (feature-level fusion, which the seed found better), or a weighted sum (LIKELIHOOD_MODE), N a 1-99 percentile stretch fitted on the whole raster. The mask is L &gt; THRESHOLD; empty THRESHOLD uses Otsu's threshold on L (the seed tunes it; its IoU peaks where precision ~ recall). FUSION = decision level instead thresholds N(CI) and N(BI) separately (Otsu) and keeps pixels above both, as the seed compares. Outputs: OUTPUT_LIKELIHOOD (float32 0-1), OUTPUT_MASK (uint8 1 = newly built, nodata 255), and the threshold used (THRESHOLD_USED). The stretch and Otsu are relative to the pair: where nothing was built the mask still marks the most building-like change.

Method: 'Automatic Detection of Newly Built Buildings Utilizing Change Information and Building Indices' (Buildings, MDPI, 2025, 15(21), 3946). Only its discussion survives; the steps are rebuilt from the methods it cites (ISFA: Wu, Du &amp; Zhang, IEEE TGRS 2014; MBI: Huang &amp; Zhang, PE&amp;RS 2011 and IEEE JSTARS 2012). Choices that are this project's own reconstruction are marked 'ours'.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Likelihood (optional, for attributes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Change intensity (optional, for attributes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Building intensity (optional, for attributes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/gi_filter.py"/>
        <source>Step 6: turns a newly-built mask into building objects. Connected regions (4-connected) become polygons (holes kept); those smaller than MIN_AREA (square metres, default 20; converted for rasters in degrees or feet through the pixel size, PIXEL_SIZE overrides it) or with a geometric index GI = long side / short side of the minimum-area rectangle above MAX_ASPECT_RATIO (default 4: roads, field edges and other elongated false alarms) are removed. The seed reports that GI filtering raised IoU by 0.023. Optional LIKELIHOOD, CI and BI rasters add mean_likelihood, mean_ci and mean_bi to each polygon. Outputs: OUTPUT_POLYGONS (area in square metres, gi, means) and OUTPUT_MASK (the kept objects, uint8).

Method: 'Automatic Detection of Newly Built Buildings Utilizing Change Information and Building Indices' (Buildings, MDPI, 2025, 15(21), 3946). Only its discussion survives; the steps are rebuilt from the methods it cites (ISFA: Wu, Du &amp; Zhang, IEEE TGRS 2014; MBI: Huang &amp; Zhang, PE&amp;RS 2011 and IEEE JSTARS 2012). Choices that are this project's own reconstruction are marked 'ours'.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Precision</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Recall</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>IoU (intersection over union)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>F1 score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Pixel accuracy (PA)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/accuracy.py"/>
        <source>Mean pixel accuracy (MPA)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>T1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>T2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>BUILDINGS T1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>BUILDINGS T2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../mssfc_qgis/algorithms/demo_scene.py"/>
        <source>CHANGE</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
