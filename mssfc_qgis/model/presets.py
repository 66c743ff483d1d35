"""Named network sizes. ``full`` follows the paper as far as its text goes; ``compact`` is for CPUs.

The paper gives no stage widths, depths or decoder width; ``full`` takes the widths of a common
hierarchical encoder of its class (64, 128, 320, 512 at strides 4-32) and the paper's 4 decoder
layers. Any preset can be widened or deepened through :func:`get_config` overrides.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .network import NetworkConfig

PRESETS: dict[str, NetworkConfig] = {
    # closest to the text: 4 decoder layers, 3 task queries, no symmetrisation of our own
    "full": NetworkConfig(
        dims=(64, 128, 320, 512),
        depths=(2, 2, 4, 2),
        decoder_dim=256,
        decoder_heads=8,
        decoder_layers=4,
        mask_dim=128,
        mlp_ratio=4.0,
        symmetric=False,
    ),
    # CPU-sized: same blocks, a quarter of the width, one block per stage
    "compact": NetworkConfig(
        dims=(16, 32, 64, 128),
        depths=(1, 1, 2, 1),
        decoder_dim=64,
        decoder_heads=4,
        decoder_layers=4,
        mask_dim=32,
        mlp_ratio=2.0,
        symmetric=True,
    ),
    # for unit tests and export checks only
    "tiny": NetworkConfig(
        dims=(8, 8, 16, 16),
        depths=(1, 1, 1, 1),
        decoder_dim=16,
        decoder_heads=2,
        decoder_layers=4,
        mask_dim=8,
        mlp_ratio=1.0,
        symmetric=True,
    ),
}


def get_config(preset: str = "compact", **overrides: Any) -> NetworkConfig:
    """The :class:`NetworkConfig` of a named preset, with optional field overrides.

    >>> get_config("compact", decoder_layers=2).decoder_layers
    2
    """
    if preset not in PRESETS:
        raise KeyError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
    return replace(PRESETS[preset], **fixed)
