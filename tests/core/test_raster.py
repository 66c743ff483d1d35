"""Opening, band choice, scaling and T1/T2 alignment, on synthetic and real rasters."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from mssfc_qgis.core.engine import OutputSpec, run_windows
from mssfc_qgis.core.errors import Canceled, MssfcError
from mssfc_qgis.core.raster import (
    Grid,
    Window,
    align_pair,
    copy_raster,
    decimated_read,
    fit_scaling,
    open_raster,
    read_array,
    sample_windows,
    scratch_folder,
    write_array,
)
from tests.conftest import shared_data, utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


def _scene(rng: np.random.Generator, h: int = 120, w: int = 160) -> np.ndarray:
    """A smooth 3-band image (so resampling keeps values close)."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = 100 + 60 * np.sin(xx / 13.0) * np.cos(yy / 17.0)
    return np.stack([base, base * 0.8, base * 0.6]).astype(np.uint8)


def _write(path: Path, data: np.ndarray, gt=GT, wkt=None, nodata=None) -> str:
    grid = Grid(data.shape[-1], data.shape[-2], gt, utm_wkt() if wkt is None else wkt)
    return write_array(str(path), data, grid, nodata=nodata)


def test_same_grid_pair_is_not_warped(tmp_path, rng):
    a = _write(tmp_path / "a.tif", _scene(rng))
    b = _write(tmp_path / "b.tif", _scene(rng))
    pair = align_pair(a, b)
    assert pair.notes == []
    assert pair.t2.dataset.GetDriver().ShortName == "GTiff"


def test_pair_in_other_crs_is_warped_onto_t1_grid(tmp_path, rng):
    data = _scene(rng)
    a = _write(tmp_path / "a.tif", data)
    b = str(tmp_path / "b_4326.tif")
    warped = gdal.Warp(b, a, dstSRS="EPSG:4326", resampleAlg="bilinear")
    warped.FlushCache()
    del warped
    pair = align_pair(a, b)
    assert any("resampled" in n for n in pair.notes)
    g = pair.grid
    assert abs(g.geotransform[1] - 0.5) < 1e-9
    t1 = pair.t1.read(g.full).astype(float)
    t2 = pair.t2.read(g.full).astype(float)
    valid = pair.t2.read_valid(g.full)
    assert valid.mean() > 0.8  # the rotated footprint leaves some invalid corners
    inner = valid & pair.t1.read_valid(g.full)
    assert np.abs(t1[:, inner] - t2[:, inner]).mean() < 3.0


def _untagged(path: str) -> str:
    """Bands 4 and up of a GeoTIFF as plain bands (GDAL writes 4 bytes a pixel as R, G, B, A)."""
    ds = gdal.Open(path, gdal.GA_Update)
    for b in range(4, ds.RasterCount + 1):
        ds.GetRasterBand(b).SetColorInterpretation(gdal.GCI_Undefined)
    ds = None
    return path


@pytest.mark.parametrize("bands", [1, 2, 3, 4, 5])
def test_warped_t2_keeps_its_nodata_whatever_its_band_count(tmp_path, rng, bands):
    """T2 (any band count, R G B NIR among them) with a nodata collar, on a grid shifted by a
    fraction of a pixel: the warp adds an alpha band, which GDAL takes as the other bands'
    mask only for 1 and 3 data bands. The collar must stay invalid in every case: in the pair,
    and in the T2 copy the building lane reads."""
    data = np.concatenate([_scene(rng)] * 2)[:bands]
    a = _untagged(_write(tmp_path / "a.tif", data))
    collar = data.copy()
    collar[:, :, :40] = 0
    shifted = (GT[0] + 0.2, 0.5, 0.0, GT[3] - 0.1, 0.0, -0.5)
    b = _untagged(_write(tmp_path / "b.tif", collar, gt=shifted, nodata=0))
    notes, valid, valid_too, copies = _t2_validity(a, b)
    assert any("resampled" in n for n in notes)
    np.testing.assert_array_equal(valid, valid_too)
    assert not valid[:, :38].any() and valid[:, 42:].all()
    for copy_bands, copy_valid in copies:
        assert copy_bands == tuple(range(1, bands + 1))
        np.testing.assert_array_equal(copy_valid, valid)


