"""The client-side rate limit: slots exactly 1/R apart, and R requests/s held over a burst."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web
from support.server import EMPTY_PAGE, Loopback, answer, serve
from support.wire import AUTH_ID, AUTH_TOKEN

from phonenumbers_async import AsyncClient
from phonenumbers_async._ratelimit import RateLimiter

log = logging.getLogger(__name__)


class FakeTime:
    """A clock that only moves when told to, and a sleep that records instead of waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


async def test_concurrent_callers_get_slots_exactly_one_interval_apart() -> None:
    """50 tasks asking at the same instant start at now, now + 1/R, now + 2/R… (R = 20)."""
    fake = FakeTime()
    limiter = RateLimiter(20, clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []

    async def caller() -> None:
        asked = fake.clock()
        before = len(fake.sleeps)
        await limiter.acquire()
        waited = fake.sleeps[before] if len(fake.sleeps) > before else 0.0
        starts.append(asked + waited)

    await asyncio.gather(*(caller() for _ in range(50)))

    assert sorted(starts) == pytest.approx([1000.0 + n / 20 for n in range(50)])
    assert len(fake.sleeps) == 49  # the first caller goes at once


async def test_time_passing_uses_up_the_wait_but_never_saves_up_a_burst() -> None:
    """A caller part way through an interval waits the rest; a long pause saves up no burst."""
    fake = FakeTime()
    limiter = RateLimiter(10, clock=fake.clock, sleep=fake.sleep)
    await limiter.acquire()  # slot at 1000.0
    fake.now += 0.04
    await limiter.acquire()  # slot at 1000.1: waits 0.06
    assert fake.sleeps == pytest.approx([0.06])
    fake.now += 60.0  # a long idle time earns no credit
    await limiter.acquire()
    await limiter.acquire()
    await limiter.acquire()
    assert fake.sleeps[1:] == pytest.approx([0.1, 0.2])


def test_a_rate_must_be_positive() -> None:
    """A zero or negative rate is refused."""
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="positive"):
            RateLimiter(bad)


async def test_client_rate_limit_holds_within_ten_percent_over_a_five_second_burst() -> None:
    """``rate_limit=20``: 100 concurrent calls reach the server at 20/s (±10%), measured there."""
    rate = 20.0

    async def ok(request: web.Request, server: Loopback) -> web.StreamResponse:
        return answer(200, EMPTY_PAGE)

    async with (
        serve(ok) as server,
        AsyncClient(
            AUTH_ID, AUTH_TOKEN, base_url=server.base_url, rate_limit=rate, max_concurrency=100
        ) as client,
    ):
        await asyncio.gather(*(client.numbers.list() for _ in range(100)))

    times = sorted(seen.at for seen in server.seen)
    assert len(times) == 100
    span = times[-1] - times[0]
    measured = (len(times) - 1) / span
    log.info("rate limit %.1f/s: measured %.2f/s over %.2f s", rate, measured, span)
    assert rate * 0.9 <= measured <= rate * 1.1
    # No second of the burst goes over the limit by more than the same margin.
    for start in times:
        in_window = sum(1 for t in times if start <= t < start + 1.0)
        assert in_window <= rate * 1.1 + 1
