"""Progress and cancel protocol between the core and whoever runs it.

The Processing layer adapts ``QgsProcessingFeedback`` to :class:`Progress`; scripts and tests use
:class:`NullProgress` or :class:`PrintProgress`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Protocol


class Progress(Protocol):
    """What the core reports to, and asks about cancellation."""

    def set_progress(self, percent: float) -> None:
        """Report progress in percent, 0 to 100."""

    def is_canceled(self) -> bool:
        """True once the user asked to stop."""

    def info(self, message: str) -> None:
        """Log an informative message."""

    def warning(self, message: str) -> None:
        """Log a warning the user should read."""


class NullProgress:
    """Reports nothing and never cancels."""

    def set_progress(self, percent: float) -> None:  # noqa: D102
        pass

    def is_canceled(self) -> bool:  # noqa: D102
        return False

    def info(self, message: str) -> None:  # noqa: D102
        pass

    def warning(self, message: str) -> None:  # noqa: D102
        pass


class PrintProgress(NullProgress):
    """Prints messages to stderr; for command-line use."""

    def info(self, message: str) -> None:  # noqa: D102
        print(message, file=sys.stderr)

    def warning(self, message: str) -> None:  # noqa: D102
        print(f"WARNING: {message}", file=sys.stderr)


class ScaledProgress:
    """Maps 0-100 of a sub-step onto ``[start, stop]`` of a parent progress."""

    def __init__(self, parent: Progress, start: float, stop: float) -> None:
        self.parent = parent
        self.start = start
        self.stop = stop

    def set_progress(self, percent: float) -> None:  # noqa: D102
        self.parent.set_progress(self.start + (self.stop - self.start) * percent / 100.0)

    def is_canceled(self) -> bool:  # noqa: D102
        return self.parent.is_canceled()

    def info(self, message: str) -> None:  # noqa: D102
        self.parent.info(message)

    def warning(self, message: str) -> None:  # noqa: D102
        self.parent.warning(message)


class Lanes:
    """Progress of work running on several threads at once, reported to ``parent`` from the
    thread that made this object only (Processing feedback belongs to the algorithm's thread).

    :meth:`lane` gives each concurrent job its own :class:`Progress`, usable from any thread.
    Percentages combine as a weighted mean; messages queue up. Both reach ``parent`` whenever the
    owning thread reports, or calls :meth:`flush`. Once :meth:`abort` is called (one job
    failed), every lane reads as canceled, so the others stop at their next check.
    """

    def __init__(self, parent: Progress, weights: Sequence[float]) -> None:
        if not weights or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"lane weights must be >= 0 with a positive sum, got {weights}.")
        self.parent = parent
        self._weights = [w / sum(weights) for w in weights]
        self._percent = [0.0] * len(weights)
        self._messages: list[tuple[bool, str]] = []
        self._lock = threading.Lock()
        self._owner = threading.get_ident()
        self._aborted = False

    def lane(self, index: int) -> Progress:
        """The :class:`Progress` of job ``index`` (0-based, one per weight)."""
        return _Lane(self, index)

    def abort(self) -> None:
        """Make every lane report cancellation."""
        self._aborted = True

    def canceled(self) -> bool:
        """True once aborted or once the parent is canceled."""
        return self._aborted or self.parent.is_canceled()

    def flush(self) -> None:
        """Forward queued messages and the combined percentage (owning thread only)."""
        if threading.get_ident() != self._owner:
            return
        with self._lock:
            messages, self._messages = self._messages, []
            percent = sum(w * p for w, p in zip(self._weights, self._percent))
        for is_warning, text in messages:
            (self.parent.warning if is_warning else self.parent.info)(text)
        self.parent.set_progress(percent)

    def _report(self, index: int, percent: float | None, message: tuple[bool, str] | None) -> None:
        with self._lock:
            if percent is not None:
                self._percent[index] = max(0.0, min(100.0, percent))
            if message is not None:
                self._messages.append(message)
        self.flush()


class _Lane:
    def __init__(self, lanes: Lanes, index: int) -> None:
        self._lanes = lanes
        self._index = index

    def set_progress(self, percent: float) -> None:
        self._lanes._report(self._index, percent, None)

    def is_canceled(self) -> bool:
        return self._lanes.canceled()

    def info(self, message: str) -> None:
        self._lanes._report(self._index, None, (False, message))

    def warning(self, message: str) -> None:
        self._lanes._report(self._index, None, (True, message))
