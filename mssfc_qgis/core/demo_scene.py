"""A seeded synthetic bi-temporal aerial scene with exact building and change masks.

The scene is a suburb on a rotated street grid (with an optional diagonal arterial road): rows of
houses with driveways facing the streets, rectangular and L-shaped footprints with gabled, hipped
or flat roofs of red tiles, shingles, grey concrete, bitumen or metal, a commercial block with a
car park, sheds at other orientations, lawns, dry grass, bare soil, trees with their own shadows,
pools and cars. Buildings and trees cast shadows away from the sun, their length proportional to
their height. All textures come from smoothed random fields that both dates share, so unchanged
ground looks the same at both dates apart from the radiometric change and noise.

T2 builds new houses on the development blocks (most of the change) and in a few back yards,
demolishes a few buildings (bare soil), moves the sun, changes the season (grass and tree
colour), the per-band gain/offset/gamma and the cars, adds haze, noise and a sub-pixel to ~1 px
misregistration. The masks are exact footprints in the ground grid (not shadows): the T2 *image*
is shifted by ``info["t2_shift_px"]`` against them, as a misregistered image would be.

Used by ``make demo``, as the test-fixture factory (``make_scene_arrays(size=64..256)``) and as a
training source (the change label is the XOR of the building masks, as in Zheng et al. 2021).

Run ``python -m mssfc_qgis.core.demo_scene --output DIR --seed 0 --size 1024`` to write GeoTIFFs.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from scipy import ndimage

from .errors import Canceled, MssfcError

#: EPSG code of the scene's CRS (WGS 84 / UTM zone 33N).
SCENE_EPSG = 32633

# ground classes
GRASS, DRY, SOIL, ASPHALT, CONCRETE, PARKING = range(6)
# base colours (R, G, B, NIR) in DN before the per-date radiometry
_GROUND_RGBN = np.array(
    [
        [98, 112, 70, 175],  # grass
        [158, 148, 112, 130],  # dry grass
        [162, 138, 112, 118],  # bare soil
        [86, 88, 92, 72],  # asphalt road
        [186, 183, 174, 150],  # concrete (sidewalk, curb, driveway)
        [104, 105, 108, 80],  # parking asphalt
    ],
    dtype=np.float32,
)
# texture amplitude per ground class: (mid-scale, fine-scale) relative variation
_GROUND_TEX = np.array(
    [[0.10, 0.10], [0.10, 0.07], [0.08, 0.05], [0.05, 0.05], [0.03, 0.03], [0.05, 0.04]],
    dtype=np.float32,
)
_TREE_RGBN = np.array([48, 70, 38, 165], dtype=np.float32)
_POOL_RGBN = np.array([70, 172, 196, 30], dtype=np.float32)
_MARKING_RGBN = np.array([215, 212, 200, 170], dtype=np.float32)
#: Roof materials: base colour (R, G, B, NIR), allowed roof forms, texture kind.
ROOF_MATERIALS: dict[str, tuple[tuple[int, int, int, int], tuple[str, ...]]] = {
    "red_tiles": ((150, 84, 68, 115), ("gable", "hip")),
    "shingles": ((116, 108, 102, 95), ("gable", "hip")),
    "grey_concrete": ((174, 172, 166, 150), ("flat",)),
    "bitumen": ((66, 66, 70, 60), ("flat",)),
    "metal": ((212, 215, 219, 190), ("gable", "flat")),
}
_HOUSE_MATERIALS = ("red_tiles", "shingles", "grey_concrete", "bitumen", "metal")
_HOUSE_MATERIAL_P = (0.32, 0.36, 0.1, 0.1, 0.12)
_HOUSE_MATERIAL_CUM = np.cumsum(_HOUSE_MATERIAL_P)[:-1]
_BIG_MATERIALS = ("grey_concrete", "bitumen", "metal")
_CAR_COLOURS = np.array(
    [
        [235, 235, 232, 200],
        [30, 30, 34, 40],
        [165, 168, 172, 150],
        [150, 30, 30, 90],
        [40, 60, 120, 60],
        [90, 92, 95, 80],
    ],
    dtype=np.float32,
)
# shadow transmission per band: blue keeps the most (sky light), NIR the least
_SHADOW_KEEP = np.array([0.33, 0.37, 0.5, 0.28], dtype=np.float32)


# --------------------------------------------------------------------------- geometry


def _sign(rng: np.random.Generator) -> int:
    # rng.choice is slow for tiny lists; this is called thousands of times per scene
    return 1 if rng.random() < 0.5 else -1


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


@dataclass(frozen=True)
class _Rect:
    """A rotated rectangle in pixel coordinates (x right, y down, pixel centres at +0.5)."""

    cx: float
    cy: float
    half_long: float
    half_short: float
    angle: float  # direction of the long axis, radians from +x towards +y

    @staticmethod
    def make(cx: float, cy: float, hx: float, hy: float, angle: float) -> _Rect:
        """Rectangle of half sizes ``hx`` along ``angle`` and ``hy`` across; long axis first."""
        if hy > hx:
            return _Rect(cx, cy, hy, hx, angle + math.pi / 2)
        return _Rect(cx, cy, hx, hy, angle)

    def extent(self, pad: float = 0.0) -> tuple[float, float]:
        c, s = abs(math.cos(self.angle)), abs(math.sin(self.angle))
        a, b = self.half_long + pad, self.half_short + pad
        return a * c + b * s, a * s + b * c

    def local(self, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        dx, dy = xs - self.cx, ys - self.cy
        return dx * c + dy * s, -dx * s + dy * c

    def inside(self, ys: np.ndarray, xs: np.ndarray, pad: float = 0.0) -> np.ndarray:
        u, v = self.local(ys, xs)
        return (np.abs(u) <= self.half_long + pad) & (np.abs(v) <= self.half_short + pad)

    def to_local_dir(self, dx: float, dy: float) -> tuple[float, float]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return dx * c + dy * s, -dx * s + dy * c


Window = tuple[tuple[slice, slice], np.ndarray, np.ndarray]


def _window(x0: float, y0: float, x1: float, y1: float, shape: tuple[int, ...]) -> Window | None:
    """Integer window covering the box ``[x0, x1] x [y0, y1]`` (pixels), clipped to ``shape``."""
    r0, r1 = max(int(math.floor(y0)) - 1, 0), min(int(math.ceil(y1)) + 1, shape[0])
    c0, c1 = max(int(math.floor(x0)) - 1, 0), min(int(math.ceil(x1)) + 1, shape[1])
    if r0 >= r1 or c0 >= c1:
        return None
    ys = (np.arange(r0, r1, dtype=np.float32) + 0.5)[:, None]
    xs = (np.arange(c0, c1, dtype=np.float32) + 0.5)[None, :]
    return (slice(r0, r1), slice(c0, c1)), ys, xs


def _rect_window(rect: _Rect, shape: tuple[int, ...], pad: float = 0.0) -> Window | None:
    ex, ey = rect.extent(pad)
    return _window(rect.cx - ex, rect.cy - ey, rect.cx + ex, rect.cy + ey, shape)


def _stamp(mask: np.ndarray, rect: _Rect, *, pad: float = 0.0) -> None:
    win = _rect_window(rect, mask.shape, pad)
    if win is not None:
        sl, ys, xs = win
        mask[sl] |= rect.inside(ys, xs, pad)


def _hits(mask: np.ndarray, rect: _Rect, *, pad: float = 0.0) -> bool:
    win = _rect_window(rect, mask.shape, pad)
    if win is None:
        return False
    sl, ys, xs = win
    return bool(np.any(mask[sl] & rect.inside(ys, xs, pad)))


def _slab(u: np.ndarray, half: float, su: float, length: float) -> tuple[Any, Any]:
    """Interval of t in which ``|u - t su| <= half``; ``(lo, hi)`` arrays or scalars."""
    if abs(su) < 1e-9:
        ok = np.abs(u) <= half
        return np.where(ok, -np.inf, np.inf), np.where(ok, np.inf, -np.inf)
    t1, t2 = (u - half) / su, (u + half) / su
    return np.minimum(t1, t2), np.maximum(t1, t2)


def _swept_rect(
    rect: _Rect, ys: np.ndarray, xs: np.ndarray, sx: float, sy: float, length: float
) -> np.ndarray:
    """Pixels covered by ``rect`` translated by ``t (sx, sy)`` for some t in [0, length]."""
    u, v = rect.local(ys, xs)
    su, sv = rect.to_local_dir(sx, sy)
    lo_u, hi_u = _slab(u, rect.half_long, su, length)
    lo_v, hi_v = _slab(v, rect.half_short, sv, length)
    lo = np.maximum(np.maximum(lo_u, lo_v), 0.0)
    hi = np.minimum(np.minimum(hi_u, hi_v), length)
    return lo <= hi


# --------------------------------------------------------------------------- random fields


def _interp_matrix(n: int, scale: float, m: int) -> np.ndarray:
    """``(n, m)`` float32 Gaussian interpolation weights from a coarse grid of step ``scale``."""
    pos = (np.arange(n, dtype=np.float32) + 0.5) / scale + 1.5
    w = np.exp(-0.5 * ((pos[:, None] - np.arange(m, dtype=np.float32)[None, :]) / 0.75) ** 2)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Zero-mean, unit-std random field with features about ``scale`` pixels across, float32.

    Coarse white noise on a grid of step ``scale`` is interpolated with Gaussian weights as two
    matrix products (fast for any scale); small scales blur full-resolution noise instead.
    """
    h, w = shape
    if scale <= 2.5:
        noise = rng.standard_normal(shape, dtype=np.float32)
        f = ndimage.gaussian_filter(noise, scale * 0.5)
    else:
        gh, gw = math.ceil(h / scale) + 4, math.ceil(w / scale) + 4
        coarse = rng.standard_normal((gh, gw), dtype=np.float32)
        f = _interp_matrix(h, scale, gh) @ coarse @ _interp_matrix(w, scale, gw).T
    f -= f.mean()
    f /= max(float(f.std()), 1e-6)
    return f