def _t2_validity(a: str, b: str) -> tuple[list[str], np.ndarray, np.ndarray, list]:
    """The pair's notes, T2's validity (read_valid, read_with_valid) and, for the aligned T2 VRT
    and its decoded copy, their bands and validity. Only arrays leave this function: a GDAL
    object held by a failing test's frame can crash the run when it is collected."""
    from mssfc_qgis.core.newlybuilt import _aligned_t2, _decoded_t2
    from mssfc_qgis.core.progress import NullProgress

    pair = align_pair(a, b)
    full = pair.grid.full
    valid = pair.t2.read_valid(full)
    _, valid_too = pair.t2.read_with_valid(full)
    copies = []
    with scratch_folder("mssfc_test_") as folder:
        aligned = _aligned_t2(pair, folder)
        for path in (aligned, _decoded_t2(aligned, folder, NullProgress())):
            src = open_raster(path)
            copies.append((src.bands, src.read_valid(full)))
            del src
    return pair.notes, valid, valid_too, copies


def test_an_alpha_band_beside_four_bands_masks_them(tmp_path, rng):
    """R, G, B, NIR + alpha (5 bands): GDAL's masks of bands 1-4 ignore the alpha; we do not."""
    data = np.concatenate([_scene(rng), _scene(rng)[:1]])
    alpha = np.full(data.shape[1:], 255, np.uint8)
    alpha[:30] = 0
    path = _untagged(_write(tmp_path / "rgbna.tif", np.concatenate([data, alpha[None]])))
    ds = gdal.Open(path, gdal.GA_Update)
    ds.GetRasterBand(5).SetColorInterpretation(gdal.GCI_AlphaBand)
    ds = None
    src = open_raster(path)
    assert src.bands == (1, 2, 3, 4)
    valid = src.read_valid(src.grid.full)
    assert not valid[:30].any() and valid[30:].all()


def test_partial_overlap_uses_common_area(tmp_path, rng):
    a = _write(tmp_path / "a.tif", _scene(rng))
    shifted = (GT[0] + 30.0, 0.5, 0.0, GT[3] - 10.0, 0.0, -0.5)  # 60 px right, 20 px down
    b = _write(tmp_path / "b.tif", _scene(rng), gt=shifted)
    pair = align_pair(a, b)
    assert (pair.grid.width, pair.grid.height) == (100, 100)
    assert pair.grid.geotransform[0] == pytest.approx(GT[0] + 30.0)
    # the last column and row are 159 and 119 (it said 160 and 120)
    assert (
        "columns 60 to 159 and rows 20 to 119 of T1 (counted from 0), 100x100 pixels"
        in pair.notes[-1]
    )


def test_t2_offset_by_whole_pixels_is_read_without_resampling(tmp_path, rng):
    a = _write(tmp_path / "a.tif", _scene(rng))
    noise = rng.integers(0, 256, (3, 120, 160), dtype=np.uint8)  # any resampling would show
    shifted = (GT[0] + 30.0, 0.5, 0.0, GT[3] - 10.0, 0.0, -0.5)  # 60 px right, 20 px down
    b = _write(tmp_path / "b.tif", noise, gt=shifted)
    pair = align_pair(a, b)
    assert not any("resampled" in n for n in pair.notes)
    assert any("offset by whole pixels" in n for n in pair.notes)
    np.testing.assert_array_equal(pair.t2.read(pair.grid.full), noise[:, :100, :100])
    assert pair.t2.read_valid(pair.grid.full).all()

    half = (GT[0] + 30.25, 0.5, 0.0, GT[3] - 10.0, 0.0, -0.5)  # a quarter metre: half a pixel
    c = _write(tmp_path / "c.tif", noise, gt=half)
    assert any("resampled" in n for n in align_pair(a, c).notes)


def test_no_overlap_is_refused(tmp_path, rng):
    a = _write(tmp_path / "a.tif", _scene(rng))
    far = (GT[0] + 10000.0, 0.5, 0.0, GT[3], 0.0, -0.5)
    b = _write(tmp_path / "b.tif", _scene(rng), gt=far)
    with pytest.raises(MssfcError, match="do not overlap"):
        align_pair(a, b)


def test_band_count_mismatch_is_refused(tmp_path, rng):
    a = _write(tmp_path / "a.tif", _scene(rng))
    b = _write(tmp_path / "b.tif", _scene(rng)[:2])
    with pytest.raises(MssfcError, match="same bands"):
        align_pair(a, b)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(MssfcError, match="not found"):
        open_raster(tmp_path / "nope.tif")
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a raster at all")
    with pytest.raises(MssfcError, match="Cannot read raster"):
        open_raster(junk)


