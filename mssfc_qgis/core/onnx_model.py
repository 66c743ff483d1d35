"""Run an exported MSSFC-Net ONNX file with ONNX Runtime; no QGIS, no torch.

The file must carry this project's metadata in ONNX ``metadata_props`` (every value a string,
JSON where structured):

=====================  ======================================================================
key                    meaning
=====================  ======================================================================
model_name             ``"mssfc-net"``
model_version          version of the network code that exported it, e.g. ``"0.1.0"``
preset                 ``"compact"``, ``"full"`` or another preset name
input_names            JSON list, ``["t1", "t2"]``
input_bands            JSON list of band names in input order, ``["red", "green", "blue"]``
normalization_mean     JSON list, one per band, units of [0, 1]-scaled reflectance
normalization_std      JSON list, one per band, same units
resolution_m           ground resolution the model was trained at, metres per pixel
tile_size              recommended tile side, pixels
tile_overlap           recommended overlap between tiles, pixels
size_multiple          tile sides must be multiples of this (32)
output_names           JSON list, ``["building_t1", "building_t2", "change"]``
output_kind            ``"probability"`` (sigmoid already applied)
thresholds             JSON object, default threshold per output
training_data          free-text summary of the training data
=====================  ======================================================================

Optional keys (``input_scale``, ``paper``, ``training_steps``, ...) are kept in
:attr:`ModelMetadata.extra`.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .errors import MissingDependency, MssfcError

MODEL_NAME = "mssfc-net"
OUTPUT_NAMES: tuple[str, str, str] = ("building_t1", "building_t2", "change")
REQUIRED_KEYS: tuple[str, ...] = (
    "model_name",
    "model_version",
    "preset",
    "input_names",
    "input_bands",
    "normalization_mean",
    "normalization_std",
    "resolution_m",
    "tile_size",
    "tile_overlap",
    "size_multiple",
    "output_names",
    "thresholds",
    "training_data",
)
#: The exact commands for the Python this runs in (QGIS's), at the version the plugin is tested
#: with (mssfc_qgis.deps.PACKAGES pins the same)
ORT_INSTALL = f'"{sys.executable}" -m pip install "onnxruntime==1.23.2"'
ORT_GPU_INSTALL = f'"{sys.executable}" -m pip install "onnxruntime-gpu==1.23.2"'

Device = Literal["auto", "cuda", "cpu"]


@dataclass(frozen=True)
class ModelMetadata:
    """The validated metadata of an MSSFC-Net ONNX file (see the module docstring)."""

    name: str
    version: str
    preset: str
    input_names: tuple[str, str]
    bands: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    resolution_m: float
    tile_size: int
    tile_overlap: int
    size_multiple: int
    output_names: tuple[str, ...]
    thresholds: dict[str, float]
    training_data: str
    output_kind: str = "probability"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_props(cls, props: dict[str, str], *, source: str = "model") -> ModelMetadata:
        """Parse and check ``metadata_props``; :class:`MssfcError` names what is wrong."""
        if props.get("model_name") != MODEL_NAME:
            found = props.get("model_name")
            raise MssfcError(
                f"{source}: not an MSSFC-Net model of this plugin "
                + (
                    f"(model_name is {found!r}, expected {MODEL_NAME!r})"
                    if found
                    else "(its ONNX metadata has no 'model_name'; export it with "
                    "`python -m mssfc_qgis.model.export`)"
                )
            )
        missing = [k for k in REQUIRED_KEYS if k not in props]
        if missing:
            raise MssfcError(f"{source}: ONNX metadata lacks {', '.join(missing)}")

        def js(key: str) -> Any:
            try:
                return json.loads(props[key])
            except json.JSONDecodeError as exc:
                raise MssfcError(f"{source}: metadata {key!r} is not valid JSON: {exc}") from None

        def num(key: str, kind: type) -> Any:
            try:
                return kind(props[key])
            except ValueError:
                raise MssfcError(
                    f"{source}: metadata {key!r}={props[key]!r} is not a number"
                ) from None

        bands = tuple(str(b) for b in js("input_bands"))
        mean = tuple(float(x) for x in js("normalization_mean"))
        std = tuple(float(x) for x in js("normalization_std"))
        if not bands or len(mean) != len(bands) or len(std) != len(bands):
            raise MssfcError(
                f"{source}: metadata has {len(bands)} bands but {len(mean)} means and "
                f"{len(std)} standard deviations"
            )
        if any(s <= 0 for s in std):
            raise MssfcError(f"{source}: normalization_std must be positive, got {std}")
        outputs = tuple(str(o) for o in js("output_names"))
        if set(outputs) != set(OUTPUT_NAMES):
            raise MssfcError(f"{source}: outputs {outputs}, expected {OUTPUT_NAMES}")
        inputs = tuple(str(i) for i in js("input_names"))
        if len(inputs) != 2:
            raise MssfcError(f"{source}: expected two inputs (T1, T2), metadata names {inputs}")
        thresholds = {str(k): float(v) for k, v in js("thresholds").items()}
        known = set(REQUIRED_KEYS) | {"output_kind"}
        return cls(
            name=props["model_name"],
            version=props["model_version"],
            preset=props["preset"],
            input_names=(inputs[0], inputs[1]),
            bands=bands,
            mean=mean,
            std=std,
            resolution_m=num("resolution_m", float),
            tile_size=num("tile_size", int),
            tile_overlap=num("tile_overlap", int),
            size_multiple=num("size_multiple", int),
            output_names=outputs,
            thresholds={o: thresholds.get(o, 0.5) for o in OUTPUT_NAMES},
            training_data=props["training_data"],
            output_kind=props.get("output_kind", "probability"),
            extra={k: v for k, v in props.items() if k not in known},
        )


def import_onnxruntime() -> Any:
    """The ``onnxruntime`` module, or :class:`MissingDependency` with the install command."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise MissingDependency(
            f"onnxruntime is not installed ({exc}). Install it into QGIS's Python with: "
            f"{ORT_INSTALL}   (or, for an NVIDIA GPU: {ORT_GPU_INSTALL})"
        ) from None
    return onnxruntime


