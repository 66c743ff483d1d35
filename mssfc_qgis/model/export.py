"""Export a trained MSSFC-Net checkpoint to ONNX with the metadata the plugin reads.

    python -m mssfc_qgis.model.export runs/compact/last.pt mssfc_qgis/weights/mssfc_compact.onnx

The graph takes two normalised float32 batches ``t1``, ``t2`` of shape ``(n, 3, h, w)`` (``h`` and
``w`` dynamic, multiples of 32) and returns probabilities ``building_t1``, ``building_t2`` and
``change``, each ``(n, h, w)``. The metadata keys are documented in
:mod:`mssfc_qgis.core.onnx_model`.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from .data import DEFAULT_MEAN, DEFAULT_STD
from .network import HEADS, MSSFCNet, NetworkConfig

MODEL_NAME = "mssfc-net"
MODEL_VERSION = "0.1.0"
OPSET = 17


class ProbabilityHeads(nn.Module):
    """Wraps the network for export: sigmoid probabilities, one output per head.

    ``t1, t2: (n, 3, h, w) -> 3 x (n, h, w)``.
    """

    def __init__(self, model: MSSFCNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, t1: Tensor, t2: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        prob = torch.sigmoid(self.model(t1, t2))
        return prob[:, 0], prob[:, 1], prob[:, 2]


def network_config(raw: dict[str, Any]) -> NetworkConfig:
    """A :class:`NetworkConfig` from its dict form (lists become tuples)."""
    known = {f.name for f in fields(NetworkConfig)}
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k in known}
    return NetworkConfig(**kw)


def load_checkpoint(path: str | Path) -> tuple[MSSFCNet, dict[str, Any]]:
    """Model (in eval mode) and the checkpoint dict of a file written by ``train``."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    model = MSSFCNet(network_config(state["network"]))
    model.load_state_dict(state["model"])
    return model.eval(), state


def build_metadata(
    *,
    preset: str,
    mean: tuple[float, ...] = DEFAULT_MEAN,
    std: tuple[float, ...] = DEFAULT_STD,
    resolution_m: float = 0.5,
    tile_size: int = 512,
    tile_overlap: int = 64,
    thresholds: dict[str, float] | None = None,
    training_data: str = "",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The ``metadata_props`` of an exported model, every value a string (JSON where structured)."""
    meta = {
        "model_name": MODEL_NAME,
        "model_version": MODEL_VERSION,
        "preset": preset,
        "input_names": json.dumps(["t1", "t2"]),
        "input_bands": json.dumps(["red", "green", "blue"]),
        "input_scale": "reflectance scaled to [0, 1] (8-bit: value / 255)",
        "normalization_mean": json.dumps([float(x) for x in mean]),
        "normalization_std": json.dumps([float(x) for x in std]),
        "resolution_m": str(float(resolution_m)),
        "tile_size": str(int(tile_size)),
        "tile_overlap": str(int(tile_overlap)),
        "size_multiple": str(MSSFCNet.size_multiple),
        "output_names": json.dumps(list(HEADS)),
        "output_kind": "probability",
        "thresholds": json.dumps(thresholds or dict.fromkeys(HEADS, 0.5)),
        "training_data": training_data,
        "paper": "MSSFC-Net, multi-scale spatial-spectral feature cooperation for building "
        "extraction and change detection (seed 000 of this project)",
    }
    meta.update(extra or {})
    return meta


def export_onnx(
    model: MSSFCNet,
    path: str | Path,
    metadata: dict[str, str],
    *,
    sample_size: int = 64,
) -> Path:
    """Write ``model`` as ONNX with dynamic batch, height and width, and attach ``metadata``."""
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = ProbabilityHeads(model).eval()  # the exporter restores the wrapper's mode recursively
    dummy = torch.rand(1, model.config.in_channels, sample_size, sample_size)
    dynamic = {0: "n", 2: "h", 3: "w"}
    with torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter is chosen on purpose: it gives plain opset-17 graphs with
        # dynamic h and w that ONNX Runtime 1.1x in QGIS installs can run
        warnings.filterwarnings(
            "ignore", "You are using the legacy TorchScript", DeprecationWarning
        )
        torch.onnx.export(
            wrapper,
            (dummy, dummy.clone()),
            str(path),
            input_names=["t1", "t2"],
            output_names=list(HEADS),
            dynamic_axes={
                "t1": dynamic,
                "t2": dynamic,
                **{h: {0: "n", 1: "h", 2: "w"} for h in HEADS},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)
    proto.producer_name = "mssfc_qgis"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export an MSSFC-Net checkpoint to ONNX.")
    parser.add_argument("checkpoint")
    parser.add_argument("output")
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--tile-overlap", type=int, default=64)
    parser.add_argument("--training-data", default=None, help="summary stored in the metadata")
    parser.add_argument("--threshold", type=float, default=0.5, help="default threshold, all heads")
    parser.add_argument("--building-threshold", type=float, help="overrides --threshold (T1, T2)")
    parser.add_argument("--change-threshold", type=float, help="overrides --threshold (change)")
    args = parser.parse_args(argv)
    model, state = load_checkpoint(args.checkpoint)
    tc = state.get("train_config", {})
    summary = args.training_data
    if summary is None:
        summary = tc.get("notes") or ", ".join(
            f"{s.get('kind')}:{Path(str(s.get('root'))).name}" for s in tc.get("sources", [])
        )
    building = args.threshold if args.building_threshold is None else args.building_threshold
    change = args.threshold if args.change_threshold is None else args.change_threshold
    thresholds = {"building_t1": building, "building_t2": building, "change": change}
    meta = build_metadata(
        preset=state.get("preset", tc.get("preset", "custom")),
        mean=tuple(tc.get("mean", DEFAULT_MEAN)),
        std=tuple(tc.get("std", DEFAULT_STD)),
        resolution_m=float(tc.get("resolution_m", 0.5)),
        tile_size=args.tile_size,
        tile_overlap=args.tile_overlap,
        thresholds=thresholds,
        training_data=summary,
        extra={"training_steps": str(state.get("step", "")), "epochs": str(state.get("epoch", ""))},
    )
    out = export_onnx(model, args.output, meta)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
