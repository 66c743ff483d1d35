"""Pixel-wise cross-entropy on each of the three heads, with per-head label masking.

A training sample may lack a label for a head (WHU has building masks only, LEVIR-CD change masks
only); such a sample adds nothing to that head's loss. Pixels equal to :data:`IGNORE` (BANDON's
255) add nothing either.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

IGNORE = 255


def masked_bce(logits: Tensor, target: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
    """Summed binary cross-entropy over the valid pixels, and their count.

    Binary cross-entropy on one logit is the two-class softmax cross-entropy of the paper.

    Parameters
    ----------
    logits : ``(b, h, w)`` float, one head's logits.
    target : ``(b, h, w)`` uint8, 0 or 1 (or :data:`IGNORE`).
    valid : ``(b, h, w)`` bool, which pixels count.
    """
    loss = F.binary_cross_entropy_with_logits(
        logits.float(), (target == 1).float(), reduction="none"
    )
    return (loss * valid).sum(), valid.sum()


def multitask_loss(
    logits: Tensor,
    target: Tensor,
    has_label: Tensor,
    *,
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> tuple[Tensor, dict[str, float]]:
    """Sum over heads of the mean cross-entropy over that head's labelled pixels.

    Parameters
    ----------
    logits : ``(b, 3, h, w)`` float, heads in the order building T1, building T2, change.
    target : ``(b, 3, h, w)`` uint8 in {0, 1, IGNORE}.
    has_label : ``(b, 3)`` bool; ``False`` drops that sample from that head.
    weights : per-head weights.

    Returns
    -------
    The scalar loss (a zero that still carries a gradient when nothing is labelled) and the
    per-head mean losses as floats (``nan`` for a head without labels in the batch).
    """
    from .network import HEADS

    total = logits.sum() * 0.0
    parts: dict[str, float] = {}
    for i, name in enumerate(HEADS):
        valid = (target[:, i] != IGNORE) & has_label[:, i, None, None]
        loss_sum, count = masked_bce(logits[:, i], target[:, i], valid)
        if int(count) == 0:
            parts[name] = float("nan")
            continue
        mean = loss_sum / count
        total = total + weights[i] * mean
        parts[name] = float(mean.detach())
    return total, parts
