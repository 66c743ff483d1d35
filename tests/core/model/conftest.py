"""Fixtures for the network tests: a tiny seeded model and its ONNX export (made once)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    # tiny tensors: thread start-up and contention cost more than they save
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model():
    from mssfc_qgis.model import build_model

    torch.manual_seed(0)
    model = build_model("tiny").eval()
    # non-trivial batch-norm statistics, so that export parity checks more than identities
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return model


@pytest.fixture(scope="session")
def tiny_onnx(tiny_model, tmp_path_factory):
    from mssfc_qgis.model.export import build_metadata, export_onnx

    path = tmp_path_factory.mktemp("onnx") / "tiny.onnx"
    meta = build_metadata(preset="tiny", resolution_m=0.5, training_data="synthetic, untrained")
    return export_onnx(tiny_model, path, meta)
