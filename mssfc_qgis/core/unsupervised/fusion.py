"""Normalization, index fusion, thresholds, and the baseline methods the seed compares with.

Feature-level fusion (the seed's choice, METHODS B.3, B.6, B.7):

* ``CI = a * N(T_spectral) + (1 - a) * N(T_texture)``; ``a = 0.5`` is our default (the seed
  fuses both without publishing a weight),
* ``BI = phi * BLI + (1 - phi) * N(MBI)``, ``phi = 0.4`` (the seed's best),
* ``L = N(CI) * N(BI)`` (product, default) or ``w * N(CI) + (1 - w) * N(BI)``,

where ``N`` is a robust percentile stretch to [0, 1] fitted once on a sample. Decision-level fusion
(the seed's comparison) thresholds CI and BI separately (Otsu) and intersects.

Baselines (all pixelwise once their statistics are fitted, except OBISFA):

* SFAMBI (after Huang & Zhang-style MBI with SFA, the seed's ref. [37], weighted fusion):
  ``w * N(T_SFA) + (1 - w) * N(max(MBI_2 - MBI_1, 0))`` with non-iterative SFA
  (``fit_isfa(max_iter=1)``). We use the MBI *increase*, since a newly built building raises
  MBI; the reference fuses SFA and MBI differences.
* SPETEXMBI (the seed's ref. [38]): spectral change by direct differencing (norm of the
  standardized band difference), texture change likewise over the GLCM stacks, each thresholded
  (Otsu), united, then kept only where the MBI increase passes its own threshold.
* OBISFA: the mean ISFA change intensity of each object of an over-segmentation of the T2 image
  (Felzenszwalb), thresholded. Object means are non-local: in a tiled run each object is cut at
  the window edge, so the mean of an object that crosses the window's halo is approximate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from skimage.filters import threshold_otsu

from ..errors import MssfcError

__all__ = [
    "DiffStats",
    "PercentileStats",
    "building_index",
    "change_intensity",
    "decision_fusion",
    "difference_magnitude",
    "fit_difference_stats",
    "fit_percentiles",
    "likelihood",
    "normalize",
    "obisfa_score",
    "object_means",
    "otsu_threshold",
    "segment_objects",
    "sfambi_score",
    "spetexmbi_mask",
]


@dataclass(frozen=True)
class PercentileStats:
    """Robust stretch ``N(x) = clip((x - low) / (high - low), 0, 1)``."""

    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PercentileStats:
        return cls(low=float(data["low"]), high=float(data["high"]))


def fit_percentiles(sample: np.ndarray, *, low: float = 1.0, high: float = 99.0) -> PercentileStats:
    """Fit the percentile stretch on a sample (non-finite values ignored).

    Parameters
    ----------
    sample : array of any shape
    low, high : float
        Percentiles (0..100) mapped to 0 and 1.
    """
    if not 0 <= low < high <= 100:
        raise MssfcError(f"percentiles need 0 <= low < high <= 100, got {low}, {high}.")
    v = np.asarray(sample, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise MssfcError(
            "Cannot fit a normalization on an empty sample: no valid pixels. Check the "
            "valid-data mask and nodata values."
        )
    lo, hi = np.percentile(v, [low, high])
    return PercentileStats(low=float(lo), high=float(hi))


#: Above this ratio between the dates' brightness spreads, the dates are taken to be on different
#: radiometric scales (2 bits of depth: 8 against 10, 11 or 16 bits, another sensor); same-sensor
#: pairs differ by 0.7 - 2.1 on the shared real data, where change and season move the spread.
SCALE_MISMATCH = 4.0


def texture_ranges(
    b1: np.ndarray, b2: np.ndarray, *, low: float = 1.0, high: float = 99.0
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Brightness ranges that the GLCM of T1 and of T2 quantize, from samples of each date.

    Normally one range for both dates, the ``low``-``high`` percentiles of the two samples
    together, so a change of contrast between the dates is texture change. When the dates'
    spreads (``high`` minus ``low`` percentile) differ by more than :data:`SCALE_MISMATCH`, the
    dates are on different radiometric scales and one shared range would quantize one of them
    into a few grey levels: each date then gets its own range, which puts T1 on T2's scale.

    Returns
    -------
    ((low_t1, high_t1), (low_t2, high_t2))
    """
    r1, r2 = fit_percentiles(b1, low=low, high=high), fit_percentiles(b2, low=low, high=high)
    s1, s2 = r1.high - r1.low, r2.high - r2.low
    if s1 > 0 and s2 > 0 and max(s1 / s2, s2 / s1) > SCALE_MISMATCH:
        return (r1.low, r1.high), (r2.low, r2.high)
    both = fit_percentiles(
        np.concatenate([np.ravel(b1), np.ravel(b2)]).astype(np.float64), low=low, high=high
    )
    joint = (both.low, both.high if both.high > both.low else both.low + 1.0)
    return joint, joint


