"""Processing algorithms: one per module, each a thin layer over :mod:`mssfc_qgis.core`."""
