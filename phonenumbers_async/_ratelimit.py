"""A client-side request rate limit shared by every concurrent call of a client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` seconds apart.

    Each caller reserves the next free slot synchronously (no await between
    reading and writing the schedule), so concurrent tasks never share a slot.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be a positive number of requests per second")
        self.rate = rate
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0

    async def acquire(self, within: float | None = None) -> bool:
        """Wait until this caller's slot comes; True once it has.

        With ``within`` (seconds), a slot later than that is not reserved and
        False comes back at once: a caller with a deadline never waits past it
        and takes no slot from the others.
        """
        now = self._clock()
        slot = max(now, self._next_slot)
        if within is not None and slot - now > within:
            return False
        self._next_slot = slot + self._interval
        if slot > now:
            await self._sleep(slot - now)
        return True