def test_band_choice(tmp_path, rng):
    four = np.concatenate([_scene(rng), _scene(rng)[:1]])
    p = _write(tmp_path / "rgbn.tif", four)
    assert open_raster(p, needed=3).bands == (1, 2, 3)
    assert open_raster(p, bands=[4, 1, 2], needed=3).bands == (4, 1, 2)
    with pytest.raises(MssfcError, match="do not exist"):
        open_raster(p, bands=[5, 1, 2], needed=3)
    pan = _write(tmp_path / "pan.tif", _scene(rng)[:1])
    assert open_raster(pan, needed=3).bands == (1, 1, 1)
    two = _write(tmp_path / "two.tif", _scene(rng)[:2])
    with pytest.raises(MssfcError, match="needs 3"):
        open_raster(two, needed=3)


def _tagged(path: str, interps: list[int]) -> str:
    ds = gdal.Open(path, gdal.GA_Update)
    for b, interp in enumerate(interps, start=1):
        ds.GetRasterBand(b).SetColorInterpretation(interp)
    ds = None
    return path


def test_rgb_models_read_the_bands_tagged_red_green_blue(tmp_path, rng):
    """A B, G, R, NIR product (SPOT 6/7, Pleiades, GF-2 order) tagged as such gives the RGB
    network red, green, blue, not blue, green, red; an untagged one gives bands 1-3 and the log
    says so; an RGB image needs no note; chosen bands win."""
    from mssfc_qgis.core.raster import rgb_note

    four = np.concatenate([_scene(rng), _scene(rng)[:1]])
    bgrn = _tagged(
        _write(tmp_path / "bgrn.tif", four),
        [gdal.GCI_BlueBand, gdal.GCI_GreenBand, gdal.GCI_RedBand, gdal.GCI_Undefined],
    )
    src = open_raster(bgrn, needed=3)
    assert src.bands == (3, 2, 1)
    assert "3, 2, 1 are read as red, green, blue (by their colour tags)" in rgb_note(src)
    assert open_raster(bgrn, bands=[1, 2, 3], needed=3).bands == (1, 2, 3)
    assert open_raster(bgrn).bands == (1, 2, 3, 4)  # the unsupervised tools read every band
    plain = _tagged(
        _write(tmp_path / "plain.tif", four), [gdal.GCI_GrayIndex] + [gdal.GCI_Undefined] * 3
    )
    src = open_raster(plain, needed=3)
    assert src.bands == (1, 2, 3)
    assert "does not tag its colours" in rgb_note(src)
    rgb = _write(tmp_path / "rgb.tif", _scene(rng))
    assert open_raster(rgb, needed=3).bands == (1, 2, 3)
    assert rgb_note(open_raster(rgb, needed=3)) is None


def test_scaling_uint16_percentile(tmp_path, rng):
    data = (rng.random((1, 64, 64)) * 2047).astype(np.uint16)
    src = open_raster(_write(tmp_path / "u16.tif", data))
    s = fit_scaling(src)
    assert s.method == "percentile"
    scaled = s.apply(src.read(src.grid.full))
    assert scaled.dtype == np.float32
    assert 0.0 <= scaled.min() and scaled.max() <= 1.0
    assert 0.4 < scaled.mean() < 0.6


def test_sample_windows_cover_grid():
    g = Grid(1000, 700)
    wins = sample_windows(g, size=256, count=6)
    assert 1 <= len(wins) <= 6
    assert all(w.x + w.width <= 1000 and w.y + w.height <= 700 for w in wins)
    assert sample_windows(Grid(100, 80), size=256, count=4) == [
        sample_windows(Grid(100, 80), size=256, count=1)[0]
    ]


# --- real data through the engine --------------------------------------------------------------


def _copy_first_bands(src, tmp_path: Path, name: str) -> tuple[np.ndarray, Grid]:
    out = str(tmp_path / name)
    run_windows(
        [src],
        lambda b: {"x": b.data[0]},
        [OutputSpec("x", out, bands=len(src.bands), dtype=str(src.dtype), nodata=None)],
        grid=src.grid,
        tile=256,
    )
    return read_array(out)


