"""The QGIS-free ONNX Runtime wrapper: errors that name the file and the problem, padding, devices."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from mssfc_qgis.core.errors import MissingDependency, MssfcError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from mssfc_qgis.core.onnx_model import (  # noqa: E402
    OUTPUT_NAMES,
    ModelMetadata,
    load_model,
    normalize,
)


def identity_onnx(path, props: dict[str, str] | None = None):
    """A valid two-input ONNX graph that is not MSSFC-Net (Add of t1 and t2)."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("t1", TensorProto.FLOAT, ["n", 3, "h", "w"])
    y = helper.make_tensor_value_info("t2", TensorProto.FLOAT, ["n", 3, "h", "w"])
    z = helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["n", 3, "h", "w"])
    graph = helper.make_graph([helper.make_node("Add", ["t1", "t2"], ["sum"])], "g", [x, y], [z])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in (props or {}).items():
        e = model.metadata_props.add()
        e.key, e.value = k, v
    onnx.save(model, str(path))
    return path


def test_random_bytes_are_not_an_onnx_file(tmp_path):
    bad = tmp_path / "noise.onnx"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    bad.write_bytes(b"\x42" + bad.read_bytes()[1:])
    with pytest.raises(MssfcError, match=r"noise\.onnx.*not an ONNX model file"):
        load_model(bad, device="cpu")


def test_truncated_model_is_reported_as_corrupted(tiny_onnx, tmp_path):
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(tiny_onnx.read_bytes()[:5000])
    with pytest.raises(MssfcError, match=r"cut\.onnx.*corrupted"):
        load_model(cut, device="cpu")


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(MssfcError, match="not found"):
        load_model(tmp_path / "absent.onnx")
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(MssfcError, match="empty"):
        load_model(tmp_path / "empty.onnx")


def test_onnx_without_our_metadata_is_refused(tmp_path):
    path = identity_onnx(tmp_path / "other.onnx")
    with pytest.raises(MssfcError, match=r"other\.onnx.*not an MSSFC-Net model.*model_name"):
        load_model(path, device="cpu")
    foreign = identity_onnx(tmp_path / "foreign.onnx", {"model_name": "unet"})
    with pytest.raises(MssfcError, match="'unet'"):
        load_model(foreign, device="cpu")


def test_incomplete_metadata_names_the_missing_keys(tmp_path):
    path = identity_onnx(tmp_path / "half.onnx", {"model_name": "mssfc-net", "preset": "x"})
    with pytest.raises(MssfcError, match=r"lacks .*normalization_mean"):
        load_model(path, device="cpu")


def test_auto_device_falls_back_with_a_reason(tiny_onnx):
    model = load_model(tiny_onnx, device="auto")
    if model.provider == "CUDAExecutionProvider":
        assert model.fallback_reason is None
    else:
        assert model.provider == "CPUExecutionProvider"
        assert model.fallback_reason and "CUDA" in model.fallback_reason
    assert load_model(tiny_onnx, device="cpu").fallback_reason is None


def test_cuda_device_without_cuda_is_a_clear_error(tiny_onnx):
    if load_model(tiny_onnx, device="auto").provider == "CUDAExecutionProvider":
        pytest.skip("CUDA works on this machine")
    with pytest.raises(MssfcError, match="CUDA requested but not usable"):
        load_model(tiny_onnx, device="cuda")


def test_bad_device_name(tiny_onnx):
    with pytest.raises(MssfcError, match="device must be"):
        load_model(tiny_onnx, device="tpu")  # type: ignore[arg-type]


def test_predict_pads_odd_sizes_and_crops_back(tiny_onnx):
    model = load_model(tiny_onnx, device="cpu")
    rng = np.random.default_rng(1)
    t1 = rng.normal(size=(1, 3, 45, 70)).astype(np.float32)
    out = model.predict(t1, t1.copy())
    assert set(out) == set(OUTPUT_NAMES)
    for arr in out.values():
        assert arr.shape == (1, 45, 70) and arr.dtype == np.float32
        assert np.all((arr >= 0) & (arr <= 1))
    tiny = model.predict(t1[:, :, :5, :3], t1[:, :, :5, :3])
    assert tiny["change"].shape == (1, 5, 3)
    line = model.predict(t1[:, :, :1, :40], t1[:, :, :1, :40])
    assert line["building_t1"].shape == (1, 1, 40)


def test_predict_checks_shapes(tiny_onnx):
    model = load_model(tiny_onnx, device="cpu")
    a = np.zeros((1, 3, 32, 32), np.float32)
    with pytest.raises(MssfcError, match="differ"):
        model.predict(a, np.zeros((1, 3, 32, 64), np.float32))
    with pytest.raises(MssfcError, match=r"\(n, 3, h, w\)"):
        model.predict(a[:, :2], a[:, :2])


def test_normalize_uses_metadata(tiny_onnx):
    md = load_model(tiny_onnx, device="cpu").metadata
    img = np.full((2, 3, 4, 4), 0.5, np.float32)
    out = normalize(img, md)
    expected = (0.5 - np.array(md.mean)) / np.array(md.std)
    np.testing.assert_allclose(out[1, :, 2, 2], expected, rtol=1e-6)
    with pytest.raises(MssfcError, match="3 bands"):
        normalize(np.zeros((4, 8, 8)), md)


def test_metadata_parser_rejects_inconsistent_values():
    good = {
        "model_name": "mssfc-net",
        "model_version": "0.1.0",
        "preset": "x",
        "input_names": '["t1", "t2"]',
        "input_bands": '["red", "green", "blue"]',
        "normalization_mean": "[0.5, 0.5, 0.5]",
        "normalization_std": "[0.2, 0.2, 0.2]",
        "resolution_m": "0.5",
        "tile_size": "512",
        "tile_overlap": "64",
        "size_multiple": "32",
        "output_names": '["building_t1", "building_t2", "change"]',
        "thresholds": '{"change": 0.4}',
        "training_data": "",
    }
    md = ModelMetadata.from_props(good)
    assert md.thresholds == {"building_t1": 0.5, "building_t2": 0.5, "change": 0.4}
    with pytest.raises(MssfcError, match="2 means"):
        ModelMetadata.from_props({**good, "normalization_mean": "[0.5, 0.5]"})
    with pytest.raises(MssfcError, match="not valid JSON"):
        ModelMetadata.from_props({**good, "input_bands": "red,green"})
    with pytest.raises(MssfcError, match="not a number"):
        ModelMetadata.from_props({**good, "tile_size": "big"})


def test_missing_onnxruntime_names_the_install_command(monkeypatch, tiny_onnx):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    # the exact command for the Python running this (QGIS's), at the tested version
    with pytest.raises(MissingDependency) as err:
        load_model(tiny_onnx)
    assert f'"{sys.executable}" -m pip install "onnxruntime==1.23.2"' in str(err.value)
