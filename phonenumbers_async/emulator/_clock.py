"""The emulator's clock: real UTC time plus an offset that tests can advance."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_ADVANCE_SECONDS",
    "Clock",
    "add_month",
    "check_time",
    "format_ts",
    "parse_ts",
]


def format_ts(value: datetime) -> str:
    """Format an aware datetime as ISO 8601 in UTC with a ``Z`` suffix.

    Fractional seconds are written with trailing zeros removed, so the width
    varies naturally between 0 and 6 digits, as the real API's does.
    """
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if "." in text:
        text = text.rstrip("0")
    return text + "Z"


def parse_ts(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC.

    Raises ``ValueError`` for anything that is not a timestamp.
    """
    if not isinstance(text, str) or not text or len(text) > 64:
        raise ValueError("not an ISO 8601 timestamp")
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# Every time the emulator holds stays in this range, so that adding a
# cool-off, a month or a clock move to it can never overflow ``datetime``.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
# One clock move may not exceed this (about 100 years).
MAX_ADVANCE_SECONDS = 100 * 366 * 86400


def check_time(value: datetime, what: str) -> datetime:
    """``value`` if it lies between ``EARLIEST`` and ``LATEST``; else ``ValueError``."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{what} must be between {format_ts(EARLIEST)} and {format_ts(LATEST)}")
    return value


class Clock:
    """Real UTC now plus an offset; ``advance`` moves it forward (bounded)."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        span = (LATEST - EARLIEST).total_seconds()
        if not math.isfinite(offset_seconds) or abs(offset_seconds) > span:
            raise ValueError("clock offset out of range")
        self._offset = timedelta(seconds=offset_seconds)
        check_time(datetime.now(UTC) + self._offset, "the emulator's clock")
        self._lock = threading.Lock()

    @property
    def offset_seconds(self) -> float:
        """How far the emulator's clock is ahead of real time, in seconds."""
        return self._offset.total_seconds()

    def now(self) -> datetime:
        """The emulator's current time (aware, UTC)."""
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float | int | Decimal) -> datetime:
        """Move the clock forward by ``seconds`` and return the new now.

        Raises ``ValueError`` (and changes nothing) for a move that is not a
        finite number from 0 to ``MAX_ADVANCE_SECONDS``, or that would take the
        clock past ``LATEST``.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int | float | Decimal):
            raise ValueError("advance_seconds must be a number")
        if not 0 <= seconds <= MAX_ADVANCE_SECONDS:  # NaN fails too
            raise ValueError(
                f"advance_seconds must be a finite number from 0 to {MAX_ADVANCE_SECONDS}"
            )
        step = timedelta(seconds=float(seconds))
        with self._lock:
            check_time(self.now() + step, "the emulator's clock after the move")
            self._offset += step
        return self.now()


def add_month(value: datetime) -> datetime:
    """The same day next month (clamped to the month's end)."""
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    for day in (value.day, 30, 29, 28):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
