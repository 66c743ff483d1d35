"""Properties of the shared tiled engine: tiled equals untiled, no seams, georeferencing and
nodata survive, cancel leaves nothing behind."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from mssfc_qgis.core.engine import (
    Block,
    OutputSpec,
    blend_ramp,
    read_full,
    run_blended,
    run_concurrently,
    run_windows,
    tile_starts,
)
from mssfc_qgis.core.errors import Canceled, MssfcError
from mssfc_qgis.core.progress import NullProgress
from mssfc_qgis.core.raster import Grid, open_raster, read_array, write_array
from tests.conftest import utm_wkt

GT = (500000.0, 0.5, 0.0, 4649776.0, 0.0, -0.5)


def _write(tmp_path: Path, name: str, data: np.ndarray, nodata: float | None = None) -> str:
    grid = Grid(data.shape[-1], data.shape[-2], GT, utm_wkt())
    return write_array(str(tmp_path / name), data, grid, nodata=nodata)


def _smooth(block: Block) -> dict[str, np.ndarray]:
    x = block.data[0].astype(np.float64)
    return {"out": ndimage.uniform_filter(x[0], size=7, mode="reflect").astype(np.float32)}


@pytest.mark.parametrize(("tile", "workers"), [(64, 1), (50, 2), (1000, 1)])
def test_tiled_local_operator_equals_untiled(tmp_path, rng, tile, workers):
    data = rng.integers(0, 255, size=(1, 203, 157)).astype(np.uint8)
    src = open_raster(_write(tmp_path, "in.tif", data))
    out = str(tmp_path / "out.tif")
    run_windows(
        [src], _smooth, [OutputSpec("out", out)], grid=src.grid, tile=tile, halo=3, workers=workers
    )
    tiled, _ = read_array(out)
    untiled = _smooth(read_full([src], src.grid))["out"]
    np.testing.assert_array_equal(tiled[0], untiled)


def test_too_small_halo_differs(tmp_path, rng):
    """The equality above is not vacuous: without the halo, tile edges differ."""
    data = rng.integers(0, 255, size=(1, 128, 128)).astype(np.uint8)
    src = open_raster(_write(tmp_path, "in.tif", data))
    out = str(tmp_path / "out.tif")
    run_windows([src], _smooth, [OutputSpec("out", out)], grid=src.grid, tile=32, halo=0)
    tiled, _ = read_array(out)
    assert not np.allclose(tiled[0], _smooth(read_full([src], src.grid))["out"])


def test_georeferencing_and_nodata_survive(tmp_path, rng):
    data = rng.integers(1, 255, size=(3, 90, 120)).astype(np.uint8)
    data[:, 10:30, 40:70] = 0
    src = open_raster(_write(tmp_path, "in.tif", data, nodata=0))
    out = str(tmp_path / "out.tif")
    run_windows(
        [src],
        lambda b: {"mean": b.data[0].astype(np.float32).mean(axis=0)},
        [OutputSpec("mean", out, nodata=-9999.0)],
        grid=src.grid,
        tile=32,
    )
    res, grid = read_array(out)
    assert grid.geotransform == GT
    assert "32633" in grid.crs_wkt or "UTM zone 33N" in grid.crs_wkt
    assert (res[0, 10:30, 40:70] == -9999.0).all()
    assert (res[0, :10] != -9999.0).all()
    np.testing.assert_allclose(res[0, :10], data[:, :10].mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("flush_columns", [2048, 37])
def test_blending_pointwise_equals_untiled(tmp_path, rng, monkeypatch, flush_columns):
    from mssfc_qgis.core import engine

    monkeypatch.setattr(engine, "FLUSH_COLUMNS", flush_columns)
    data = rng.integers(0, 255, size=(3, 150, 230)).astype(np.uint8)
    src = open_raster(_write(tmp_path, "in.tif", data))
    out = str(tmp_path / "p.tif")

    def model(batch, valid):
        x = batch[0].astype(np.float32) / 255.0
        return x[:, :2] * 0.5 + 0.1

    run_blended(
        [src],
        model,
        [OutputSpec("p", out, bands=2)],
        grid=src.grid,
        channels=2,
        finalize=lambda blended, valid: {"p": blended},
        tile=64,
        overlap=16,
        batch=3,
    )
    res, _ = read_array(out)
    np.testing.assert_allclose(res, data[:2] / 255.0 * 0.5 + 0.1, atol=1e-5)


def test_blending_leaves_no_seam(tmp_path):
    """Each tile outputs a different constant; blended, neighbours never jump by the full step."""
    data = np.zeros((1, 128, 256), dtype=np.uint8)
    src = open_raster(_write(tmp_path, "in.tif", data))
    out = str(tmp_path / "p.tif")
    counter = iter(range(1000))

    def model(batch, valid):
        n = batch[0].shape[0]
        return np.stack([np.full((1, 64, 64), float(next(counter)), np.float32) for _ in range(n)])

    run_blended(
        [src],
        model,
        [OutputSpec("p", out)],
        grid=src.grid,
        channels=1,
        finalize=lambda b, v: {"p": b[0]},
        tile=64,
        overlap=32,
        batch=2,
    )
    res, _ = read_array(out)
    step_x = np.abs(np.diff(res[0], axis=1)).max()
    # Neighbouring tiles differ by 1 (along a row) or by a row of tiles (~7) vertically; a hard
    # crop would jump by that much between two pixels. Blending spreads it over the overlap.
    assert step_x < 0.25
    step_y = np.abs(np.diff(res[0], axis=0)).max()
    assert step_y < 7 * 0.25


def test_tile_starts_and_ramp():
    assert tile_starts(100, 40, 10) == [0, 30, 60]
    assert tile_starts(30, 40, 10) == [0]
    w = blend_ramp(64, 16)
    assert w.min() > 0 and w.max() == 1.0
    np.testing.assert_allclose(w, w[::-1])


def test_cancel_leaves_no_file(tmp_path, rng):
    data = rng.integers(0, 255, size=(1, 256, 256)).astype(np.uint8)
    src = open_raster(_write(tmp_path, "in.tif", data))
    out = tmp_path / "o" / "out.tif"

    class CancelAfter(NullProgress):
        calls = 0

        def is_canceled(self) -> bool:
            self.calls += 1
            return self.calls > 3

    with pytest.raises(Canceled):
        run_windows(
            [src],
            _smooth,
            [OutputSpec("out", str(out))],
            grid=src.grid,
            tile=32,
            halo=3,
            progress=CancelAfter(),
        )
    assert list(out.parent.iterdir()) == []


def test_error_in_tile_function_leaves_no_file(tmp_path, rng):
    data = rng.integers(0, 255, size=(1, 64, 64)).astype(np.uint8)
    src = open_raster(_write(tmp_path, "in.tif", data))

    def broken(block):
        raise ValueError("boom")

    with pytest.raises(ValueError):
        run_windows([src], broken, [OutputSpec("x", str(tmp_path / "x.tif"))], grid=src.grid)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tif"]


def test_unwritable_output(tmp_path, rng):
    """An output under a path that is a file cannot be created: a clear error, nothing written."""
    data = rng.integers(0, 255, size=(1, 16, 16)).astype(np.uint8)
    src = open_raster(_write(tmp_path, "in.tif", data))
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(MssfcError, match="Cannot create the output folder"):
        run_windows([src], _smooth, [OutputSpec("out", str(blocker / "o.tif"))], grid=src.grid)


class _Recorder(NullProgress):
    """Records what reaches the parent, and from which thread."""

    def __init__(self, cancel_after: float | None = None) -> None:
        self.percents: list[float] = []
        self.messages: list[str] = []
        self.threads: set[int] = set()
        self.cancel_after = cancel_after
        self.started = time.monotonic()

    def set_progress(self, percent: float) -> None:
        self.threads.add(threading.get_ident())
        self.percents.append(percent)

    def info(self, message: str) -> None:
        self.threads.add(threading.get_ident())
        self.messages.append(message)

    def is_canceled(self) -> bool:
        return self.cancel_after is not None and time.monotonic() - self.started > self.cancel_after


def _busy(seconds: float, name: str):
    """A job that reports progress and checks cancel every 10 ms, like a tiled stage."""

    def job(progress):
        progress.info(f"{name} starts")
        steps = int(seconds / 0.01)
        for k in range(steps):
            if progress.is_canceled():
                raise Canceled("Canceled by the user.")
            time.sleep(0.01)
            progress.set_progress(100.0 * (k + 1) / steps)
        return name

    return job


def test_concurrent_jobs_report_on_the_calling_thread_only():
    parent = _Recorder()
    out = run_concurrently([_busy(0.1, "a"), _busy(0.3, "b")], parent, weights=[1, 3])
    assert out == ["a", "b"]
    assert parent.threads == {threading.get_ident()}
    assert sorted(parent.messages) == ["a starts", "b starts"]
    assert parent.percents[-1] == pytest.approx(100.0)
    assert all(0 <= p <= 100 for p in parent.percents)


def test_concurrent_failure_stops_the_other_job_and_raises_the_real_error():
    def broken(progress):
        time.sleep(0.05)
        raise ValueError("stage failed")

    t0 = time.monotonic()
    with pytest.raises(ValueError, match="stage failed"):
        run_concurrently([_busy(5.0, "long"), broken], _Recorder())
    assert time.monotonic() - t0 < 2.0  # the long job saw the cancel within a few checks


def test_concurrent_cancel_stops_every_job():
    t0 = time.monotonic()
    with pytest.raises(Canceled):
        run_concurrently([_busy(5.0, "a"), _busy(5.0, "b")], _Recorder(cancel_after=0.1))
    assert time.monotonic() - t0 < 2.0


def _resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status on this system")


def test_release_memory_returns_freed_heap_to_the_system():
    """Memory a worker thread freed stays in glibc's arena, counted as resident, until
    release_memory (run at the end of every tiled run) hands it back."""
    from mssfc_qgis.core.engine import _malloc_trim, release_memory

    if _malloc_trim() is None:
        pytest.skip("this C library has no malloc_trim (not glibc)")
    survivors = []

    def work():
        blocks = [bytearray(2048) for _ in range(50_000)]  # 100 MB in small heap chunks
        survivors.extend(blocks[::100])  # a few stay, so the freed space is not at the top
        del blocks

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    before = _resident_mb()
    release_memory()
    after = _resident_mb()
    assert before - after > 50, (before, after)
    assert len(survivors) == 500