def test_real_naip_4band_utm(tmp_path):
    folder = shared_data("naip-multidate")
    path = sorted(folder.glob("*.tif"))[0]
    src = open_raster(path, needed=3)
    assert src.bands == (1, 2, 3)
    data, grid = _copy_first_bands(src, tmp_path, "naip_rgb.tif")
    assert grid.crs_wkt and grid.geotransform == src.grid.geotransform
    np.testing.assert_array_equal(data, src.read(src.grid.full))


def test_real_spacenet_uint16_pan(tmp_path):
    folder = shared_data("spacenet-sample-geotiff")
    path = next(p for p in sorted(folder.glob("*.tif")) if "mask" not in p.name.lower())
    src = open_raster(path, needed=3)
    assert src.dtype == np.uint16 and src.bands == (1, 1, 1)
    scaled = fit_scaling(src).apply(src.read(src.grid.full))
    assert 0.1 < float(scaled.mean()) < 0.9
    data, grid = _copy_first_bands(src, tmp_path, "pan.tif")
    assert grid.geotransform == src.grid.geotransform


def test_real_levir_png_without_georeferencing(tmp_path):
    folder = shared_data("levir-cd-256")
    name = sorted((folder / "A").glob("*.png"))[0].name
    with warnings.catch_warnings():
        pair = align_pair(str(folder / "A" / name), str(folder / "B" / name), needed=3)
    assert not pair.grid.georeferenced
    assert any("no georeferencing" in n for n in pair.notes)
    data, grid = _copy_first_bands(pair.t1, tmp_path, "levir.tif")
    assert (grid.width, grid.height) == (256, 256)
    assert not grid.crs_wkt


def test_scratch_rasters_are_uncompressed_and_removed(tmp_path, rng):
    data = rng.random((1, 64, 64)).astype(np.float32)
    kept = _write(tmp_path / "final.tif", data)
    with scratch_folder("mssfc_test_") as folder:
        inner = _write(folder / "step.tif", data)
        ds = gdal.Open(inner)
        assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") is None
        np.testing.assert_array_equal(ds.ReadAsArray(), data[0])
        ds = None
    assert not folder.exists()
    ds = gdal.Open(kept)
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == "DEFLATE"
    ds = None


def test_copy_of_a_scratch_raster_is_a_finished_output(tmp_path, rng):
    """What the end-to-end tool does with its likelihood: scratch (uncompressed) to output
    (compressed), the same pixels, georeferencing, nodata and band name."""
    data = rng.random((1, 300, 200)).astype(np.float32)
    data[0, :10] = -9999.0
    with scratch_folder("mssfc_test_") as folder:
        grid = Grid(200, 300, GT, utm_wkt())
        inner = write_array(
            str(folder / "lik.tif"), data, grid, nodata=-9999.0, band_names=["likelihood"]
        )
        out = copy_raster(inner, str(tmp_path / "sub" / "likelihood.tif"))
    ds = gdal.Open(out)
    band = ds.GetRasterBand(1)
    np.testing.assert_array_equal(ds.ReadAsArray(), data[0])
    assert band.GetNoDataValue() == -9999.0
    assert band.GetDescription() == "likelihood"
    assert ds.GetGeoTransform() == GT
    assert ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION") == "DEFLATE"
    assert band.GetBlockSize() == [256, 256]
    ds = None
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["likelihood.tif"]


