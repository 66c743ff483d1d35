"""Benchmark of the bare MSSFC-Net: PyTorch eager against ONNX Runtime, per preset.

For each preset, one ``(1, 3, size, size)`` image pair (default 1024) runs through

* PyTorch eager (``torch.no_grad()``, ``torch.set_num_threads`` = ``--threads``, default all cores),
* ONNX Runtime, through the plugin's own loader (:func:`mssfc_qgis.core.onnx_model.load_model`) on
  a file written by :func:`mssfc_qgis.model.export.export_onnx` to a temporary folder.

Both compute the same thing: numpy float32 pair in, the three sigmoid probability maps back as
numpy (the export wrapper :class:`~mssfc_qgis.model.export.ProbabilityHeads` around the network).
The weights are random (seeded, the same in both): speed does not depend on them. Each
measurement is a fresh child process, so its peak RSS (VmHWM) is its own; the ONNX Runtime child
never imports torch. Timing: one warm-up pass, then the best of up to ``--repeats`` passes, stopping
early once the timed passes have taken ``--budget`` seconds (the large preset at 1024 on a small
CPU takes tens of seconds a pass). Megapixels per second counts ``size * size`` pixels per pair.
Goal: ONNX Runtime >= 1.5x PyTorch eager on the CPU.

``--device cuda`` runs both on the GPU (torch CUDA, ONNX Runtime's CUDA provider, host-to-device
copies included) and stops with a message when either cannot use CUDA.

    .venv/bin/python bench/model.py [--presets compact full] [--size 1024] [--device cpu|cuda]
        [--repeats 3] [--budget 60] [--threads N]
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
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 0


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo, or the platform's word for it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def make_pair(size: int) -> tuple[np.ndarray, np.ndarray]:
    """A normalised-looking random pair, each ``(1, 3, size, size)`` float32."""
    rng = np.random.default_rng(SEED)
    t1 = rng.standard_normal((1, 3, size, size), dtype=np.float32)
    t2 = rng.standard_normal((1, 3, size, size), dtype=np.float32)
    return t1, t2


def best_of(step: Any, repeats: int, budget_s: float, sync: Any = None) -> tuple[float, int]:
    """Seconds of the fastest of up to ``repeats`` calls of ``step`` after one warm-up, and the
    number timed; stops early once the timed calls add up to ``budget_s``."""
    step()
    if sync is not None:
        sync()
    times: list[float] = []
    while len(times) < repeats and sum(times) < budget_s:
        t0 = time.perf_counter()
        step()
        if sync is not None:
            sync()
        times.append(time.perf_counter() - t0)
    return min(times), len(times)


def child_torch(spec: dict[str, Any]) -> dict[str, Any]:
    """PyTorch eager forward of the preset on ``spec["device"]``."""
    import torch

    from mssfc_qgis.model import build_model
    from mssfc_qgis.model.export import ProbabilityHeads

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(SEED)
    device = torch.device(spec["device"])
    model = ProbabilityHeads(build_model(spec["preset"])).eval().to(device)
    x1, x2 = make_pair(spec["size"])
    sync = torch.cuda.synchronize if device.type == "cuda" else None

    def step() -> None:
        with torch.no_grad():
            a = torch.from_numpy(x1).to(device)
            b = torch.from_numpy(x2).to(device)
            _ = [p.cpu().numpy() for p in model(a, b)]

    best, runs = best_of(step, spec["repeats"], spec["budget"], sync)
    out: dict[str, Any] = {"best_s": best, "runs": runs, "peak_rss_mb": peak_rss_mb()}
    out["backend"] = f"torch {torch.__version__} ({device.type}, {torch.get_num_threads()} threads)"
    if device.type == "cuda":
        out["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def child_ort(spec: dict[str, Any]) -> dict[str, Any]:
    """ONNX Runtime run of the exported file through the plugin's loader (no torch imported)."""
    import onnxruntime as ort

    from mssfc_qgis.core.onnx_model import load_model

    model = load_model(spec["onnx"], device=spec["device"])
    x1, x2 = make_pair(spec["size"])
    best, runs = best_of(lambda: model.predict(x1, x2), spec["repeats"], spec["budget"])
    return {
        "best_s": best,
        "runs": runs,
        "peak_rss_mb": peak_rss_mb(),
        "backend": f"onnxruntime {ort.__version__} ({model.provider})",
    }


