"""The shared tiled engine: every tool reads, computes and writes through it.

Two modes, one engine:

* :func:`run_windows` — local operators (indices, change intensity, thresholds). Each core window
  is read with a *halo* (the operator's reach: a structuring element, a texture window), the
  per-window function computes on the halo'd arrays, and only the core is written. With a halo at
  least as large as the operator's reach the tiled result equals the untiled one.
* :func:`run_blended` — networks. Fixed-size tiles overlap; each tile's output is weighted by a
  smooth window (raised cosine ramps over the overlap) and accumulated in a strip buffer one row of
  tiles high, so there are no seams; rows are written as soon as no later tile touches them.

Memory is bounded by the tile size (and, in blended mode, one strip of ``tile x raster width``),
never by the raster's height. Per-window functions are pure: arrays in, arrays out, global
statistics fitted beforehand and passed in. Windows run in a thread pool (numpy, OpenCV and
ONNX Runtime release the GIL); reading and writing stay on the calling thread, as GDAL requires.
Progress and cancel go through :class:`~mssfc_qgis.core.progress.Progress`.

:func:`run_concurrently` runs independent stages (each a tiled run with its own datasets) side by
side, so one stage's serial parts (fitting, I/O) overlap another's computing.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import numpy as np

from .errors import Canceled, MssfcError
from .progress import Lanes, NullProgress, Progress
from .raster import Grid, RasterSource, RasterWriter, Window, create_raster


@dataclass(frozen=True)
class OutputSpec:
    """One output raster of a tiled run.

    Attributes
    ----------
    name : str
        Key of the per-window function's result that goes into this file.
    path : str
        Destination GeoTIFF.
    bands : int
        Number of bands.
    dtype : str
        numpy dtype name (``"uint8"``, ``"float32"``...).
    nodata : float or None
        Written where the inputs are invalid (nodata, outside the common area).
    band_names : tuple of str
        Band descriptions.
    """

    name: str
    path: str
    bands: int = 1
    dtype: str = "float32"
    nodata: float | None = -9999.0
    band_names: tuple[str, ...] = ()


@dataclass
class Block:
    """What a per-window function receives.

    Attributes
    ----------
    data : list of ndarray
        One array per source, native dtype, ``(bands, h, w)`` for the *read* window (core + halo).
    valid : ndarray
        ``(h, w)`` bool: True where every source has data.
    window : Window
        The read window on the grid.
    core : Window
        The part of the read window that will be written.
    """

    data: list[np.ndarray]
    valid: np.ndarray
    window: Window
    core: Window

    @property
    def core_slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` of the core inside the block's arrays."""
        return self.core.relative_to(self.window)


WindowFunction = Callable[[Block], Mapping[str, np.ndarray]]


@dataclass
class _Outputs:
    """Open writers for a run; commits all or discards all."""

    writers: dict[str, RasterWriter] = field(default_factory=dict)
    specs: dict[str, OutputSpec] = field(default_factory=dict)

    @classmethod
    def create(cls, specs: Sequence[OutputSpec], grid: Grid) -> _Outputs:
        out = cls()
        try:
            for spec in specs:
                out.specs[spec.name] = spec
                out.writers[spec.name] = create_raster(
                    spec.path,
                    grid,
                    bands=spec.bands,
                    dtype=spec.dtype,
                    nodata=spec.nodata,
                    band_names=spec.band_names,
                )
        except BaseException:
            out.discard()
            raise
        return out

    def write(self, results: Mapping[str, np.ndarray], valid: np.ndarray, window: Window) -> None:
        for name, writer in self.writers.items():
            if name not in results:
                raise MssfcError(f"Internal error: the tile function returned no {name!r}.")
            spec = self.specs[name]
            arr = np.asarray(results[name])
            if arr.ndim == 2:
                arr = arr[np.newaxis]
            if arr.shape[1:] != (window.height, window.width) or arr.shape[0] != spec.bands:
                raise MssfcError(
                    f"Internal error: {name!r} has shape {arr.shape}, expected "
                    f"({spec.bands}, {window.height}, {window.width})."
                )
            arr = arr.astype(spec.dtype, copy=False)
            if spec.nodata is not None and not valid.all():
                arr = arr.copy()
                arr[:, ~valid] = spec.nodata
            writer.write(arr, window)

    def commit(self) -> dict[str, str]:
        return {name: w.commit() for name, w in self.writers.items()}

    def discard(self) -> None:
        for w in self.writers.values():
            w.discard()


