"""Train MSSFC-Net from a JSON config.

    python -m mssfc_qgis.model.train --config mssfc_qgis/model/configs/compact_cpu.json

Prints one line per logging interval (loss per head, speed) and one per validation (pooled P, R,
IoU, F1 per head and per-image mean F1), saves ``last.pt`` (every epoch and at the time limit) and
``best.pt`` (best validation change F1, or building F1 where no change labels exist) in
``out_dir``, and resumes from ``last.pt`` with ``--resume`` (or ``"resume": true``).
Relative paths in the config are taken from the current directory (run from the repository root).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .data import DEFAULT_MEAN, DEFAULT_STD, AugmentConfig, PairDataset, load_source
from .data import validation_samples as make_validation_samples
from .losses import IGNORE, multitask_loss
from .network import HEADS, MSSFCNet
from .presets import get_config


@dataclass
class TrainConfig:
    """Everything a training run needs; the JSON config maps onto these fields."""

    preset: str = "compact"
    overrides: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    val_sources: list[dict[str, Any]] = field(default_factory=list)
    crop: int = 256
    val_size: int = 256
    batch_size: int = 8
    samples_per_epoch: int = 512
    epochs: int = 50
    max_minutes: float | None = None
    lr: float = 1e-4
    weight_decay: float = 5e-4
    optimizer: str = "adam"
    warmup_steps: int = 100
    schedule: str = (
        "cosine"  # "constant", "cosine" (over steps) or "cosine_time" (over max_minutes)
    )
    head_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    augment: dict[str, Any] = field(default_factory=dict)
    mean: tuple[float, ...] = DEFAULT_MEAN
    std: tuple[float, ...] = DEFAULT_STD
    seed: int = 0
    threads: int | None = None
    amp: bool = True
    device: str = "auto"
    out_dir: str = "runs/mssfc"
    resume: bool = False
    init_from: str | None = None  # start from these weights (fine-tuning), unless resuming
    log_every: int = 10
    val_every: int = 1
    resolution_m: float = 0.5
    notes: str = ""

    @classmethod
    def from_json(cls, path: str | Path) -> TrainConfig:
        raw = json.loads(Path(path).read_text())
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{path}: unknown config keys {sorted(unknown)}")
        return cls(**raw)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (seeds third-party code that uses the global state)
    torch.manual_seed(seed)


def confusion(prob: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> np.ndarray:
    """TP, FP, FN, TN counts per sample: ``(b, h, w)`` -> ``(b, 4)`` int64."""
    pred = prob >= 0.5
    truth = target == 1
    tp = (pred & truth & valid).flatten(1).sum(1)
    fp = (pred & ~truth & valid).flatten(1).sum(1)
    fn = (~pred & truth & valid).flatten(1).sum(1)
    tn = (~pred & ~truth & valid).flatten(1).sum(1)
    return torch.stack([tp, fp, fn, tn], 1).cpu().numpy().astype(np.int64)


def scores(tp: float, fp: float, fn: float) -> dict[str, float]:
    """Precision, recall, IoU and F1 of the positive class (the paper's Eq. 11)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    iou = tp / (tp + fp + fn) if tp + fp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "iou": iou, "f1": f1}


@torch.no_grad()
def evaluate(
    model: MSSFCNet, samples: list[dict[str, np.ndarray]], device: torch.device, batch: int = 4
) -> dict[str, dict[str, float]]:
    """Pooled P/R/IoU/F1 per head over all samples, plus per-image mean IoU and F1 (images whose
    label is empty and prediction empty count as 1)."""
    model.eval()
    pooled = {h: np.zeros(4, np.int64) for h in HEADS}
    per_image: dict[str, list[tuple[float, float]]] = {h: [] for h in HEADS}
    for i in range(0, len(samples), batch):
        chunk = samples[i : i + batch]
        t1 = torch.from_numpy(np.stack([s["t1"] for s in chunk])).to(device)
        t2 = torch.from_numpy(np.stack([s["t2"] for s in chunk])).to(device)
        target = torch.from_numpy(np.stack([s["target"] for s in chunk])).to(device)
        has = torch.from_numpy(np.stack([s["has_label"] for s in chunk])).to(device)
        prob = torch.sigmoid(model(t1, t2).float())
        for k, head in enumerate(HEADS):
            valid = (target[:, k] != IGNORE) & has[:, k, None, None]
            counts = confusion(prob[:, k], target[:, k], valid)
            for j, c in enumerate(counts):
                if not bool(has[j, k]):
                    continue
                pooled[head] += c
                tp, fp, fn = (float(x) for x in c[:3])
                if tp + fp + fn == 0:
                    per_image[head].append((1.0, 1.0))
                else:
                    s = scores(tp, fp, fn)
                    per_image[head].append((s["iou"], s["f1"]))
    out: dict[str, dict[str, float]] = {}
    for head in HEADS:
        if not per_image[head]:
            continue
        s = scores(*(float(x) for x in pooled[head][:3]))
        arr = np.asarray(per_image[head])
        s["mean_iou"], s["mean_f1"] = float(arr[:, 0].mean()), float(arr[:, 1].mean())
        s["images"] = float(len(arr))
        out[head] = s
    return out


def _lr_factor(cfg: TrainConfig, step: int, total: int, elapsed_s: float = 0.0) -> float:
    """Linear warm-up, then ``constant``, ``cosine`` over the planned steps, or ``cosine_time``
    over ``max_minutes`` of wall time (for runs bounded by a time budget)."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.schedule == "constant":
        return 1.0
    if cfg.schedule == "cosine_time" and cfg.max_minutes:
        progress = min(1.0, elapsed_s / (cfg.max_minutes * 60))
    else:
        progress = min(1.0, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps))
    return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def save_checkpoint(path: Path, **state: Any) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def train(cfg: TrainConfig, *, log=print) -> Path:
    """Run training; returns the path of the last checkpoint."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = _device(cfg.device)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))

    items, weights = [], []
    for spec in cfg.sources:
        loaded = load_source(spec)
        log(f"source {spec['kind']} {spec['root']}: {len(loaded)} items")
        items += loaded
        weights += [float(spec.get("weight", 1.0)) / max(1, len(loaded))] * len(loaded)
    dataset = PairDataset(
        items,
        crop=cfg.crop,
        length=cfg.samples_per_epoch,
        weights=weights,
        augment=AugmentConfig(**cfg.augment),
        mean=cfg.mean,
        std=cfg.std,
        seed=cfg.seed,
    )
    val_items = [it for spec in cfg.val_sources for it in load_source(spec)]
    val = make_validation_samples(val_items, size=cfg.val_size, mean=cfg.mean, std=cfg.std)
    log(f"training items {len(items)}, validation samples {len(val)}")

    model = MSSFCNet(get_config(cfg.preset, **cfg.overrides)).to(device)
    log(f"preset {cfg.preset}: {sum(p.numel() for p in model.parameters()):,} parameters")
    opt_cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    optimizer = opt_cls(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    use_amp = cfg.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    steps_per_epoch = math.ceil(cfg.samples_per_epoch / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs

    start_epoch, step, best, elapsed_before = 0, 0, -1.0, 0.0
    last = out / "last.pt"
    if cfg.resume and last.exists():
        state = torch.load(last, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        start_epoch, step, best = state["epoch"], state["step"], state["best"]
        elapsed_before = state.get("elapsed_s", 0.0)
        torch.set_rng_state(state["torch_rng"])
        log(f"resumed from {last} at epoch {start_epoch}, step {step}")

    elif cfg.init_from:
        state = torch.load(cfg.init_from, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        log(f"initialized from {cfg.init_from}")

    t0 = time.time()

    def elapsed() -> float:
        return elapsed_before + time.time() - t0

    def checkpoint(path: Path, epoch: int) -> None:
        save_checkpoint(
            path,
            model=model.state_dict(),
            optimizer=optimizer.state_dict(),
            scaler=scaler.state_dict(),
            epoch=epoch,
            step=step,
            best=best,
            elapsed_s=elapsed(),
            torch_rng=torch.get_rng_state(),
            preset=cfg.preset,
            network=asdict(model.config),
            train_config=asdict(cfg),
        )

    out_of_time = False
    for epoch in range(start_epoch, cfg.epochs):
        dataset.epoch = epoch
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=cfg.batch_size, shuffle=False, num_workers=0, drop_last=True
        )
        model.train()
        running: dict[str, list[float]] = {h: [] for h in (*HEADS, "total")}
        tick = time.time()
        for batch in loader:
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr * _lr_factor(cfg, step, total_steps, elapsed())
            t1, t2 = batch["t1"].to(device), batch["t2"].to(device)
            target, has = batch["target"].to(device), batch["has_label"].to(device)
            with torch.autocast(device.type, enabled=use_amp):
                logits = model(t1, t2)
            loss, parts = multitask_loss(logits, target, has, weights=cfg.head_weights)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            step += 1
            running["total"].append(float(loss.detach()))
            for h in HEADS:
                if not math.isnan(parts[h]):
                    running[h].append(parts[h])
            if step % cfg.log_every == 0:
                rate = cfg.log_every * cfg.batch_size / (time.time() - tick)
                tick = time.time()
                msg = " ".join(
                    f"{h}={np.mean(v[-cfg.log_every :]):.4f}" for h, v in running.items() if v
                )
                log(
                    f"epoch {epoch + 1}/{cfg.epochs} step {step}/{total_steps} "
                    f"lr={optimizer.param_groups[0]['lr']:.2e} {msg} "
                    f"{rate:.1f} samples/s elapsed {elapsed() / 60:.1f} min"
                )
            if cfg.max_minutes is not None and elapsed() > cfg.max_minutes * 60:
                out_of_time = True
                break
        done_epoch = epoch + (0 if out_of_time else 1)
        if val and ((epoch + 1) % cfg.val_every == 0 or out_of_time or epoch + 1 == cfg.epochs):
            metrics = evaluate(model, val, device)
            for head, s in metrics.items():
                log(
                    f"val {head}: P={s['precision']:.4f} R={s['recall']:.4f} IoU={s['iou']:.4f} "
                    f"F1={s['f1']:.4f} mean-IoU={s['mean_iou']:.4f} mean-F1={s['mean_f1']:.4f} "
                    f"({int(s['images'])} images)"
                )
            key = "change" if "change" in metrics else next(iter(metrics))
            if metrics[key]["f1"] > best:
                best = metrics[key]["f1"]
                checkpoint(out / "best.pt", done_epoch)
                log(f"new best {key} F1 {best:.4f} -> {out / 'best.pt'}")
        checkpoint(last, done_epoch)
        if out_of_time:
            log(f"time limit of {cfg.max_minutes} min reached after step {step}")
            break
    log(f"finished: {step} steps, {elapsed() / 60:.1f} min, last checkpoint {last}")
    return last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="JSON training config")
    parser.add_argument("--resume", action="store_true", help="continue from out_dir/last.pt")
    parser.add_argument("--out-dir", help="override out_dir")
    parser.add_argument("--max-minutes", type=float, help="override max_minutes")
    args = parser.parse_args(argv)
    cfg = TrainConfig.from_json(args.config)
    if args.resume:
        cfg.resume = True
    if args.out_dir:
        cfg.out_dir = args.out_dir
    if args.max_minutes is not None:
        cfg.max_minutes = args.max_minutes

    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    train(cfg, log=log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
