"""Properties of the MSSFC-Net blocks (seed 000, section III) on tiny seeded inputs."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from mssfc_qgis.model import HEADS, MSSFCNet, build_model, get_config  # noqa: E402
from mssfc_qgis.model.network import (  # noqa: E402
    DMFE,
    MDFM,
    MSFF,
    SSFC,
    Encoder,
    SSFCBranch,
    sine_position_encoding,
)


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_ssfc_adds_no_learnable_parameters():
    assert n_params(SSFC()) == 0
    # the SSFC branch learns only its 1x1 projection (making M, Q, K, V) and a batch norm
    branch = SSFCBranch(16)
    assert n_params(branch) == n_params(branch.project) + n_params(branch.norm)
    assert n_params(branch.attention) == 0


def test_ssfc_shapes_and_range():
    torch.manual_seed(0)
    q, k, v = torch.randn(3, 2, 4, 14, 10)  # odd half-resolution sizes too
    y = SSFC()(q, k, v)
    assert y.shape == (2, 4, 14, 10)
    # Eq. 2: the weight sigmoid(positive + 1/2) lies in (sigmoid(1/2), 1), times the channel mean
    v_bar = v.mean(1, keepdim=True)
    ratio = y / v_bar
    assert torch.all(ratio > torch.sigmoid(torch.tensor(0.5)) - 1e-5)
    assert torch.all(ratio < 1 + 1e-5)


def test_msff_and_dmfe_keep_shape():
    x = torch.randn(2, 16, 12, 12)
    assert MSFF(8)(x[:, :8]).shape == (2, 8, 12, 12)
    assert DMFE(16)(x).shape == x.shape


def test_mdfm_of_identical_inputs_is_its_fusion_path():
    """Eqs. 3-6 with X1 = X2 = X: D = 0, so M = sigmoid(M_l(0)) and
    X_diff = 0 + Conv3x3(Cat(M * X, M * X)); we assert exactly that equality."""
    torch.manual_seed(1)
    mdfm = MDFM(8).eval()
    x = torch.randn(2, 8, 16, 16)
    with torch.no_grad():
        out = mdfm(x, x)
        m0 = mdfm.weights(torch.zeros_like(x))
        expected = mdfm.fuse(torch.cat([m0 * x, m0 * x], dim=1))
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-6)


def test_encoder_strides():
    cfg = get_config("tiny")
    feats = Encoder(cfg).eval()(torch.randn(1, 3, 64, 96))
    assert [tuple(f.shape[-2:]) for f in feats] == [(16, 24), (8, 12), (4, 6), (2, 3)]
    assert [f.shape[1] for f in feats] == list(cfg.dims)


@pytest.mark.parametrize("size", [(32, 32), (64, 96), (160, 32)])
def test_any_multiple_of_32_gives_three_maps_at_input_size(tiny_model, size):
    t1 = torch.randn(2, 3, *size)
    with torch.no_grad():
        out = tiny_model(t1, torch.randn_like(t1))
    assert out.shape == (2, len(HEADS), *size)
    assert torch.isfinite(out).all()


def test_swapping_dates_swaps_buildings_and_keeps_change(tiny_model):
    """With ``symmetric=True`` (compact and tiny presets) the swap property is exact: building
    T1 and T2 trade places and the change map is unchanged."""
    assert tiny_model.config.symmetric
    torch.manual_seed(2)
    a, b = torch.randn(2, 1, 3, 64, 64)
    with torch.no_grad():
        ab, ba = tiny_model(a, b), tiny_model(b, a)
    torch.testing.assert_close(ba[:, 0], ab[:, 1], rtol=0, atol=1e-5)
    torch.testing.assert_close(ba[:, 1], ab[:, 0], rtol=0, atol=1e-5)
    torch.testing.assert_close(ba[:, 2], ab[:, 2], rtol=0, atol=1e-5)


def test_paper_form_runs_without_symmetrisation():
    """The paper's form (``symmetric=False``, the ``full`` preset) orders T1 and T2 in Eq. 6 and
    in its learned queries, so the swap property holds only as far as training teaches it."""
    model = build_model("tiny", symmetric=False).eval()
    a, b = torch.randn(2, 1, 3, 32, 64)
    with torch.no_grad():
        out = model(a, b)
    assert out.shape == (1, 3, 32, 64)


def test_position_encoding_follows_map_size():
    pos = sine_position_encoding(torch.zeros(2, 5, 3, 7), 16)
    assert pos.shape == (2, 21, 16)
    assert not torch.allclose(pos[:, 0], pos[:, -1])


def test_presets_build_with_expected_sizes():
    compact = build_model("compact")
    assert 0.5e6 < n_params(compact) < 2e6
    assert get_config("full").decoder_layers == 4
    with pytest.raises(KeyError):
        get_config("huge")
    assert isinstance(build_model("tiny", dims=[8, 8, 16, 16]), MSSFCNet)


def test_short_overfit_drives_loss_down():
    from mssfc_qgis.model.losses import multitask_loss

    torch.manual_seed(0)
    model = build_model("tiny")
    n, s = 2, 64
    yy, xx = torch.meshgrid(torch.arange(s), torch.arange(s), indexing="ij")
    b1 = torch.zeros(n, s, s, dtype=torch.uint8)
    b2 = torch.zeros(n, s, s, dtype=torch.uint8)
    for i in range(n):
        b1[i] = ((yy - 10 - 5 * i).abs() < 8) & ((xx - 20).abs() < 8)
        b2[i] = b1[i] | (((yy - 44).abs() < 7) & ((xx - 40 + 3 * i).abs() < 7))
    t1 = torch.randn(n, 3, s, s) * 0.1 + b1[:, None] * 1.5
    t2 = torch.randn(n, 3, s, s) * 0.1 + b2[:, None] * 1.5
    target = torch.stack([b1, b2, b1 ^ b2], 1)
    has = torch.ones(n, 3, dtype=torch.bool)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        loss, _ = multitask_loss(model(t1, t2), target, has)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert min(losses[-5:]) < 0.25 * losses[0], losses
