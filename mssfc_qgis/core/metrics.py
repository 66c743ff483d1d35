"""Binary segmentation metrics: pixel confusion, threshold curves and object-level counts.

Everything an analyst sees about accuracy: precision (P), recall (R), intersection over union
(IoU) and F1 of the positive class (building, or change), overall pixel accuracy (PA) and the mean
of the per-class pixel accuracies (MPA). MSSFC-Net (Eq. 11) pools TP/FP/FN over the whole test set
before computing P, R, IoU and F1; :func:`pooled` does that, :func:`per_image_mean` gives the
per-image average for comparison.

A metric whose denominator is zero (e.g. recall when the reference has no positive pixel) is
``float('nan')``, never an exception; :meth:`Confusion.explain` says why.

Examples
--------
>>> import numpy as np
>>> c = confusion(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool))
>>> (c.tp, c.fp, c.fn, c.tn), c.f1
((1, 1, 1, 1), 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import ndimage

from .errors import MssfcError

METRIC_NAMES = ("precision", "recall", "iou", "f1", "pa", "mpa")
Criterion = Literal["precision", "recall", "iou", "f1", "balance"]


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else float("nan")


@dataclass(frozen=True)
class MetricValue:
    """One metric with the reason it is undefined.

    Attributes
    ----------
    name : str
        ``"precision"``, ``"recall"``, ``"iou"``, ``"f1"``, ``"pa"`` or ``"mpa"``.
    value : float
        The metric in [0, 1], or ``nan`` when undefined.
    reason : str
        Empty when defined, else why the denominator is zero.
    """

    name: str
    value: float
    reason: str = ""

    @property
    def defined(self) -> bool:
        """True when :attr:`value` is a number."""
        return not math.isnan(self.value)


@dataclass(frozen=True)
class Confusion:
    """Pixel confusion counts of a binary map against a reference.

    Counts add up (``a + b``, ``sum(list_of_confusions, Confusion())``), which is how tiles and
    images are pooled.

    Attributes
    ----------
    tp, fp, fn, tn : int
        True positives, false positives, false negatives and true negatives (pixels).
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __post_init__(self) -> None:
        for name in ("tp", "fp", "fn", "tn"):
            value = int(getattr(self, name))
            if value < 0:
                raise MssfcError(f"Confusion count {name}={value} is negative; counts are >= 0.")
            object.__setattr__(self, name, value)

    def __add__(self, other: Confusion) -> Confusion:
        if not isinstance(other, Confusion):
            return NotImplemented
        return Confusion(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    def __radd__(self, other: object) -> Confusion:
        # lets the built-in sum() start from 0
        if other == 0:
            return self
        return NotImplemented

    @property
    def total(self) -> int:
        """Number of pixels counted."""
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        """TP / (TP + FP); ``nan`` when nothing was predicted positive."""
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """TP / (TP + FN); ``nan`` when the reference has no positive pixel."""
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def iou(self) -> float:
        """TP / (TP + FP + FN) of the positive class; ``nan`` when both maps are empty."""
        return _ratio(self.tp, self.tp + self.fp + self.fn)

    @property
    def f1(self) -> float:
        """2 TP / (2 TP + FP + FN), the harmonic mean of P and R; ``nan`` when both are empty."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def pa(self) -> float:
        """Overall pixel accuracy (TP + TN) / total; ``nan`` for no pixels."""
        return _ratio(self.tp + self.tn, self.total)

    @property
    def mpa(self) -> float:
        """Mean of the per-class pixel accuracies, TP/(TP+FN) and TN/(TN+FP).

        A class absent from the reference is left out of the mean (as in the usual
        ``nanmean(diag(hist) / hist.sum(1))``); ``nan`` only when no pixel was counted.
        """
        accuracies = [
            _ratio(self.tp, self.tp + self.fn),
            _ratio(self.tn, self.tn + self.fp),
        ]
        defined = [a for a in accuracies if not math.isnan(a)]
        return sum(defined) / len(defined) if defined else float("nan")

    def explain(self, name: str) -> MetricValue:
        """The metric ``name`` with the reason it is undefined, if it is.

        Parameters
        ----------
        name : str
            One of :data:`METRIC_NAMES`.
        """
        if name not in METRIC_NAMES:
            raise MssfcError(f"Unknown metric {name!r}; use one of {', '.join(METRIC_NAMES)}.")
        value = float(getattr(self, name))
        if not math.isnan(value):
            return MetricValue(name, value)
        if self.total == 0:
            reason = "no pixel was counted (empty input or everything masked out)"
        elif name == "precision":
            reason = "nothing was predicted positive (TP + FP = 0)"
        elif name == "recall":
            reason = "the reference has no positive pixel (TP + FN = 0)"
        else:
            reason = "prediction and reference are both empty (TP + FP + FN = 0)"
        return MetricValue(name, value, reason)

    @property
    def defined(self) -> dict[str, bool]:
        """For each metric name, whether it is defined (not ``nan``)."""
        return {name: not math.isnan(getattr(self, name)) for name in METRIC_NAMES}

    @property
    def reasons(self) -> dict[str, str]:
        """For each undefined metric, why; empty when all are defined."""
        out = {}
        for name in METRIC_NAMES:
            explained = self.explain(name)
            if not explained.defined:
                out[name] = explained.reason
        return out

    def metrics(self) -> dict[str, float]:
        """All metrics by name (see :data:`METRIC_NAMES`); undefined ones are ``nan``."""
        return {name: float(getattr(self, name)) for name in METRIC_NAMES}

    def as_dict(self) -> dict[str, float | int]:
        """Counts and metrics in one flat dict, e.g. for a CSV row."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn, **self.metrics()}


def _as_bool(array: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype == bool:
        return array
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise MssfcError(f"{name} has dtype {array.dtype}; pass a boolean or numeric mask.")
    return array != 0


def _check_shapes(**arrays: np.ndarray | None) -> None:
    shapes = {name: np.shape(a) for name, a in arrays.items() if a is not None}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise MssfcError(f"Array shapes differ ({listed}); crop or resample them to one grid.")


def confusion(pred: np.ndarray, ref: np.ndarray, *, valid: np.ndarray | None = None) -> Confusion:
    """Count TP, FP, FN and TN of a binary prediction against a reference.

    Parameters
    ----------
    pred, ref : numpy.ndarray
        Boolean masks of the same shape (any number of dimensions). Numeric arrays are read as
        ``!= 0``, so 0/1 and 0/255 masks both work.
    valid : numpy.ndarray, optional
        Boolean mask of the same shape; pixels where it is False (nodata, outside the area of
        interest) are not counted.

    Returns
    -------
    Confusion
        The counts as Python ints (int64 sums).
    """
    _check_shapes(pred=pred, ref=ref, valid=valid)
    p = _as_bool(pred, "pred")
    r = _as_bool(ref, "ref")
    if valid is not None:
        v = _as_bool(valid, "valid")
        p = p[v]
        r = r[v]
    # one bincount over the 2-bit code 2*ref + pred: 0 TN, 1 FP, 2 FN, 3 TP
    code = r.astype(np.int64).ravel() * 2 + p.ravel()
    tn, fp, fn, tp = np.bincount(code, minlength=4)[:4]
    return Confusion(tp=int(tp), fp=int(fp), fn=int(fn), tn=int(tn))


def pooled(confusions: Iterable[Confusion]) -> Confusion:
    """Sum TP/FP/FN/TN over images; the metrics of the sum are MSSFC-Net's Eq. 11 figures."""
    return sum(confusions, Confusion())


@dataclass(frozen=True)
class MeanMetrics:
    """Per-image mean of each metric over the images where it is defined.

    Attributes
    ----------
    values : dict of str to float
        Mean per metric name; ``nan`` when no image defines it.
    counts : dict of str to int
        Number of images that entered each mean.
    """

    values: dict[str, float]
    counts: dict[str, int]


def per_image_mean(confusions: Iterable[Confusion]) -> MeanMetrics:
    """Average each metric over images, skipping the images where it is undefined.

    Parameters
    ----------
    confusions : iterable of Confusion
        One per image (or tile).
    """
    rows = [c.metrics() for c in confusions]
    values: dict[str, float] = {}
    counts: dict[str, int] = {}
    for name in METRIC_NAMES:
        defined = [row[name] for row in rows if not math.isnan(row[name])]
        counts[name] = len(defined)
        values[name] = float(np.mean(defined)) if defined else float("nan")
    return MeanMetrics(values=values, counts=counts)


# --------------------------------------------------------------------------- threshold curves


@dataclass(frozen=True)
class ThresholdCurve:
    """Confusion counts at a series of thresholds; ``pred = prob >= threshold``.

    Curves over the same thresholds add up (``a + b``), so tiles can be accumulated.

    Attributes
    ----------
    thresholds : numpy.ndarray
        ``(K,)`` float64, strictly increasing.
    tp, fp, fn, tn : numpy.ndarray
        ``(K,)`` int64 counts at each threshold.
    """

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray

    def __add__(self, other: ThresholdCurve) -> ThresholdCurve:
        if not isinstance(other, ThresholdCurve):
            return NotImplemented
        if not np.array_equal(self.thresholds, other.thresholds):
            raise MssfcError(
                "Threshold curves use different thresholds; compute them with the same "
                "`thresholds` before adding."
            )
        return ThresholdCurve(
            self.thresholds,
            self.tp + other.tp,
            self.fp + other.fp,
            self.fn + other.fn,
            self.tn + other.tn,
        )

    def __len__(self) -> int:
        return int(self.thresholds.size)

    def confusion_at(self, index: int) -> Confusion:
        """The :class:`Confusion` at ``thresholds[index]``."""
        return Confusion(
            int(self.tp[index]), int(self.fp[index]), int(self.fn[index]), int(self.tn[index])
        )

    @staticmethod
    def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        out = np.full(num.shape, np.nan)
        np.divide(num, den, out=out, where=den > 0)
        return out

    @property
    def precision(self) -> np.ndarray:
        """``(K,)`` float64 precision, ``nan`` where nothing is predicted."""
        return self._div(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> np.ndarray:
        """``(K,)`` float64 recall, ``nan`` where the reference is empty."""
        return self._div(self.tp, self.tp + self.fn)

    @property
    def iou(self) -> np.ndarray:
        """``(K,)`` float64 IoU of the positive class."""
        return self._div(self.tp, self.tp + self.fp + self.fn)

    @property
    def f1(self) -> np.ndarray:
        """``(K,)`` float64 F1 of the positive class."""
        return self._div(2 * self.tp, 2 * self.tp + self.fp + self.fn)


def default_thresholds(count: int = 101) -> np.ndarray:
    """``count`` evenly spaced thresholds from 0 to 1 inclusive, float64."""
    return np.linspace(0.0, 1.0, count)


def threshold_curve(
    prob: np.ndarray,
    ref: np.ndarray,
    *,
    thresholds: np.ndarray | None = None,
    valid: np.ndarray | None = None,
) -> ThresholdCurve:
    """Confusion counts at many thresholds in one pass (a histogram, no per-threshold loop).

    Each pixel is binned by how many thresholds lie at or below its probability; the reverse
    cumulative sums of the positive and negative histograms give TP and FP at every threshold.

    Parameters
    ----------
    prob : numpy.ndarray
        Scores of any shape and real dtype (probabilities in [0, 1], or 0-255 DN with matching
        thresholds). Must be finite where counted.
    ref : numpy.ndarray
        Reference mask, same shape, read as ``!= 0``.
    thresholds : numpy.ndarray, optional
        ``(K,)`` strictly increasing thresholds in the units of ``prob``; a pixel is positive at
        threshold ``t`` when ``prob >= t``. Default: :func:`default_thresholds` (0, 0.01, ..., 1).
    valid : numpy.ndarray, optional
        Boolean mask; False pixels are not counted.

    Returns
    -------
    ThresholdCurve
        Counts per threshold; add curves of several tiles with ``+``.
    """
    _check_shapes(prob=prob, ref=ref, valid=valid)
    t = default_thresholds() if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise MssfcError("`thresholds` must be a non-empty, finite, strictly increasing 1-D array.")
    p = np.asarray(prob)
    if not (np.issubdtype(p.dtype, np.floating) or np.issubdtype(p.dtype, np.integer)):
        raise MssfcError(f"prob has dtype {p.dtype}; pass probabilities as a real array.")
    r = _as_bool(ref, "ref")
    if valid is not None:
        v = _as_bool(valid, "valid")
        p, r = p[v], r[v]
    p = p.ravel()
    r = r.ravel()
    if np.issubdtype(p.dtype, np.floating) and not np.all(np.isfinite(p)):
        raise MssfcError(
            "prob holds NaN or infinite values; pass `valid=` to leave those pixels out."
        )
    # bins[i] = number of thresholds <= prob[i]; the pixel is positive at threshold k iff bins > k
    bins = np.searchsorted(t, p, side="right")
    k = t.size
    pos_hist = np.bincount(bins[r], minlength=k + 1)
    neg_hist = np.bincount(bins[~r], minlength=k + 1)
    # predicted positive at k: sum of hist[k+1:]
    tp = np.cumsum(pos_hist[::-1])[::-1][1:].astype(np.int64)
    fp = np.cumsum(neg_hist[::-1])[::-1][1:].astype(np.int64)
    n_pos = int(pos_hist.sum())
    n_neg = int(neg_hist.sum())
    return ThresholdCurve(t.copy(), tp, fp, n_pos - tp, n_neg - fp)


@dataclass(frozen=True)
class BestThreshold:
    """The threshold that maximises a criterion on a :class:`ThresholdCurve`.

    Attributes
    ----------
    threshold : float
        The chosen threshold.
    index : int
        Its index in ``curve.thresholds``.
    criterion : str
        What was optimised.
    value : float
        The criterion's value there (for ``"balance"``: ``|P - R|``, minimised).
    confusion : Confusion
        Counts at that threshold.
    """

    threshold: float
    index: int
    criterion: str
    value: float
    confusion: Confusion = field(repr=False)


def best_threshold(curve: ThresholdCurve, criterion: Criterion = "iou") -> BestThreshold:
    """Pick the threshold of a curve that is best for ``criterion``.

    Parameters
    ----------
    curve : ThresholdCurve
        Counts per threshold.
    criterion : {"iou", "f1", "precision", "recall", "balance"}
        Maximise that metric, or for ``"balance"`` minimise ``|precision - recall|`` (the point
        where, per the unsupervised method's authors, IoU tends to peak). Ties go to the lowest
        threshold.

    Raises
    ------
    MssfcError
        Unknown criterion, or the criterion is undefined at every threshold (e.g. empty reference).
    """
    if criterion not in ("precision", "recall", "iou", "f1", "balance"):
        raise MssfcError(
            f"Unknown criterion {criterion!r}; use 'iou', 'f1', 'precision', 'recall' or 'balance'."
        )
    if criterion == "balance":
        score = -np.abs(curve.precision - curve.recall)
    else:
        score = getattr(curve, criterion)
    if not np.any(np.isfinite(score)):
        raise MssfcError(
            f"{criterion} is undefined at every threshold (empty reference or no prediction); "
            "a best threshold needs reference pixels of both classes."
        )
    index = int(np.nanargmax(score))
    value = float(-score[index]) if criterion == "balance" else float(score[index])
    return BestThreshold(
        threshold=float(curve.thresholds[index]),
        index=index,
        criterion=criterion,
        value=value,
        confusion=curve.confusion_at(index),
    )


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class ObjectCounts:
    """Object-level (building-level) detection counts.

    Attributes
    ----------
    found : int
        Reference objects matched one-to-one by a predicted object (true positives).
    missed : int
        Reference objects without a match (false negatives).
    false : int
        Predicted objects without a match (false positives).
    """

    found: int = 0
    missed: int = 0
    false: int = 0

    def __add__(self, other: ObjectCounts) -> ObjectCounts:
        if not isinstance(other, ObjectCounts):
            return NotImplemented
        return ObjectCounts(
            self.found + other.found, self.missed + other.missed, self.false + other.false
        )

    @property
    def n_ref(self) -> int:
        """Number of reference objects."""
        return self.found + self.missed

    @property
    def n_pred(self) -> int:
        """Number of predicted objects."""
        return self.found + self.false

    @property
    def precision(self) -> float:
        """found / predicted objects; ``nan`` when nothing was predicted."""
        return _ratio(self.found, self.n_pred)

    @property
    def recall(self) -> float:
        """found / reference objects; ``nan`` when the reference has no object."""
        return _ratio(self.found, self.n_ref)

    @property
    def f1(self) -> float:
        """Object-level F1; ``nan`` when there is no object at all."""
        return _ratio(2 * self.found, 2 * self.found + self.missed + self.false)

    def as_dict(self) -> dict[str, float | int]:
        """Counts and rates in one flat dict."""
        return {
            "found": self.found,
            "missed": self.missed,
            "false": self.false,
            "object_precision": self.precision,
            "object_recall": self.recall,
            "object_f1": self.f1,
        }


def _label(mask: np.ndarray, connectivity: int, min_area: int) -> tuple[np.ndarray, int]:
    structure = ndimage.generate_binary_structure(mask.ndim, connectivity)
    labels, n = ndimage.label(mask, structure=structure)
    if min_area > 1 and n:
        areas = np.bincount(labels.ravel(), minlength=n + 1)
        keep = areas >= min_area
        keep[0] = False
        remap = np.zeros(n + 1, dtype=labels.dtype)
        remap[keep] = np.arange(1, int(keep.sum()) + 1, dtype=labels.dtype)
        labels = remap[labels]
        n = int(keep.sum())
    return labels, n


def object_matches(
    pred: np.ndarray,
    ref: np.ndarray,
    *,
    iou_threshold: float = 0.5,
    valid: np.ndarray | None = None,
    connectivity: int = 2,
    min_area: int = 1,
) -> ObjectCounts:
    """Count found, missed and false objects (buildings) by one-to-one IoU matching.

    Objects are connected components of each mask. The intersection of every overlapping
    (predicted, reference) pair comes from one ``np.unique`` over label pairs; pairs with
    ``IoU >= iou_threshold`` are matched greedily from the highest IoU, each object at most once.
    With ``iou_threshold > 0.5`` the matching is unique anyway (an object cannot overlap two others
    by more than half).

    Parameters
    ----------
    pred, ref : numpy.ndarray
        ``(H, W)`` masks, read as ``!= 0``.
    iou_threshold : float
        Minimum IoU in (0, 1] for a match.
    valid : numpy.ndarray, optional
        ``(H, W)`` boolean; pixels where False are removed from both masks before labelling.
    connectivity : int
        1 for 4-connected, 2 for 8-connected components (default).
    min_area : int
        Objects smaller than this many pixels are ignored in both masks.

    Returns
    -------
    ObjectCounts
        Found, missed and false objects.
    """
    _check_shapes(pred=pred, ref=ref, valid=valid)
    if not 0.0 < iou_threshold <= 1.0:
        raise MssfcError(f"iou_threshold={iou_threshold} is outside (0, 1]; use e.g. 0.5.")
    if connectivity not in (1, 2):
        raise MssfcError(f"connectivity={connectivity}; use 1 (4-connected) or 2 (8-connected).")
    p = _as_bool(pred, "pred")
    r = _as_bool(ref, "ref")
    if p.ndim != 2:
        raise MssfcError(f"Object matching needs 2-D masks, got shape {p.shape}.")
    if valid is not None:
        v = _as_bool(valid, "valid")
        p = p & v
        r = r & v
    lp, n_pred = _label(p, connectivity, min_area)
    lr, n_ref = _label(r, connectivity, min_area)
    if n_pred == 0 or n_ref == 0:
        return ObjectCounts(found=0, missed=n_ref, false=n_pred)

    area_p = np.bincount(lp.ravel(), minlength=n_pred + 1)
    area_r = np.bincount(lr.ravel(), minlength=n_ref + 1)
    both = (lp > 0) & (lr > 0)
    pair_code = lp[both].astype(np.int64) * (n_ref + 1) + lr[both]
    codes, inter = np.unique(pair_code, return_counts=True)
    ip, ir = np.divmod(codes, n_ref + 1)
    iou = inter / (area_p[ip] + area_r[ir] - inter)

    candidates = np.flatnonzero(iou >= iou_threshold)
    candidates = candidates[np.argsort(-iou[candidates], kind="stable")]
    used_p = np.zeros(n_pred + 1, dtype=bool)
    used_r = np.zeros(n_ref + 1, dtype=bool)
    found = 0
    for c in candidates:  # loops over overlapping object pairs, not pixels
        if not used_p[ip[c]] and not used_r[ir[c]]:
            used_p[ip[c]] = used_r[ir[c]] = True
            found += 1
    return ObjectCounts(found=found, missed=n_ref - found, false=n_pred - found)