def _fractal(
    rng: np.random.Generator, shape: tuple[int, int], scales: Sequence[float]
) -> np.ndarray:
    out = np.zeros(shape, np.float32)
    for i, s in enumerate(scales):
        out += _smooth_field(rng, shape, s) * (0.55**i)
    return out / max(float(out.std()), 1e-6)


# --------------------------------------------------------------------------- the world


@dataclass
class _Building:
    parts: list[_Rect]
    height_m: float
    material: str
    roof: str
    tint: np.ndarray  # (4,) multiplicative colour tint
    units: list[tuple[float, float, float, float]] = field(default_factory=list)  # flat roofs


@dataclass
class _Tree:
    cx: float
    cy: float
    r: float  # crown radius, px
    height_m: float
    tint: np.ndarray


@dataclass
class _Road:
    px: float
    py: float
    dx: float
    dy: float
    half_width: float  # px
    t0: float = -math.inf
    t1: float = math.inf
    markings: bool = True


@dataclass
class _World:
    shape: tuple[int, int]
    ps: float  # pixel size, m
    roads: list[_Road]
    road_surface: np.ndarray  # (H, W) int8 ground class of roads/verges, -1 elsewhere
    markings: np.ndarray  # (H, W) float32 0..1
    blocks: np.ndarray  # (H, W) int32 labels of the land between roads
    zone: np.ndarray  # (H, W) bool development blocks (built at T2)
    commercial: np.ndarray  # (H, W) bool
    old: list[_Building]
    new: list[_Building]
    demolished: list[int]  # indices into old
    driveways: list[tuple[_Rect, int]]  # rect, 1 = exists at T1 and T2, 2 = T2 only
    pools: list[tuple[_Rect, int]]
    trees: list[_Tree]
    fields: dict[str, np.ndarray]


def _m(metres: float, ps: float) -> float:
    return metres / ps


def _make_roads(rng: np.random.Generator, shape: tuple[int, int], ps: float) -> list[_Road]:
    h, w = shape
    cx, cy = w / 2, h / 2
    theta = rng.uniform(0, math.pi / 2)
    da = (math.cos(theta), math.sin(theta))  # family A direction
    na = (-da[1], da[0])
    half_diag = 0.5 * math.hypot(h, w) + _m(40, ps)
    roads: list[_Road] = []
    # family A: long parallel streets with houses on both sides
    offsets_a = []
    o = -half_diag + rng.uniform(0, _m(70, ps))
    while o < half_diag:
        offsets_a.append(o)
        o += _m(rng.uniform(62, 80), ps)
    for o in offsets_a:
        roads.append(_Road(cx + na[0] * o, cy + na[1] * o, *da, _m(rng.uniform(3.8, 4.8), ps)))
    # family B: cross streets, some ending at a T-junction
    o = -half_diag + rng.uniform(0, _m(200, ps))
    while o < half_diag:
        t0, t1 = -math.inf, math.inf
        if len(offsets_a) > 3 and rng.random() < 0.5:
            i = int(rng.integers(0, len(offsets_a) - 2))
            j = int(rng.integers(i + 1, len(offsets_a)))
            t0, t1 = offsets_a[i], offsets_a[j]
        roads.append(
            _Road(cx + da[0] * o, cy + da[1] * o, *na, _m(rng.uniform(3.8, 4.8), ps), t0, t1)
        )
        o += _m(rng.uniform(150, 260), ps)
    if rng.random() < 0.6:  # a diagonal arterial that breaks the grid
        phi = theta + math.radians(rng.uniform(25, 55)) * _sign(rng)
        off = rng.uniform(-0.3, 0.3) * min(h, w)
        d = (math.cos(phi), math.sin(phi))
        roads.append(_Road(cx - d[1] * off, cy + d[0] * off, *d, _m(rng.uniform(6.5, 8.0), ps)))
    return roads


