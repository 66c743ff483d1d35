"""Build the installable plugin zip: ``mssfc_qgis/`` with ``metadata.txt``, ``resources/``,
``i18n/``, the README and the licence inside the plugin folder, no caches or tests.

The translated catalogues ``i18n/mssfc_qgis_<locale>.ts`` are compiled into the ``.qm`` files the
plugin loads, with Qt's ``lrelease`` (Debian: ``apt-get install qttools5-dev-tools``); without it
the zip ships the catalogues only and the tools show English.

    python scripts/package.py --output dist/mssfc_qgis-0.1.0.zip
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
# .qm: compiled catalogues are build products, made fresh from the .ts by compile_translations
SKIP_SUFFIXES = {".pyc", ".pyo", ".pt", ".ckpt", ".qm"}


def _files(folder: Path) -> list[Path]:
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not SKIP_PARTS & set(p.parts) and p.suffix not in SKIP_SUFFIXES
    ]


def compile_translations(folder: Path, out: Path) -> list[Path]:
    """``lrelease`` every translated catalogue in ``folder`` (all but the English source
    catalogue) into ``out``; returns the ``.qm`` files (none when ``lrelease`` is missing)."""
    sources = [p for p in sorted(folder.glob("mssfc_qgis_*.ts")) if p.stem != "mssfc_qgis_en"]
    tool = shutil.which("lrelease")
    if sources and tool is None:
        print(
            "lrelease not found (apt-get install qttools5-dev-tools): the translations "
            f"({', '.join(p.name for p in sources)}) are not compiled; the tools will show English"
        )
        return []
    compiled = []
    for ts in sources:
        qm = out / f"{ts.stem}.qm"
        subprocess.run([str(tool), "-silent", str(ts), "-qm", str(qm)], check=True)
        compiled.append(qm)
    return compiled


def build(output: Path) -> Path:
    """Write the zip and return its path."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with (
        zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for qm in compile_translations(ROOT / "i18n", Path(tmp)):
            zf.write(qm, Path("mssfc_qgis") / "i18n" / qm.name)
        for path in _files(ROOT / "mssfc_qgis"):
            zf.write(path, Path("mssfc_qgis") / path.relative_to(ROOT / "mssfc_qgis"))
        for extra in ("resources", "i18n"):
            for path in _files(ROOT / extra):
                zf.write(path, Path("mssfc_qgis") / path.relative_to(ROOT))
        # the QGIS plugin repository refuses a plugin without its LICENSE
        for name in ("metadata.txt", "README.md", "CHANGELOG.md", "LICENSE"):
            zf.write(ROOT / name, Path("mssfc_qgis") / name)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    path = build(args.output)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
