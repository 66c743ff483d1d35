#!/usr/bin/env bash
# Installs QGIS 3.22 LTR, GDAL and their Python bindings from Debian when they are missing.
# Idempotent: does nothing when qgis_process.bin, the qgis and osgeo modules and venv are present.
set -euo pipefail
if command -v qgis_process.bin >/dev/null 2>&1 \
   && /usr/bin/python3 -c 'import qgis.core, osgeo.gdal, venv, ensurepip' >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Need root (or sudo) to install QGIS with apt-get; run: apt-get install qgis python3-qgis qgis-providers gdal-bin python3-gdal python3-venv" >&2
    exit 1
  fi
fi
echo "Installing QGIS and GDAL from Debian (about 90 s)..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  qgis python3-qgis qgis-providers gdal-bin python3-gdal python3-venv python3-pip xauth >/dev/null