def _road_layers(
    roads: list[_Road], shape: tuple[int, int], ps: float, fine: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ground class of roads and verges (-1 elsewhere), marking intensity, lane wear factor."""
    h, w = shape
    ys = np.arange(h, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(w, dtype=np.float32)[None, :] + 0.5
    surface = np.full(shape, -1, np.int8)
    on_road = np.zeros(shape, np.int8)
    marking = np.zeros(shape, np.float32)
    wear = np.ones(shape, np.float32)
    curb, verge, walk = _m(0.5, ps), _m(1.8, ps), _m(1.6, ps)
    for road in roads:
        hw = road.half_width
        walk_in, walk_out = hw + curb + verge, hw + curb + verge + walk
        across_all = np.abs(-(xs - road.px) * road.dy + (ys - road.py) * road.dx)
        iy, ix = np.nonzero(across_all <= walk_out)
        across = across_all[iy, ix]
        along = (ix + 0.5 - road.px) * road.dx + (iy + 0.5 - road.py) * road.dy
        span = (along >= road.t0 - hw) & (along <= road.t1 + hw)
        iy, ix, across, along = iy[span], ix[span], across[span], along[span]
        asphalt = across <= hw
        sidewalk = ((across > hw) & (across <= hw + curb)) | (across > walk_in)
        grass = (across > hw + curb) & (across <= walk_in)
        old = surface[iy, ix]
        new = old.copy()
        new[grass & (old < 0)] = GRASS
        new[sidewalk & (old != ASPHALT)] = CONCRETE
        new[asphalt] = ASPHALT
        surface[iy, ix] = new
        ay, ax, a_across, a_along = iy[asphalt], ix[asphalt], across[asphalt], along[asphalt]
        on_road[ay, ax] += 1
        if road.markings:
            dash = np.mod(a_along, _m(9.0, ps)) < _m(3.0, ps)
            line = np.clip(1.0 - a_across / max(_m(0.3, ps), 0.6), 0, 1) * dash
            marking[ay, ax] = np.maximum(marking[ay, ax], line)
        # darker tyre tracks in the middle of each lane
        tracks = np.exp(-(((a_across - 0.5 * hw) / (0.18 * hw)) ** 2))
        wear[ay, ax] *= 1.0 - 0.07 * tracks + 0.02 * fine[ay, ax]
    marking[on_road > 1] = 0.0  # no lane lines across junctions
    return surface, marking, wear


def _place_house(
    rng: np.random.Generator, road: _Road, t: float, side: int, ps: float, frontage: float
) -> tuple[_Building, _Rect]:
    """A house facing ``road`` at along-position ``t`` (px), and its driveway."""
    width = _m(frontage - rng.uniform(3.5, 6.5), ps)
    depth = _m(rng.uniform(9.5, 15.0), ps)
    setback = _m(rng.uniform(9.0, 13.0), ps)  # from the road edge, past verge and sidewalk
    nx, ny = -road.dy * side, road.dx * side  # away from the road
    dist = road.half_width + setback + depth / 2
    cx = road.px + road.dx * t + nx * dist
    cy = road.py + road.dy * t + ny * dist
    angle = math.atan2(road.dy, road.dx) + math.radians(rng.normal(0, 1.2))
    main = _Rect.make(cx, cy, width / 2, depth / 2, angle)
    parts = [main]
    if rng.random() < 0.4:  # L-shape: a wing at one end reaching back
        end = _sign(rng)
        wing_w = width * rng.uniform(0.3, 0.45)
        extra = _m(rng.uniform(4.0, 9.0), ps)
        wing_len = depth / 2 + extra
        ca, sa = math.cos(angle), math.sin(angle)
        off_u = end * (width / 2 - wing_w / 2)
        off_v = wing_len / 2  # along +normal in local coordinates (v axis = away side)
        # local v axis of the rectangle built along `angle` is (-sin, cos); make it point away
        vsign = 1 if (-sa * nx + ca * ny) > 0 else -1
        wx = cx + ca * off_u - sa * off_v * vsign
        wy = cy + sa * off_u + ca * off_v * vsign
        parts.append(_Rect.make(wx, wy, wing_w / 2, wing_len / 2, angle))
    material = _HOUSE_MATERIALS[int(np.searchsorted(_HOUSE_MATERIAL_CUM, rng.random()))]
    roof = _pick(rng, ROOF_MATERIALS[material][1])
    building = _Building(
        parts, rng.uniform(4.0, 8.5), material, roof, _tint(rng), _roof_units(rng, parts, roof, ps)
    )
    # driveway from the garage end of the front to the road edge
    dw_w = _m(rng.uniform(3.0, 5.5), ps)
    dw_along = t + _sign(rng) * (width / 2 - dw_w / 2)
    d0, d1 = road.half_width, road.half_width + setback
    dmid = (d0 + d1) / 2
    dx = road.px + road.dx * dw_along + nx * dmid
    dy = road.py + road.dy * dw_along + ny * dmid
    driveway = _Rect.make(dx, dy, dw_w / 2, (d1 - d0) / 2 + 0.5, angle)
    return building, driveway


def _tint(rng: np.random.Generator) -> np.ndarray:
    overall = rng.uniform(0.82, 1.15)
    return (overall * (1 + rng.normal(0, 0.02, 4))).astype(np.float32)


def _roof_units(
    rng: np.random.Generator, parts: list[_Rect], roof: str, ps: float
) -> list[tuple[float, float, float, float]]:
    """Rooftop plant (AC boxes) on big flat roofs: local (u, v, half_u, half_v) on part 0."""
    main = parts[0]
    if roof != "flat" or main.half_short < _m(5.0, ps):
        return []
    units = []
    for _ in range(int(rng.integers(0, 5))):
        hu, hv = _m(rng.uniform(0.6, 1.6), ps), _m(rng.uniform(0.6, 1.2), ps)
        u = rng.uniform(-1, 1) * (main.half_long - hu - _m(1.5, ps))
        v = rng.uniform(-1, 1) * (main.half_short - hv - _m(1.5, ps))
        units.append((u, v, hu, hv))
    return units


def _big_building(
    rng: np.random.Generator, cx: float, cy: float, angle: float, ps: float
) -> _Building:
    a, b = _m(rng.uniform(10, 20), ps), _m(rng.uniform(7, 15), ps)
    parts = [_Rect.make(cx, cy, a, b, angle)]
    material = _pick(rng, _BIG_MATERIALS)
    roof = "flat" if material != "metal" or rng.random() < 0.5 else "gable"
    return _Building(
        parts, rng.uniform(6.0, 14.0), material, roof, _tint(rng), _roof_units(rng, parts, roof, ps)
    )


def _shed(rng: np.random.Generator, cx: float, cy: float, ps: float) -> _Building:
    a, b = _m(rng.uniform(4.0, 9.0), ps), _m(rng.uniform(4.0, 6.0), ps)
    angle = rng.uniform(0, math.pi)
    material = _pick(rng, ("metal", "shingles", "red_tiles", "bitumen"))
    roof = _pick(rng, ROOF_MATERIALS[material][1])
    return _Building(
        [_Rect.make(cx, cy, a, b, angle)], rng.uniform(3.0, 5.0), material, roof, _tint(rng)
    )


def _building_hits(mask: np.ndarray, b: _Building, *, pad: float = 0.0) -> bool:
    return any(_hits(mask, p, pad=pad) for p in b.parts)


def _stamp_building(mask: np.ndarray, b: _Building, *, pad: float = 0.0) -> None:
    for p in b.parts:
        _stamp(mask, p, pad=pad)


def _centre_inside(b: _Building, shape: tuple[int, int]) -> bool:
    p = b.parts[0]
    return 0 <= p.cx < shape[1] and 0 <= p.cy < shape[0]


def _choose_zone(
    rng: np.random.Generator, blocks: np.ndarray, n_blocks: int, fraction: float
) -> np.ndarray:
    """Blocks that are undeveloped at T1 and built at T2, about ``fraction`` of the land."""
    h, w = blocks.shape
    if n_blocks >= 4:
        areas = np.bincount(blocks.ravel(), minlength=n_blocks + 1)
        order = rng.permutation(np.arange(1, n_blocks + 1))
        total, chosen = areas[1:].sum(), list[int]()
        for k in order:
            if sum(areas[c] for c in chosen) >= fraction * total:
                break
            chosen.append(k)
        return np.isin(blocks, chosen)
    # few blocks (small tiles): a half-plane instead
    phi = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:h, 0:w]
    proj = (xs - w / 2) * math.cos(phi) + (ys - h / 2) * math.sin(phi)
    return proj > np.quantile(proj, 1 - fraction)


def _make_world(
    rng: np.random.Generator,
    shape: tuple[int, int],
    ps: float,
    *,
    zone_fraction: float,
    demolish_fraction: float,
) -> _World:
    h, w = shape
    fields = {
        "large": _fractal(rng, shape, [_m(70, ps), _m(25, ps), _m(8, ps)]),
        "mid": _smooth_field(rng, shape, _m(3.0, ps)),
        "fine": _smooth_field(rng, shape, 1.2),
        "leaf": _smooth_field(rng, shape, 1.5),
        "edge": _smooth_field(rng, shape, _m(1.2, ps)),
        "haze": _smooth_field(rng, shape, max(h, w) / 2),
    }
    roads = _make_roads(rng, shape, ps)
    surface, markings, wear = _road_layers(roads, shape, ps, fields["fine"])
    fields["wear"] = wear
    road_area = surface >= 0
    blocks, n_blocks = ndimage.label(~road_area)
    zone = _choose_zone(rng, blocks, n_blocks, zone_fraction)

    road_occ = ndimage.binary_dilation(road_area, iterations=max(1, round(_m(1.0, ps))))
    built = np.zeros(shape, bool)
    houses: list[tuple[_Building, _Rect]] = []
    for road in roads[:]:
        if road.half_width > _m(6.0, ps):
            continue  # no driveways onto the arterial
        lim = 0.5 * math.hypot(h, w) + _m(20, ps)
        ts = (max(road.t0, -lim), min(road.t1, lim))
        for side in (-1, 1):
            t = ts[0] + _m(rng.uniform(0, 12), ps)
            while t < ts[1]:
                frontage = rng.uniform(15.0, 23.0)
                t_mid = t + _m(frontage / 2, ps)
                t += _m(frontage, ps)
                if rng.random() < 0.07:
                    continue  # an empty lot
                b, drive = _place_house(rng, road, t_mid, side, ps, frontage)
                if not _centre_inside(b, shape) or _building_hits(road_occ, b):
                    continue
                if _building_hits(built, b) or _hits(built, drive):
                    continue
                _stamp_building(built, b, pad=_m(1.2, ps))
                _stamp(built, drive)
                houses.append((b, drive))

    # one non-development block becomes a commercial block with a car park
    commercial = np.zeros(shape, bool)
    if n_blocks >= 5:
        areas = np.bincount(blocks.ravel(), minlength=n_blocks + 1)
        areas[0] = 0
        candidates = [k for k in np.argsort(areas)[::-1][:6] if not zone[blocks == k].any()]
        if candidates:
            k = int(rng.choice(candidates))
            commercial = ndimage.binary_erosion(blocks == k, iterations=round(_m(3, ps)))
            houses = [
                (b, d) for b, d in houses if not commercial[int(b.parts[0].cy), int(b.parts[0].cx)]
            ]

    occupied = ndimage.binary_dilation(road_area, iterations=max(1, round(_m(1.0, ps))))
    old: list[_Building] = []
    new: list[_Building] = []
    driveways: list[tuple[_Rect, int]] = []
    for b, d in houses:
        in_zone = bool(
            zone[int(np.clip(b.parts[0].cy, 0, h - 1)), int(np.clip(b.parts[0].cx, 0, w - 1))]
        )
        (new if in_zone else old).append(b)
        driveways.append((d, 2 if in_zone else 1))
        _stamp_building(occupied, b, pad=_m(1.2, ps))
        _stamp(occupied, d)

    if commercial.any():
        theta = math.atan2(roads[0].dy, roads[0].dx)
        ys, xs = np.nonzero(commercial)
        outside = ~commercial
        for _ in range(40):
            i = int(rng.integers(0, ys.size))
            b = _big_building(rng, xs[i] + 0.5, ys[i] + 0.5, theta, ps)
            inside = all(not _hits(outside, p) for p in b.parts)
            if inside and not _building_hits(occupied, b, pad=_m(4, ps)):
                old.append(b)
                _stamp_building(occupied, b, pad=_m(4, ps))

    free = ~occupied & ~commercial
    _scatter(rng, free, old, zone_ok=~zone, count=max(1, round(h * w * ps * ps / 40000)), ps=ps)
    _scatter(rng, free, new, zone_ok=~zone, count=max(1, round(h * w * ps * ps / 30000)), ps=ps)
    for group in (old, new):  # small tiles: make sure both dates have a building of their own
        if not group:
            _scatter(rng, free, group, zone_ok=np.ones(shape, bool), count=1, ps=ps, tries=200)
        if not group:
            group.append(_fallback_building(rng, free, ps))

    n_demolish = int(round(demolish_fraction * len(old)))
    if len(old) >= 3:
        n_demolish = max(1, n_demolish)
    demolished = (
        sorted(rng.choice(len(old), size=min(n_demolish, len(old) - 1), replace=False).tolist())
        if len(old) > 1
        else []
    )

    pools = _pools(rng, old, new, free, ps)
    trees = _trees(rng, shape, ps, old, driveways, pools, road_area, zone, commercial, roads)
    return _World(
        shape=shape,
        ps=ps,
        roads=roads,
        road_surface=surface,
        markings=markings,
        blocks=blocks,
        zone=zone,
        commercial=commercial,
        old=old,
        new=new,
        demolished=demolished,
        driveways=driveways,
        pools=pools,
        trees=trees,
        fields=fields,
    )


def _scatter(
    rng: np.random.Generator,
    free: np.ndarray,
    out: list[_Building],
    *,
    zone_ok: np.ndarray,
    count: int,
    ps: float,
    tries: int = 60,
) -> None:
    """Sheds and back-yard buildings at random orientations on free land (updates ``free``)."""
    ys, xs = np.nonzero(free & zone_ok)
    placed = 0
    for _ in range(tries):
        if placed >= count or ys.size == 0:
            break
        i = int(rng.integers(0, ys.size))
        b = _shed(rng, xs[i] + 0.5, ys[i] + 0.5, ps)
        if all(not _hits(~free, p, pad=_m(1.0, ps)) for p in b.parts):
            out.append(b)
            for p in b.parts:
                occupied = np.zeros_like(free)
                _stamp(occupied, p, pad=_m(2.0, ps))
                free &= ~occupied
            placed += 1


def _fallback_building(rng: np.random.Generator, free: np.ndarray, ps: float) -> _Building:
    """A small building on the free pixel farthest from anything else (updates ``free``)."""
    dist = ndimage.distance_transform_edt(np.pad(free, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    half = float(np.clip(0.7 * dist[y, x], 2.0, _m(8.0, ps)))
    b = _Building(
        [_Rect.make(float(x) + 0.5, float(y) + 0.5, half, half * 0.75, rng.uniform(0, math.pi))],
        rng.uniform(3.0, 6.0),
        "shingles",
        "hip",
        _tint(rng),
    )
    occupied = np.zeros_like(free)
    _stamp_building(occupied, b, pad=_m(1.0, ps))
    free &= ~occupied
    return b


def _pools(
    rng: np.random.Generator,
    old: list[_Building],
    new: list[_Building],
    free: np.ndarray,
    ps: float,
) -> list[tuple[_Rect, int]]:
    pools = []
    for date, group in ((1, old), (2, new)):
        for b in group:
            if b.roof == "flat" or rng.random() > 0.18:
                continue
            main = b.parts[0]
            ca, sa = math.cos(main.angle), math.sin(main.angle)
            off = main.half_short + _m(rng.uniform(3.5, 5.5), ps)
            side = _sign(rng)
            cx, cy = main.cx - sa * off * side, main.cy + ca * off * side
            rect = _Rect.make(
                cx, cy, _m(rng.uniform(3.0, 5.0), ps), _m(rng.uniform(1.8, 2.8), ps), main.angle
            )
            if not _hits(~free, rect, pad=_m(1.0, ps)):
                pools.append((rect, date))
                occ = np.zeros_like(free)
                _stamp(occ, rect, pad=_m(1.5, ps))
                free &= ~occ
    return pools


def _trees(
    rng: np.random.Generator,
    shape: tuple[int, int],
    ps: float,
    old: list[_Building],
    driveways: list[tuple[_Rect, int]],
    pools: list[tuple[_Rect, int]],
    road_area: np.ndarray,
    zone: np.ndarray,
    commercial: np.ndarray,
    roads: list[_Road],
) -> list[_Tree]:
    """Back-yard clusters, street trees and a few field trees, off T1 buildings and paving."""
    h, w = shape
    blocked = road_area | commercial
    for b in old:
        _stamp_building(blocked, b, pad=_m(0.8, ps))
    for rect, _ in driveways + pools:
        _stamp(blocked, rect)
    centres: list[tuple[float, float, float]] = []
    area_ha = h * w * ps * ps / 1e4
    for _ in range(int(area_ha * rng.uniform(14, 24))):  # clusters
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        if zone[int(cy), int(cx)] and rng.random() < 0.8:
            continue
        for _ in range(int(rng.integers(2, 9))):
            r = rng.uniform(1.8, 4.8)
            centres.append((cx + rng.normal(0, _m(5, ps)), cy + rng.normal(0, _m(5, ps)), r))
    for road in roads:  # street trees on the verges
        if rng.random() < 0.5:
            continue
        lim = 0.5 * math.hypot(h, w)
        off = road.half_width + _m(rng.uniform(3.0, 4.5), ps)
        for side in (-1, 1):
            for t in np.arange(max(road.t0, -lim), min(road.t1, lim), _m(rng.uniform(9, 14), ps)):
                x = road.px + road.dx * t - road.dy * off * side
                y = road.py + road.dy * t + road.dx * off * side
                centres.append((x, y, rng.uniform(2.0, 3.5)))
    trees = []
    ys_all = np.arange(h, dtype=np.float32)
    xs_all = np.arange(w, dtype=np.float32)
    for x, y, r_m in centres:
        r = _m(r_m, ps)
        if not (0 <= x < w and 0 <= y < h):
            continue
        r0, r1 = max(int(y - r), 0), min(int(y + r) + 1, h)
        c0, c1 = max(int(x - r), 0), min(int(x + r) + 1, w)
        disk = (
            (ys_all[r0:r1, None] + 0.5 - y) ** 2 + (xs_all[None, c0:c1] + 0.5 - x) ** 2
        ) <= r * r
        if np.any(blocked[r0:r1, c0:c1] & disk):
            continue
        blocked[r0:r1, c0:c1] |= disk
        trees.append(
            _Tree(x, y, r, rng.uniform(5.0, 13.0), (1 + rng.normal(0, 0.08, 4)).astype(np.float32))
        )
    return trees


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class _DateLook:
    sun_azimuth: float  # degrees clockwise from north
    sun_elevation: float  # degrees
    gain: np.ndarray  # (4,)
    offset: np.ndarray  # (4,) in [0, 1] units
    gamma: float
    grass: np.ndarray  # (4,) seasonal multiplier of grass
    dry: np.ndarray
    tree: np.ndarray
    haze: float
    blur: float  # px
    noise: float  # DN


def _sun_vectors(look: _DateLook) -> tuple[tuple[float, float], float]:
    """Unit vector towards the sun in pixel coordinates and the shadow length per metre height."""
    az = math.radians(look.sun_azimuth)
    to_sun = (math.sin(az), -math.cos(az))  # north is -y
    return to_sun, 1.0 / math.tan(math.radians(look.sun_elevation))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ground(world: _World, date: int, look: _DateLook) -> np.ndarray:
    """Colour image (4, H, W) float32 of the ground (soft mix of grass, dry grass, soil; paving)."""
    f = world.fields
    large, mid, fine = f["large"], f["mid"], f["fine"]
    # soft land-cover weights: lawns with dry patches; fields (T1) and building sites (T2) in zones
    lawn_dry = _sigmoid((large - 0.7) / 0.25)
    lawn_soil = _sigmoid((large - 1.8) / 0.2)
    if date == 1:
        zone_dry = _sigmoid((0.3 - large - 0.3 * mid) / 0.3)
        zone_soil = 1.0 - zone_dry
    else:
        zone_dry = 0.35 * _sigmoid((large + 0.4 * mid - 0.8) / 0.3)
        zone_soil = 1.0 - zone_dry
    zone = world.zone.astype(np.float32)
    w_dry = np.where(zone > 0, zone_dry, lawn_dry * (1 - lawn_soil))
    w_soil = np.where(zone > 0, zone_soil, lawn_soil)
    soil = np.zeros(world.shape, bool)
    if date == 2:
        for i in world.demolished:
            for p in world.old[i].parts:
                _stamp(soil, p, pad=_m(1.5, world.ps))
        w_soil = np.where(soil, 1.0, w_soil)
        w_dry = np.where(soil, 0.0, w_dry)
    w_grass = np.clip(1.0 - w_dry - w_soil, 0.0, 1.0)

    colours = _GROUND_RGBN.copy()
    colours[GRASS] *= look.grass
    colours[DRY] *= look.dry
    img = (
        colours[GRASS][:, None, None] * w_grass
        + colours[DRY][:, None, None] * w_dry
        + colours[SOIL][:, None, None] * w_soil
    )
    tex = 1.0 + (0.10 * w_grass + 0.08 * (1 - w_grass)) * mid + 0.08 * fine + 0.07 * large
    img *= tex

    cls = np.full(world.shape, -1, np.int8)
    cls[world.commercial] = PARKING
    road = world.road_surface >= 0
    cls[road] = world.road_surface[road]
    for rect, when in world.driveways:
        if when == 1 or date == 2:
            _paint_class(cls, rect, CONCRETE, keep=ASPHALT)
    cls[soil & (cls != ASPHALT)] = -1
    paved = cls >= 0
    pc = cls[paved]
    amp = _GROUND_TEX[pc]
    paved_tex = 1.0 + amp[:, 0] * mid[paved] + amp[:, 1] * fine[paved] + 0.03 * large[paved]
    paved_rgb = colours[pc] * (paved_tex * f["wear"][paved])[:, None]
    img[:, paved] = paved_rgb.T
    img += world.markings[None] * (_MARKING_RGBN[:, None, None] - img)
    return img.astype(np.float32, copy=False)


def _paint_class(
    cls: np.ndarray, rect: _Rect, value: int, *, pad: float = 0.0, keep: int = -1
) -> None:
    """Set ``cls`` to ``value`` inside ``rect``, leaving pixels of class ``keep`` alone."""
    win = _rect_window(rect, cls.shape, pad)
    if win is not None:
        sl, ys, xs = win
        sub = cls[sl]
        sub[rect.inside(ys, xs, pad) & (sub != keep)] = value


def _draw_rect_colour(
    img: np.ndarray, rect: _Rect, colour: np.ndarray, shade: float = 1.0
) -> np.ndarray | None:
    win = _rect_window(rect, img.shape[1:])
    if win is None:
        return None
    sl, ys, xs = win
    inside = rect.inside(ys, xs)
    sub = img[:, sl[0], sl[1]]
    sub[:, inside] = (colour * shade)[:, None]
    return inside


def _draw_pools(img: np.ndarray, world: _World, date: int) -> None:
    ps = world.ps
    for rect, when in world.pools:
        if when == 2 and date == 1:
            continue
        deck = _Rect.make(
            rect.cx,
            rect.cy,
            rect.half_long + _m(1.0, ps),
            rect.half_short + _m(1.0, ps),
            rect.angle,
        )
        _draw_rect_colour(img, deck, _GROUND_RGBN[CONCRETE])
        win = _rect_window(rect, world.shape)
        if win is None:
            continue
        sl, ys, xs = win
        u, v = rect.local(ys, xs)
        inside = (np.abs(u) <= rect.half_long) & (np.abs(v) <= rect.half_short)
        depth = 1.0 - 0.25 * (u / rect.half_long)  # deep end darker
        sub = img[:, sl[0], sl[1]]
        sub[:, inside] = (_POOL_RGBN[:, None, None] * depth[None])[:, inside]


def _draw_cars(
    img: np.ndarray,
    shadow: np.ndarray,
    world: _World,
    date: int,
    rng: np.random.Generator,
    look: _DateLook,
) -> None:
    ps = world.ps
    h, w = world.shape
    to_sun, per_m = _sun_vectors(look)
    sx, sy = -to_sun[0], -to_sun[1]
    lim = 0.5 * math.hypot(h, w)
    spots: list[tuple[float, float, float]] = []
    for road in world.roads:
        t0, t1 = max(road.t0, -lim), min(road.t1, lim)
        n = rng.poisson(max(t1 - t0, 0) * ps / 45.0)
        for t in rng.uniform(t0, t1, n):
            lane = road.half_width * _pick(rng, (-0.5, 0.5, -0.8, 0.8))
            x = road.px + road.dx * t - road.dy * lane
            y = road.py + road.dy * t + road.dx * lane
            spots.append((x, y, math.atan2(road.dy, road.dx)))
    for rect, when in world.driveways:
        if (when == 1 or date == 2) and rng.random() < 0.35:
            spots.append((rect.cx, rect.cy, rect.angle))
    length, width = _m(4.5, ps) / 2, _m(1.85, ps) / 2
    for x, y, angle in spots:
        car = _Rect.make(x, y, length, width, angle + rng.normal(0, 0.03))
        win = _rect_window(car, world.shape, pad=_m(2.0, ps))
        if win is None:
            continue
        sl, ys, xs = win
        sh = _swept_rect(car, ys, xs, sx, sy, _m(1.5 * per_m, ps))
        shadow[sl] = np.maximum(shadow[sl], sh)
        u, v = car.local(ys, xs)
        inside = (np.abs(u) <= car.half_long) & (np.abs(v) <= car.half_short)
        colour = _CAR_COLOURS[rng.integers(0, len(_CAR_COLOURS))] * rng.uniform(0.9, 1.1)
        rel = u / car.half_long
        glass = ((rel > 0.15) & (rel < 0.45)) | ((rel < -0.55) & (rel > -0.8))
        shade = np.where(glass, 0.35, 1.0) * (1 - 0.15 * (np.abs(v) / car.half_short) ** 2)
        sub = img[:, sl[0], sl[1]]
        sub[:, inside] = (colour[:, None, None] * shade[None])[:, inside]
        shadow[sl][inside] = 0.0


def _draw_trees(
    img: np.ndarray, shadow_ground: np.ndarray, world: _World, trees: list[_Tree], look: _DateLook
) -> np.ndarray:
    """Paint crowns; returns the canopy mask. Tree shadows go into ``shadow_ground``."""
    ps = world.ps
    to_sun, per_m = _sun_vectors(look)
    sx, sy = -to_sun[0], -to_sun[1]
    canopy = np.zeros(world.shape, bool)
    edge, leaf = world.fields["edge"], world.fields["leaf"]
    tree_shadow = np.zeros(world.shape, np.float32)
    for tree in trees:
        r, L = tree.r, _m(tree.height_m * per_m, ps) * 0.8
        x0, x1 = tree.cx - r + min(0, sx * L), tree.cx + r + max(0, sx * L)
        y0, y1 = tree.cy - r + min(0, sy * L), tree.cy + r + max(0, sy * L)
        win = _window(x0 - 1, y0 - 1, x1 + 1, y1 + 1, world.shape)
        if win is None:
            continue
        sl, ys, xs = win
        dx, dy = xs - tree.cx, ys - tree.cy
        rr = r * (1 + 0.16 * edge[sl])
        # shadow: a capsule from the crown along the shadow direction
        t = np.clip(dx * sx + dy * sy, 0, L)
        dist = np.hypot(dx - t * sx, dy - t * sy)
        tree_shadow[sl] = np.maximum(tree_shadow[sl], dist <= rr)
        crown = np.hypot(dx, dy) <= rr
        lit = (dx * to_sun[0] + dy * to_sun[1]) / r
        radial = 1 - (dx * dx + dy * dy) / (r * r)
        shade = (0.7 + 0.3 * np.clip(lit, -1, 1)) * (0.8 + 0.25 * np.clip(radial, 0, 1))
        shade = shade * (1 + 0.28 * leaf[sl])
        colour = _TREE_RGBN * look.tree * tree.tint
        sub = img[:, sl[0], sl[1]]
        sub[:, crown] = (colour[:, None, None] * shade[None])[:, crown]
        canopy[sl] |= crown
    tree_shadow[canopy] = 0.0
    np.maximum(shadow_ground, tree_shadow, out=shadow_ground)
    return canopy


def _roof_shade(
    b: _Building, part: _Rect, u: np.ndarray, v: np.ndarray, look: _DateLook, ps: float
) -> np.ndarray:
    """Relative brightness of a roof part: faces, ridge, eaves, parapets and material texture."""
    to_sun, _ = _sun_vectors(look)
    su, sv = part.to_local_dir(*to_sun)
    a, bb = part.half_long, part.half_short
    edge = np.minimum(a - np.abs(u), bb - np.abs(v))
    k = 0.32 * math.cos(math.radians(look.sun_elevation))
    if b.roof == "flat":
        shade = np.ones_like(u)
        shade = np.where(edge < _m(0.6, ps), 1.12, shade)
        shade = np.where((edge >= _m(0.6, ps)) & (edge < _m(1.2, ps)), 0.9, shade)
        for uu, vv, hu, hv in b.units if part is b.parts[0] else []:
            box = (np.abs(u - uu) <= hu) & (np.abs(v - vv) <= hv)
            d = _m(1.0, ps)
            box_sh = (np.abs(u + su * d - uu) <= hu) & (np.abs(v + sv * d - vv) <= hv) & ~box
            shade = np.where(box, 1.22, np.where(box_sh, 0.7, shade))
        return shade
    if b.roof == "hip" and a - bb > 0:
        end = np.abs(u) - (a - bb) > np.abs(v)
        facing = np.where(end, np.sign(u) * su, np.sign(v) * sv)
        ridge = (np.abs(v) < _m(0.35, ps)) & (np.abs(u) <= a - bb)
    else:
        facing = np.sign(v) * sv
        ridge = np.abs(v) < _m(0.35, ps)
    shade = 1.0 + k * facing
    shade = np.where(ridge, 1.0 + 0.5 * k, shade)
    if b.material == "red_tiles":
        shade = shade * (1 + 0.05 * np.sin(2 * math.pi * v / _m(0.9, ps)))
    elif b.material == "metal":
        shade = shade * (1 + 0.05 * np.sin(2 * math.pi * u / _m(0.8, ps)))
    return np.where(edge < _m(0.5, ps), shade * 0.86, shade)


_TEXTURE_AMP = {
    "red_tiles": (0.06, 0.06),
    "shingles": (0.05, 0.09),
    "grey_concrete": (0.07, 0.03),
    "bitumen": (0.12, 0.05),
    "metal": (0.03, 0.02),
}


def _draw_buildings(
    img: np.ndarray, shadow: np.ndarray, world: _World, buildings: list[_Building], look: _DateLook
) -> np.ndarray:
    """Paint roofs and cast building shadows; returns the exact footprint mask (H, W) bool."""
    ps = world.ps
    to_sun, per_m = _sun_vectors(look)
    sx, sy = -to_sun[0], -to_sun[1]
    roofs = np.zeros(world.shape, bool)
    mid, fine = world.fields["mid"], world.fields["fine"]
    for b in buildings:
        L = _m(b.height_m * per_m, ps)
        base = np.asarray(ROOF_MATERIALS[b.material][0], np.float32) * b.tint
        amp_mid, amp_fine = _TEXTURE_AMP[b.material]
        for part in b.parts:  # shadows first, on the ground around
            ex, ey = part.extent()
            win = _window(
                part.cx - ex + min(0, sx * L),
                part.cy - ey + min(0, sy * L),
                part.cx + ex + max(0, sx * L),
                part.cy + ey + max(0, sy * L),
                world.shape,
            )
            if win is not None:
                sl, ys, xs = win
                shadow[sl] = np.maximum(shadow[sl], _swept_rect(part, ys, xs, sx, sy, L))
        for part in b.parts[::-1]:  # the main part wins where an L's arms overlap
            win = _rect_window(part, world.shape)
            if win is None:
                continue
            sl, ys, xs = win
            u, v = part.local(ys, xs)
            inside = (np.abs(u) <= part.half_long) & (np.abs(v) <= part.half_short)
            shade = _roof_shade(b, part, u, v, look, ps)
            shade = shade * (1 + amp_mid * mid[sl] + amp_fine * fine[sl])
            sub = img[:, sl[0], sl[1]]
            sub[:, inside] = (base[:, None, None] * shade[None])[:, inside]
            roofs[sl] |= inside
    return roofs


def _radiometry(
    img: np.ndarray, look: _DateLook, world: _World, rng: np.random.Generator
) -> np.ndarray:
    """Optics blur, per-band gain/offset/gamma, haze and sensor noise; float32 DN."""
    out = ndimage.gaussian_filter(img, sigma=(0, look.blur, look.blur))
    nb = img.shape[0]
    x = out / 255.0 * look.gain[:nb, None, None] + look.offset[:nb, None, None]
    haze_band = np.array([0.6, 0.8, 1.0, 0.4], np.float32)[:nb, None, None]
    x += look.haze * (1 + world.fields["haze"][None]) * haze_band
    x = np.clip(x, 0.0, 1.0) ** look.gamma * 255.0
    x += look.noise * rng.standard_normal(x.shape, dtype=np.float32)
    return x


def _render(
    world: _World,
    date: int,
    look: _DateLook,
    rng: np.random.Generator,
    bands: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Image (bands, H, W) float32 DN and building mask (H, W) bool of one date."""
    buildings = [b for i, b in enumerate(world.old) if date == 1 or i not in world.demolished]
    if date == 2:
        buildings = buildings + world.new
    occupied = np.zeros(world.shape, bool)
    for b in buildings:
        _stamp_building(occupied, b, pad=_m(0.8, world.ps))
    trees = [
        t for t in world.trees if not occupied[int(t.cy), int(t.cx)] and not _disk_hits(occupied, t)
    ]
    if date == 2:  # trees grow a little, a few are cut
        trees = [
            _Tree(t.cx, t.cy, t.r * 1.06, t.height_m, t.tint) for t in trees if rng.random() > 0.03
        ]
    img = _ground(world, date, look)
    _draw_pools(img, world, date)
    shadow = np.zeros(world.shape, np.float32)
    _draw_cars(img, shadow, world, date, rng, look)
    _draw_trees(img, shadow, world, trees, look)
    roofs_shadow = np.zeros(world.shape, np.float32)
    roofs = _draw_buildings(img, roofs_shadow, world, buildings, look)
    shadow = np.maximum(shadow, roofs_shadow)
    shadow[roofs] = 0.0
    shadow = ndimage.gaussian_filter(shadow, 0.6)
    shadow[roofs] = 0.0
    img *= 1.0 - shadow[None] * (1.0 - _SHADOW_KEEP[:, None, None])
    return _radiometry(img[:bands], look, world, rng), roofs


def _disk_hits(mask: np.ndarray, t: _Tree) -> bool:
    h, w = mask.shape
    r0, r1 = max(int(t.cy - t.r), 0), min(int(t.cy + t.r) + 1, h)
    c0, c1 = max(int(t.cx - t.r), 0), min(int(t.cx + t.r) + 1, w)
    ys = np.arange(r0, r1)[:, None] + 0.5
    xs = np.arange(c0, c1)[None, :] + 0.5
    return bool(np.any(mask[r0:r1, c0:c1] & (((ys - t.cy) ** 2 + (xs - t.cx) ** 2) <= t.r**2)))


def _looks(rng: np.random.Generator, season: str) -> tuple[_DateLook, _DateLook]:
    az1, el1 = rng.uniform(135, 170), rng.uniform(42, 58)
    one = np.ones(4, np.float32)
    t1 = _DateLook(
        sun_azimuth=az1,
        sun_elevation=el1,
        gain=one * rng.uniform(0.97, 1.03),
        offset=np.zeros(4, np.float32),
        gamma=1.0,
        grass=one,
        dry=one,
        tree=one,
        haze=0.0,
        blur=0.45,
        noise=1.5,
    )
    if season == "random":
        season = str(rng.choice(["dry", "green", "autumn"]))
    grass = {
        "dry": [1.3, 1.12, 1.1, 0.75],
        "green": [0.92, 1.03, 0.9, 1.08],
        "autumn": [1.15, 1.0, 0.95, 0.85],
    }
    tree = {
        "dry": [1.05, 1.0, 1.0, 0.9],
        "green": [0.9, 1.05, 0.9, 1.05],
        "autumn": [1.6, 1.1, 0.9, 0.8],
    }
    if season not in grass:
        raise MssfcError(f"season={season!r}; use 'dry', 'green', 'autumn' or 'random'.")
    t2 = _DateLook(
        sun_azimuth=az1 + rng.uniform(-20, 20),
        sun_elevation=float(np.clip(el1 + rng.uniform(-12, 8), 28, 68)),
        gain=(rng.uniform(0.85, 1.12) * rng.uniform(0.94, 1.06, 4)).astype(np.float32),
        offset=(rng.uniform(-0.03, 0.04) + rng.uniform(-0.015, 0.015, 4)).astype(np.float32),
        gamma=float(rng.uniform(0.85, 1.15)),
        grass=np.array(grass[season], np.float32),
        dry=np.array([1.05, 1.02, 1.0, 0.95], np.float32),
        tree=np.array(tree[season], np.float32),
        haze=float(rng.uniform(0.0, 0.04)),
        blur=float(rng.uniform(0.5, 0.8)),
        noise=float(rng.uniform(2.0, 3.5)),
    )
    return t1, t2


# --------------------------------------------------------------------------- public API


class SceneArrays(NamedTuple):
    """The arrays of a synthetic scene (see :func:`make_scene_arrays`)."""

    t1: np.ndarray
    t2: np.ndarray
    buildings_t1: np.ndarray
    buildings_t2: np.ndarray
    change: np.ndarray
    info: dict[str, Any]


@dataclass(frozen=True)
class Scene:
    """A georeferenced synthetic bi-temporal scene.

    Attributes
    ----------
    t1, t2 : numpy.ndarray
        ``(B, H, W)`` uint8 images, B = 3 (R, G, B) or 4 (R, G, B, NIR).
    buildings_t1, buildings_t2 : numpy.ndarray
        ``(H, W)`` uint8 exact building footprints, 0/1.
    change : numpy.ndarray
        ``(H, W)`` uint8, ``buildings_t1 XOR buildings_t2`` (new or demolished), 0/1.
    geotransform : tuple of float
        GDAL geotransform ``(x0, pixel_size, 0, y0, 0, -pixel_size)`` in metres.
    crs_wkt : str
        WKT of WGS 84 / UTM zone 33N (EPSG:32633).
    band_names : tuple of str
        ``("red", "green", "blue"[, "nir"])``.
    info : dict
        Seed, sun angles, T2 misregistration ``t2_shift_px`` (dy, dx), building counts, ...
    """

    t1: np.ndarray
    t2: np.ndarray
    buildings_t1: np.ndarray
    buildings_t2: np.ndarray
    change: np.ndarray
    geotransform: tuple[float, float, float, float, float, float]
    crs_wkt: str
    band_names: tuple[str, ...]
    info: dict[str, Any]

    @property
    def pixel_size(self) -> float:
        """Ground sampling distance, metres."""
        return self.geotransform[1]


def make_scene_arrays(
    *,
    seed: int = 0,
    size: int = 1024,
    pixel_size: float = 0.5,
    nir: bool = False,
    zone_fraction: float = 0.25,
    demolish_fraction: float = 0.04,
    max_shift_px: float = 1.0,
    season: str = "random",
) -> SceneArrays:
    """Generate the arrays of a synthetic bi-temporal scene (no georeferencing, no GDAL).

    Parameters
    ----------
    seed : int
        Random seed; the same seed and options give the same arrays.
    size : int
        Width and height in pixels, at least 32 (64-256 for test fixtures, 1024 for the demo).
    pixel_size : float
        Ground sampling distance in metres (0.1-5); sizes of the world are in metres.
    nir : bool
        Add a 4th near-infrared band.
    zone_fraction : float
        Share of the land, in [0, 0.9], that is undeveloped at T1 and built up at T2.
    demolish_fraction : float
        Share of the T1 buildings, in [0, 0.5], demolished by T2 (at least one when there are 3+).
    max_shift_px : float
        Largest T2 misregistration, pixels (a random shift of length 0.3-1 times this).
    season : {"random", "dry", "green", "autumn"}
        Vegetation colour at T2.

    Returns
    -------
    SceneArrays
        ``t1, t2`` ``(B, H, W)`` uint8; ``buildings_t1, buildings_t2, change`` ``(H, W)`` uint8
        0/1; ``info`` dict.
    """
    _check_options(size, pixel_size, zone_fraction, demolish_fraction, max_shift_px)
    rng = np.random.default_rng(seed)
    shape = (int(size), int(size))
    world = _make_world(
        rng,
        shape,
        float(pixel_size),
        zone_fraction=zone_fraction,
        demolish_fraction=demolish_fraction,
    )
    look1, look2 = _looks(rng, season)
    bands = 4 if nir else 3
    img1, roofs1 = _render(world, 1, look1, rng, bands)
    img2, roofs2 = _render(world, 2, look2, rng, bands)
    angle = rng.uniform(0, 2 * math.pi)
    length = max_shift_px * rng.uniform(0.3, 1.0)
    shift = (length * math.sin(angle), length * math.cos(angle))
    if length > 0:
        img2 = _subpixel_shift(img2, *shift)
    t1 = np.clip(np.rint(img1[:bands]), 0, 255).astype(np.uint8)
    t2 = np.clip(np.rint(img2[:bands]), 0, 255).astype(np.uint8)
    b1, b2 = roofs1.astype(np.uint8), roofs2.astype(np.uint8)
    info = {
        "seed": seed,
        "pixel_size": float(pixel_size),
        "sun_t1": (round(look1.sun_azimuth, 2), round(look1.sun_elevation, 2)),
        "sun_t2": (round(look2.sun_azimuth, 2), round(look2.sun_elevation, 2)),
        "t2_shift_px": (round(shift[0], 3), round(shift[1], 3)),
        "buildings_t1": len(world.old),
        "buildings_new": len(world.new),
        "buildings_demolished": len(world.demolished),
        "trees": len(world.trees),
    }
    return SceneArrays(t1, t2, b1, b2, b1 ^ b2, info)


def _subpixel_shift(img: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Shift ``(B, H, W)`` by ``(dy, dx)`` pixels (content moves down/right), bilinear, edge-padded."""
    iy, ix = math.floor(dy), math.floor(dx)
    fy, fx = dy - iy, dx - ix
    h, w = img.shape[1:]
    pad = max(abs(iy), abs(ix)) + 2
    p = np.pad(img, ((0, 0), (pad, pad), (pad, pad)), mode="edge")

    def view(oy: int, ox: int) -> np.ndarray:
        return p[:, pad - oy : pad - oy + h, pad - ox : pad - ox + w]

    return (
        (1 - fy) * (1 - fx) * view(iy, ix)
        + (1 - fy) * fx * view(iy, ix + 1)
        + fy * (1 - fx) * view(iy + 1, ix)
        + fy * fx * view(iy + 1, ix + 1)
    ).astype(np.float32)


def _check_options(
    size: int, pixel_size: float, zone: float, demolish: float, shift: float
) -> None:
    if int(size) != size or size < 32:
        raise MssfcError(f"size={size}; use a whole number of pixels >= 32 (e.g. 256 or 1024).")
    if not 0.1 <= pixel_size <= 5.0:
        raise MssfcError(f"pixel_size={pixel_size} m is outside 0.1-5 m; use e.g. 0.5.")
    if not 0.0 <= zone <= 0.9:
        raise MssfcError(f"zone_fraction={zone} is outside [0, 0.9]; use e.g. 0.25.")
    if not 0.0 <= demolish <= 0.5:
        raise MssfcError(f"demolish_fraction={demolish} is outside [0, 0.5]; use e.g. 0.04.")
    if not 0.0 <= shift <= 5.0:
        raise MssfcError(f"max_shift_px={shift} is outside [0, 5]; use e.g. 1.")


def scene_crs_wkt() -> str:
    """WKT of the scene CRS, WGS 84 / UTM zone 33N."""
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(SCENE_EPSG)
    return srs.ExportToWkt()


def make_scene(
    *, seed: int = 0, size: int = 1024, pixel_size: float = 0.5, nir: bool = False, **options: Any
) -> Scene:
    """Generate a georeferenced synthetic bi-temporal scene.

    Parameters
    ----------
    seed, size, pixel_size, nir
        As in :func:`make_scene_arrays`.
    **options
        Further keyword options of :func:`make_scene_arrays` (``zone_fraction``,
        ``demolish_fraction``, ``max_shift_px``, ``season``).

    Returns
    -------
    Scene
        Arrays plus a geotransform in UTM 33N with a seed-dependent origin in Central Europe
        (easting 400-600 km, northing 5300-5400 km) and the CRS as WKT.
    """
    arrays = make_scene_arrays(seed=seed, size=size, pixel_size=pixel_size, nir=nir, **options)
    geo_rng = np.random.default_rng([seed, 1])
    x0 = float(np.round(geo_rng.uniform(400_000, 600_000 - size * pixel_size)))
    y0 = float(np.round(geo_rng.uniform(5_300_000, 5_400_000)))
    return Scene(
        t1=arrays.t1,
        t2=arrays.t2,
        buildings_t1=arrays.buildings_t1,
        buildings_t2=arrays.buildings_t2,
        change=arrays.change,
        geotransform=(x0, float(pixel_size), 0.0, y0, 0.0, -float(pixel_size)),
        crs_wkt=scene_crs_wkt(),
        band_names=("red", "green", "blue", "nir")[: arrays.t1.shape[0]],
        info=arrays.info,
    )


_GTIFF_OPTIONS = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE"]


def _write_tif(path: Path, data: np.ndarray, scene: Scene, names: Sequence[str]) -> None:
    from osgeo import gdal

    gdal.UseExceptions()
    bands = data if data.ndim == 3 else data[None]
    options = [*_GTIFF_OPTIONS, "PREDICTOR=2"] if bands.shape[0] > 1 else _GTIFF_OPTIONS
    driver = gdal.GetDriverByName("GTiff")
    ds = driver.Create(
        str(path), bands.shape[2], bands.shape[1], bands.shape[0], gdal.GDT_Byte, options=options
    )
    ds.SetGeoTransform(scene.geotransform)
    ds.SetProjection(scene.crs_wkt)
    ds.SetMetadata({f"MSSFC_DEMO_{k.upper()}": str(v) for k, v in scene.info.items()})
    interp = {"red": gdal.GCI_RedBand, "green": gdal.GCI_GreenBand, "blue": gdal.GCI_BlueBand}
    for i, name in enumerate(names):
        band = ds.GetRasterBand(i + 1)
        band.WriteArray(bands[i])
        band.SetDescription(name)
        band.SetColorInterpretation(interp.get(name, gdal.GCI_Undefined))
    ds.FlushCache()
    ds = None  # closes the file


def write_scene(
    scene: Scene, folder: str | Path, *, is_canceled: Callable[[], bool] | None = None
) -> dict[str, Path]:
    """Write the scene as tiled, DEFLATE-compressed GeoTIFFs.

    Parameters
    ----------
    scene : Scene
        From :func:`make_scene`.
    folder : str or pathlib.Path
        Output folder, created if missing.
    is_canceled : callable, optional
        Asked before each file; a cancel removes the files written and raises
        :class:`~mssfc_qgis.core.errors.Canceled`.

    Returns
    -------
    dict of str to pathlib.Path
        ``t1, t2, buildings_t1, buildings_t2, change`` -> ``<folder>/<name>.tif``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    try:
        for name in ("t1", "t2", "buildings_t1", "buildings_t2", "change"):
            if is_canceled is not None and is_canceled():
                raise Canceled("Canceled by the user.")
            data = getattr(scene, name)
            names = scene.band_names if data.ndim == 3 else (name,)
            path = folder / f"{name}.tif"
            paths[name] = path
            _write_tif(path, data, scene, names)
    except BaseException:  # the whole scene or none of it
        for path in paths.values():
            path.unlink(missing_ok=True)
        raise
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a demo scene as GeoTIFFs."""
    parser = argparse.ArgumentParser(
        prog="python -m mssfc_qgis.core.demo_scene",
        description="Write a synthetic bi-temporal aerial scene with building and change masks.",
    )
    parser.add_argument("--output", required=True, type=Path, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--size", type=int, default=1024, help="width = height, px (default 1024)")
    parser.add_argument("--pixel-size", type=float, default=0.5, help="metres (default 0.5)")
    parser.add_argument("--nir", action="store_true", help="add a near-infrared 4th band")
    args = parser.parse_args(argv)
    try:
        scene = make_scene(seed=args.seed, size=args.size, pixel_size=args.pixel_size, nir=args.nir)
    except MssfcError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, path in write_scene(scene, args.output).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
