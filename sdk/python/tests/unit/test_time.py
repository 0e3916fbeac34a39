"""Timestamps (§1.7) and durations (§1.8)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from graph_olap.durations import format_duration, parse_duration, to_duration_str
from graph_olap.models import Instance
from graph_olap.timestamps import format_timestamp, parse_timestamp


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-01-15T10:30:00.000Z", datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)),
    ("2025-01-15T10:30:00Z", datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)),
    ("2025-01-15T10:30:00.1z", datetime(2025, 1, 15, 10, 30, 0, 100000, tzinfo=timezone.utc)),
    ("2024-01-31T10:30:00.123456789Z",
     datetime(2024, 1, 31, 10, 30, 0, 123456, tzinfo=timezone.utc)),
    ("2025-01-15T12:30:00+02:00", datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)),
    ("2025-01-15T12:30:00+0200", datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)),
    ("2025-01-15", datetime(2025, 1, 15, tzinfo=timezone.utc)),
])
def test_parse_timestamp(text: str, expected: datetime) -> None:
    value = parse_timestamp(text)
    assert value == expected
    assert value.tzinfo is not None


@pytest.mark.parametrize("bad", ["yesterday", "2025-13", "2025-01-15T10:30:00.000Q"])
def test_parse_timestamp_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(bad)


def test_format_timestamp_server_form() -> None:
    assert format_timestamp(datetime(2025, 1, 15, 10, 30, 0, 123999)) == \
        "2025-01-15T10:30:00.123Z"
    assert format_timestamp("2025-01-15T12:30:00+02:00") == "2025-01-15T10:30:00.000Z"


def test_models_parse_z_suffix() -> None:
    inst = Instance.from_dict({"id": 1, "status": "running",
                               "created_at": "2025-01-15T10:30:00.000Z",
                               "expires_at": None})
    assert inst.created_at == datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
    assert inst.expires_at is None


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT30M", 1800), ("PT24H", 86400), ("P1DT12H", 129600), ("PT1H30M", 5400),
    ("P2W", 1209600), ("pt90s", 90), ("PT0.5S", 0.5), ("P1W2DT3H4M5S", 788645), ("P7D", 604800),
])
def test_parse_duration_valid(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "P1Y", "P1M", "P1.5D", "-PT1H", "1D", "",
                                  "86400", "PT1H30"])
def test_parse_duration_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("value", "text"), [
    (timedelta(days=2, hours=6), "P2DT6H"), (timedelta(minutes=45), "PT45M"),
    (3600, "PT1H"), (timedelta(days=7), "P7D"), (90, "PT1M30S"), (1.25, "PT1.25S"),
    (timedelta(days=1, seconds=1), "P1DT1S"),
])
def test_format_duration_normalised(value: object, text: str) -> None:
    assert format_duration(value) == text  # type: ignore[arg-type]
    assert parse_duration(text).total_seconds() == (
        value.total_seconds() if isinstance(value, timedelta) else value)


def test_format_duration_rejects_non_positive() -> None:
    with pytest.raises(ValueError):
        format_duration(0)


def test_to_duration_str() -> None:
    assert to_duration_str("PT1H") == "PT1H"
    assert to_duration_str(timedelta(hours=2)) == "PT2H"
    assert to_duration_str(None) is None
    with pytest.raises(TypeError):
        to_duration_str(True)  # type: ignore[arg-type]


def test_date_query_values() -> None:
    from graph_olap.timestamps import to_query_value

    assert to_query_value(date(2025, 1, 2)) == "2025-01-02"
    assert to_query_value(datetime(2025, 1, 2, tzinfo=timezone.utc)) == "2025-01-02T00:00:00.000Z"