def _read_valid(sources: Sequence[RasterSource], window: Window) -> np.ndarray:
    valid = np.ones((window.height, window.width), dtype=bool)
    for src in sources:
        valid &= src.read_valid(window)
    return valid


def read_block(
    sources: Sequence[RasterSource],
    window: Window,
    core: Window | None = None,
    *,
    read_data: bool = True,
) -> Block:
    """The :class:`Block` of ``window`` (core ``core``, default the whole window): every
    source's ``(bands, h, w)`` pixels, each source read once, and where all are valid (only
    the validity with ``read_data=False``)."""
    if not read_data:
        return Block([], _read_valid(sources, window), window, core or window)
    data = []
    valid = np.ones((window.height, window.width), dtype=bool)
    for src in sources:
        arr, ok = src.read_with_valid(window)
        data.append(arr)
        valid &= ok
    return Block(data, valid, window, core or window)


def _check_sources(sources: Sequence[RasterSource], grid: Grid) -> None:
    for src in sources:
        g = src.grid
        if (g.width, g.height) != (grid.width, grid.height):
            raise MssfcError(
                f"Internal error: {src.path} is {g.width}x{g.height}, the grid is "
                f"{grid.width}x{grid.height}; align the inputs first."
            )


def core_windows(grid: Grid, *, tile: int) -> list[Window]:
    """Non-overlapping core windows of at most ``tile x tile`` in row-major order."""
    if tile < 1:
        raise MssfcError(f"Tile size must be positive, got {tile}.")
    return [
        Window(x, y, min(tile, grid.width - x), min(tile, grid.height - y))
        for y in range(0, grid.height, tile)
        for x in range(0, grid.width, tile)
    ]


def _check_cancel(progress: Progress) -> None:
    if progress.is_canceled():
        raise Canceled("Canceled by the user.")


def run_windows(
    sources: Sequence[RasterSource],
    fn: WindowFunction,
    outputs: Sequence[OutputSpec],
    *,
    grid: Grid,
    tile: int = 1024,
    halo: int = 0,
    workers: int = 2,
    progress: Progress | None = None,
    read_data: bool = True,
) -> dict[str, str]:
    """Run a local operator over a raster (or an aligned pair) window by window.

    Parameters
    ----------
    sources
        Inputs on ``grid`` (see :func:`~mssfc_qgis.core.raster.align_pair`).
    fn
        Pure per-window function: a :class:`Block` in, ``{output name: array}`` out, each array
        ``(bands, h, w)`` or ``(h, w)`` covering the whole *read* window (the engine crops the
        core), or covering only the core.
    outputs
        Files to write; each ``name`` must be a key of ``fn``'s result.
    tile
        Core window size in pixels.
    halo
        Pixels read around each core window (the operator's reach), clipped at the raster edge.
    workers
        Threads computing windows concurrently (1 = on the calling thread).
    read_data
        False: the blocks carry the validity mask only (``data`` is empty), for functions that
        draw from elsewhere and need only where the sources are valid.

    Returns
    -------
    dict
        ``{output name: written path}``. On error or cancel no output file is left behind.
    """
    progress = progress or NullProgress()
    _check_sources(sources, grid)
    cores = core_windows(grid, tile=tile)
    outs = _Outputs.create(outputs, grid)
    try:
        _run_windows(sources, fn, outs, grid, cores, halo, workers, progress, read_data)
        return outs.commit()
    except BaseException:
        outs.discard()
        raise
    finally:
        release_memory()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, Windows, musl)."""
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - no C library to load, or no such function in it
        return None


def release_memory() -> None:
    """Return the heap memory the process has freed to the system (glibc ``malloc_trim``).

    Windows allocate and free large arrays on several threads, and a closed dataset frees its
    blocks in GDAL's cache; glibc keeps freed memory in per-thread arenas, where the next stage,
    on other threads, may not reuse it, so the resident size creeps up stage after stage. A trim
    when a tiled run ends keeps it near what is in use: ``newlybuilt`` on 12288 x 12288 with
    GDAL's default block cache peaked at 2.9 GB without, 2.1 GB with. Elsewhere it does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


