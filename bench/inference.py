"""Benchmark of MSSFC-Net change detection through the tiled engine.

Prints, for one model and one device:

* end-to-end megapixels per second of change detection (read, scale, normalize, ONNX Runtime,
  blend, threshold, write the change mask and probability) on a ``--size`` square pair;
* the bare model's throughput on the same number of tiles of the same shape in the same run
  (ONNX Runtime alone, inputs already in memory); their ratio is the engine's efficiency
  (goal >= 0.85);
* peak RSS (VmHWM) of the end-to-end run at each of ``--rss-sizes`` (goal: flat within 20 %).

Each measurement runs in a fresh child process.

    .venv/bin/python bench/inference.py [--model path.onnx] [--device cpu|cuda|auto]
        [--size 4096] [--rss-sizes 2048 8192] [--batch 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_pair(folder: Path, size: int) -> tuple[str, str]:
    """A ``size``-square bi-temporal pair: the 1024 demo scene tiled (georeferenced GeoTIFFs)."""
    from mssfc_qgis.core.demo_scene import make_scene
    from mssfc_qgis.core.raster import Grid, Window, create_raster

    scene = make_scene(seed=1, size=1024)
    grid = Grid(size, size, scene.geotransform, scene.crs_wkt)
    paths = []
    for name, img in (("t1", scene.t1), ("t2", scene.t2)):
        writer = create_raster(
            str(folder / f"{name}_{size}.tif"), grid, bands=3, dtype="uint8", nodata=None
        )
        for y in range(0, size, 1024):
            for x in range(0, size, 1024):
                w, h = min(1024, size - x), min(1024, size - y)
                writer.write(img[:3, :h, :w], Window(x, y, w, h))
        paths.append(writer.commit())
    return paths[0], paths[1]


def child(args: argparse.Namespace) -> None:
    """One measurement, printed as JSON."""
    from mssfc_qgis.core.deep import InferenceOptions, open_pair, run_inference
    from mssfc_qgis.core.engine import tile_starts
    from mssfc_qgis.core.onnx_model import load_model

    model = load_model(args.model, device=args.device)
    t1, t2 = args.pair
    sources, grid, _ = open_pair(t1, t2, bands_t1=None, bands_t2=None, model=model)
    tile = args.tile or model.metadata.tile_size
    overlap = model.metadata.tile_overlap
    out = {}
    with tempfile.TemporaryDirectory(prefix="mssfc_inf_") as tmp:
        t0 = time.perf_counter()
        run_inference(
            "change",
            model,
            sources,
            grid,
            {"mask": f"{tmp}/change.tif", "probability": f"{tmp}/prob.tif"},
            options=InferenceOptions(tile=tile, overlap=overlap, batch=args.batch),
        )
        out["e2e_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = peak_rss_mb()
    if args.bare:
        th, tw = min(tile, grid.height), min(tile, grid.width)
        n = len(tile_starts(grid.height, th, overlap)) * len(tile_starts(grid.width, tw, overlap))
        rng = np.random.default_rng(0)
        x1 = rng.normal(size=(args.batch, 3, th, tw)).astype(np.float32)
        x2 = rng.normal(size=(args.batch, 3, th, tw)).astype(np.float32)
        model.predict(x1, x2)  # warm-up
        t0 = time.perf_counter()
        for _ in range(0, n, args.batch):
            model.predict(x1, x2)
        out["bare_s"] = time.perf_counter() - t0
        out["tiles"] = n
    out["provider"] = model.provider
    out["megapixels"] = grid.width * grid.height / 1e6
    print(json.dumps(out))


def run_child(args: argparse.Namespace, pair: tuple[str, str], *, bare: bool) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--model",
        args.model,
        "--device",
        args.device,
        "--batch",
        str(args.batch),
        "--tile",
        str(args.tile),
        "--pair",
        *pair,
    ]
    if bare:
        cmd.append("--bare")
    env = dict(os.environ, GDAL_CACHEMAX="32")  # as in bench/engine.py
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    from mssfc_qgis.paths import default_model_path

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(default_model_path()))
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--rss-sizes", type=int, nargs="*", default=[2048, 8192])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--tile", type=int, default=0, help="0 = the model's recommendation")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pair", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores; model {args.model}; device {args.device}"
    )
    print(f"date: {time.strftime('%Y-%m-%d')}")
    with tempfile.TemporaryDirectory(prefix="mssfc_inf_bench_") as tmp:
        pair = make_pair(Path(tmp), args.size)
        r = run_child(args, pair, bare=True)
        mp = r["megapixels"]
        print(f"provider: {r['provider']}; {r['tiles']} tiles")
        print("| size | end-to-end MP/s | bare model MP/s | efficiency | peak RSS MB |")
        print("| --- | --- | --- | --- | --- |")
        print(
            f"| {args.size} | {mp / r['e2e_s']:.3f} | {mp / r['bare_s']:.3f} | "
            f"{r['bare_s'] / r['e2e_s']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
        for size in args.rss_sizes:
            if size == args.size:
                continue
            p = make_pair(Path(tmp), size)
            rr = run_child(args, p, bare=False)
            print(
                f"| {size} | {rr['megapixels'] / rr['e2e_s']:.3f} | | | {rr['peak_rss_mb']:.0f} |"
            )
            for f in p:
                Path(f).unlink()


if __name__ == "__main__":
    main()
