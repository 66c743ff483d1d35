"""MSSFC-Net: multi-scale spatial-spectral feature cooperation for buildings and their change.

One Siamese network takes a pre-aligned image pair (T1, T2) and returns three logit maps at input
resolution: buildings at T1, buildings at T2 and building change (seed 000, section III, Fig. 2).

Equation numbers refer to section III of the paper. Where the paper is silent the choice is ours;
each is named in one line here and listed in ``MODEL_CARD.md``.

Every tensor shape is written ``(b, c, h, w)`` (batch, channels, rows, columns); ``(b, n, d)`` is
a token sequence of length ``n`` and width ``d``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "DMFE",
    "MDFM",
    "MSFF",
    "SSFC",
    "DMFEBlock",
    "Encoder",
    "MSSFCNet",
    "NetworkConfig",
    "PixelDecoder",
    "SSFCBranch",
    "TaskQueryDecoder",
]

#: Output heads, in the order the network returns them.
HEADS: tuple[str, str, str] = ("building_t1", "building_t2", "change")


@dataclass(frozen=True)
class NetworkConfig:
    """Width and depth of one MSSFC-Net.

    Attributes
    ----------
    dims : channels of the four encoder stages (strides 4, 8, 16, 32); each must be divisible by 4.
    depths : DMFE blocks per stage.
    decoder_dim : width ``d`` of the task queries and the tokens of the decoder.
    decoder_heads : attention heads in the decoder (``decoder_dim`` must be divisible by it).
    decoder_layers : decoder layers (the paper: 4).
    mask_dim : width of the per-pixel features and of the projected task embeddings (Eqs. 9-10).
    mlp_ratio : hidden width of the decoder MLP and the encoder feed-forward, as a multiple.
    symmetric : our addition, off in the paper's form. Run the difference path and the decoder for
        (T1, T2) and (T2, T1) and average, so that swapping the inputs swaps the building maps
        exactly and leaves the change map unchanged. The encoder runs once per image either way.
    in_channels : image bands (3: red, green, blue).
    """

    dims: tuple[int, int, int, int] = (64, 128, 320, 512)
    depths: tuple[int, int, int, int] = (2, 2, 4, 2)
    decoder_dim: int = 256
    decoder_heads: int = 8
    decoder_layers: int = 4
    mask_dim: int = 128
    mlp_ratio: float = 4.0
    symmetric: bool = False
    in_channels: int = 3
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if len(self.dims) != 4 or len(self.depths) != 4:
            raise ValueError("dims and depths need one entry per encoder stage (4)")
        for c in self.dims:
            if c % 4:
                raise ValueError(f"stage width {c} is not divisible by 4 (SSFC works on C/4)")
        if self.decoder_dim % self.decoder_heads:
            raise ValueError("decoder_dim must be divisible by decoder_heads")


class ConvBNAct(nn.Sequential):
    """Convolution, batch norm and GELU (ours: the paper does not name norm or activation).

    ``(b, c_in, h, w) -> (b, c_out, h / stride, w / stride)``.
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int = 1,
        *,
        stride: int = 1,
        groups: int = 1,
        act: bool = True,
    ) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        if act:
            layers.append(nn.GELU())
        super().__init__(*layers)