_SHARED_POOL: contextvars.ContextVar[Executor | None] = contextvars.ContextVar(
    "mssfc_shared_pool", default=None
)


@contextlib.contextmanager
def compute_pool(workers: int) -> Iterator[Executor]:
    """The threads that compute windows: the pool that :func:`run_concurrently` shares between
    its jobs when there is one, else a new pool of ``workers`` threads."""
    shared = _SHARED_POOL.get()
    if shared is not None:
        yield shared
        return
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        yield pool


def run_concurrently(
    jobs: Sequence[Callable[[Progress], object]],
    progress: Progress,
    *,
    weights: Sequence[float] | None = None,
    shared_workers: int | None = None,
) -> list[object]:
    """Run independent jobs at the same time: the first on this thread, the others on threads of
    their own; returns their results in order.

    Each job gets its own :class:`Progress` lane; the lanes' percentages (weighted by
    ``weights``, default equal) and messages reach ``progress`` from this thread only. When a job
    fails or the user cancels, the other jobs see a cancel at their next check and the first
    error is raised once all have stopped. Jobs must not share GDAL datasets.

    ``shared_workers``: the jobs' window computations (:func:`run_windows`,
    :func:`compute_pool`) all run on one pool of that many threads, so the cores stay busy when
    one job waits on I/O or has finished, and never hold more than that many computations.
    """
    if not jobs:
        return []
    lanes = Lanes(progress, weights or [1.0] * len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []
    shared = ThreadPoolExecutor(max_workers=shared_workers) if shared_workers else None

    def in_lane(job: Callable[[Progress], object], lane: Progress) -> object:
        token = _SHARED_POOL.set(shared)
        try:
            return job(lane)
        finally:
            _SHARED_POOL.reset(token)

    def guarded(job: Callable[[Progress], object], lane: Progress) -> object:
        try:
            return in_lane(job, lane)
        except BaseException:
            lanes.abort()  # the others stop at their next cancel check
            raise

    with contextlib.ExitStack() as stack:
        if shared is not None:
            stack.enter_context(shared)
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=max(1, len(jobs) - 1)))
        futures = {pool.submit(guarded, job, lanes.lane(i)): i for i, job in enumerate(jobs[1:], 1)}
        try:
            results[0] = in_lane(jobs[0], lanes.lane(0))
        except BaseException as exc:
            errors.append(exc)
            lanes.abort()
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
            for fut in done:
                failure = fut.exception()
                if failure is not None:
                    errors.append(failure)
                else:
                    results[futures[fut]] = fut.result()
            lanes.flush()
    lanes.flush()
    if errors:
        # a real error beats the cancels it caused in the other lanes
        real = [e for e in errors if not isinstance(e, Canceled)]
        raise (real or errors)[0]
    return results


def _crop_results(results: Mapping[str, np.ndarray], block: Block) -> dict[str, np.ndarray]:
    rows, cols = block.core_slices
    cropped = {}
    for name, arr in results.items():
        a = np.asarray(arr)
        if a.shape[-2:] == (block.window.height, block.window.width):
            a = a[..., rows, cols]
        cropped[name] = a
    return cropped


