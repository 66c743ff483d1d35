"""A tiny ONNX model with known outputs and this project's metadata, for runtime tests.

building_t1 = sigmoid(8 * mean over bands of t1 - 4) (bright = building); likewise building_t2;
change = sigmoid(4 * mean |t1 - t2| - 2). Pointwise, so a tiled run must equal the formula exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def metadata(**overrides: str) -> dict[str, str]:
    """Metadata props as the exporter writes them."""
    props = {
        "model_name": "mssfc-net",
        "model_version": "0.1.0",
        "preset": "tiny-test",
        "input_names": json.dumps(["t1", "t2"]),
        "input_bands": json.dumps(["red", "green", "blue"]),
        "normalization_mean": json.dumps([0.0, 0.0, 0.0]),
        "normalization_std": json.dumps([1.0, 1.0, 1.0]),
        "resolution_m": "0.5",
        "tile_size": "64",
        "tile_overlap": "16",
        "size_multiple": "32",
        "output_names": json.dumps(["building_t1", "building_t2", "change"]),
        "output_kind": "probability",
        "thresholds": json.dumps({"building_t1": 0.5, "building_t2": 0.5, "change": 0.5}),
        "training_data": "none (test model)",
    }
    props.update(overrides)
    return props


def build(path: Path, *, props: dict[str, str] | None = None) -> Path:
    """Write the tiny model to ``path``."""
    import onnx
    from onnx import TensorProto, helper

    shape = ["n", 3, "h", "w"]
    out_shape = ["n", 1, "h", "w"]
    nodes = [
        helper.make_node("ReduceMean", ["t1"], ["m1"], axes=[1], keepdims=1),
        helper.make_node("Mul", ["m1", "eight"], ["m1s"]),
        helper.make_node("Sub", ["m1s", "four"], ["z1"]),
        helper.make_node("Sigmoid", ["z1"], ["building_t1"]),
        helper.make_node("ReduceMean", ["t2"], ["m2"], axes=[1], keepdims=1),
        helper.make_node("Mul", ["m2", "eight"], ["m2s"]),
        helper.make_node("Sub", ["m2s", "four"], ["z2"]),
        helper.make_node("Sigmoid", ["z2"], ["building_t2"]),
        helper.make_node("Sub", ["t1", "t2"], ["d"]),
        helper.make_node("Abs", ["d"], ["ad"]),
        helper.make_node("ReduceMean", ["ad"], ["md"], axes=[1], keepdims=1),
        helper.make_node("Mul", ["md", "four"], ["md4"]),
        helper.make_node("Sub", ["md4", "two"], ["z"]),
        helper.make_node("Sigmoid", ["z"], ["change"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info("t1", TensorProto.FLOAT, shape),
            helper.make_tensor_value_info("t2", TensorProto.FLOAT, shape),
        ],
        [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, out_shape)
            for n in ("building_t1", "building_t2", "change")
        ],
        initializer=[
            helper.make_tensor("four", TensorProto.FLOAT, [], [4.0]),
            helper.make_tensor("eight", TensorProto.FLOAT, [], [8.0]),
            helper.make_tensor("two", TensorProto.FLOAT, [], [2.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in (props if props is not None else metadata()).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(model, str(path))
    return path


def expected(t1_01: np.ndarray, t2_01: np.ndarray) -> dict[str, np.ndarray]:
    """The model's outputs for inputs already scaled to [0, 1], ``(bands, h, w)`` each."""

    def sig(x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-x))

    return {
        "building_t1": sig(8 * t1_01.mean(axis=0) - 4),
        "building_t2": sig(8 * t2_01.mean(axis=0) - 4),
        "change": sig(4 * np.abs(t1_01 - t2_01).mean(axis=0) - 2),
    }
