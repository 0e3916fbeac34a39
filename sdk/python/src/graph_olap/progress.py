"""Progress reporting for every wait (snapshots, instances, algorithms).

Owns how waiting is shown: a ``tqdm`` bar in Jupyter (widget when
``ipywidgets`` is present, text bar otherwise), one plain-text line per phase
change elsewhere, or nothing (``show_progress=False``).  It never talks to the
server; callers feed it ``(phase, completed, total)`` updates.

Example:
    >>> with ProgressReporter("Instance 1", mode="plain", stream=None) as p:
    ...     p.update("starting", 1, 3)
    ...     p.update("running", 3, 3)
    >>> p.phases
    ['starting', 'running']
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any, Callable, List, Optional

__all__ = ["ProgressCallback", "ProgressReporter", "in_notebook"]

#: ``on_progress(phase, completed_steps, total_steps)``
ProgressCallback = Callable[[str, int, int], None]


def in_notebook() -> bool:
    """True when running inside a Jupyter kernel.

    Example:
        >>> in_notebook()
        False
    """
    try:
        from IPython.core.getipython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class ProgressReporter:
    """Shows the progress of one wait.

    Args:
        description: label shown before the bar/line.
        mode: ``"auto"`` (tqdm in notebooks, plain text otherwise), ``"tqdm"``,
            ``"plain"`` or ``"none"``.
        stream: where plain text goes (default: the current ``sys.stderr``; ``None`` = silent
            but still records phases).
        callback: optional user callback, called on every update.

    Example:
        >>> seen = []
        >>> with ProgressReporter("x", mode="none", callback=lambda *a: seen.append(a)) as p:
        ...     p.update("loading", 1, 2)
        >>> seen
        [('loading', 1, 2)]
    """

    def __init__(
        self,
        description: str,
        *,
        mode: str = "auto",
        stream: Any = "stderr",
        callback: Optional[ProgressCallback] = None,
    ) -> None:
        self.description = description
        self.callback = callback
        # Resolved at call time: notebooks and test runners replace sys.stderr.
        self.stream: Optional[IO[str]] = sys.stderr if stream == "stderr" else stream
        self.phases: List[str] = []
        self._bar: Any = None
        self._start = time.monotonic()
        if mode == "auto":
            mode = "tqdm" if in_notebook() else "plain"
        if mode == "tqdm":
            self._bar = self._make_bar()
            if self._bar is None:
                mode = "plain"
        self.mode = mode

    def _make_bar(self) -> Any:
        try:
            try:
                import ipywidgets  # noqa: F401
                from tqdm.notebook import tqdm
            except ImportError:
                from tqdm.std import tqdm
        except ImportError:
            return None
        try:
            return tqdm(total=100, desc=self.description, leave=True,
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}")
        except Exception:  # pragma: no cover - widget backends can fail in odd frontends
            return None

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close(failed=exc_type is not None)

    def update(self, phase: str, completed: int = 0, total: int = 0,
               percent: Optional[float] = None) -> None:
        """Report the current phase and step counts (percent derived if not given)."""
        if self.callback is not None:
            self.callback(phase, completed, total)
        if percent is None:
            percent = (100.0 * completed / total) if total else 0.0
        new_phase = not self.phases or self.phases[-1] != phase
        if new_phase:
            self.phases.append(phase)
        if self.mode == "tqdm" and self._bar is not None:
            self._bar.n = max(0.0, min(100.0, float(percent)))
            steps = f" ({completed}/{total})" if total else ""
            self._bar.set_description_str(f"{self.description} · {phase}{steps}", refresh=False)
            self._bar.refresh()
        elif self.mode == "plain" and new_phase and self.stream is not None:
            elapsed = time.monotonic() - self._start
            steps = f" {completed}/{total}" if total else ""
            print(f"[{elapsed:6.1f}s] {self.description}: {phase}{steps}",
                  file=self.stream, flush=True)

    def close(self, failed: bool = False) -> None:
        """Finish the bar (idempotent)."""
        if self._bar is not None:
            if not failed:
                self._bar.n = 100
                self._bar.refresh()
            self._bar.close()
            self._bar = None
