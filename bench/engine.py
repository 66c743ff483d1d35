"""Benchmark of the shared tiled engine: identity copy of a 3-band raster vs gdal_translate.

Prints wall time of the engine (read, identity, nodata handling, write a tiled DEFLATE GeoTIFF)
against ``gdal_translate`` with the same creation options (the ratio; goal <= 1.5), and the peak
RSS of the engine at 10000x10000 and 2000x2000 (goal: within 20 % of each other). Each run is a
fresh child process so peak RSS is its own. GDAL's block cache is capped at 32 MB for both tools
(GDAL_CACHEMAX), as it is a process-wide setting the engine does not own.

    .venv/bin/python bench/engine.py [--sizes 10000 2000] [--tile 1024] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE_MB = "32"  # GDAL block cache for both tools (process-wide; not the engine's to set)
sys.path.insert(0, str(ROOT))

from mssfc_qgis.core.raster import GTIFF_OPTIONS, Grid, create_raster  # noqa: E402

UTM33 = (
    'PROJCS["WGS 84 / UTM zone 33N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
    '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION['
    '"Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",15],'
    'PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER['
    '"false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32633"]]'
)


def make_input(path: Path, size: int) -> None:
    """A 3-band uint8 image with structure and noise (compresses like imagery), in strips."""
    grid = Grid(size, size, (500000.0, 0.5, 0.0, 4650000.0, 0.0, -0.5), UTM33)
    writer = create_raster(str(path), grid, bands=3, dtype="uint8", nodata=None)
    rng = np.random.default_rng(0)
    rows = 512
    for y in range(0, size, rows):
        h = min(rows, size - y)
        yy, xx = np.mgrid[y : y + h, 0:size]
        base = 110 + 50 * np.sin(xx / 37.0) * np.cos(yy / 23.0)
        data = np.stack([base, base * 0.9, base * 0.7]) + rng.normal(0, 6, (3, h, size))
        from mssfc_qgis.core.raster import Window

        writer.write(np.clip(data, 0, 255).astype(np.uint8), Window(0, y, size, h))
    writer.commit()


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_engine(src: str, dst: str, tile: int, workers: int) -> None:
    """Runs in a child process: identity copy through the engine."""
    from mssfc_qgis.core.engine import OutputSpec, run_windows
    from mssfc_qgis.core.raster import open_raster

    source = open_raster(src)
    t0 = time.perf_counter()
    run_windows(
        [source],
        lambda b: {"copy": b.data[0]},
        [OutputSpec("copy", dst, bands=3, dtype="uint8", nodata=None)],
        grid=source.grid,
        tile=tile,
        workers=workers,
    )
    wall = time.perf_counter() - t0
    rss = peak_rss_mb()
    print(json.dumps({"wall_s": wall, "peak_rss_mb": rss}))


def run_child(args: list[str]) -> dict[str, float]:
    env = dict(os.environ, GDAL_CACHEMAX=CACHE_MB)
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def gdal_translate(src: str, dst: str) -> float:
    env = dict(os.environ, GDAL_CACHEMAX=CACHE_MB)
    cmd = ["gdal_translate", "-q", src, dst]
    for opt in GTIFF_OPTIONS:
        cmd += ["-co", opt]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 2000])
    parser.add_argument("--tile", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        src, dst, tile, workers = args.child
        child_engine(src, dst, int(tile), int(workers))
        return
    print(f"machine: {platform.node()} {os.cpu_count()} cores, python {platform.python_version()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="mssfc_bench_") as tmp:
        for size in args.sizes:
            src = Path(tmp) / f"in_{size}.tif"
            make_input(src, size)
            t_gdal = gdal_translate(str(src), str(Path(tmp) / f"gdal_{size}.tif"))
            res = run_child(
                [str(src), str(Path(tmp) / f"eng_{size}.tif"), str(args.tile), str(args.workers)]
            )
            rows.append((size, res["wall_s"], t_gdal, res["wall_s"] / t_gdal, res["peak_rss_mb"]))
            for p in Path(tmp).glob(f"*_{size}.tif"):
                p.unlink()
    print(f"{'size':>7} {'engine s':>9} {'gdal_translate s':>17} {'ratio':>6} {'peak RSS MB':>12}")
    for size, te, tg, ratio, rss in rows:
        print(f"{size:>7} {te:>9.2f} {tg:>17.2f} {ratio:>6.2f} {rss:>12.0f}")
    if len(rows) >= 2:
        rss = [r[4] for r in rows]
        print(f"peak RSS spread across sizes: {100 * (max(rss) / min(rss) - 1):.1f}% (goal <= 20%)")


if __name__ == "__main__":
    main()