def normalize(x: np.ndarray, stats: PercentileStats) -> np.ndarray:
    """Apply the stretch: float32 in [0, 1]; a degenerate range maps to 0 below/at low, else 1."""
    x = np.asarray(x, dtype=np.float32)
    span = stats.high - stats.low
    if span <= 0:
        out = (x > stats.low).astype(np.float32)
    else:
        out = (x - np.float32(stats.low)) * np.float32(1.0 / span)
    return np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0).astype(np.float32)


def _check_weight(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise MssfcError(f"{name} must be within [0, 1], got {value}.")


def change_intensity(
    spectral_n: np.ndarray, texture_n: np.ndarray, *, weight: float = 0.5
) -> np.ndarray:
    """``CI = a * N(T_spectral) + (1 - a) * N(T_texture)`` on normalized inputs (METHODS B.3)."""
    _check_weight("ci weight", weight)
    return (weight * spectral_n + (1.0 - weight) * texture_n).astype(np.float32)


def building_index(bli: np.ndarray, mbi_n: np.ndarray, *, weight: float = 0.4) -> np.ndarray:
    """``BI = phi * BLI + (1 - phi) * N(MBI)`` (METHODS B.6, phi = 0.4 in the seed)."""
    _check_weight("fusion weight phi", weight)
    return (weight * bli + (1.0 - weight) * mbi_n).astype(np.float32)


def likelihood(
    ci_n: np.ndarray,
    bi_n: np.ndarray,
    *,
    mode: Literal["product", "sum"] = "product",
    weight: float = 0.5,
) -> np.ndarray:
    """Newly built likelihood from normalized CI and BI (METHODS B.7).

    ``mode="product"``: ``N(CI) * N(BI)``; ``mode="sum"``: ``w * N(CI) + (1 - w) * N(BI)``.
    """
    if mode == "product":
        return (ci_n * bi_n).astype(np.float32)
    if mode == "sum":
        _check_weight("likelihood weight", weight)
        return (weight * ci_n + (1.0 - weight) * bi_n).astype(np.float32)
    raise MssfcError(f"likelihood mode must be 'product' or 'sum', got {mode!r}.")


def otsu_threshold(sample: np.ndarray) -> float:
    """Otsu's threshold of a sample (non-finite ignored); a constant sample returns its value."""
    v = np.asarray(sample, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise MssfcError("Cannot compute an Otsu threshold of an empty sample.")
    if v.min() == v.max():
        return float(v[0])
    return float(threshold_otsu(v))


def decision_fusion(
    ci_n: np.ndarray, bi_n: np.ndarray, *, ci_threshold: float, bi_threshold: float
) -> np.ndarray:
    """Decision-level fusion: ``(N(CI) > t_CI) & (N(BI) > t_BI)``, bool (H, W)."""
    return (np.asarray(ci_n) > ci_threshold) & (np.asarray(bi_n) > bi_threshold)


# ---------------------------------------------------------------- baselines


@dataclass(frozen=True)
class DiffStats:
    """Per-channel scale of a direct difference ``t2 - t1`` (for SPETEXMBI)."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiffStats:
        return cls(mean=tuple(map(float, data["mean"])), std=tuple(map(float, data["std"])))


def fit_difference_stats(x: np.ndarray, y: np.ndarray) -> DiffStats:
    """Fit mean and standard deviation of ``y - x`` per channel on (N, C) samples."""
    d = np.asarray(y, dtype=np.float64) - np.asarray(x, dtype=np.float64)
    d = d[np.isfinite(d).all(axis=1)]
    if len(d) < 2:
        raise MssfcError("Too few valid sample pixels to fit difference statistics.")
    std = d.std(axis=0)
    return DiffStats(
        mean=tuple(map(float, d.mean(axis=0))),
        std=tuple(float(s) if s > 1e-12 else 1.0 for s in std),
    )


def difference_magnitude(t1: np.ndarray, t2: np.ndarray, stats: DiffStats) -> np.ndarray:
    """Change by direct differencing: ``|| (t2 - t1 - mean) / std ||_2`` over channels.

    t1, t2 : (C, H, W); returns (H, W) float32.
    """
    z = np.subtract(t2, t1, dtype=np.float32)
    z -= np.asarray(stats.mean, np.float32)[:, None, None]
    z *= (1.0 / np.asarray(stats.std, np.float64)).astype(np.float32)[:, None, None]
    np.multiply(z, z, out=z)
    total = z.sum(axis=0)
    bad = ~np.isfinite(total)
    if bad.any():  # NaN terms count as 0, as an infinite one as the largest float32
        total[bad] = np.nan_to_num(z[:, bad]).sum(axis=0)
    return np.sqrt(total).astype(np.float32, copy=False)


def sfambi_score(
    sfa_n: np.ndarray, mbi1_n: np.ndarray, mbi2_n: np.ndarray, *, weight: float = 0.5
) -> np.ndarray:
    """SFAMBI weighted fusion: ``w * N(T_SFA) + (1 - w) * max(N(MBI_2) - N(MBI_1), 0)``."""
    _check_weight("SFAMBI weight", weight)
    increase = np.clip(mbi2_n - mbi1_n, 0.0, 1.0)
    return (weight * sfa_n + (1.0 - weight) * increase).astype(np.float32)


def spetexmbi_mask(
    spectral_n: np.ndarray,
    texture_n: np.ndarray,
    mbi_increase_n: np.ndarray,
    *,
    spectral_threshold: float,
    texture_threshold: float,
    mbi_threshold: float,
) -> np.ndarray:
    """SPETEXMBI: ``(spec > t_s | tex > t_t) & (MBI increase > t_m)``, bool (H, W)."""
    change = (spectral_n > spectral_threshold) | (texture_n > texture_threshold)
    return change & (mbi_increase_n > mbi_threshold)


def segment_objects(
    image: np.ndarray, *, scale: float = 50.0, sigma: float = 0.8, min_size: int = 20
) -> np.ndarray:
    """Over-segment a (C, H, W) image in [0, 1] with Felzenszwalb's graph method; (H, W) int32.

    ``scale``, ``sigma`` and ``min_size`` (pixels) as in ``skimage.segmentation.felzenszwalb``.
    """
    from skimage.segmentation import felzenszwalb

    img = np.moveaxis(np.asarray(image, dtype=np.float64), 0, -1)
    labels = felzenszwalb(
        np.nan_to_num(img), scale=scale, sigma=sigma, min_size=min_size, channel_axis=-1
    )
    return labels.astype(np.int32)


def object_means(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Replace every pixel by the mean of ``values`` over its object (labels >= 0); float32."""
    lab = np.asarray(labels).ravel()
    v = np.nan_to_num(np.asarray(values, dtype=np.float64).ravel())
    sums = np.bincount(lab, weights=v)
    counts = np.bincount(lab)
    means = sums / np.maximum(counts, 1)
    return means[lab].reshape(np.shape(values)).astype(np.float32)


def obisfa_score(isfa_n: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """OBISFA: object mean of the normalized ISFA change intensity, (H, W) float32."""
    return object_means(isfa_n, labels)
