"""Iterative Slow Feature Analysis (ISFA) change detection.

Wu, Du & Zhang, "Slow Feature Analysis for Change Detection in Multispectral Imagery",
IEEE TGRS 52(5), 2014. The slow features of a bi-temporal pair are the projections ``w^T x`` that
vary least between dates relative to their spread; unchanged pixels have small slow-feature
differences, changed pixels large ones. Iterating with weights that favour probably-unchanged
pixels makes the statistics describe the unchanged background only.

Per band and per date the data are standardized (weighted mean and standard deviation), then

* ``A = sum_i omega_i (x_i - y_i)(x_i - y_i)^T / sum_i omega_i``  (difference covariance),
* ``B = (1/2) sum_i omega_i (x_i x_i^T + y_i y_i^T) / sum_i omega_i``  (mean date covariance),
* ``A w = lambda B w`` solved by ``scipy.linalg.eigh(A, B)``: ascending ``lambda``,
  ``w^T B w = 1``,
* ``SFA_j = w_j^T (x - y)``, whose weighted variance is ``lambda_j``,
* ``T = sum_j SFA_j^2 / sigma_j^2`` with ``sigma_j^2 = lambda_j``: chi-square with ``N`` (bands)
  degrees of freedom for unchanged pixels,
* ``omega = 1 - F_chi2_N(T)``, until ``max_j |sqrt(lambda_j^k) - sqrt(lambda_j^(k-1))| < tol``.

Per-band standardization and the slow-feature projection make the change statistic invariant to a
per-band gain and offset between the dates (sensor, illumination): only changes of the joint
spectral structure score.

All statistics are fitted once on a pixel sample (:func:`fit_isfa`) and applied pixel by pixel
(:func:`isfa_change_intensity`), so the halo is 0 and tiled results equal untiled ones exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
from scipy.special import chdtrc

from ..errors import MssfcError

__all__ = [
    "IsfaModel",
    "fit_isfa",
    "isfa_change_intensity",
    "isfa_components",
    "isfa_halo",
    "sample_pixel_pairs",
]

_EPS = 1e-12


@dataclass(frozen=True)
class IsfaModel:
    """Fitted ISFA statistics (JSON-serialisable through :meth:`to_dict`).

    Attributes
    ----------
    mean_x, std_x, mean_y, std_y : tuple of float, length B
        Weighted per-band standardization of date 1 (x) and date 2 (y), in input units.
    w : tuple of tuples, B x B
        ``w[j]`` is the j-th slow-feature vector (ascending eigenvalue), ``w_j^T B w_j = 1``.
    eigenvalues : tuple of float, length B
        ``lambda_j``; also the weighted variance of ``SFA_j`` over unchanged pixels.
    n_iter : int
        Iterations run (1 = plain SFA).
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    """

    mean_x: tuple[float, ...]
    std_x: tuple[float, ...]
    mean_y: tuple[float, ...]
    std_y: tuple[float, ...]
    w: tuple[tuple[float, ...], ...]
    eigenvalues: tuple[float, ...]
    n_iter: int
    converged: bool

    @property
    def n_bands(self) -> int:
        return len(self.mean_x)

    @property
    def projection(self) -> np.ndarray:
        """(B, B) float64 matrix whose rows are the slow-feature vectors."""
        return np.asarray(self.w, dtype=np.float64)

    @property
    def sigma2(self) -> np.ndarray:
        """(B,) float64 variances used to standardize the SFA components (floored at 1e-12)."""
        return np.maximum(np.asarray(self.eigenvalues, dtype=np.float64), _EPS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean_x": list(self.mean_x),
            "std_x": list(self.std_x),
            "mean_y": list(self.mean_y),
            "std_y": list(self.std_y),
            "w": [list(row) for row in self.w],
            "eigenvalues": list(self.eigenvalues),
            "n_iter": self.n_iter,
            "converged": self.converged,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IsfaModel:
        return cls(
            mean_x=tuple(float(v) for v in data["mean_x"]),
            std_x=tuple(float(v) for v in data["std_x"]),
            mean_y=tuple(float(v) for v in data["mean_y"]),
            std_y=tuple(float(v) for v in data["std_y"]),
            w=tuple(tuple(float(v) for v in row) for row in data["w"]),
            eigenvalues=tuple(float(v) for v in data["eigenvalues"]),
            n_iter=int(data["n_iter"]),
            converged=bool(data["converged"]),
        )


def isfa_halo() -> int:
    """ISFA is applied pixel by pixel: halo 0, tiled equals untiled exactly."""
    return 0


# The sample products below are tall and skinny ((N, B) with N ~ 1e5, B <= 5): einsum's plain
# loops beat a threaded BLAS there, which can be 30x slower when the cores are busy (our own
# worker threads, or anything else on the machine).
def _wsum(omega: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``sum_n omega_n v_nb``, (B,)."""
    return np.einsum("n,nb->b", omega, v)


