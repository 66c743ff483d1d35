"""ONNX export of a tiny MSSFC-Net: ONNX Runtime matches torch, metadata travels with the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from mssfc_qgis.core.onnx_model import REQUIRED_KEYS, load_model  # noqa: E402
from mssfc_qgis.model.export import MODEL_NAME, build_metadata  # noqa: E402
from mssfc_qgis.model.network import HEADS  # noqa: E402


@pytest.mark.parametrize(("n", "h", "w"), [(1, 64, 64), (2, 96, 160)])
def test_onnx_runtime_matches_torch(tiny_model, tiny_onnx, n, h, w):
    """Parity to 1e-4 on random input, also at sizes other than the traced 64 x 64."""
    rng = np.random.default_rng(0)
    t1 = rng.normal(size=(n, 3, h, w)).astype(np.float32)
    t2 = rng.normal(size=(n, 3, h, w)).astype(np.float32)
    model = load_model(tiny_onnx, device="cpu")
    got = model.predict(t1, t2)
    with torch.no_grad():
        ref = torch.sigmoid(tiny_model(torch.from_numpy(t1), torch.from_numpy(t2))).numpy()
    assert tiny_model.training is False
    for i, head in enumerate(HEADS):
        assert got[head].shape == (n, h, w) and got[head].dtype == np.float32
        np.testing.assert_allclose(got[head], ref[:, i], atol=1e-4, rtol=0)


def test_metadata_round_trip(tiny_onnx):
    proto = onnx.load(str(tiny_onnx), load_external_data=False)
    props = {p.key: p.value for p in proto.metadata_props}
    assert set(REQUIRED_KEYS) <= set(props)
    assert props["model_name"] == MODEL_NAME
    md = load_model(tiny_onnx, device="cpu").metadata
    written = build_metadata(preset="tiny", resolution_m=0.5, training_data="synthetic, untrained")
    assert md.preset == "tiny" and md.name == MODEL_NAME
    assert md.bands == ("red", "green", "blue")
    assert list(md.mean) == json.loads(written["normalization_mean"])
    assert list(md.std) == json.loads(written["normalization_std"])
    assert md.resolution_m == 0.5 and md.size_multiple == 32
    assert (md.tile_size, md.tile_overlap) == (512, 64)
    assert md.output_names == HEADS
    assert md.thresholds == dict.fromkeys(HEADS, 0.5)
    assert md.training_data == "synthetic, untrained"
    assert "paper" in md.extra


def test_graph_has_dynamic_height_and_width(tiny_onnx):
    proto = onnx.load(str(tiny_onnx))
    for value in proto.graph.input:
        dims = value.type.tensor_type.shape.dim
        assert [d.dim_param for d in dims] == ["n", "", "h", "w"]
        assert dims[1].dim_value == 3
