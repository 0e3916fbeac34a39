"""ISO 8601 durations as used by TTLs and inactivity timeouts (API.md §1.8).

Owns parsing durations into ``timedelta`` and formatting ``timedelta`` (or
seconds) into the server's normalised form.  It does not decide validity
limits beyond the grammar (the server enforces ``max_ttl`` and ranges).

Example:
    >>> parse_duration("P1DT12H").total_seconds()
    129600.0
    >>> format_duration(5400)
    'PT1H30M'
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Optional, Union

__all__ = ["DurationLike", "format_duration", "parse_duration", "to_duration_str"]

DurationLike = Union[str, timedelta, int, float]

_DURATION_RE = re.compile(
    r"^P(?:(?P<weeks>\d{1,6})W)?(?:(?P<days>\d{1,6})D)?"
    r"(?:T(?:(?P<hours>\d{1,6})H)?(?:(?P<minutes>\d{1,6})M)?"
    r"(?:(?P<seconds>\d{1,6}(?:\.\d{1,3})?)S)?)?$",
    re.IGNORECASE,
)


def parse_duration(value: str) -> timedelta:
    """Parse an ISO 8601 duration (weeks, days, hours, minutes, seconds).

    Years and months are rejected (calendar-dependent), as are empty
    components such as ``P``, ``PT`` or ``P1DT``.

    Raises:
        ValueError: if the text is not a valid duration.

    Example:
        >>> parse_duration("pt90s")
        datetime.timedelta(seconds=90)
        >>> parse_duration("P2W").days
        14
    """
    if not isinstance(value, str):
        raise ValueError(f"duration must be a string, got {type(value).__name__}")
    text = value.strip()
    m = _DURATION_RE.match(text)
    if not m or text.upper() in ("P", "PT") or text.upper().endswith("T"):
        if re.match(r"^P(\d+Y|\d+M)", text, re.IGNORECASE):
            raise ValueError(f"{value!r}: years and months are not supported; use days")
        raise ValueError(f"{value!r} is not a valid ISO 8601 duration")
    parts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    if not any(m.groupdict().values()):
        raise ValueError(f"{value!r} is not a valid ISO 8601 duration")
    return timedelta(
        weeks=parts["weeks"],
        days=parts["days"],
        hours=parts["hours"],
        minutes=parts["minutes"],
        seconds=parts["seconds"],
    )


def format_duration(value: Union[timedelta, int, float]) -> str:
    """Format a duration in normalised form: largest units first, zeros omitted.

    Example:
        >>> from datetime import timedelta
        >>> format_duration(timedelta(days=2, hours=6))
        'P2DT6H'
        >>> format_duration(timedelta(minutes=45))
        'PT45M'
        >>> format_duration(0.5)
        'PT0.5S'
    """
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds <= 0:
        raise ValueError("duration must be greater than zero")
    millis = round(seconds * 1000)
    days, rem = divmod(millis, 86_400_000)
    hours, rem = divmod(rem, 3_600_000)
    minutes, rem = divmod(rem, 60_000)
    secs, ms = divmod(rem, 1000)
    out = "P"
    if days:
        out += f"{days}D"
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if secs or ms:
        time += f"{secs}.{ms:03d}".rstrip("0").rstrip(".") + "S" if ms else f"{secs}S"
    if time:
        out += "T" + time
    return out


def to_duration_str(value: Optional[DurationLike]) -> Optional[str]:
    """Convert a user-supplied TTL to the wire form.

    Strings pass through unchanged (the server validates them); ``timedelta``
    and numbers (seconds) are formatted; ``None`` stays ``None``.

    Example:
        >>> from datetime import timedelta
        >>> to_duration_str(timedelta(hours=1)), to_duration_str("PT1H"), to_duration_str(None)
        ('PT1H', 'PT1H', None)
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("a duration cannot be a bool")
    return format_duration(value)