class MSFF(nn.Module):
    """Multi-scale contextual branch (Eq. 1).

    ``M_l = Conv1x1(Cat(Conv1x1(X), Conv1x1(Conv3x3(Conv1x1(X))), ... 5x5 ..., ... 7x7 ...))``.
    Each branch first reduces to ``c / 4`` channels, as Inception-v1 does (ours: the paper gives no
    branch width). ``(b, c, h, w) -> (b, c, h, w)``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        r = max(channels // 4, 4)
        self.point = ConvBNAct(channels, r)
        self.branches = nn.ModuleList(
            nn.Sequential(ConvBNAct(channels, r), ConvBNAct(r, r, k), ConvBNAct(r, r))
            for k in (3, 5, 7)
        )
        self.fuse = ConvBNAct(4 * r, channels, act=False)

    def forward(self, x: Tensor) -> Tensor:
        parts = [self.point(x), *(branch(x) for branch in self.branches)]
        return self.fuse(torch.cat(parts, dim=1))


class SSFC(nn.Module):
    """Spatial-spectral feature cooperation attention (Eq. 2); no learnable parameters.

    ``Y = Sigmoid((Qbar - Kbar)^2 / (2 sigma^2) + 1/2) * Vbar`` with ``Qbar = AvgPool3x3/2(Q)``,
    ``Kbar = MaxPool2x2/2(K)`` (Table VI's best pair) and ``Vbar`` the channel mean of ``V``.
    Ours, where the paper is silent: ``sigma^2`` is the variance of ``Qbar - Kbar`` over channels at
    each position (plus ``eps``); the half-resolution weights are brought back to ``(h, w)`` by
    nearest-neighbour upsampling before they weight ``Vbar``.

    ``q, k, v: (b, c, h, w) -> (b, c, h, w)``.
    """

    def __init__(self, eps: float = 1e-4) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        q_bar = F.avg_pool2d(q, 3, stride=2, padding=1, count_include_pad=False)
        k_bar = F.max_pool2d(k, 2, stride=2, ceil_mode=True)
        diff = q_bar - k_bar
        centred = diff - diff.mean(dim=1, keepdim=True)
        sigma2 = (centred * centred).mean(dim=1, keepdim=True)
        weight = torch.sigmoid(diff * diff / (2.0 * sigma2 + self.eps) + 0.5)
        weight = F.interpolate(weight, size=v.shape[-2:], mode="nearest")
        v_bar = v.mean(dim=1, keepdim=True)
        return weight * v_bar


class SSFCBranch(nn.Module):
    """The SSFC branch of a DMFE, given the stage's other half ``X_g`` (``c = C / 2`` channels).

    One 1x1 convolution makes M, Q, K and V with ``C / 4`` channels each; SSFC (Eq. 2) relates
    Q, K and V on that ``C / 4`` channel subset (Fig. 3's caption) and its output is concatenated
    with M, which carries the aggregated multi-channel information (ours: how M re-enters).

    ``(b, c, h, w) -> (b, c, h, w)``, ``c`` even.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        if channels % 2:
            raise ValueError("SSFC branch needs an even channel count")
        self.quarter = channels // 2
        self.project = nn.Conv2d(channels, 4 * self.quarter, 1)
        self.attention = SSFC()
        self.norm = nn.BatchNorm2d(channels)

    def forward(self, x: Tensor) -> Tensor:
        m, q, k, v = torch.split(self.project(x), self.quarter, dim=1)
        y = self.attention(q, k, v)
        return self.norm(torch.cat([m, y], dim=1))


class DMFE(nn.Module):
    """Dual-branch multi-scale feature extractor (Fig. 3).

    Splits the channels in two halves: one goes through MSFF (Eq. 1), the other through the SSFC
    branch (Eq. 2); the halves are concatenated and fused by a 1x1 convolution.
    ``(b, c, h, w) -> (b, c, h, w)``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.half = channels // 2
        self.msff = MSFF(self.half)
        self.ssfc = SSFCBranch(self.half)
        self.fuse = nn.Conv2d(channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        x_l, x_g = torch.split(x, self.half, dim=1)
        return self.fuse(torch.cat([self.msff(x_l), self.ssfc(x_g)], dim=1))


class DMFEBlock(nn.Module):
    """One encoder block: ``x + DMFE(BN(x))`` then ``x + FFN(BN(x))`` (ours: a MetaFormer-style
    residual block; the paper shows the DMFE but not the wrapping).

    ``(b, c, h, w) -> (b, c, h, w)``.
    """

    def __init__(self, channels: int, mlp_ratio: float) -> None:
        super().__init__()
        hidden = int(channels * mlp_ratio)
        self.norm1 = nn.BatchNorm2d(channels)
        self.mixer = DMFE(channels)
        self.norm2 = nn.BatchNorm2d(channels)
        self.ffn = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden),
            nn.GELU(),
            nn.Conv2d(hidden, channels, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.mixer(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class Encoder(nn.Module):
    """Hierarchical encoder, 4 stages at strides 4, 8, 16, 32; the same weights serve T1 and T2.

    ``(b, 3, h, w) -> [(b, dims[i], h / 2^(i+2), w / 2^(i+2)) for i in 0..3]``.
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        d = config.dims
        self.stem = nn.Sequential(
            ConvBNAct(config.in_channels, d[0] // 2, 3, stride=2),
            ConvBNAct(d[0] // 2, d[0], 3, stride=2),
        )
        self.downs = nn.ModuleList(
            [nn.Identity()] + [ConvBNAct(d[i - 1], d[i], 3, stride=2, act=False) for i in (1, 2, 3)]
        )
        self.stages = nn.ModuleList(
            nn.Sequential(*(DMFEBlock(d[i], config.mlp_ratio) for _ in range(config.depths[i])))
            for i in range(4)
        )

    def forward(self, x: Tensor) -> list[Tensor]:
        x = self.stem(x)
        features = []
        for down, stage in zip(self.downs, self.stages):
            x = stage(down(x))
            features.append(x)
        return features


class MDFM(nn.Module):
    """Multi-scale differential fusion module (Eqs. 3-6), one per stage.

    ``D = |X1 - X2|`` (Eq. 3); ``M = sigmoid(M_l)`` (Eq. 4) where ``M_l`` fuses 3x3, 5x5 and 7x7
    depthwise convolutions of ``D`` with a 1x1 convolution (ours: depthwise, so the 7x7 stays cheap
    at 512 channels); ``S1 = M * X1``, ``S2 = M * X2`` (Eq. 5);
    ``X_diff = D + Conv3x3(Cat(S1, S2))`` (Eq. 6).

    ``x1, x2: (b, c, h, w) -> (b, c, h, w)``.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.scales = nn.ModuleList(
            nn.Conv2d(channels, channels, k, padding=k // 2, groups=channels) for k in (3, 5, 7)
        )
        self.attention = nn.Conv2d(3 * channels, channels, 1)
        self.fuse = nn.Sequential(
            nn.Conv2d(2 * channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )

    def weights(self, d: Tensor) -> Tensor:
        """``M = sigmoid(M_l(D))`` (Eq. 4). ``(b, c, h, w) -> (b, c, h, w)`` in (0, 1)."""
        return torch.sigmoid(self.attention(torch.cat([conv(d) for conv in self.scales], dim=1)))

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        d = torch.abs(x1 - x2)
        m = self.weights(d)
        return d + self.fuse(torch.cat([m * x1, m * x2], dim=1))


class PixelDecoder(nn.Module):
    """FPN-style per-pixel features ``F^`` at stride 4 from the four stages (ours: the paper does
    not say how ``F^`` is formed). ``[(b, dims[i], h_i, w_i)] -> (b, mask_dim, h / 4, w / 4)``.
    """

    def __init__(self, dims: tuple[int, ...], mask_dim: int) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, mask_dim, 1) for c in dims)
        self.smooth = ConvBNAct(mask_dim, mask_dim, 3)
        self.out = nn.Conv2d(mask_dim, mask_dim, 1)

    def forward(self, features: list[Tensor]) -> Tensor:
        x = self.lateral[3](features[3])
        for i in (2, 1, 0):
            lat = self.lateral[i](features[i])
            x = lat + F.interpolate(x, size=lat.shape[-2:], mode="bilinear", align_corners=False)
        return self.out(self.smooth(x))


def sine_position_encoding(x: Tensor, dim: int) -> Tensor:
    """2-D sinusoidal position encoding of a feature map, as in DETR.

    Built from cumulative sums of ones so that it follows the map's size inside an exported graph.
    ``(b, c, h, w) -> (b, h * w, dim)``.
    """
    ones = torch.ones_like(x[:, 0])
    y = ones.cumsum(1) / ones.sum(1, keepdim=True)
    xx = ones.cumsum(2) / ones.sum(2, keepdim=True)
    quarter = dim // 4
    freq = torch.exp(
        torch.arange(quarter, device=x.device, dtype=x.dtype) * (-math.log(10000.0) / quarter)
    )
    y = y.unsqueeze(-1) * (2 * math.pi) * freq * 32
    xx = xx.unsqueeze(-1) * (2 * math.pi) * freq * 32
    pos = torch.cat([y.sin(), y.cos(), xx.sin(), xx.cos()], dim=-1)
    if dim > 4 * quarter:
        pos = F.pad(pos, (0, dim - 4 * quarter))
    return pos.flatten(1, 2)


class Attention(nn.Module):
    """Multi-head attention written with matmul and softmax so that it exports plainly.

    ``query: (b, n, d), key: (b, m, d), value: (b, m, d) -> (b, n, d)``.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def _split(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        return x.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, query: Tensor, key: Tensor, value: Tensor) -> Tensor:
        q = self._split(self.q(query)) * self.scale
        k = self._split(self.k(key))
        v = self._split(self.v(value))
        attn = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
        out = (attn @ v).transpose(1, 2).flatten(2)
        return self.proj(out)


class DecoderLayer(nn.Module):
    """One decoder layer (Eq. 8): self-attention among the task queries, cross-attention to the
    bi-temporal tokens (keys carry position and time encodings), then an MLP; pre-norm residuals.

    ``queries: (b, 3, d), tokens: (b, m, d), encodings: (b, m, d) -> (b, 3, d)``.
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.self_attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.cross_attn = Attention(dim, heads)
        self.norm3 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, queries: Tensor, tokens: Tensor, encodings: Tensor) -> Tensor:
        q = self.norm1(queries)
        queries = queries + self.self_attn(q, q, q)
        q = self.norm2(queries)
        queries = queries + self.cross_attn(q, tokens + encodings, tokens)
        return queries + self.mlp(self.norm3(queries))


class TaskQueryDecoder(nn.Module):
    """Task-query decoder (Eqs. 7-9).

    Three learnable queries ``e1, e2, e_cd`` are concatenated along the sequence (Eq. 7). Layer ``i``
    (of 4) cross-attends to the flattened tokens ``T^i`` of one encoder stage, coarse to fine (ours:
    stage 4, 3, 2, 1, cycling if there are more layers), where ``T^i`` joins the T1, T2 and
    difference features of that stage and each token carries a sine position encoding and a
    learnable time encoding (T1, T2 or difference). A final linear projection maps the queries to
    ``mask_dim`` (Eq. 9).

    ``f1, f2, fd: [(b, dims[i], h_i, w_i)] -> (b, 3, mask_dim)``.
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        d = config.decoder_dim
        self.dim = d
        self.queries = nn.Parameter(torch.randn(3, d) * 0.02)
        self.time = nn.Parameter(torch.randn(3, d) * 0.02)
        self.inputs = nn.ModuleList(nn.Linear(c, d) for c in config.dims)
        self.layers = nn.ModuleList(
            DecoderLayer(d, config.decoder_heads, config.mlp_ratio)
            for _ in range(config.decoder_layers)
        )
        self.norm = nn.LayerNorm(d)
        self.project = nn.Linear(d, config.mask_dim)

    def tokens(self, stage: int, maps: tuple[Tensor, Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """Flattened tokens ``T^i`` of one stage and their encodings, both ``(b, 3 h w, d)``."""
        pos = sine_position_encoding(maps[0], self.dim)
        toks, encs = [], []
        for t, fmap in enumerate(maps):
            toks.append(self.inputs[stage](fmap.flatten(2).transpose(1, 2)))
            encs.append(pos + self.time[t])
        return torch.cat(toks, dim=1), torch.cat(encs, dim=1)

    def forward(self, f1: list[Tensor], f2: list[Tensor], fd: list[Tensor]) -> Tensor:
        b = f1[0].shape[0]
        queries = self.queries.unsqueeze(0).expand(b, -1, -1)
        for i, layer in enumerate(self.layers):
            stage = 3 - (i % 4)
            tokens, encodings = self.tokens(stage, (f1[stage], f2[stage], fd[stage]))
            queries = layer(queries, tokens, encodings)
        return self.project(self.norm(queries))


class MSSFCNet(nn.Module):
    """MSSFC-Net (Fig. 2): Siamese DMFE encoder, MDFM per stage, task-query decoder, einsum heads.

    ``forward(t1, t2)``: ``(b, 3, h, w), (b, 3, h, w) -> (b, 3, h, w)`` logits, channels in the
    order of :data:`HEADS` (building at T1, building at T2, change). ``h`` and ``w`` must be
    multiples of 32.
    """

    size_multiple: int = 32

    def __init__(self, config: NetworkConfig | None = None) -> None:
        super().__init__()
        self.config = config or NetworkConfig()
        dims = self.config.dims
        self.encoder = Encoder(self.config)
        self.mdfm = nn.ModuleList(MDFM(c) for c in dims)
        self.pixel_building = PixelDecoder(dims, self.config.mask_dim)
        self.pixel_change = PixelDecoder(dims, self.config.mask_dim)
        self.decoder = TaskQueryDecoder(self.config)

    def _heads(
        self, f1: list[Tensor], f2: list[Tensor], p1: Tensor, p2: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Eq. 10 for one ordering of the dates: three ``(b, h / 4, w / 4)`` logit maps."""
        fd = [m(a, b) for m, a, b in zip(self.mdfm, f1, f2)]
        pd = self.pixel_change(fd)
        e = self.decoder(f1, f2, fd)
        m1 = torch.einsum("bchw,bc->bhw", p1, e[:, 0])
        m2 = torch.einsum("bchw,bc->bhw", p2, e[:, 1])
        mcd = torch.einsum("bchw,bc->bhw", pd, e[:, 2])
        return m1, m2, mcd

    def forward(self, t1: Tensor, t2: Tensor) -> Tensor:
        b = t1.shape[0]
        feats = self.encoder(torch.cat([t1, t2], dim=0))
        f1 = [f[:b] for f in feats]
        f2 = [f[b:] for f in feats]
        pixels = self.pixel_building(feats)
        p1, p2 = pixels[:b], pixels[b:]
        if self.config.symmetric:
            # both orderings in one batch: (T1, T2) then (T2, T1)
            fa = [torch.cat([x, y], dim=0) for x, y in zip(f1, f2)]
            fb = [torch.cat([y, x], dim=0) for x, y in zip(f1, f2)]
            m1, m2, mcd = self._heads(fa, fb, torch.cat([p1, p2]), torch.cat([p2, p1]))
            out = torch.stack(
                [(m1[:b] + m2[b:]) / 2, (m2[:b] + m1[b:]) / 2, (mcd[:b] + mcd[b:]) / 2], dim=1
            )
        else:
            out = torch.stack(self._heads(f1, f2, p1, p2), dim=1)
        return F.interpolate(out, size=t1.shape[-2:], mode="bilinear", align_corners=False)
