"""The emulator's clock: real UTC time plus an offset that tests can advance."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "format_ts", "parse_ts"]


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


class Clock:
    """Real UTC now plus an offset; ``advance`` moves it forward."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        if not math.isfinite(offset_seconds):
            raise ValueError("offset must be finite")
        self._offset = timedelta(seconds=offset_seconds)
        self._lock = threading.Lock()

    @property
    def offset_seconds(self) -> float:
        """How far the emulator's clock is ahead of real time, in seconds."""
        return self._offset.total_seconds()

    def now(self) -> datetime:
        """The emulator's current time (aware, UTC)."""
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by ``seconds`` and return the new now."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("advance_seconds must be a finite number >= 0")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()