def run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One measurement in a fresh process; a failure ends the benchmark with the child's error."""
    cmd = [sys.executable, __file__, "--child", kind, json.dumps(spec)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        lines = (res.stderr or res.stdout).strip().splitlines()
        tail = "\n".join(lines[-5:])
        raise SystemExit(f"{kind} measurement of preset {spec['preset']!r} failed:\n{tail}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def check_cuda() -> str | None:
    """Why CUDA cannot be used by torch or ONNX Runtime here, or ``None`` when both can."""
    import onnxruntime as ort
    import torch

    problems = []
    if not torch.cuda.is_available():
        problems.append(f"torch {torch.__version__} sees no CUDA device")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        problems.append(
            f"onnxruntime {ort.__version__} has no CUDAExecutionProvider (install onnxruntime-gpu)"
        )
    return "; ".join(problems) or None


def export(preset: str, folder: Path) -> Path:
    """The preset with seeded random weights, exported to ONNX in ``folder``."""
    import torch

    from mssfc_qgis.model import build_model
    from mssfc_qgis.model.export import build_metadata, export_onnx

    torch.manual_seed(SEED)
    model = build_model(preset).eval()
    meta = build_metadata(preset=preset, training_data="random weights (benchmark)")
    return export_onnx(model, folder / f"mssfc_{preset}.onnx", meta)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--presets", nargs="+", default=["compact", "full"])
    parser.add_argument("--size", type=int, default=1024, help="side of the square pair")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=3, help="timed passes at most (best kept)")
    parser.add_argument(
        "--budget", type=float, default=60.0, help="stop timing after this many seconds of passes"
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from mssfc_qgis.core.errors import MssfcError

        kind, spec = args.child[0], json.loads(args.child[1])
        try:
            print(json.dumps(child_torch(spec) if kind == "torch" else child_ort(spec)))
        except MssfcError as exc:  # e.g. CUDA listed by onnxruntime but not able to start
            print(exc, file=sys.stderr)
            raise SystemExit(2) from None
        return
    if args.size <= 0 or args.size % 32:
        parser.error(f"--size must be a positive multiple of 32, got {args.size}")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    from mssfc_qgis.model import PRESETS

    unknown = [p for p in args.presets if p not in PRESETS]
    if unknown:
        parser.error(f"unknown preset(s) {unknown}; choose from {sorted(PRESETS)}")
    if args.device == "cuda":
        reason = check_cuda()
        if reason:
            print(f"--device cuda: CUDA is not usable here: {reason}", file=sys.stderr)
            raise SystemExit(2)

    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, {cpu_name()}, "
        f"python {platform.python_version()}; device {args.device}"
    )
    print(f"date: {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"input: 1 pair of (1, 3, {args.size}, {args.size}) float32, random weights (seed {SEED}); "
        f"1 warm-up, best of <= {args.repeats} passes (<= {args.budget:g} s of passes)"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="mssfc_model_bench_") as tmp:
        for preset in args.presets:
            onnx_path = export(preset, Path(tmp))
            spec = {
                "preset": preset,
                "size": args.size,
                "device": args.device,
                "repeats": args.repeats,
                "budget": args.budget,
                "threads": args.threads,
                "onnx": str(onnx_path),
            }
            rt = run_child("torch", spec)
            ro = run_child("ort", spec)
            onnx_path.unlink()
            mp = args.size * args.size / 1e6
            rows.append(
                f"| {preset} | {args.size} | {mp / rt['best_s']:.3f} | {mp / ro['best_s']:.3f} | "
                f"{rt['best_s'] / ro['best_s']:.2f} | {rt['peak_rss_mb']:.0f} | "
                f"{ro['peak_rss_mb']:.0f} |"
            )
            note = (
                f"{preset}: {rt['backend']} best {rt['best_s']:.2f} s of {rt['runs']}; "
                f"{ro['backend']} best {ro['best_s']:.2f} s of {ro['runs']}"
            )
            if "gpu_peak_mb" in rt:
                note += f"; torch GPU peak allocated {rt['gpu_peak_mb']:.0f} MB"
            print(f"  {note}", flush=True)
    print()
    print(
        "| preset | size | torch MP/s | ORT MP/s | ratio ORT/torch | peak RSS torch MB | "
        "peak RSS ORT MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(row)
    if args.device == "cpu":
        print("goal: ratio ORT/torch >= 1.5 on the CPU")


if __name__ == "__main__":
    main()
