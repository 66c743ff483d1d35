#!/usr/bin/env bash
# Lays out build/plugins/mssfc_qgis as QGIS expects an installed plugin (metadata.txt, resources/
# and i18n/ inside the plugin folder), with symlinks into this checkout so edits take effect.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/build/plugins/mssfc_qgis"
rm -rf "$dest"
mkdir -p "$dest"
for entry in "$root"/mssfc_qgis/*; do
  case "$(basename "$entry")" in __pycache__) continue ;; esac
  ln -s "$entry" "$dest/$(basename "$entry")"
done
for extra in metadata.txt resources i18n; do
  ln -s "$root/$extra" "$dest/$extra"
done