def _check_file(path: Path) -> None:
    if not path.exists():
        raise MssfcError(f"{path}: model file not found")
    if path.is_dir():
        raise MssfcError(f"{path}: is a folder, not an ONNX model file")
    size = path.stat().st_size
    if size == 0:
        raise MssfcError(f"{path}: model file is empty")


def _looks_like_onnx(path: Path) -> bool:
    # an ONNX ModelProto starts with field 1 (ir_version, varint): tag byte 0x08
    with open(path, "rb") as f:
        return f.read(1) == b"\x08"


class OnnxModel:
    """An MSSFC-Net ONNX session with its metadata.

    Attributes
    ----------
    path : the model file.
    metadata : :class:`ModelMetadata`.
    provider : the execution provider in use, ``"CUDAExecutionProvider"`` or
        ``"CPUExecutionProvider"``.
    fallback_reason : why ``device="auto"`` ended on the CPU (``None`` when CUDA is used or the CPU
        was asked for).
    """

    def __init__(
        self, path: Path, session: Any, metadata: ModelMetadata, fallback_reason: str | None
    ) -> None:
        self.path = path
        self.session = session
        self.metadata = metadata
        self.provider: str = session.get_providers()[0]
        self.fallback_reason = fallback_reason
        self._inputs = [i.name for i in session.get_inputs()]
        self._outputs = [o.name for o in session.get_outputs()]

    def __repr__(self) -> str:
        return f"OnnxModel({str(self.path)!r}, preset={self.metadata.preset!r}, {self.provider})"

    def predict(self, t1: np.ndarray, t2: np.ndarray) -> dict[str, np.ndarray]:
        """Probabilities of the three heads for a batch of normalised image pairs.

        Parameters
        ----------
        t1, t2 : ``(n, bands, h, w)`` float32, normalised with :func:`normalize`. Any ``h``, ``w``:
            they are padded by reflection to a multiple of ``metadata.size_multiple`` and the
            outputs cropped back.

        Returns
        -------
        ``{"building_t1", "building_t2", "change"}`` -> ``(n, h, w)`` float32 in [0, 1].
        """
        t1 = np.asarray(t1)
        t2 = np.asarray(t2)
        nb = len(self.metadata.bands)
        if t1.ndim != 4 or t1.shape[1] != nb:
            raise MssfcError(f"t1 must be (n, {nb}, h, w), got {t1.shape}")
        if t1.shape != t2.shape:
            raise MssfcError(f"t1 {t1.shape} and t2 {t2.shape} differ in shape")
        n, _, h, w = t1.shape
        if n == 0 or h == 0 or w == 0:
            raise MssfcError(f"empty input batch {t1.shape}")
        m = self.metadata.size_multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            # numpy reflects repeatedly when the pad exceeds the size; one pixel can only repeat
            mode: Literal["reflect", "edge"] = "reflect" if min(h, w) > 1 else "edge"
            pad = ((0, 0), (0, 0), (0, ph), (0, pw))
            t1 = np.pad(t1, pad, mode=mode)
            t2 = np.pad(t2, pad, mode=mode)
        feeds = {
            self._inputs[0]: np.ascontiguousarray(t1, dtype=np.float32),
            self._inputs[1]: np.ascontiguousarray(t2, dtype=np.float32),
        }
        results = self.session.run(self._outputs, feeds)
        out = {}
        for name, arr in zip(self._outputs, results):
            arr = np.asarray(arr, dtype=np.float32)
            if arr.ndim == 4:
                arr = arr[:, 0]
            out[name] = np.ascontiguousarray(arr[:, :h, :w])
        return out


