"""Waiting for a server-side state: one polling loop with a gently growing interval.

Owns :func:`poll`, used by snapshot and instance waits (``resources``) and by
algorithm executions (``instance.algorithms``).  It imports nothing from the
SDK, so both layers can use it without depending on each other.

Example:
    >>> poll(lambda: 1, lambda v: v == 1, timeout=1, poll_interval=0.01,
    ...      timeout_error=TimeoutError)
    1
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

__all__ = ["poll"]


def poll(
    fetch: Callable[[], Any],
    done: Callable[[Any], bool],
    *,
    timeout: float,
    poll_interval: float,
    on_tick: Optional[Callable[[Any], None]] = None,
    timeout_error: Callable[[Any], Exception],
    max_interval: Optional[float] = None,
) -> Any:
    """Poll ``fetch()`` until ``done(value)``; raise ``timeout_error(last)`` on timeout.

    The interval grows gently (×1.5) from ``min(poll_interval, 0.5)`` up to
    ``poll_interval`` so that fast operations return quickly.

    Example:
        >>> values = iter([1, 2, 3])
        >>> poll(lambda: next(values), lambda v: v == 3, timeout=5, poll_interval=0.01,
        ...      timeout_error=lambda v: TimeoutError(v))
        3
    """
    deadline = time.monotonic() + timeout
    interval = min(poll_interval, 0.5)
    cap = max_interval or poll_interval
    while True:
        value = fetch()
        if on_tick is not None:
            on_tick(value)
        if done(value):
            return value
        if time.monotonic() + interval > deadline:
            raise timeout_error(value)
        time.sleep(interval)
        interval = min(interval * 1.5, cap)
