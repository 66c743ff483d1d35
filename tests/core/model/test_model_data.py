"""Training-data readers, single-temporal pairing and augmentation, on tiny synthetic files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("cv2")
gdal = pytest.importorskip("osgeo.gdal")

from mssfc_qgis.model.data import (  # noqa: E402
    DUBAI_BUILDING_RGB,
    AugmentConfig,
    Item,
    PairDataset,
    dubai_building_mask,
    load_dubai,
    load_levir,
    load_source,
    load_whu,
    validation_samples,
)
from mssfc_qgis.model.losses import IGNORE  # noqa: E402

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def write_png(path: Path, arr: np.ndarray) -> None:
    gdal.UseExceptions()
    path.parent.mkdir(parents=True, exist_ok=True)
    bands = 1 if arr.ndim == 2 else arr.shape[2]
    mem = gdal.GetDriverByName("MEM").Create("", arr.shape[1], arr.shape[0], bands, gdal.GDT_Byte)
    for i in range(bands):
        band = mem.GetRasterBand(i + 1)
        band.WriteArray(arr if arr.ndim == 2 else arr[..., i])
    out = gdal.GetDriverByName("PNG").CreateCopy(str(path), mem)
    del out, mem


def squares(seed: int, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = np.zeros((size, size), np.uint8)
    for _ in range(3):
        y, x = rng.integers(0, size - 12, 2)
        mask[y : y + 10, x : x + 10] = 1
    img = (rng.random((size, size, 3)) * 60 + mask[..., None] * 150).astype(np.uint8)
    return img, mask


def test_levir_layout_and_exclusion(tmp_path):
    for name in ("train_1", "test_1"):
        a, m = squares(1)
        b, _ = squares(2)
        write_png(tmp_path / "A" / f"{name}.png", a)
        write_png(tmp_path / "B" / f"{name}.png", b)
        write_png(tmp_path / "label" / f"{name}.png", m * 255)
    (tmp_path / "list").mkdir()
    (tmp_path / "list" / "demo.txt").write_text("test_1.png\n")
    items = load_source({"kind": "levir", "root": str(tmp_path), "exclude_list": "list/demo.txt"})
    assert [it.name for it in items] == ["train_1"]
    assert items[0].change is not None and set(np.unique(items[0].change)) <= {0, 1}
    assert items[0].building_t1 is None
    assert len(load_levir(tmp_path)) == 2


def test_whu_and_dubai_layouts(tmp_path):
    img, mask = squares(3)
    write_png(tmp_path / "whu" / "image" / "t.png", img)
    write_png(tmp_path / "whu" / "label" / "t.png", mask)
    (whu,) = load_whu(tmp_path / "whu")
    np.testing.assert_array_equal(whu.building_t1, mask)
    colour = np.zeros((*mask.shape, 3), np.uint8)
    colour[mask == 1] = DUBAI_BUILDING_RGB
    colour[mask == 0] = (132, 41, 246)
    write_png(tmp_path / "dubai" / "Tile_1" / "images" / "image_part_001.png", img)
    write_png(tmp_path / "dubai" / "Tile_1" / "masks" / "image_part_001.png", colour)
    (dub,) = load_dubai(tmp_path / "dubai")
    np.testing.assert_array_equal(dub.building_t1, mask)
    np.testing.assert_array_equal(dubai_building_mask(colour), mask)


def make_items() -> list[Item]:
    out = []
    for s in range(3):
        img, mask = squares(s, 96)
        out.append(Item(f"s{s}", img, building_t1=mask))
    a, m = squares(10, 96)
    b, _ = squares(11, 96)
    out.append(Item("pair", a, b, change=m))
    return out


def test_single_temporal_pairs_have_xor_change():
    ds = PairDataset(
        make_items()[:3], crop=64, length=20, augment=AugmentConfig(p_same=0.0, colour=0.0)
    )
    for i in range(20):
        s = ds.sample(i)
        assert s["t1"].shape == (3, 64, 64) and s["t1"].dtype == np.float32
        assert s["has_label"].all()
        b1, b2, ch = s["target"]
        valid = (b1 != IGNORE) & (b2 != IGNORE)
        np.testing.assert_array_equal(ch[valid], (b1 ^ b2)[valid])


def test_same_image_pairs_have_empty_change_and_bitemporal_items_keep_labels():
    items = make_items()
    same = PairDataset(items[:3], crop=64, length=8, augment=AugmentConfig(p_same=1.0))
    for i in range(8):
        s = same.sample(i)
        assert not np.any(s["target"][2] == 1)
        np.testing.assert_array_equal(s["target"][0], s["target"][1])
    pairs = PairDataset(items[3:], crop=64, length=8)
    for i in range(8):
        s = pairs.sample(i)
        assert s["has_label"].tolist() == [False, False, True]


def test_samples_are_reproducible_and_vary_with_epoch():
    ds = PairDataset(make_items(), crop=64, length=4, seed=3)
    a = ds.sample(1)
    np.testing.assert_array_equal(a["t1"], ds.sample(1)["t1"])
    ds.epoch = 1
    assert not np.array_equal(a["t1"], ds.sample(1)["t1"])


def test_swap_augmentation_swaps_images_with_their_masks():
    items = make_items()[:3]
    kw = {"crop": 64, "length": 1, "seed": 5}
    no = PairDataset(items, augment=AugmentConfig(swap=0.0, colour=0.0), **kw).sample(0)
    yes = PairDataset(items, augment=AugmentConfig(swap=1.0, colour=0.0), **kw).sample(0)
    np.testing.assert_array_equal(no["t1"], yes["t2"])
    np.testing.assert_array_equal(no["target"][0], yes["target"][1])
    np.testing.assert_array_equal(no["target"][2], yes["target"][2])


def test_validation_samples_are_deterministic():
    items = make_items()
    a = validation_samples(items, size=64)
    b = validation_samples(items, size=64)
    assert len(a) == 1 + 2 * 3
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x["t1"], y["t1"])


@pytest.mark.skipif(not (SHARED / "whu-building-512").is_dir(), reason="../shared/data absent")
def test_real_whu_mask_reads_buildings_through_palette():
    """The WHU tiles store buildings as palette index 0 (white); about a quarter is building."""
    (item,) = load_whu(SHARED / "whu-building-512", include=["2_1133"])
    assert 0.1 < item.building_t1.mean() < 0.4


def test_demo_source_gives_real_change_pairs():
    """The demo-scene source: bi-temporal pairs with both building masks and change = XOR."""
    from mssfc_qgis.model.data import load_source

    (item,) = load_source({"kind": "demo", "root": "generated", "seeds": [5], "size": 96})
    assert item.bitemporal and item.t1.shape == (96, 96, 3) and item.t1.dtype == np.uint8
    np.testing.assert_array_equal(item.change, item.building_t1 ^ item.building_t2)
    assert item.change.any()