def normalize(image_0_1: np.ndarray, metadata: ModelMetadata) -> np.ndarray:
    """Normalise ``(..., bands, h, w)`` reflectance in [0, 1] with the model's mean and std.

    >>> import numpy as np
    >>> md = ModelMetadata("mssfc-net", "0", "x", ("t1", "t2"), ("r",), (0.5,), (0.25,), 0.5,
    ...                    512, 64, 32, OUTPUT_NAMES, {}, "")
    >>> normalize(np.ones((1, 2, 2)), md)[0, 0, 0]
    2.0
    """
    img = np.asarray(image_0_1, dtype=np.float32)
    nb = len(metadata.bands)
    if img.ndim < 3 or img.shape[-3] != nb:
        raise MssfcError(f"image must have {nb} bands on axis -3, got shape {img.shape}")
    mean = np.asarray(metadata.mean, np.float32).reshape(nb, 1, 1)
    std = np.asarray(metadata.std, np.float32).reshape(nb, 1, 1)
    return (img - mean) / std


def read_metadata(path: str | os.PathLike[str]) -> ModelMetadata:
    """The validated metadata of a model file, without choosing a device."""
    return load_model(path, device="cpu").metadata


def load_model(path: str | os.PathLike[str], *, device: Device = "auto") -> OnnxModel:
    """Open an MSSFC-Net ONNX file and check its metadata.

    Parameters
    ----------
    path : the ``.onnx`` file.
    device : ``"cuda"`` (error if CUDA cannot be used), ``"cpu"``, or ``"auto"`` (CUDA when it
        works, else the CPU, with the reason in :attr:`OnnxModel.fallback_reason`).

    Raises
    ------
    MissingDependency
        onnxruntime is not installed.
    MssfcError
        The file is missing, not ONNX, corrupted, not this project's model, or CUDA was required
        but is not usable.
    """
    if device not in ("auto", "cuda", "cpu"):
        raise MssfcError(f"device must be 'auto', 'cuda' or 'cpu', got {device!r}")
    path = Path(path)
    _check_file(path)
    ort = import_onnxruntime()
    available = ort.get_available_providers()
    reason: str | None = None
    providers = ["CPUExecutionProvider"]
    if device in ("auto", "cuda"):
        if "CUDAExecutionProvider" in available:
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        else:
            reason = (
                "the installed onnxruntime has no CUDA support; install the GPU build with: "
                f"{ORT_GPU_INSTALL}"
            )
            if device == "cuda":
                raise MssfcError(f"CUDA requested but not usable: {reason}")

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if len(providers) > 1:
        # a failed CUDA start is logged as an error by ORT's global logger; we report it ourselves
        ort.set_default_logger_severity(4)
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # ORT raises its own exception types for bad files
        if not _looks_like_onnx(path):
            raise MssfcError(f"{path}: not an ONNX model file ({type(exc).__name__})") from None
        raise MssfcError(f"{path}: corrupted or unreadable ONNX model: {exc}") from None
    finally:
        if len(providers) > 1:
            ort.set_default_logger_severity(2)

    if "CUDAExecutionProvider" in providers and "CUDAExecutionProvider" not in (
        session.get_providers()
    ):
        reason = (
            "onnxruntime-gpu is installed but could not start CUDA (no NVIDIA GPU or driver, or "
            "the CUDA/cuDNN libraries it needs are missing)"
        )
        if device == "cuda":
            raise MssfcError(f"CUDA requested but not usable: {reason}")
    props = dict(session.get_modelmeta().custom_metadata_map)
    metadata = ModelMetadata.from_props(props, source=str(path))
    names = [i.name for i in session.get_inputs()]
    if len(names) != 2:
        raise MssfcError(f"{path}: expected two inputs (T1, T2), the graph has {names}")
    outs = {o.name for o in session.get_outputs()}
    if not set(OUTPUT_NAMES) <= outs:
        raise MssfcError(f"{path}: graph outputs {sorted(outs)} lack {OUTPUT_NAMES}")
    return OnnxModel(path, session, metadata, reason if device == "auto" else None)