def _run_windows(
    sources: Sequence[RasterSource],
    fn: WindowFunction,
    outs: _Outputs,
    grid: Grid,
    cores: list[Window],
    halo: int,
    workers: int,
    progress: Progress,
    read_data: bool = True,
) -> None:
    def blocks() -> Iterator[Block]:
        for core in cores:
            _check_cancel(progress)
            win = core.expand(halo, grid.width, grid.height)
            yield read_block(sources, win, core, read_data=read_data)

    def finish(block: Block, results: Mapping[str, np.ndarray]) -> None:
        rows, cols = block.core_slices
        outs.write(_crop_results(results, block), block.valid[rows, cols], block.core)

    total = len(cores)
    done = 0
    if workers <= 1 and _SHARED_POOL.get() is None:
        for block in blocks():
            finish(block, fn(block))
            done += 1
            progress.set_progress(100.0 * done / total)
        return
    pending: deque[tuple[Block, Future[Mapping[str, np.ndarray]]]] = deque()
    in_flight = max(1, workers)
    with compute_pool(workers) as pool:
        try:
            for block in blocks():
                pending.append((block, pool.submit(fn, block)))
                while len(pending) > in_flight:
                    b, fut = pending.popleft()
                    finish(b, fut.result())
                    done += 1
                    progress.set_progress(100.0 * done / total)
            while pending:
                _check_cancel(progress)
                b, fut = pending.popleft()
                finish(b, fut.result())
                done += 1
                progress.set_progress(100.0 * done / total)
        except BaseException:
            for _, fut in pending:
                fut.cancel()
            raise


