"""Progress and cancel protocol between the core and whoever runs it.

The Processing layer adapts ``QgsProcessingFeedback`` to :class:`Progress`; scripts and tests use
:class:`NullProgress` or :class:`PrintProgress`.
"""

from __future__ import annotations

import sys
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
