"""Benchmark of the unsupervised newly built building pipeline (METHODS B), tiled on rasters.

Prints megapixels per second of every stage (change intensity, MBI, BLI, building intensity,
likelihood, objects) and of the whole pipeline (``newlybuilt``) on a synthetic bi-temporal pair
(``demo_scene``), the peak RSS of the whole pipeline, and the speed ratio of the telescoping MBI
to the direct DMP sum on a 1024 x 1024 brightness image (identical output, checked). Every
measurement runs in a fresh child process, so its peak RSS (VmHWM) is its own; each is repeated
and the best time is kept (the machine may be shared). GDAL's block cache is capped at 32 MB
(GDAL_CACHEMAX), a process-wide setting the pipeline does not own. Goals: whole pipeline
>= 1 MP/s on 2 cores, MBI ratio >= 5x.

    .venv/bin/python bench/newlybuilt.py [--size 4096] [--workers 2] [--repeat 3] [--quick]
        [--data DIR] [--mosaic K] [--cache-mb MB]

``--quick`` runs on a 1024 x 1024 pair; ``--data DIR`` keeps the generated pair in DIR and reuses
it on the next run (generating a 4096 pair takes a minute or two). ``--mosaic K`` runs only the
whole pipeline, on a K x K mosaic of that pair (``--mosaic 5``: 20480 x 20480, 419 MP; about 2.3 GB
of compressed input and 10 GB of scratch space), to show that memory does not grow with the image.
``--cache-mb 0`` leaves GDAL's block cache at its default (5 % of RAM) instead of 32 MB.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE_MB = 32
sys.path.insert(0, str(ROOT))

from mssfc_qgis.core import newlybuilt as nb  # noqa: E402
from mssfc_qgis.core.demo_scene import make_scene, write_scene  # noqa: E402
from mssfc_qgis.core.unsupervised import mbi  # noqa: E402

STAGES: tuple[str, ...] = ("ci", "mbi", "bli", "bi", "likelihood", "objects")
LABELS = {
    "ci": "change intensity",
    "mbi": "MBI",
    "bli": "BLI",
    "bi": "building intensity",
    "likelihood": "likelihood",
    "objects": "objects",
    "pipeline": "whole pipeline (newlybuilt)",
}


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stage_call(stage: str, data: Path, work: Path, workers: int) -> Callable[[], object]:
    """The call that runs ``stage`` on the pair in ``data``, reading and writing in ``work``
    (the stages feed each other through ``work`` exactly as ``newlybuilt`` chains them)."""
    t1, t2 = str(data / "t1.tif"), str(data / "t2.tif")
    p = {k: str(work / f"{k}.tif") for k in ("ci", "mbi", "bli", "bi", "lik", "raw_mask", "mask")}
    calls: dict[str, Callable[[], object]] = {
        "ci": lambda: nb.change_intensity_stage(t1, t2, p["ci"], workers=workers),
        "mbi": lambda: nb.mbi_stage(t2, p["mbi"], workers=workers),
        "bli": lambda: nb.bli_stage(t2, p["bli"], workers=workers),
        "bi": lambda: nb.building_intensity_stage(p["bli"], p["mbi"], p["bi"]),
        "likelihood": lambda: nb.likelihood_stage(p["ci"], p["bi"], p["lik"], p["raw_mask"]),
        "objects": lambda: nb.objects_stage(
            p["raw_mask"],
            str(work / "objects.gpkg"),
            out_mask=p["mask"],
            likelihood_path=p["lik"],
            ci_path=p["ci"],
            bi_path=p["bi"],
        ),
        "pipeline": lambda: nb.newlybuilt(
            t1,
            t2,
            nb.Outputs(
                str(work / "pipe_lik.tif"),
                str(work / "pipe_mask.tif"),
                str(work / "pipe_objects.gpkg"),
            ),
            workers=workers,
        ),
    }
    return calls[stage]


def child(stage: str, data: str, work: str, workers: int) -> None:
    """Runs in a child process: one stage (or the pipeline), timed after the imports."""
    call = stage_call(stage, Path(data), Path(work), workers)
    t0 = time.perf_counter()
    call()
    wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "peak_rss_mb": peak_rss_mb()}))


def run_child(
    stage: str, data: Path, work: Path, workers: int, cache_mb: int = CACHE_MB
) -> dict[str, float]:
    env = dict(os.environ)
    env.pop("GDAL_CACHEMAX", None)
    if cache_mb > 0:
        env["GDAL_CACHEMAX"] = str(cache_mb)
    cmd = [sys.executable, __file__, "--child", stage, str(data), str(work), str(workers)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{stage} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_pair(folder: Path, size: int, seed: int) -> None:
    """Write a synthetic ``size`` x ``size`` pair (t1.tif, t2.tif) unless it is already there."""
    if (folder / "t1.tif").exists() and (folder / "t2.tif").exists():
        from osgeo import gdal

        ds = gdal.Open(str(folder / "t1.tif"))
        if (ds.RasterXSize, ds.RasterYSize) == (size, size):
            return
    t0 = time.perf_counter()
    write_scene(make_scene(seed=seed, size=size), folder)
    print(f"generated a {size} x {size} pair in {time.perf_counter() - t0:.0f} s")


def make_mosaic(pair: Path, k: int) -> Path:
    """A ``k x k`` mosaic of the pair in ``pair`` (t1.tif, t2.tif), written once as tiled,
    compressed GeoTIFFs in ``pair/mosaic_<k>``: a large input whose content is realistic."""
    from osgeo import gdal

    gdal.UseExceptions()
    out = pair / f"mosaic_{k}"
    out.mkdir(exist_ok=True)
    for name in ("t1", "t2"):
        target = out / f"{name}.tif"
        if target.exists():
            continue
        src = gdal.Open(str(pair / f"{name}.tif"))
        w, h = src.RasterXSize, src.RasterYSize
        x0, dx, _, y0, _, dy = src.GetGeoTransform()
        vrt = gdal.BuildVRT(
            "",
            [str(pair / f"{name}.tif")] * (k * k),
            outputBounds=(x0, y0 + k * h * dy, x0 + k * w * dx, y0),
        )
        # BuildVRT stacks identical files in one place: shift each copy onto its own cell
        xml = vrt.GetMetadata("xml:VRT")[0]
        vrt = None
        parts = xml.split('<DstRect xOff="0" yOff="0"')
        cells = [(i % k * w, i // k * h) for i in range(k * k)] * src.RasterCount
        xml = parts[0] + "".join(
            f'<DstRect xOff="{x}" yOff="{y}"' + rest for (x, y), rest in zip(cells, parts[1:])
        )
        t0 = time.perf_counter()
        gdal.Translate(
            str(target) + ".part",
            xml,
            format="GTiff",
            creationOptions=["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=YES", "NUM_THREADS=2"],
        )
        os.replace(str(target) + ".part", target)
        print(f"wrote {target} ({k * w} x {k * h}) in {time.perf_counter() - t0:.0f} s")
    return out


def mbi_ratio(data: Path, repeat: int) -> tuple[float, float, float, float]:
    """Telescoping vs direct MBI on the top-left 1024 x 1024 brightness of T2, with the
    pipeline's default parameters at 0.5 m. Returns (telescoping s, direct s, ratio, max |diff|)."""
    from mssfc_qgis.core.raster import Window, open_raster

    src = open_raster(str(data / "t2.tif"))
    side = min(1024, src.grid.width, src.grid.height)
    b = mbi.brightness(src.read(Window(0, 0, side, side)).astype(np.float32))
    cfg = nb.DEFAULT_CONFIG
    px = cfg.in_pixels(0.5)
    kwargs = {
        "min_length": px.mbi_min_length,
        "max_length": px.mbi_max_length,
        "step": px.mbi_step,
        "reconstruction_radius": cfg.mbi_radius_px(0.5),
        "value_range": (float(b.min()), float(b.max())),
    }
    fast = slow = float("inf")
    tele = direct = b
    for _ in range(repeat):
        t0 = time.perf_counter()
        tele = mbi.morphological_building_index(b, **kwargs)
        fast = min(fast, time.perf_counter() - t0)
        t0 = time.perf_counter()
        direct = mbi.mbi_direct(b, **kwargs)
        slow = min(slow, time.perf_counter() - t0)
    diff = float(np.max(np.abs(tele.astype(np.float64) - direct)))
    assert np.allclose(tele, direct, rtol=1e-5, atol=1e-5), f"MBI forms differ by {diff}"
    return fast, slow, slow / fast, diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a 1024 x 1024 pair")
    parser.add_argument("--data", type=Path, help="keep (and reuse) the generated pair here")
    parser.add_argument("--mosaic", type=int, default=1, help="whole pipeline on a K x K mosaic")
    parser.add_argument("--cache-mb", type=int, default=CACHE_MB, help="GDAL_CACHEMAX; 0: default")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        stage, data, work, workers = args.child
        child(stage, data, work, int(workers))
        return
    size = 1024 if args.quick else args.size
    with tempfile.TemporaryDirectory(prefix="mssfc_bench_nb_") as tmp:
        data = args.data or Path(tmp) / "pair"
        data.mkdir(parents=True, exist_ok=True)
        make_pair(data, size, args.seed)
        stages: tuple[str, ...] = (*STAGES, "pipeline")
        if args.mosaic > 1:
            data = make_mosaic(data, args.mosaic)
            size *= args.mosaic
            stages = ("pipeline",)
        work = Path(tmp) / "work"
        work.mkdir()
        mp = size * size / 1e6
        best: dict[str, dict[str, float]] = {}
        for stage in stages:
            runs = [
                run_child(stage, data, work, args.workers, args.cache_mb)
                for _ in range(args.repeat)
            ]
            best[stage] = {
                "wall_s": min(r["wall_s"] for r in runs),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            }
        ratio_figures = mbi_ratio(data, args.repeat) if args.mosaic <= 1 else None

    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}; {datetime.date.today().isoformat()}"
    )
    cache = f"{args.cache_mb} MB" if args.cache_mb > 0 else "GDAL's default (5 % of RAM)"
    mosaic = f", a {args.mosaic} x {args.mosaic} mosaic" if args.mosaic > 1 else ""
    print(
        f"pair: {size} x {size} ({mp:.1f} MP{mosaic}), workers {args.workers}, tile 1024, best "
        f"of {args.repeat}, GDAL_CACHEMAX {cache}"
    )
    print()
    print("| step | wall s | MP/s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    for stage in stages:
        r = best[stage]
        print(
            f"| {LABELS[stage]} | {r['wall_s']:.2f} | {mp / r['wall_s']:.2f} | "
            f"{r['peak_rss_mb']:.0f} |"
        )
    print()
    pipe = mp / best["pipeline"]["wall_s"]
    print(f"whole pipeline: {pipe:.2f} MP/s (goal >= 1 MP/s on 2 cores)")
    print(f"peak RSS of the whole pipeline: {best['pipeline']['peak_rss_mb']:.0f} MB")
    if ratio_figures is not None:
        fast, slow, ratio, diff = ratio_figures
        print(
            f"MBI 1024 x 1024: telescoping {fast:.2f} s, direct sum {slow:.2f} s, ratio "
            f"{ratio:.1f}x (goal >= 5x), max |difference| {diff:.2e}"
        )


if __name__ == "__main__":
    main()
