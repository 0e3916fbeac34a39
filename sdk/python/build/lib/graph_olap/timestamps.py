"""RFC 3339 timestamp parsing and formatting (API.md §1.7).

Owns the conversion between wire timestamps and timezone-aware ``datetime``
objects.  ``datetime.fromisoformat`` on Python 3.9/3.10 rejects the ``Z``
suffix and fractional parts that are not 3 or 6 digits; :func:`parse_timestamp`
normalises both, so the SDK behaves the same on every supported Python.

Example:
    >>> parse_timestamp("2025-01-15T10:30:00.000Z").isoformat()
    '2025-01-15T10:30:00+00:00'
    >>> format_timestamp(parse_timestamp("2025-01-15T10:30:00.5+01:00"))
    '2025-01-15T09:30:00.500Z'
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Optional, Union

__all__ = ["format_timestamp", "parse_timestamp"]

_TS_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<frac>\d{1,9}))?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(value: Union[str, datetime, date, int, float, None]) -> Optional[datetime]:
    """Parse an RFC 3339 timestamp into an aware ``datetime`` (UTC if no offset).

    Accepts ``Z`` or numeric offsets, 0–9 fractional digits (truncated to
    microseconds), date-only strings, ``datetime`` objects and epoch seconds.
    ``None`` and ``""`` give ``None``.

    Example:
        >>> parse_timestamp("2024-01-31T10:30:00.123456789Z").microsecond
        123456
        >>> parse_timestamp("2024-01-31").tzinfo is not None
        True
        >>> parse_timestamp(None) is None
        True
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if not text:
        return None
    m = _TS_RE.match(text)
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    time_part = m.group("time") or "00:00:00"
    if len(time_part) == 5:
        time_part += ":00"
    frac = (m.group("frac") or "")[:6].ljust(6, "0")
    tz = m.group("tz")
    if tz is None or tz in ("Z", "z"):
        tz = "+00:00"
    elif ":" not in tz:
        tz = tz[:3] + ":" + tz[3:]
    return datetime.fromisoformat(f"{m.group('date')}T{time_part}.{frac}{tz}")


def format_timestamp(value: Union[datetime, date, str]) -> str:
    """Format a timestamp the way the server does: UTC, ``Z``, milliseconds.

    Strings are parsed first; naive datetimes are taken as UTC.

    Example:
        >>> from datetime import datetime
        >>> format_timestamp(datetime(2025, 1, 15, 10, 30))
        '2025-01-15T10:30:00.000Z'
    """
    dt = parse_timestamp(value) if not isinstance(value, datetime) else value
    if dt is None:
        raise ValueError("empty timestamp")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def to_query_value(value: Any) -> Any:
    """Render a filter value (``created_after`` …) for a query string.

    Example:
        >>> from datetime import date
        >>> to_query_value(date(2025, 1, 2))
        '2025-01-02'
    """
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