def test_copy_keeps_a_mask_band_inside_the_file(tmp_path, rng):
    """A per-dataset mask (GDAL writes it beside the file, as .msk, by default) is copied into
    the file itself, so it survives the move from the temporary name."""
    path = str(tmp_path / "masked.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 64, 48, 3, gdal.GDT_Byte)
    ds.SetGeoTransform(GT)
    ds.CreateMaskBand(gdal.GMF_PER_DATASET)
    mask = np.full((48, 64), 255, np.uint8)
    mask[5:20, 10:30] = 0
    ds.GetRasterBand(1).GetMaskBand().WriteArray(mask)
    for i in range(3):
        ds.GetRasterBand(i + 1).WriteArray(rng.integers(0, 255, (48, 64), dtype=np.uint8))
    ds = None
    out = copy_raster(path, str(tmp_path / "out" / "copy.tif"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["copy.tif"]
    np.testing.assert_array_equal(open_raster(out).read_valid(Window(0, 0, 64, 48)), mask > 0)


def test_canceled_copy_leaves_no_file(tmp_path, rng):
    data = rng.random((1, 600, 600)).astype(np.float32)
    src = _write(tmp_path / "src.tif", data)
    calls = []

    def cancel_on_second_check() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(Canceled):
        copy_raster(src, str(tmp_path / "out" / "copy.tif"), is_canceled=cancel_on_second_check)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    "dtype, nodata",
    [
        ("Float32", -9999.0),
        ("Float64", -9999.0),
        ("Float32", float("nan")),
        ("Byte", 255.0),
        ("UInt16", 0.0),
        ("Int16", -32768.0),
    ],
)
def test_one_read_validity_equals_gdal_mask(tmp_path, dtype, nodata):
    # read_with_valid judges nodata on the values it read; GDAL's mask band reads them again
    np_type = {"Float32": np.float32, "Float64": np.float64, "Byte": np.uint8}.get(
        dtype, {"UInt16": np.uint16, "Int16": np.int16}.get(dtype)
    )
    rng = np.random.default_rng(5)
    values = (rng.random((20, 30)) * 200).astype(np_type)
    flat = values.reshape(-1)
    if np.issubdtype(np_type, np.floating):
        nd = float(nodata) if not np.isnan(nodata) else 0.0
        near = [nd, nd * (1 + 1e-7), nd * (1 - 1e-7), nd * (1 + 1e-5), np.nan, np.inf, -np.inf]
        flat[: len(near)] = np.asarray(near).astype(np_type)
        if np.isnan(nodata):
            flat[10:14] = np.nan
    else:
        flat[:5] = np_type(nodata)
    path = str(tmp_path / "nd.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 30, 20, 1, gdal.GetDataTypeByName(dtype))
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    band.WriteArray(values)
    ds = None
    src = open_raster(path, bands=[1])
    win = src.grid.full
    data, valid = src.read_with_valid(win)
    np.testing.assert_array_equal(data, src.read(win))
    np.testing.assert_array_equal(valid, src.read_valid(win))
    assert (~valid).sum() >= 1


def _three_band(tmp_path: Path, nodata: list[float]) -> tuple[str, np.ndarray]:
    """A 3-band uint8 image whose first band is 0 in a dark stripe (a shadow) and whose every
    band is 0 in a 4-px collar; band b's nodata is ``nodata[b]``."""
    data = np.full((3, 24, 32), 90, np.uint8)
    data[:, :, 10:13] = [[[0]], [[40]], [[50]]]  # one band at 0, the others not
    data[:, :4] = 0
    tif = str(tmp_path / "shadow.tif")
    ds = gdal.GetDriverByName("GTiff").Create(tif, 32, 24, 3, gdal.GDT_Byte)
    ds.SetGeoTransform(GT)
    for b in range(3):
        ds.GetRasterBand(b + 1).WriteArray(data[b])
    ds = None
    path = str(tmp_path / f"shadow_{'_'.join(map(str, nodata))}.vrt")  # nodata per band
    ds = gdal.Translate(path, tif, format="VRT")
    for b in range(3):
        ds.GetRasterBand(b + 1).SetNoDataValue(nodata[b])
    ds = None
    return path, data


def test_a_shared_nodata_masks_a_pixel_only_where_every_band_holds_it(tmp_path):
    # GDAL's convention (gdalwarp's UNIFIED_SRC_NODATA): with nodata 0 on every band of an RGB
    # image, a shadow with red at 0 is a valid pixel; only the all-zero collar is nodata
    path, data = _three_band(tmp_path, [0, 0, 0])
    src = open_raster(path)
    win = src.grid.full
    _, valid = src.read_with_valid(win)
    np.testing.assert_array_equal(valid, (data != 0).any(axis=0))
    assert valid[10:, 10:13].all() and not valid[:4].any()
    np.testing.assert_array_equal(src.read_valid(win), valid)
    _, decimated = decimated_read(src, max_pixels=10_000)
    np.testing.assert_array_equal(decimated, valid)
    # bands of their own nodata values: each band masks on its own, as GDAL's masks say
    path, data = _three_band(tmp_path, [0, 1, 2])
    src = open_raster(path)
    _, valid = src.read_with_valid(win)
    assert not valid[:, 10:13].any()
    np.testing.assert_array_equal(src.read_valid(win), valid)
