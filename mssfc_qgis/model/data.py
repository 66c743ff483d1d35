"""Training data: readers for LEVIR-CD, WHU, BANDON and the Dubai semantic-segmentation set,
single-temporal pairing, and augmentation.

Every reader returns :class:`Item` objects held in memory as uint8 arrays; :class:`PairDataset`
draws random crops from them and yields one training sample:

- ``t1``, ``t2``: ``(3, s, s)`` float32 in [0, 1] before normalisation, normalised on output;
- ``target``: ``(3, s, s)`` uint8, heads (building T1, building T2, change), values 0, 1 or 255
  (ignore);
- ``has_label``: ``(3,)`` bool, which heads this sample carries a label for.

Single-temporal supervised learning (Zheng et al., ICCV 2021, "STAR"): an item with a building
mask but no second date is paired with another such item; the change label is the XOR of the two
building masks. An item may also be paired with itself (the paper's dual-image input for building
extraction), whose change label is empty.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .losses import IGNORE

#: Dubai set: building pixels are this RGB colour in the masks.
DUBAI_BUILDING_RGB: tuple[int, int, int] = (60, 16, 152)
#: ImageNet statistics, in units of [0, 1]-scaled reflectance (red, green, blue).
DEFAULT_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
DEFAULT_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


@dataclass
class Item:
    """One image or image pair with whatever labels it has; arrays are ``(h, w, 3)`` / ``(h, w)``
    uint8, masks 0/1 (or 255 = ignore). ``scale`` is the resampling factor that brings it to the
    training resolution (e.g. 0.6 for WHU's 0.3 m to 0.5 m)."""

    name: str
    t1: np.ndarray
    t2: np.ndarray | None = None
    building_t1: np.ndarray | None = None
    building_t2: np.ndarray | None = None
    change: np.ndarray | None = None
    scale: tuple[float, float] = (1.0, 1.0)

    @property
    def bitemporal(self) -> bool:
        return self.t2 is not None


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """An image file as ``(h, w, bands)`` uint8 (GDAL reads PNG, JPEG and TIFF)."""
    from osgeo import gdal

    gdal.UseExceptions()
    ds = gdal.Open(str(path))
    arr = ds.ReadAsArray()
    del ds
    if arr.ndim == 2:
        arr = arr[None]
    return np.ascontiguousarray(np.moveaxis(arr, 0, -1)).astype(np.uint8, copy=False)


def read_rgb(path: str | os.PathLike[str]) -> np.ndarray:
    """The first three bands of an image (a single band is repeated). ``(h, w, 3)`` uint8."""
    img = read_image(path)
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    return np.ascontiguousarray(img[..., :3])


def read_mask(path: str | os.PathLike[str]) -> np.ndarray:
    """A binary mask file (0/1, 0/255 or 1-bit) as ``(h, w)`` uint8 in {0, 1}.

    A paletted mask is read through its colour table (bright = 1): the WHU tiles here store
    buildings as index 0 with a white palette entry, so their raw values are inverted.
    """
    from osgeo import gdal

    gdal.UseExceptions()
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    raw = band.ReadAsArray()
    table = band.GetColorTable()
    if table is not None:
        lut = np.zeros(256, np.uint8)
        for i in range(min(table.GetCount(), 256)):
            r, g, b = table.GetColorEntry(i)[:3]
            lut[i] = 1 if (r + g + b) / 3 > 127 else 0
        out = lut[raw]
    else:
        out = (raw > 0).astype(np.uint8)
    del band, ds
    return out


def _stems(folder: Path, patterns: Iterable[str] = ("*.png", "*.jpg", "*.tif", "*.tiff")) -> dict:
    out: dict[str, Path] = {}
    for pattern in patterns:
        for p in glob.glob(str(folder / pattern)):
            out[Path(p).stem] = Path(p)
    return dict(sorted(out.items()))


def _select(names: Iterable[str], include: Sequence[str] | None, exclude: Sequence[str]) -> list:
    chosen = [n for n in names if (include is None or n in include) and n not in exclude]
    return chosen


def read_list(path: str | os.PathLike[str]) -> list[str]:
    """Names listed one per line (extensions dropped), e.g. LEVIR-CD's ``list/demo.txt``."""
    lines = Path(path).read_text().split()
    return [Path(x).stem for x in lines if x.strip()]


def load_levir(
    root: str | os.PathLike[str],
    *,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    scale: tuple[float, float] = (1.0, 1.0),
) -> list[Item]:
    """LEVIR-CD layout: ``A/`` (T1), ``B/`` (T2), ``label/`` (change 0/255). Change labels only."""
    root = Path(root)
    a, b, lab = _stems(root / "A"), _stems(root / "B"), _stems(root / "label")
    items = []
    for name in _select(a, include, exclude):
        if name not in b or name not in lab:
            continue
        items.append(
            Item(
                name, read_rgb(a[name]), read_rgb(b[name]), change=read_mask(lab[name]), scale=scale
            )
        )
    return items


def load_whu(
    root: str | os.PathLike[str],
    *,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    scale: tuple[float, float] = (0.6, 0.6),
) -> list[Item]:
    """WHU building layout: ``image/`` and ``label/`` (building mask). Single date."""
    root = Path(root)
    img, lab = _stems(root / "image"), _stems(root / "label")
    return [
        Item(n, read_rgb(img[n]), building_t1=read_mask(lab[n]), scale=scale)
        for n in _select(img, include, exclude)
        if n in lab
    ]


def read_colour_mask(path: str | os.PathLike[str]) -> np.ndarray:
    """A class-colour mask as ``(h, w, 3)`` uint8 RGB; paletted files go through their colour
    table (some Dubai masks are paletted, others RGB)."""
    from osgeo import gdal

    gdal.UseExceptions()
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    table = band.GetColorTable()
    if ds.RasterCount == 1 and table is not None:
        lut = np.zeros((256, 3), np.uint8)
        for i in range(min(table.GetCount(), 256)):
            lut[i] = table.GetColorEntry(i)[:3]
        out = lut[band.ReadAsArray()]
    else:
        out = read_image(path)[..., :3]
    del band, ds
    return out


def dubai_building_mask(mask_rgb: np.ndarray) -> np.ndarray:
    """Building mask of a Dubai RGB class mask: pixels equal to :data:`DUBAI_BUILDING_RGB`."""
    return np.all(mask_rgb[..., :3] == np.array(DUBAI_BUILDING_RGB, np.uint8), axis=-1).astype(
        np.uint8
    )


def load_dubai(
    root: str | os.PathLike[str],
    *,
    tiles: Sequence[str] | None = None,
    exclude_tiles: Sequence[str] = (),
    scale: tuple[float, float] = (1.5, 2.5),
) -> list[Item]:
    """Dubai aerial semantic-segmentation set: ``Tile_k/images/*.jpg``, ``Tile_k/masks/*.png``.

    Only the building class is kept. Its ground resolution is coarser than LEVIR-CD's 0.5 m, so it
    is enlarged by default (``scale``, our estimate by eye).
    """
    root = Path(root)
    items = []
    for tile in sorted(p.name for p in root.glob("Tile_*")):
        if (tiles is not None and tile not in tiles) or tile in exclude_tiles:
            continue
        imgs, masks = _stems(root / tile / "images"), _stems(root / tile / "masks")
        for n in imgs:
            if n in masks:
                mask = dubai_building_mask(read_colour_mask(masks[n]))
                items.append(Item(f"{tile}/{n}", read_rgb(imgs[n]), building_t1=mask, scale=scale))
    return items


def load_bandon(
    root: str | os.PathLike[str],
    *,
    split: str = "train",
    cities: Sequence[str] | None = None,
    scale: tuple[float, float] = (0.83, 0.83),
    image_dir: str = "imgs",
    building_dir: str = "building_labels",
    change_dir: str = "labels_unch0ch1ig255",
) -> list[Item]:
    """BANDON layout (Pang et al. 2023): ``<split>/imgs/<city>/t1|t2/*``,
    ``<split>/building_labels/<city>/t1|t2/*`` and ``<split>/labels_unch0ch1ig255/<city>/*``
    (change 0/1, 255 ignored). Both building masks and the change mask are used.

    Written from the data set's published layout; not tested against the full data set here.
    """
    base = Path(root) / split
    items = []
    for city_dir in sorted((base / image_dir).iterdir()):
        city = city_dir.name
        if cities is not None and city not in cities:
            continue
        t1, t2 = _stems(city_dir / "t1"), _stems(city_dir / "t2")
        b1, b2 = (
            _stems(base / building_dir / city / "t1"),
            _stems(base / building_dir / city / "t2"),
        )
        ch = _stems(base / change_dir / city)
        for n in t1:
            if n not in t2:
                continue
            change = None
            if n in ch:
                raw = read_image(ch[n])[..., 0]
                change = np.where(raw == IGNORE, IGNORE, (raw > 0)).astype(np.uint8)
            items.append(
                Item(
                    f"{city}/{n}",
                    read_rgb(t1[n]),
                    read_rgb(t2[n]),
                    building_t1=read_mask(b1[n]) if n in b1 else None,
                    building_t2=read_mask(b2[n]) if n in b2 else None,
                    change=change,
                    scale=scale,
                )
            )
    return items


# --------------------------------------------------------------------------- augmentation


def _resize(arr: np.ndarray, factor: float, *, nearest: bool) -> np.ndarray:
    import cv2

    if abs(factor - 1.0) < 1e-6:
        return arr
    h, w = arr.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(arr, size, interpolation=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR)


def _window(rng: np.random.Generator, shape: tuple[int, int], crop: int) -> tuple[int, int]:
    h, w = shape
    return int(rng.integers(0, max(h - crop, 0) + 1)), int(rng.integers(0, max(w - crop, 0) + 1))


def _crop(arr: np.ndarray | None, y: int, x: int, size: int, fill: int) -> np.ndarray | None:
    """A ``size`` square from ``(y, x)``, padded with ``fill`` where the source is smaller."""
    if arr is None:
        return None
    out = arr[y : y + size, x : x + size]
    if out.shape[0] < size or out.shape[1] < size:
        pad = [(0, size - out.shape[0]), (0, size - out.shape[1])] + [(0, 0)] * (arr.ndim - 2)
        out = np.pad(out, pad, constant_values=fill)
    return out


def colour_jitter(img: np.ndarray, rng: np.random.Generator, strength: float = 0.2) -> np.ndarray:
    """Random brightness, contrast and per-band gain of a ``(h, w, 3)`` float image in [0, 1]."""
    if strength <= 0:
        return img
    gain = 1.0 + rng.uniform(-strength, strength, size=3) * 0.5
    bright = rng.uniform(-strength, strength) * 0.5
    contrast = 1.0 + rng.uniform(-strength, strength)
    mean = img.mean()
    out = (img - mean) * contrast + mean + bright
    return np.clip(out * gain, 0.0, 1.0).astype(np.float32)


@dataclass
class AugmentConfig:
    """Augmentations; all geometric ones act identically on both dates and all masks."""

    flip: bool = True
    rot90: bool = True
    colour: float = 0.2
    swap: float = 0.5
    p_same: float = 0.3
    p_star: float = 0.5


def _geometric(arrays: list[np.ndarray | None], rng: np.random.Generator, aug: AugmentConfig):
    k = int(rng.integers(0, 4)) if aug.rot90 else 0
    fh = aug.flip and rng.random() < 0.5
    fv = aug.flip and rng.random() < 0.5
    out = []
    for a in arrays:
        if a is not None:
            a = np.rot90(a, k, axes=(0, 1))
            if fh:
                a = a[:, ::-1]
            if fv:
                a = a[::-1]
            a = np.ascontiguousarray(a)
        out.append(a)
    return out


class PairDataset:
    """Random training samples drawn from in-memory items (a map-style torch dataset).

    Each index draws, with a generator seeded by ``(seed, epoch, index)``:

    - a bi-temporal item: the same random window of both dates;
    - or a single-date item, then with probability ``p_same`` the same window twice (change = 0),
      else with ``p_star`` a window of another single-date item (change = XOR of building masks),
      else a second window of the same image (also unrelated content: XOR).

    Parameters
    ----------
    items : the items.
    crop : side of the square crop, pixels (a multiple of 32).
    length : samples per epoch.
    weights : sampling weight per item (default uniform).
    mean, std : normalisation per band, units of [0, 1] reflectance.
    """

    def __init__(
        self,
        items: Sequence[Item],
        *,
        crop: int = 256,
        length: int = 1000,
        weights: Sequence[float] | None = None,
        augment: AugmentConfig | None = None,
        mean: Sequence[float] = DEFAULT_MEAN,
        std: Sequence[float] = DEFAULT_STD,
        seed: int = 0,
    ) -> None:
        if not items:
            raise ValueError("no training items")
        self.items = list(items)
        self.single = [i for i, it in enumerate(self.items) if not it.bitemporal]
        self.crop = crop
        self.length = length
        w = np.ones(len(self.items)) if weights is None else np.asarray(weights, float)
        self.p = w / w.sum()
        self.augment = augment or AugmentConfig()
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return self.length

    def _window(self, item: Item, rng: np.random.Generator):
        """A scaled random window of one item: images and masks as lists."""
        lo, hi = item.scale
        factor = float(rng.uniform(lo, hi))
        # crop first in source pixels (with a margin), then resize: cheap on large images
        src = int(np.ceil(self.crop / factor)) + 2
        y, x = _window(rng, item.t1.shape[:2], src)
        imgs = [_crop(a, y, x, src, 0) for a in (item.t1, item.t2)]
        masks = [
            _crop(a, y, x, src, IGNORE) for a in (item.building_t1, item.building_t2, item.change)
        ]
        imgs = [None if a is None else _resize(a, factor, nearest=False) for a in imgs]
        masks = [None if a is None else _resize(a, factor, nearest=True) for a in masks]
        imgs = [_crop(a, 0, 0, self.crop, 0) for a in imgs]
        masks = [_crop(a, 0, 0, self.crop, IGNORE) for a in masks]
        return imgs, masks

    def sample(self, index: int) -> dict[str, np.ndarray]:
        """One sample as numpy arrays (see the module docstring)."""
        rng = np.random.default_rng([self.seed, self.epoch, index])
        aug = self.augment
        item = self.items[int(rng.choice(len(self.items), p=self.p))]
        (a, b), (m1, m2, mc) = self._window(item, rng)
        if not item.bitemporal:
            r = rng.random()
            if r < aug.p_same:
                b, m2, mc = a, m1, np.where(m1 == IGNORE, IGNORE, 0).astype(np.uint8)
            else:
                other = item
                if rng.random() < aug.p_star / max(1e-9, 1 - aug.p_same) and len(self.single) > 1:
                    other = self.items[int(rng.choice(self.single))]
                (b, _), (m2, _, _) = self._window(other, rng)
                assert m1 is not None and m2 is not None
                ignore = (m1 == IGNORE) | (m2 == IGNORE)
                mc = np.where(ignore, IGNORE, m1 ^ m2).astype(np.uint8)
        a, b, m1, m2, mc = _geometric([a, b, m1, m2, mc], rng, aug)
        assert a is not None and b is not None
        fa = colour_jitter(a.astype(np.float32) / 255.0, rng, aug.colour)
        fb = colour_jitter(b.astype(np.float32) / 255.0, rng, aug.colour)
        if rng.random() < aug.swap:
            fa, fb, m1, m2 = fb, fa, m2, m1
        return self._pack(fa, fb, m1, m2, mc)

    def _pack(self, fa, fb, m1, m2, mc) -> dict[str, np.ndarray]:
        shape = fa.shape[:2]
        target = np.full((3, *shape), IGNORE, np.uint8)
        has = np.zeros(3, bool)
        for i, m in enumerate((m1, m2, mc)):
            if m is not None:
                target[i] = m
                has[i] = True
        return {
            "t1": normalize_chw(fa, self.mean, self.std),
            "t2": normalize_chw(fb, self.mean, self.std),
            "target": target,
            "has_label": has,
        }

    def __getitem__(self, index: int) -> dict:
        import torch

        return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.sample(index).items()}


