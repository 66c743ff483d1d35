"""Accuracy reports: a self-contained HTML page, a CSV table and a coloured error map.

The HTML page has no external files: CSS is inline and figures are base64 PNGs drawn with
matplotlib's Agg canvas (no pyplot, no GUI backend), so it can be mailed or attached to a QGIS
Processing result as one file.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import gc
import html
import io
import math
import os
import uuid
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import MssfcError
from .metrics import (
    METRIC_NAMES,
    BestThreshold,
    Confusion,
    ObjectCounts,
    ThresholdCurve,
    per_image_mean,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _matplotlib() -> dict[str, Any]:
    """Import matplotlib's Agg canvas, Figure and image lazily.

    QGIS installs (and this project's venv, which sees the system site-packages) often carry a
    second, system ``mpl_toolkits`` whose 3-D toolkit fails to import and makes matplotlib warn
    "Unable to import Axes3D"; the report never uses 3-D axes, so that one warning is silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unable to import Axes3D", category=UserWarning)
        from matplotlib import image
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    return {"Figure": Figure, "FigureCanvasAgg": FigureCanvasAgg, "image": image}


#: Error map colours as in the papers' figures: TP white, FP red, FN blue, TN black.
ERROR_COLOURS: dict[str, tuple[int, int, int]] = {
    "tp": (255, 255, 255),
    "fp": (255, 0, 0),
    "fn": (0, 0, 255),
    "tn": (0, 0, 0),
}
#: Pixels outside ``valid`` in the error map.
INVALID_COLOUR = (128, 128, 128)

_LABELS = {
    "precision": "Precision",
    "recall": "Recall",
    "iou": "IoU",
    "f1": "F1",
    "pa": "PA",
    "mpa": "MPA",
}

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:980px;
color:#222;line-height:1.4}
h1{font-size:1.6em;border-bottom:2px solid #444;padding-bottom:.2em}
h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:right}
th{background:#eee}td.name,th.name{text-align:left}
.figs{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
figure{margin:0}figcaption{font-size:.85em;color:#555}
.legend span{display:inline-block;width:1em;height:1em;border:1px solid #888;
vertical-align:middle;margin:0 .3em 0 .8em}
.note{color:#555}.undef{color:#a00}
"""


def error_map(pred: np.ndarray, ref: np.ndarray, *, valid: np.ndarray | None = None) -> np.ndarray:
    """Colour each pixel by its confusion class: TP white, FP red, FN blue, TN black.

    Parameters
    ----------
    pred, ref : numpy.ndarray
        ``(H, W)`` masks, read as ``!= 0``.
    valid : numpy.ndarray, optional
        ``(H, W)`` boolean; pixels where False are grey (:data:`INVALID_COLOUR`).

    Returns
    -------
    numpy.ndarray
        ``(3, H, W)`` uint8 RGB, band-first like a GDAL raster.
    """
    p = np.asarray(pred) != 0
    r = np.asarray(ref) != 0
    if p.shape != r.shape or p.ndim != 2:
        raise MssfcError(
            f"pred {p.shape} and ref {r.shape} must be 2-D masks of one shape; crop them to match."
        )
    palette = np.array(
        [
            ERROR_COLOURS["tn"],
            ERROR_COLOURS["fp"],
            ERROR_COLOURS["fn"],
            ERROR_COLOURS["tp"],
            INVALID_COLOUR,
        ],
        dtype=np.uint8,
    )
    code = r.astype(np.uint8) * 2 + p
    if valid is not None:
        v = np.asarray(valid) != 0
        if v.shape != p.shape:
            raise MssfcError(f"valid {v.shape} must have the masks' shape {p.shape}.")
        code[~v] = 4
    return np.ascontiguousarray(np.moveaxis(palette[code], -1, 0))


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, line ends as given) to ``path`` through a temporary file in the
    same folder that :func:`os.replace` moves into place, so a failure leaves neither a
    half-written file nor the temporary one (a file already at ``path`` stays as it was).

    Raises
    ------
    MssfcError
        When the folder cannot be made or the file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MssfcError(
            f"Cannot create the folder {path.parent} for {path.name}: {exc}. Choose another "
            "output path."
        ) from exc
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise MssfcError(f"Cannot write {path}: {exc}. Choose another output path.") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _fmt(value: float | int) -> str:
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if math.isnan(value):
        return '<span class="undef">n/a</span>'
    return f"{value:.4f}"


def write_csv(path: str | Path, rows: Sequence[Mapping[str, object]]) -> Path:
    """Write dict rows as CSV; the header is the union of keys in first-seen order.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file; parent folders are created. Written whole or not at all
        (:func:`write_text`).
    rows : sequence of mapping
        One dict per row, e.g. ``{"tile": name, **confusion.as_dict()}``. Missing keys are empty
        cells; floats are written with full precision (``nan`` as ``nan``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=header, restval="")
    writer.writeheader()
    for row in rows:
        writer.writerow(dict(row))
    write_text(path, buf.getvalue())
    return path


def _png_base64(fig: Figure) -> str:
    _matplotlib()["FigureCanvasAgg"](fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    fig.clear()
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _rgb_png_base64(rgb: np.ndarray, *, max_size: int) -> str:
    step = max(1, math.ceil(max(rgb.shape[1:]) / max_size))
    small = np.moveaxis(rgb[:, ::step, ::step], 0, -1)
    buf = io.BytesIO()
    _matplotlib()["image"].imsave(buf, np.ascontiguousarray(small), format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(data: str, alt: str, caption: str) -> str:
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def confusion_figure(confusion: Confusion) -> Figure:
    """A 2x2 confusion matrix plot (rows reference, columns prediction) with counts and shares."""
    counts = np.array([[confusion.tn, confusion.fp], [confusion.fn, confusion.tp]], dtype=float)
    total = max(confusion.total, 1)
    fig = _matplotlib()["Figure"](figsize=(3.6, 3.2))
    ax = fig.add_subplot()
    ax.imshow(counts / total, cmap="Blues", vmin=0, vmax=1)
    for (i, j), n in np.ndenumerate(counts):
        share = n / total
        ax.text(
            j,
            i,
            f"{int(n):,}\n{share:.1%}",
            ha="center",
            va="center",
            color="white" if share > 0.5 else "black",
            fontsize=9,
        )
    ax.set_xticks([0, 1], ["no (0)", "yes (1)"])
    ax.set_yticks([0, 1], ["no (0)", "yes (1)"])
    ax.set_xlabel("prediction")
    ax.set_ylabel("reference")
    ax.set_title("Confusion matrix (pixels)")
    fig.tight_layout()
    return fig


def curve_figure(curve: ThresholdCurve, best: BestThreshold | None = None) -> Figure:
    """P, R, IoU and F1 against the threshold, with the best threshold as a dashed line."""
    fig = _matplotlib()["Figure"](figsize=(5.2, 3.4))
    ax = fig.add_subplot()
    for name, style in (("precision", "-"), ("recall", "-"), ("iou", "-"), ("f1", "--")):
        ax.plot(curve.thresholds, getattr(curve, name), style, label=_LABELS[name])
    if best is not None:
        ax.axvline(
            best.threshold,
            color="k",
            linestyle=":",
            linewidth=1,
            label=f"best {best.criterion} @ {best.threshold:.3g}",
        )
    ax.set_xlabel("threshold")
    ax.set_ylabel("score")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title("Metrics against the threshold")
    fig.tight_layout()
    return fig


def _metrics_table(confusion: Confusion) -> str:
    rows = []
    for name in METRIC_NAMES:
        m = confusion.explain(name)
        note = "" if m.defined else html.escape(m.reason)
        rows.append(
            f'<tr><td class="name">{_LABELS[name]}</td><td>{_fmt(m.value)}</td>'
            f'<td class="name note">{note}</td></tr>'
        )
    counts = "".join(
        f'<tr><td class="name">{k.upper()}</td><td>{_fmt(getattr(confusion, k))}</td><td></td></tr>'
        for k in ("tp", "fp", "fn", "tn")
    )
    return (
        '<table><tr><th class="name">metric</th><th>value</th><th class="name">note</th></tr>'
        + "".join(rows)
        + counts
        + "</table>"
    )


def _per_tile_table(per_tile: Mapping[str, Confusion]) -> str:
    head = "".join(f"<th>{_LABELS[n]}</th>" for n in METRIC_NAMES)
    lines = [f'<table><tr><th class="name">tile</th><th>TP</th><th>FP</th><th>FN</th>{head}</tr>']
    for name, c in per_tile.items():
        cells = "".join(f"<td>{_fmt(v)}</td>" for v in c.metrics().values())
        lines.append(
            f'<tr><td class="name">{html.escape(str(name))}</td><td>{_fmt(c.tp)}</td>'
            f"<td>{_fmt(c.fp)}</td><td>{_fmt(c.fn)}</td>{cells}</tr>"
        )
    mean = per_image_mean(per_tile.values())
    cells = "".join(f"<td>{_fmt(mean.values[n])}</td>" for n in METRIC_NAMES)
    lines.append(f'<tr><th class="name">per-tile mean</th><td></td><td></td><td></td>{cells}</tr>')
    lines.append("</table>")
    return "".join(lines)


def _objects_table(objects: ObjectCounts) -> str:
    rows = [
        ("Buildings found (matched)", objects.found),
        ("Buildings missed", objects.missed),
        ("False buildings", objects.false),
        ("Object precision", objects.precision),
        ("Object recall", objects.recall),
        ("Object F1", objects.f1),
    ]
    body = "".join(f'<tr><td class="name">{k}</td><td>{_fmt(v)}</td></tr>' for k, v in rows)
    return f'<table><tr><th class="name">objects</th><th>value</th></tr>{body}</table>'


def _legend() -> str:
    items = [("TP", "tp"), ("FP", "fp"), ("FN", "fn"), ("TN", "tn")]
    spans = "".join(
        f'<span style="background:rgb{ERROR_COLOURS[key]}"></span>{label}' for label, key in items
    )
    return f'<p class="legend">{spans}</p>'


def write_html_report(
    path: str | Path,
    *,
    title: str,
    confusion: Confusion,
    per_tile: Mapping[str, Confusion] | None = None,
    objects: ObjectCounts | None = None,
    curve: ThresholdCurve | None = None,
    best: BestThreshold | None = None,
    error_map_rgb: np.ndarray | None = None,
    notes: Sequence[str] = (),
    max_image_size: int = 512,
) -> Path:
    """Write a self-contained HTML accuracy report.

    Parameters
    ----------
    path : str or pathlib.Path
        Output ``.html`` file; parent folders are created. Written whole or not at all
        (:func:`write_text`).
    title : str
        Page title (escaped).
    confusion : Confusion
        Pooled pixel counts; gives the main metrics table and the confusion-matrix plot.
    per_tile : mapping of str to Confusion, optional
        Counts per tile or image, tabulated with their per-tile mean.
    objects : ObjectCounts, optional
        Object-level counts (found, missed, false buildings).
    curve : ThresholdCurve, optional
        Draws P, R, IoU and F1 against the threshold.
    best : BestThreshold, optional
        Marked on the curve and listed.
    error_map_rgb : numpy.ndarray, optional
        ``(3, H, W)`` uint8 map from :func:`error_map`; embedded, subsampled to at most
        ``max_image_size`` pixels on its long side.
    notes : sequence of str
        Free-text paragraphs (escaped), e.g. the input files and parameters.
    max_image_size : int
        Long side of the embedded error map, pixels.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    esc_title = html.escape(title)
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc_title}"
        f"</title><style>{_CSS}</style></head><body><h1>{esc_title}</h1>"
    ]
    parts.extend(f'<p class="note">{html.escape(n)}</p>' for n in notes)

    parts.append("<h2>Pixel metrics (pooled)</h2>")
    parts.append(_metrics_table(confusion))
    figs = [
        _img(
            _png_base64(confusion_figure(confusion)),
            "confusion matrix",
            "Confusion matrix: rows reference, columns prediction.",
        )
    ]
    if curve is not None:
        figs.append(
            _img(
                _png_base64(curve_figure(curve, best)),
                "threshold curve",
                "Precision, recall, IoU and F1 against the decision threshold.",
            )
        )
    parts.append(f'<div class="figs">{"".join(figs)}</div>')

    if best is not None:
        parts.append(
            f"<h2>Best threshold</h2><p>{html.escape(best.criterion)} is best at threshold "
            f"<b>{best.threshold:.4g}</b> ({_fmt(best.value)}).</p>"
        )
        parts.append(_metrics_table(best.confusion))

    if objects is not None:
        parts.append("<h2>Buildings (objects)</h2>")
        parts.append(_objects_table(objects))

    if per_tile:
        parts.append("<h2>Per tile</h2>")
        parts.append(_per_tile_table(per_tile))

    if error_map_rgb is not None:
        rgb = np.asarray(error_map_rgb)
        if rgb.ndim != 3 or rgb.shape[0] != 3 or rgb.dtype != np.uint8:
            raise MssfcError(
                f"error_map_rgb must be a (3, H, W) uint8 array, got {rgb.shape} {rgb.dtype}; "
                "make it with error_map(pred, ref)."
            )
        parts.append("<h2>Error map</h2>")
        parts.append(
            _img(
                _rgb_png_base64(rgb, max_size=max_image_size),
                "error map",
                "Error map, subsampled for display.",
            )
        )
        parts.append(_legend())

    parts.append("</body></html>\n")
    write_text(path, "".join(parts))
    # The figures and their artists refer to each other: free them now, while everything
    # they touch is alive. Left to the interpreter's last collection, after a standalone
    # script's QgsApplication.exitQgis(), they crashed it (make demo ended with a segfault).
    gc.collect()
    return path
