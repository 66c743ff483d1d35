"""Shared test helpers: paths to the real data beside the repo, and small synthetic rasters."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from osgeo import osr

# The tests read ../shared/data, which is not ours: GDAL (and QGIS, loading a layer) would write
# statistics beside those files as .aux.xml. Set before GDAL reads it; qgis_process inherits it.
os.environ.setdefault("GDAL_PAM_ENABLED", "NO")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()


def shared_data(*parts: str) -> Path:
    """Path under ``../shared/data``; skips the test with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} (needs ../shared/data beside the repo)")
    return path


def run_qgis_process(algorithm: str, *params: str, timeout: int = 600) -> dict:
    """Run ``scripts/qgis_process --json run ALGORITHM -- PARAMS`` headless; assert it succeeded
    and return its ``results`` (output name -> value)."""
    out = subprocess.run(
        [str(REPO / "scripts" / "qgis_process"), "--json", "run", algorithm, "--", *params],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return json.loads(out.stdout[out.stdout.index("{") :])["results"]


def utm_wkt(epsg: int = 32633) -> str:
    """WKT of a UTM zone."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests are deterministic."""
    return np.random.default_rng(12345)