# ---------------------------------------------------------------------------------------------
# Blended (overlapping tiles) mode, for networks


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of ``tile`` pixels along an axis of ``length`` pixels, overlapping
    by at least ``overlap``; the last tile ends at the edge. A short axis gives one tile at 0."""
    if tile >= length:
        return [0]
    stride = tile - overlap
    if stride < 1:
        raise MssfcError(f"Overlap ({overlap}) must be smaller than the tile size ({tile}).")
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def blend_ramp(size: int, overlap: int) -> np.ndarray:
    """1-D weights ``(size,)``: a raised-cosine ramp over ``overlap`` pixels at each end, 1 in
    between, strictly positive, so overlapping tiles fade into each other without a seam."""
    w = np.ones(size, dtype=np.float32)
    ramp = min(overlap, size // 2)
    if ramp > 0:
        t = (np.arange(ramp, dtype=np.float32) + 0.5) / ramp
        r = 0.5 - 0.5 * np.cos(np.pi * t)
        w[:ramp] = r
        w[size - ramp :] = r[::-1]
    return w


BatchFunction = Callable[[list[np.ndarray], np.ndarray], np.ndarray]
Finalize = Callable[[np.ndarray, np.ndarray], Mapping[str, np.ndarray]]


def run_blended(
    sources: Sequence[RasterSource],
    fn: BatchFunction,
    outputs: Sequence[OutputSpec],
    *,
    grid: Grid,
    channels: int,
    finalize: Finalize,
    tile: int = 512,
    overlap: int = 64,
    batch: int = 4,
    progress: Progress | None = None,
) -> dict[str, str]:
    """Run a tile model over a raster with overlapping tiles blended by a smooth window.

    Parameters
    ----------
    fn
        ``fn(data, valid) -> out``: ``data`` is one array per source ``(n, bands, th, tw)``
        (native dtype), ``valid`` is ``(n, th, tw)`` bool; ``out`` is ``(n, channels, th, tw)``
        float. Tiles are all the same size (``min(tile, raster size)`` per axis), so they batch.
    finalize
        ``finalize(blended, valid) -> {output name: array}``: turns blended channels
        ``(channels, h, w)`` of finished rows into the output arrays (thresholds, masks).
    tile, overlap, batch
        Tile size and overlap in pixels; tiles per call of ``fn``.

    Returns
    -------
    dict
        ``{output name: path}``; nothing is left behind on error or cancel.
    """
    progress = progress or NullProgress()
    _check_sources(sources, grid)
    th, tw = min(tile, grid.height), min(tile, grid.width)
    ys = tile_starts(grid.height, th, overlap)
    xs = tile_starts(grid.width, tw, overlap)
    weight = np.outer(blend_ramp(th, overlap), blend_ramp(tw, overlap))
    tiles = [Window(x, y, tw, th) for y in ys for x in xs]
    outs = _Outputs.create(outputs, grid)
    groups = [tiles[i : i + batch] for i in range(0, len(tiles), batch)]

    def read(group: list[Window]) -> tuple[list[np.ndarray], np.ndarray]:
        blocks = [read_block(sources, t) for t in group]
        data = [np.stack([b.data[i] for b in blocks]) for i in range(len(sources))]
        return data, np.stack([b.valid for b in blocks])

    # One reader thread prefetches the next batch while the model runs on this one; it is the
    # only thread that touches the sources (GDAL datasets are not thread-safe).
    try:
        with ThreadPoolExecutor(max_workers=1) as reader:
            strip = _Strip(channels, th, grid.width)
            done = 0
            pending = reader.submit(read, groups[0])
            for k, group in enumerate(groups):
                _check_cancel(progress)
                data, valid = pending.result()
                if k + 1 < len(groups):
                    pending = reader.submit(read, groups[k + 1])
                result = np.asarray(fn(data, valid), dtype=np.float32)
                if result.shape != (len(group), channels, th, tw):
                    raise MssfcError(
                        f"Internal error: the model returned {result.shape}, expected "
                        f"{(len(group), channels, th, tw)}."
                    )
                for t, res, ok in zip(group, result, valid):
                    if t.y > strip.y0:
                        strip.flush_until(t.y, outs, finalize)
                    strip.add(res, weight, t, ok)
                done += len(group)
                progress.set_progress(100.0 * done / len(tiles))
            strip.flush_until(grid.height, outs, finalize)
        return outs.commit()
    except BaseException:
        outs.discard()
        raise


FLUSH_COLUMNS = 2048


class _Strip:
    """Weighted accumulator for one row of tiles: rows ``[y0, y0 + height)`` of the raster."""

    def __init__(self, channels: int, height: int, width: int) -> None:
        self.acc = np.zeros((channels, height, width), dtype=np.float32)
        self.wsum = np.zeros((height, width), dtype=np.float32)
        self.valid = np.zeros((height, width), dtype=bool)
        self.y0 = 0
        self.width = width

    def add(self, values: np.ndarray, weight: np.ndarray, t: Window, valid: np.ndarray) -> None:
        """Accumulate one tile's ``(channels, h, w)`` output weighted by ``weight``."""
        rows = slice(t.y - self.y0, t.y - self.y0 + t.height)
        cols = slice(t.x, t.x + t.width)
        self.acc[:, rows, cols] += values * weight
        self.wsum[rows, cols] += weight
        self.valid[rows, cols] = valid  # validity belongs to the pixel: every tile agrees

    def flush_until(self, y: int, outs: _Outputs, finalize: Finalize) -> None:
        """Write rows ``[y0, y)`` (final: no later tile reaches them) and shift the strip."""
        n = y - self.y0
        if n <= 0:
            return
        height = self.acc.shape[1]
        # column chunks keep the temporaries of `finalize` bounded whatever the raster's width
        for c0 in range(0, self.width, FLUSH_COLUMNS):
            c1 = min(self.width, c0 + FLUSH_COLUMNS)
            win = Window(c0, self.y0, c1 - c0, n)
            wsum = self.wsum[:n, c0:c1]
            blended = self.acc[:, :n, c0:c1] / np.where(wsum > 0, wsum, 1.0)
            valid = self.valid[:n, c0:c1] & (wsum > 0)
            outs.write(finalize(blended, valid), valid, win)
        keep = max(0, height - n)
        if keep:
            self.acc[:, :keep] = self.acc[:, n:]
            self.wsum[:keep] = self.wsum[n:]
            self.valid[:keep] = self.valid[n:]
        self.acc[:, keep:] = 0.0
        self.wsum[keep:] = 0.0
        self.valid[keep:] = False
        self.y0 = y


def read_full(sources: Sequence[RasterSource], grid: Grid) -> Block:
    """The whole grid as one block: for untiled reference runs in tests and small rasters."""
    return read_block(sources, grid.full)
