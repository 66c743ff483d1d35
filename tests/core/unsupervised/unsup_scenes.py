"""Tiny seeded synthetic scenes for the unsupervised newly built tests."""

from __future__ import annotations

import cv2
import numpy as np


def urban_brightness(size: int = 192, seed: int = 0) -> np.ndarray:
    """(size, size) float32 brightness: noisy ground, bright rectangles, roads, a blur."""
    rng = np.random.default_rng(seed)
    b = rng.normal(0.2, 0.03, (size, size)).astype(np.float32)
    for _ in range(size * size // 1500):
        y, x = rng.integers(0, size - 30, 2)
        h, w = rng.integers(6, 28, 2)
        b[y : y + h, x : x + w] = rng.uniform(0.5, 0.9)
    for _ in range(2):
        y = int(rng.integers(0, size - 5))
        b[y : y + 4, :] = 0.55
        x = int(rng.integers(0, size - 5))
        b[:, x : x + 3] = 0.5
    return cv2.GaussianBlur(b, (3, 3), 0.8)


def newly_built_pair(size: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t1, t2, truth): 3-band pair; t2 has new bright buildings on bare ground + gain/offset."""
    rng = np.random.default_rng(seed)
    ground = np.stack([rng.normal(m, 0.02, (size, size)) for m in (0.25, 0.3, 0.22)]).astype(
        np.float32
    )
    t1 = ground.copy()
    # an old building present at both dates
    t1[:, 10:30, 10:34] = np.array([0.7, 0.72, 0.68])[:, None, None]
    t2 = t1.copy()
    truth = np.zeros((size, size), bool)
    for y, x, h, w in ((60, 20, 18, 24), (30, 80, 22, 16), (90, 70, 16, 30)):
        t2[:, y : y + h, x : x + w] = np.array([0.75, 0.7, 0.8])[:, None, None]
        truth[y : y + h, x : x + w] = True
    t2 = t2 + rng.normal(0, 0.01, t2.shape).astype(np.float32)
    t2 = 1.1 * t2 + 0.03  # illumination / sensor change everywhere
    return t1, t2.astype(np.float32), truth
