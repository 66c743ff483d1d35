"""Per-head label masking of the multi-task cross-entropy."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from mssfc_qgis.model.losses import IGNORE, multitask_loss  # noqa: E402


def test_sample_without_a_label_adds_nothing_to_that_head():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 8, 8, requires_grad=True)
    target = torch.randint(0, 2, (2, 3, 8, 8), dtype=torch.uint8)
    has = torch.tensor([[True, True, False], [True, True, True]])
    loss, parts = multitask_loss(logits, target, has)
    loss.backward()
    assert logits.grad is not None
    # sample 0 has no change label: its change logits get no gradient
    assert torch.count_nonzero(logits.grad[0, 2]) == 0
    assert torch.count_nonzero(logits.grad[1, 2]) > 0
    # and the change loss equals the loss of sample 1 alone
    _, alone = multitask_loss(logits[1:], target[1:], has[1:])
    assert parts["change"] == pytest.approx(alone["change"], rel=1e-6)


def test_ignored_pixels_and_missing_heads():
    logits = torch.zeros(1, 3, 4, 4, requires_grad=True)
    target = torch.full((1, 3, 4, 4), IGNORE, dtype=torch.uint8)
    target[0, 0, :2] = 1
    has = torch.tensor([[True, False, True]])
    loss, parts = multitask_loss(logits, target, has)
    assert parts["building_t1"] == pytest.approx(math.log(2.0))
    assert math.isnan(parts["building_t2"]) and math.isnan(parts["change"])
    loss.backward()
    assert torch.count_nonzero(logits.grad[0, 0, 2:]) == 0


def test_no_labels_at_all_gives_zero_with_a_graph():
    logits = torch.randn(2, 3, 4, 4, requires_grad=True)
    target = torch.zeros(2, 3, 4, 4, dtype=torch.uint8)
    loss, _ = multitask_loss(logits, target, torch.zeros(2, 3, dtype=torch.bool))
    assert float(loss.detach()) == 0.0
    loss.backward()
