"""Unit tests of the emulator's JSON encoding, number normalisation and timestamps."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from phonenumbers_async.emulator import Clock
from phonenumbers_async.emulator._clock import format_ts, parse_ts
from phonenumbers_async.emulator._seed import add_month, generate_numbers
from phonenumbers_async.emulator._wire import dumps, loads, normalize_e164


def test_decimals_are_json_numbers_with_their_own_digits() -> None:
    """Money is written as a JSON number exactly as stored: 100, 1.0, 0.35, never a string."""
    text = dumps(
        {"a": Decimal("100"), "b": Decimal("1.0"), "c": Decimal("0.35"), "d": [None, True]}
    )
    assert text == '{"a": 100, "b": 1.0, "c": 0.35, "d": [null, true]}'
    assert json.loads(text, parse_float=Decimal) == {
        "a": 100,
        "b": Decimal("1.0"),
        "c": Decimal("0.35"),
        "d": [None, True],
    }
    assert dumps(Decimal("12345678901234567890.12")) == "12345678901234567890.12"
    assert dumps('✓ "q"') == json.dumps('✓ "q"')
    with pytest.raises(ValueError, match="non-finite"):
        dumps(Decimal("NaN"))
    with pytest.raises(TypeError):
        dumps(object())


def test_loads_reads_decimals_and_rejects_nan() -> None:
    """Incoming non-integers become Decimal; NaN and Infinity are refused."""
    assert loads('{"x": 0.1}') == {"x": Decimal("0.1")}
    for bad in ("NaN", "Infinity", "[-Infinity]"):
        with pytest.raises(ValueError, match="not valid JSON"):
            loads(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+919876543210", "+919876543210"),
        ("919876543210", "+919876543210"),
        (" +14155551234", "+14155551234"),
        ("+1234567", "+1234567"),
        ("+123456789012345", "+123456789012345"),
        ("+1234567890123456", None),
        ("+123456", None),
        ("+0919876543210", None),
        ("++919876543210", None),
        ("+91 98765 43210", None),
        ("abc", None),
        ("", None),
        ("+٩١٩٨٧٦٥٤٣٢١٠", None),
    ],
)
def test_normalize_e164(raw: str, expected: str | None) -> None:
    """+digits or digits (7-15, no leading zero) normalise to +digits; anything else is None."""
    assert normalize_e164(raw) == expected


def test_timestamps_have_z_and_varying_fraction_widths() -> None:
    """format_ts writes UTC with Z and 0-6 fractional digits; parse_ts reads it back."""
    base = datetime(2025, 6, 9, 14, 23, tzinfo=UTC)
    assert format_ts(base) == "2025-06-09T14:23:00Z"
    assert format_ts(base.replace(microsecond=500000)) == "2025-06-09T14:23:00.5Z"
    assert format_ts(base.replace(microsecond=796024)) == "2025-06-09T14:23:00.796024Z"
    ist = timezone(timedelta(hours=5, minutes=30))
    assert format_ts(datetime(2025, 6, 9, 19, 53, tzinfo=ist)) == "2025-06-09T14:23:00Z"
    for text in ("2025-06-09T14:23:00Z", "2025-06-09T14:23:00.796024Z", "2025-06-09T14:23:00"):
        assert parse_ts(text).tzinfo is not None
        assert format_ts(parse_ts(text)).startswith("2025-06-09T14:23:00")
    for bad in ("", "yesterday", "2025-13-01T00:00:00Z"):
        with pytest.raises(ValueError, match=r"ISO|month|Invalid"):
            parse_ts(bad)


def test_clock_advances_and_refuses_going_back() -> None:
    """The clock is real time plus an offset; advance adds to it; negative is refused."""
    clock = Clock()
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 1
    clock.advance(3600)
    assert clock.offset_seconds == 3600
    assert 3599 < (clock.now() - datetime.now(UTC)).total_seconds() < 3601
    with pytest.raises(ValueError, match="advance_seconds"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="advance_seconds"):
        clock.advance(float("inf"))


def test_add_month_clamps_to_the_month_end() -> None:
    """Next billing date: same day next month, clamped (Jan 31 -> Feb 28), Dec -> Jan."""
    assert add_month(datetime(2025, 1, 31, tzinfo=UTC)).date().isoformat() == "2025-02-28"
    assert add_month(datetime(2024, 1, 30, tzinfo=UTC)).date().isoformat() == "2024-02-29"
    assert add_month(datetime(2025, 12, 15, tzinfo=UTC)).date().isoformat() == "2026-01-15"


def test_seeding_is_deterministic_and_unique() -> None:
    """The same RNG seed gives the same numbers; numbers never repeat."""
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def make(seed: int) -> list[str]:
        rows = generate_numbers(random.Random(seed), 500, now=now, currency="INR", taken=set())
        return [row["e164"] for row in rows]

    first = make(5)
    assert first == make(5)
    assert first != make(6)
    assert len(set(first)) == 500
    taken = set(first)
    more = [
        r["e164"]
        for r in generate_numbers(random.Random(5), 500, now=now, currency="INR", taken=taken)
    ]
    assert not set(more) & set(first)
    with pytest.raises(ValueError, match="unknown country"):
        list(
            generate_numbers(
                random.Random(1), 1, now=now, currency="INR", taken=set(), country="ZZ"
            )
        )