def normalize_chw(img_hwc: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """``(h, w, 3)`` float in [0, 1] to normalised ``(3, h, w)`` float32."""
    return np.ascontiguousarray(((img_hwc - mean) / std).transpose(2, 0, 1).astype(np.float32))


def validation_samples(
    items: Sequence[Item],
    *,
    size: int = 256,
    mean: Sequence[float] = DEFAULT_MEAN,
    std: Sequence[float] = DEFAULT_STD,
) -> list[dict[str, np.ndarray]]:
    """Deterministic validation samples: the centre window of each item at the middle of its
    scale range; single-date items are used twice, once paired with themselves (change = 0) and
    once with the next single-date item (change = XOR)."""
    mu, sd = np.asarray(mean, np.float32), np.asarray(std, np.float32)
    windows = []
    for it in items:
        factor = float(np.mean(it.scale))
        arrs = [
            None if a is None else _resize(a, factor, nearest=k > 1)
            for k, a in enumerate((it.t1, it.t2, it.building_t1, it.building_t2, it.change))
        ]
        h, w = arrs[0].shape[:2]
        y, x = max(0, (h - size) // 2), max(0, (w - size) // 2)
        fills = (0, 0, IGNORE, IGNORE, IGNORE)
        windows.append([_crop(a, y, x, size, f) for a, f in zip(arrs, fills)])
    singles = [w for w in windows if w[1] is None]
    out = []
    packer = PairDataset.__new__(PairDataset)
    packer.mean, packer.std = mu, sd
    for a, b, m1, m2, mc in windows:
        if b is not None:
            out.append(packer._pack(a / 255.0, b / 255.0, m1, m2, mc))
    for i, (a, _, m1, _, _) in enumerate(singles):
        zero = np.where(m1 == IGNORE, IGNORE, 0).astype(np.uint8)
        out.append(packer._pack(a / 255.0, a / 255.0, m1, m1, zero))
        if len(singles) > 1:
            b, _, n1, _, _ = singles[(i + 1) % len(singles)]
            xor = np.where((m1 == IGNORE) | (n1 == IGNORE), IGNORE, m1 ^ n1).astype(np.uint8)
            out.append(packer._pack(a / 255.0, b / 255.0, m1, n1, xor))
    return out


def load_demo(
    root: Path, *, seeds: Sequence[int] = tuple(range(100, 140)), size: int = 512
) -> list[Item]:
    """Synthetic bi-temporal scenes of the project's demo generator
    (:mod:`mssfc_qgis.core.demo_scene`): real change pairs with both building masks, seasonal and
    illumination differences and misregistration. ``root`` is unused (they are generated).
    Seed 0 is the ``make demo`` scene: keep it out of training."""
    from ..core.demo_scene import make_scene_arrays

    items = []
    for seed in seeds:
        sc = make_scene_arrays(seed=int(seed), size=size)
        items.append(
            Item(
                name=f"demo_{seed}",
                t1=np.ascontiguousarray(np.moveaxis(sc.t1[:3], 0, -1)),
                t2=np.ascontiguousarray(np.moveaxis(sc.t2[:3], 0, -1)),
                building_t1=sc.buildings_t1.astype(np.uint8),
                building_t2=sc.buildings_t2.astype(np.uint8),
                change=sc.change.astype(np.uint8),
            )
        )
    return items


def load_source(spec: dict) -> list[Item]:
    """Items of one data source described by a config entry, e.g.
    ``{"kind": "levir", "root": "../shared/data/levir-cd-256", "exclude_list": "list/demo.txt"}``.

    Keys: ``kind`` (levir, whu, dubai, bandon, demo), ``root``, and the loader's keywords; ``exclude_list``
    / ``include_list`` name files (relative to ``root``) of names to leave out / keep.
    """
    spec = dict(spec)
    kind = spec.pop("kind")
    root = Path(spec.pop("root"))
    spec.pop("weight", None)
    if "exclude_list" in spec:
        spec["exclude"] = list(spec.get("exclude", [])) + read_list(root / spec.pop("exclude_list"))
    if "include_list" in spec:
        spec["include"] = read_list(root / spec.pop("include_list"))
    if "scale" in spec:
        s = spec["scale"]
        spec["scale"] = (float(s), float(s)) if np.isscalar(s) else (float(s[0]), float(s[1]))
    loaders = {
        "levir": load_levir,
        "whu": load_whu,
        "dubai": load_dubai,
        "bandon": load_bandon,
        "demo": load_demo,
    }
    if kind not in loaders:
        raise ValueError(f"unknown data source kind {kind!r}; one of {sorted(loaders)}")
    return loaders[kind](root, **spec)
