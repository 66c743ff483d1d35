"""Unsupervised newly built building detection, whole pipeline on an in-memory pair (METHODS B).

:func:`newlybuilt_untiled` fits every global statistic on the whole image and runs every stage on
the full arrays. It is the reference the tiled engine must reproduce: the tiled version fits the
same statistics on a sample (``fit_*`` functions) and runs the same window functions with the
halos of each module (``*_halo``).

Default lengths are for 0.5 m imagery and are given in metres so that they follow the pixel size:

* MBI lines 2 m .. 50 m by 5 m (4 .. 100 px at 0.5 m). ``s_max`` must exceed the widest
  building (METHODS B.4); 50 m covers detached and terraced houses, apartment blocks and most
  warehouses. Huang & Zhang used 2 .. 52 px by 5 px at 0.6 m (1.2 .. 31 m); larger industrial
  halls justify the longer maximum. ``s_min`` 2 m is below the smallest roof. With the
  telescoping MBI the step only scales the index (``1 / S``), which the normalization removes.
* LVC distance 3 m: LSD breaks at roof corners leave gaps of one to a few pixels.
* BLI smoothing 1 m; BLI segments shorter than 2 m are ignored (noise, texture).
* Minimum object area 20 m^2 (a small detached building is ~ 50 m^2).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np

from ..errors import MssfcError
from . import bli as bli_mod
from . import fusion, isfa, mbi, objects, texture

__all__ = [
    "NewlyBuiltConfig",
    "PixelParams",
    "fit_texture_change",
    "newlybuilt_untiled",
    "texture_change",
    "unused_threshold_note",
]

METHODS = ("proposed", "obisfa", "sfambi", "spetexmbi")
FUSIONS = ("feature", "decision")
TEXTURE_CHANGES = ("isfa", "difference")


@dataclass(frozen=True)
class PixelParams:
    """Length parameters of :class:`NewlyBuiltConfig` converted to pixels for one pixel size."""

    mbi_min_length: int
    mbi_max_length: int
    mbi_step: int
    bli_max_distance: float
    bli_sigma: float
    bli_min_segment: float
    bli_max_arm: float
    min_area_px: int


@dataclass(frozen=True)
class NewlyBuiltConfig:
    """Parameters of the unsupervised newly built building method (defaults: 0.5 m imagery).

    Attributes
    ----------
    method : {"proposed", "obisfa", "sfambi", "spetexmbi"}
        The seed's method or one of the baselines it compares with.
    fusion : {"feature", "decision"}
        Feature-level (likelihood ``N(CI) * N(BI)``, thresholded) or decision-level (CI and BI
        thresholded separately with Otsu, then AND) fusion; "proposed" only.
    visible_bands : tuple of int, optional
        0-based indices of the visible bands for brightness (default: all bands).
    angle_tolerance_deg : float
        LVC tolerance theta, degrees (seed: 4).
    fusion_weight : float
        phi in ``BI = phi * BLI + (1 - phi) * N(MBI)`` (seed: 0.4).
    ci_weight : float
        a in ``CI = a * N(T_spec) + (1 - a) * N(T_tex)`` (ours: 0.5).
    texture_change : {"isfa", "difference"}
        ``T_tex``: the norm of the standardized difference of the two GLCM stacks (default,
        ours) or ISFA over them (METHODS B.2 allows both). The GLCM statistics are strongly
        correlated, so ISFA's generalized eigenproblem is ill-conditioned on them and weights the
        least-changing, noisiest combinations most.
    likelihood_mode : {"product", "sum"}; likelihood_weight : float
        ``N(CI) * N(BI)`` or ``w * N(CI) + (1 - w) * N(BI)``.
    threshold : float, optional
        Likelihood threshold; None = Otsu on the likelihood of valid pixels.
    mbi_min_length_m, mbi_max_length_m, mbi_step_m : float
        MBI line lengths, metres.
    mbi_reconstruction_radius_m : float, optional
        Geodesic reach of the reconstruction, metres; None = ``mbi_max_length_m``. A finite reach
        makes MBI local (exact tiles) and fast; see :mod:`.mbi`.
    mbi_full_reconstruction : bool
        Reconstruct to convergence (textbook MBI, ~10x slower on 1 Mpx, tiles approximate).
    bli_max_distance_m, bli_sigma_m, bli_min_segment_m : float
        LVC distance, BLI smoothing, shortest segment kept, metres.
    texture_window, texture_levels : int
        GLCM window side (pixels, odd) and grey levels (8 is ~2x faster than 16).
    isfa_max_iter, isfa_tol
        ISFA iteration limit and tolerance on ``sqrt(lambda)``.
    max_aspect_ratio : float
        Objects with GI above this are removed (seed uses GI; our default 4).
    min_area_m2 : float
        Objects smaller than this are removed, square metres.
    baseline_weight : float
        SFA weight in the SFAMBI fusion.
    max_samples, seed : int
        Pixel sample size and seed for fitting statistics.
    """

    method: Literal["proposed", "obisfa", "sfambi", "spetexmbi"] = "proposed"
    fusion: Literal["feature", "decision"] = "feature"
    visible_bands: tuple[int, ...] | None = None
    angle_tolerance_deg: float = 4.0
    fusion_weight: float = 0.4
    ci_weight: float = 0.5
    texture_change: Literal["isfa", "difference"] = "difference"
    likelihood_mode: Literal["product", "sum"] = "product"
    likelihood_weight: float = 0.5
    threshold: float | None = None
    mbi_min_length_m: float = 2.0
    mbi_max_length_m: float = 50.0
    mbi_step_m: float = 5.0
    mbi_reconstruction_radius_m: float | None = None
    mbi_full_reconstruction: bool = False
    bli_max_distance_m: float = 3.0
    bli_sigma_m: float = 1.0
    bli_min_segment_m: float = 2.0
    texture_window: int = 7
    texture_levels: int = 8
    isfa_max_iter: int = 50
    isfa_tol: float = 1e-3
    max_aspect_ratio: float = 4.0
    min_area_m2: float = 20.0
    baseline_weight: float = 0.5
    max_samples: int = 50_000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise MssfcError(f"method must be one of {METHODS}, got {self.method!r}.")
        if self.fusion not in FUSIONS:
            raise MssfcError(f"fusion must be one of {FUSIONS}, got {self.fusion!r}.")
        if self.texture_change not in TEXTURE_CHANGES:
            raise MssfcError(
                f"texture_change must be one of {TEXTURE_CHANGES}, got {self.texture_change!r}."
            )
        for name in ("fusion_weight", "ci_weight", "likelihood_weight", "baseline_weight"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise MssfcError(f"{name} must be within [0, 1], got {v}.")
        if not 0.0 <= self.angle_tolerance_deg <= 90.0:
            raise MssfcError(
                f"angle_tolerance_deg must be within [0, 90], got {self.angle_tolerance_deg}."
            )
        if not 0 < self.mbi_min_length_m < self.mbi_max_length_m or self.mbi_step_m <= 0:
            raise MssfcError(
                "MBI lengths need 0 < min < max and step > 0 metres, got "
                f"{self.mbi_min_length_m}, {self.mbi_max_length_m}, {self.mbi_step_m}."
            )
        if self.max_aspect_ratio < 1.0:
            raise MssfcError(f"max_aspect_ratio must be >= 1, got {self.max_aspect_ratio}.")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["visible_bands"] is not None:
            d["visible_bands"] = list(d["visible_bands"])
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewlyBuiltConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise MssfcError(f"Unknown newly-built parameters: {sorted(unknown)}.")
        d = dict(data)
        if d.get("visible_bands") is not None:
            d["visible_bands"] = tuple(int(v) for v in d["visible_bands"])
        return cls(**d)

    def in_pixels(self, pixel_size_m: float) -> PixelParams:
        """Convert the metric parameters for a raster of ``pixel_size_m`` metres per pixel."""
        to_px = mbi.metres_to_pixels
        s_min = to_px(self.mbi_min_length_m, pixel_size_m)
        s_max = max(to_px(self.mbi_max_length_m, pixel_size_m), s_min + 1)
        return PixelParams(
            mbi_min_length=s_min,
            mbi_max_length=s_max,
            mbi_step=to_px(self.mbi_step_m, pixel_size_m),
            bli_max_distance=self.bli_max_distance_m / pixel_size_m,
            bli_sigma=self.bli_sigma_m / pixel_size_m,
            bli_min_segment=self.bli_min_segment_m / pixel_size_m,
            bli_max_arm=s_max,
            min_area_px=max(1, int(math.ceil(self.min_area_m2 / pixel_size_m**2))),
        )

    def mbi_radius_px(self, pixel_size_m: float) -> int | None:
        """Reconstruction radius in pixels (None: to convergence)."""
        if self.mbi_full_reconstruction:
            return None
        metres = self.mbi_reconstruction_radius_m
        if metres is None:
            return self.in_pixels(pixel_size_m).mbi_max_length
        return mbi.metres_to_pixels(metres, pixel_size_m)


def unused_threshold_note(cfg: NewlyBuiltConfig) -> str | None:
    """The warning for a likelihood threshold the chosen method does not apply (it thresholds
    its layers by Otsu each), or None when the threshold is used or not given."""
    if cfg.threshold is None:
        return None
    if cfg.method == "spetexmbi":
        return (
            f"THRESHOLD {cfg.threshold:g} is not used: SPETEXMBI thresholds its spectral "
            "change, texture change and MBI change each by Otsu. The other methods use it."
        )
    if cfg.method == "proposed" and cfg.fusion == "decision":
        return (
            f"THRESHOLD {cfg.threshold:g} is not used: decision-level fusion thresholds N(CI) "
            "and N(BI) each by Otsu and keeps the pixels above both. Choose feature-level "
            "fusion to set the likelihood threshold."
        )
    return None


def unused_fusion_note(cfg: NewlyBuiltConfig) -> str | None:
    """The warning for fusion settings a baseline does not apply (FUSION and LIKELIHOOD_MODE
    shape the proposed method's likelihood only), or None."""
    if cfg.method == "proposed":
        return None
    unused = [
        name
        for name, changed in (
            (f"FUSION {cfg.fusion}", cfg.fusion != "feature"),
            (f"LIKELIHOOD_MODE {cfg.likelihood_mode}", cfg.likelihood_mode != "product"),
        )
        if changed
    ]
    if not unused:
        return None
    return (
        f"{' and '.join(unused)} not used: {cfg.method.upper()} has its own fusion; these "
        "settings apply to the proposed method."
    )


def _fit_norm(values: np.ndarray, valid: np.ndarray) -> fusion.PercentileStats:
    return fusion.fit_percentiles(values[valid])


def _isfa_map(
    a: np.ndarray, b: np.ndarray, valid: np.ndarray, cfg: NewlyBuiltConfig, *, max_iter: int
) -> np.ndarray:
    x, y = isfa.sample_pixel_pairs(a, b, valid, max_samples=cfg.max_samples, seed=cfg.seed)
    model = isfa.fit_isfa(x, y, max_iter=max_iter, tol=cfg.isfa_tol)
    return isfa.isfa_change_intensity(model, a, b, valid=valid)


def fit_texture_change(
    x: np.ndarray, y: np.ndarray, cfg: NewlyBuiltConfig
) -> isfa.IsfaModel | fusion.DiffStats:
    """Fit ``cfg.texture_change`` on ``(N, features)`` GLCM samples of T1 (``x``) and T2 (``y``)."""
    if cfg.texture_change == "isfa":
        return isfa.fit_isfa(x, y, max_iter=cfg.isfa_max_iter, tol=cfg.isfa_tol)
    return fusion.fit_difference_stats(x, y)


def texture_change(
    model: isfa.IsfaModel | fusion.DiffStats, g1: np.ndarray, g2: np.ndarray, valid: np.ndarray
) -> np.ndarray:
    """Texture change ``(H, W)`` float32 of GLCM stacks ``(features, H, W)`` (0 where invalid)."""
    if isinstance(model, isfa.IsfaModel):
        return isfa.isfa_change_intensity(model, g1, g2, valid=valid)
    return np.where(valid, fusion.difference_magnitude(g1, g2, model), 0.0).astype(np.float32)


def newlybuilt_untiled(
    t1: np.ndarray,
    t2: np.ndarray,
    valid: np.ndarray | None,
    config: NewlyBuiltConfig,
    *,
    pixel_size_m: float,
) -> dict[str, np.ndarray]:
    """Run the whole method on a full in-memory, co-registered pair.

    Parameters
    ----------
    t1, t2 : (bands, H, W) float arrays
        Before and after images, same bands.
    valid : (H, W) bool, optional
        Valid-data mask (also excludes non-finite pixels of either date).
    config : NewlyBuiltConfig
    pixel_size_m : float
        Ground sampling distance, metres.

    Returns
    -------
    dict of (H, W) arrays
        ``ci``, ``mbi``, ``bli``, ``bi``, ``likelihood`` (float32; for baselines ``ci`` is their
        change score, ``bi`` their building evidence), ``mask`` (bool), and ``threshold``
        (0-d float32, the likelihood threshold used; NaN for decision-level outputs).
    """
    t1 = np.asarray(t1, dtype=np.float32)
    t2 = np.asarray(t2, dtype=np.float32)
    if t1.ndim != 3 or t1.shape != t2.shape:
        raise MssfcError(
            f"Both dates need the same (bands, H, W) shape, got {t1.shape} and {t2.shape}; "
            "resample them onto one grid first."
        )
    ok = np.isfinite(t1).all(axis=0) & np.isfinite(t2).all(axis=0)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)
    if ok.sum() < 64:
        raise MssfcError("Fewer than 64 valid pixels: check nodata values and the overlap.")
    cfg = config
    px = cfg.in_pixels(pixel_size_m)
    radius = cfg.mbi_radius_px(pixel_size_m)

    b1 = mbi.brightness(t1, visible_bands=cfg.visible_bands)
    b2 = mbi.brightness(t2, visible_bands=cfg.visible_bands)
    both = np.concatenate([b1[ok], b2[ok]])
    full = fusion.fit_percentiles(both, low=0.0, high=100.0)
    robust = fusion.fit_percentiles(both)
    full_range = (full.low, full.high if full.high > full.low else full.low + 1.0)
    robust_range = (robust.low, robust.high if robust.high > robust.low else robust.low + 1.0)

    def mbi_of(b: np.ndarray) -> np.ndarray:
        return mbi.morphological_building_index(
            b,
            min_length=px.mbi_min_length,
            max_length=px.mbi_max_length,
            step=px.mbi_step,
            reconstruction_radius=radius,
            value_range=full_range,
            valid=ok,
        )

    tex_ranges = fusion.texture_ranges(b1[ok], b2[ok])

    def texture_of(b: np.ndarray, date: int) -> np.ndarray:
        return texture.glcm_features(
            b,
            window=cfg.texture_window,
            levels=cfg.texture_levels,
            value_range=tex_ranges[date],
            valid=ok,
        )

    mbi2 = mbi_of(b2)
    mbi2_stats = _fit_norm(mbi2, ok)
    mbi2_n = fusion.normalize(mbi2, mbi2_stats)
    density = bli_mod.building_line_index(
        b2,
        max_distance=px.bli_max_distance,
        angle_tolerance_deg=cfg.angle_tolerance_deg,
        sigma=px.bli_sigma,
        min_length=px.bli_min_segment,
        max_arm=px.bli_max_arm,
        value_range=robust_range,
    )
    bli_n = bli_mod.normalize_bli(density, bli_mod.fit_bli_scale(density[ok]))
    bli_n = np.where(ok, bli_n, 0.0).astype(np.float32)
    bi = fusion.building_index(bli_n, mbi2_n, weight=cfg.fusion_weight)
    threshold = np.float32(np.nan)

    if cfg.method in ("proposed", "obisfa"):
        t_spec = _isfa_map(t1, t2, ok, cfg, max_iter=cfg.isfa_max_iter)
        spec_n = fusion.normalize(t_spec, _fit_norm(t_spec, ok))
    if cfg.method in ("proposed", "spetexmbi"):
        g1, g2 = texture_of(b1, 0), texture_of(b2, 1)

    if cfg.method == "proposed":
        gx, gy = isfa.sample_pixel_pairs(g1, g2, ok, max_samples=cfg.max_samples, seed=cfg.seed)
        t_tex = texture_change(fit_texture_change(gx, gy, cfg), g1, g2, ok)
        tex_n = fusion.normalize(t_tex, _fit_norm(t_tex, ok))
        ci = fusion.change_intensity(spec_n, tex_n, weight=cfg.ci_weight)
        ci_n = fusion.normalize(ci, _fit_norm(ci, ok))
        bi_n = fusion.normalize(bi, _fit_norm(bi, ok))
        lik = fusion.likelihood(ci_n, bi_n, mode=cfg.likelihood_mode, weight=cfg.likelihood_weight)
        if cfg.fusion == "feature":
            thr = cfg.threshold if cfg.threshold is not None else fusion.otsu_threshold(lik[ok])
            threshold = np.float32(thr)
            mask = lik > thr
        else:
            mask = fusion.decision_fusion(
                ci_n,
                bi_n,
                ci_threshold=fusion.otsu_threshold(ci_n[ok]),
                bi_threshold=fusion.otsu_threshold(bi_n[ok]),
            )
    elif cfg.method == "obisfa":
        stretched = np.stack([fusion.normalize(band, _fit_norm(band, ok)) for band in t2])
        labels = fusion.segment_objects(stretched)
        ci = lik = fusion.obisfa_score(np.where(ok, spec_n, 0.0), labels)
        thr = cfg.threshold if cfg.threshold is not None else fusion.otsu_threshold(lik[ok])
        threshold = np.float32(thr)
        mask = lik > thr
    elif cfg.method == "sfambi":
        t_sfa = _isfa_map(t1, t2, ok, cfg, max_iter=1)
        sfa_n = fusion.normalize(t_sfa, _fit_norm(t_sfa, ok))
        mbi1_n = fusion.normalize(mbi_of(b1), mbi2_stats)
        ci = sfa_n
        lik = fusion.sfambi_score(sfa_n, mbi1_n, mbi2_n, weight=cfg.baseline_weight)
        thr = cfg.threshold if cfg.threshold is not None else fusion.otsu_threshold(lik[ok])
        threshold = np.float32(thr)
        mask = lik > thr
    else:  # spetexmbi
        x, y = isfa.sample_pixel_pairs(t1, t2, ok, max_samples=cfg.max_samples, seed=cfg.seed)
        spec = fusion.difference_magnitude(t1, t2, fusion.fit_difference_stats(x, y))
        gx, gy = isfa.sample_pixel_pairs(g1, g2, ok, max_samples=cfg.max_samples, seed=cfg.seed)
        tex = fusion.difference_magnitude(g1, g2, fusion.fit_difference_stats(gx, gy))
        spec_n = fusion.normalize(spec, _fit_norm(spec, ok))
        tex_n = fusion.normalize(tex, _fit_norm(tex, ok))
        mbi1_n = fusion.normalize(mbi_of(b1), mbi2_stats)
        dmbi = np.clip(mbi2_n - mbi1_n, 0.0, 1.0)
        ci = np.maximum(spec_n, tex_n)
        lik = (ci * dmbi).astype(np.float32)
        mask = fusion.spetexmbi_mask(
            spec_n,
            tex_n,
            dmbi,
            spectral_threshold=fusion.otsu_threshold(spec_n[ok]),
            texture_threshold=fusion.otsu_threshold(tex_n[ok]),
            mbi_threshold=fusion.otsu_threshold(dmbi[ok]),
        )

    mask = objects.filter_by_gi(
        mask & ok, min_area_px=px.min_area_px, max_aspect_ratio=cfg.max_aspect_ratio
    )
    zero = np.float32(0.0)
    return {
        "ci": np.where(ok, ci, zero).astype(np.float32),
        "mbi": mbi2,
        "bli": bli_n,
        "bi": np.where(ok, bi, zero).astype(np.float32),
        "likelihood": np.where(ok, lik, zero).astype(np.float32),
        "mask": mask,
        "threshold": np.asarray(threshold, dtype=np.float32),
    }
