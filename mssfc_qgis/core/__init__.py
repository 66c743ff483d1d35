"""QGIS-free core of the plugin: numpy, GDAL, scipy, OpenCV, torch and onnxruntime only.

Nothing under this package may import ``qgis`` or PyQt: the science is tested without QGIS and the
same code runs from a script or a cluster.
"""