def _gram(v: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """``sum_n omega_n v_ni v_nj``, (B, B)."""
    return np.einsum("ni,nj->ij", v * omega[:, None], v)


def _weighted_standardize(
    v: np.ndarray, omega: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    total = omega.sum()
    mean = _wsum(omega, v) / total
    centred = v - mean
    std = np.sqrt(_wsum(omega, centred * centred) / total)
    std = np.where(std > _EPS, std, 1.0)  # a constant band stays 0 instead of NaN
    return centred / std, mean, std


def fit_isfa(
    x: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-3,
) -> IsfaModel:
    """Fit ISFA on paired pixel samples (METHODS B.1; Wu, Du & Zhang 2014, Eqs. 8-17).

    Parameters
    ----------
    x, y : (N, B) float arrays
        The same N pixels at date 1 and date 2, B bands (or B texture features). Rows with a
        non-finite value are dropped.
    weights : (N,) float array, optional
        Initial weights (default 1: plain SFA in the first iteration).
    max_iter : int
        Maximum number of iterations; ``max_iter=1`` gives non-iterative SFA.
    tol : float
        Stop when the largest change of ``sqrt(lambda_j)`` between iterations is below ``tol``.

    Returns
    -------
    IsfaModel
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or x.shape != y.shape:
        raise MssfcError(
            f"ISFA needs two (N, B) samples of the same shape, got {x.shape} and {y.shape}."
        )
    if max_iter < 1:
        raise MssfcError(f"max_iter must be >= 1, got {max_iter}.")
    omega = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64).copy()
    if omega.shape != (len(x),):
        raise MssfcError(f"weights must have shape ({len(x)},), got {omega.shape}.")
    keep = np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1) & np.isfinite(omega)
    x, y, omega = x[keep], y[keep], omega[keep]
    n, bands = x.shape
    if n < 2 * bands + 2:
        raise MssfcError(
            f"ISFA needs at least {2 * bands + 2} valid sample pixels for {bands} bands, got "
            f"{n}; enlarge the sample or check the valid-data mask."
        )
    if omega.sum() <= 0:
        raise MssfcError("ISFA initial weights sum to 0; pass positive weights.")

    prev_sqrt: np.ndarray | None = None
    converged = False
    n_iter = 0
    for _ in range(max_iter):
        n_iter += 1
        xs, mean_x, std_x = _weighted_standardize(x, omega)
        ys, mean_y, std_y = _weighted_standardize(y, omega)
        total = omega.sum()
        d = xs - ys
        a_mat = _gram(d, omega) / total
        b_mat = 0.5 * (_gram(xs, omega) + _gram(ys, omega)) / total
        # a tiny ridge keeps B positive definite when a band is constant or bands are collinear
        b_mat += np.eye(bands) * (1e-9 * max(np.trace(b_mat) / bands, 1.0))
        a_mat = 0.5 * (a_mat + a_mat.T)
        lam, vecs = scipy.linalg.eigh(a_mat, b_mat)
        lam = np.maximum(lam, 0.0)
        sfa = np.einsum("nb,bj->nj", d, vecs)
        t_stat = (sfa * sfa / np.maximum(lam, _EPS)).sum(axis=1)
        omega = chdtrc(bands, t_stat)  # chi2.sf without the distribution machinery
        cur_sqrt = np.sqrt(lam)
        if prev_sqrt is not None and np.max(np.abs(cur_sqrt - prev_sqrt)) < tol:
            converged = True
            break
        prev_sqrt = cur_sqrt
        if omega.sum() <= _EPS:  # everything looks changed: keep the last statistics
            break
    return IsfaModel(
        mean_x=tuple(float(v) for v in mean_x),
        std_x=tuple(float(v) for v in std_x),
        mean_y=tuple(float(v) for v in mean_y),
        std_y=tuple(float(v) for v in std_y),
        w=tuple(tuple(float(v) for v in col) for col in vecs.T),
        eigenvalues=tuple(float(v) for v in lam),
        n_iter=n_iter,
        converged=converged,
    )


def _check_pair(model: IsfaModel, t1: np.ndarray, t2: np.ndarray) -> None:
    if t1.ndim != 3 or t1.shape != t2.shape:
        raise MssfcError(
            f"ISFA needs two (bands, H, W) images of the same shape, got {t1.shape} and "
            f"{t2.shape}."
        )
    if t1.shape[0] != model.n_bands:
        raise MssfcError(
            f"The ISFA model was fitted on {model.n_bands} bands but the images have "
            f"{t1.shape[0]}; refit it on samples of these images."
        )


def isfa_components(model: IsfaModel, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """Slow-feature differences ``SFA_j = w_j^T (x - y)`` of every pixel.

    Parameters
    ----------
    model : IsfaModel
    t1, t2 : (B, H, W) float arrays
        Date 1 and date 2, the band order used for fitting.

    Returns
    -------
    (B, H, W) float32
        Component j in slot j (ascending eigenvalue: the slowest first).
    """
    t1 = np.asarray(t1)
    t2 = np.asarray(t2)
    _check_pair(model, t1, t2)
    bands, h, w = t1.shape
    # float32 throughout: the statistics are float64, the per-pixel work need not be
    shift = (np.asarray(model.mean_x) / np.asarray(model.std_x)) - (
        np.asarray(model.mean_y) / np.asarray(model.std_y)
    )
    px = model.projection / np.asarray(model.std_x)[None, :]
    py = model.projection / np.asarray(model.std_y)[None, :]
    x = t1.reshape(bands, -1).astype(np.float32, copy=False)
    y = t2.reshape(bands, -1).astype(np.float32, copy=False)
    out = px.astype(np.float32) @ x - py.astype(np.float32) @ y
    out -= (model.projection @ shift).astype(np.float32)[:, None]
    return out.reshape(bands, h, w)


def isfa_change_intensity(
    model: IsfaModel, t1: np.ndarray, t2: np.ndarray, *, valid: np.ndarray | None = None
) -> np.ndarray:
    """Chi-square change statistic ``T = sum_j SFA_j^2 / sigma_j^2`` (METHODS B.1).

    Parameters
    ----------
    model : IsfaModel
    t1, t2 : (B, H, W) float arrays
    valid : (H, W) bool, optional
        Invalid pixels get 0.

    Returns
    -------
    (H, W) float32
        ``T >= 0``; unchanged pixels follow chi-square with B degrees of freedom (mean B).
    """
    with np.errstate(over="ignore"):  # an overflow is handled below
        sfa = isfa_components(model, t1, t2)
        t_stat = np.tensordot((1.0 / model.sigma2).astype(np.float32), sfa * sfa, axes=1)
    # NaN (a non-finite input) is no change; an overflow is the largest change, not none
    t_stat = np.nan_to_num(t_stat, nan=0.0, posinf=float(np.finfo(np.float32).max))
    if valid is not None:
        t_stat = np.where(valid, t_stat, 0.0)
    return t_stat.astype(np.float32)


def sample_pixel_pairs(
    t1: np.ndarray,
    t2: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    max_samples: int = 50_000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a reproducible random sample of valid pixels from a ``(B, H, W)`` pair.

    Returns
    -------
    x, y : (N, B) float64 arrays, ``N <= max_samples``
    """
    t1 = np.asarray(t1)
    t2 = np.asarray(t2)
    if t1.shape != t2.shape or t1.ndim != 3:
        raise MssfcError(f"Expected two (B, H, W) images of one shape, got {t1.shape}, {t2.shape}.")
    bands = t1.shape[0]
    x = t1.reshape(bands, -1)
    y = t2.reshape(bands, -1)
    ok = np.isfinite(x).all(axis=0) & np.isfinite(y).all(axis=0)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool).ravel()
    idx = np.flatnonzero(ok)
    if len(idx) > max_samples:
        idx = np.sort(np.random.default_rng(seed).choice(idx, size=max_samples, replace=False))
    return x[:, idx].T.astype(np.float64), y[:, idx].T.astype(np.float64)
