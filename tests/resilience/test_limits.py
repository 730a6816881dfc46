"""Bounds that hold against hostile servers: response size, the call's deadline, status raising."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from support.server import Loopback, serve
from support.wire import AUTH_ID, AUTH_TOKEN

from phonenumbers_async import (
    AsyncClient,
    DeadlineExceeded,
    NotFound,
    PurchaseOutcomeUnknown,
    RateLimited,
    ResponseTooLarge,
    RetryPolicy,
)

E164 = "+919876543210"
MB = 1024 * 1024


def _rss_bytes() -> int:
    """This process's resident set size now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@contextlib.asynccontextmanager
async def peak_rss_growth() -> AsyncIterator[list[int]]:
    """Sample RSS every 5 ms while the block runs; yields [growth in bytes] when done."""
    before = _rss_bytes()
    peak = before
    stop = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _rss_bytes())
            await asyncio.sleep(0.005)

    sampler = asyncio.ensure_future(sample())
    result: list[int] = []
    try:
        yield result
    finally:
        stop.set()
        await sampler
        result.append(max(peak, _rss_bytes()) - before)


async def _stream(request: web.Request, chunks: AsyncIterator[bytes], **headers: str) -> Any:
    response = web.StreamResponse(headers={"Content-Type": "application/json", **headers})
    await response.prepare(request)
    with contextlib.suppress(ConnectionError, RuntimeError):
        async for chunk in chunks:
            await response.write(chunk)
    return response


async def _zeros(total: int | None, size: int = MB) -> AsyncIterator[bytes]:
    """``total`` bytes of a JSON-looking body (None: forever)."""
    yield b'{"items": ["'
    sent = 0
    block = b"0" * size
    while total is None or sent < total:
        yield block
        sent += size


@functools.cache
def _bomb_blocks() -> tuple[bytes, bytes]:
    """The start of a gzip stream of zeros, and a block that can follow it again and again.

    Each block ends on a sync flush and refers only to earlier zeros, so the
    same compressed bytes repeated inflate to 64 MB of zeros every time.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"0" * (64 * MB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    again = compressor.compress(zeros) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return first, again


async def _gzip_bomb() -> AsyncIterator[bytes]:
    """A gzip stream that inflates to 10 GB from well under 10 MB on the wire."""
    first, again = _bomb_blocks()
    yield first
    for _ in range(160):
        yield again


BODIES: dict[str, Callable[[web.Request], Awaitable[Any]]] = {
    "1 GB with its length": lambda request: _stream(
        request, _zeros(1024 * MB), **{"Content-Length": str(1024 * MB + 12)}
    ),
    "1 GB chunked": lambda request: _stream(request, _zeros(1024 * MB)),
    "gzip bomb": lambda request: _stream(request, _gzip_bomb(), **{"Content-Encoding": "gzip"}),
    "endless": lambda request: _stream(request, _zeros(None)),
}


@pytest.mark.parametrize("body", sorted(BODIES))
async def test_a_huge_body_fails_fast_without_growing_memory(body: str) -> None:
    """1 GB, a gzip bomb, an endless body: ResponseTooLarge within seconds, RSS +< 50 MB."""

    async def handler(request: web.Request, server: Loopback) -> Any:
        return await BODIES[body](request)

    async with (
        serve(handler) as server,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, max_retries=0) as client,
        peak_rss_growth() as growth,
    ):
        started = time.monotonic()
        with pytest.raises(ResponseTooLarge) as caught:
            await client.numbers.list()
        elapsed = time.monotonic() - started
    assert caught.value.limit == client.config.max_response_bytes
    assert elapsed < 5.0
    assert growth[0] < 50 * MB


async def test_a_huge_answer_to_a_purchase_is_reconciled_not_raised() -> None:
    """A purchase answered with an endless body: the number is looked up, and found bought."""
    bought = False

    async def handler(request: web.Request, server: Loopback) -> Any:
        nonlocal bought
        if request.method == "POST":
            bought = True
            return await _stream(request, _zeros(None))
        if request.path.endswith("/inventory/numbers"):
            return web.json_response({"items": [], "page": 1, "per_page": 100, "total": 0})
        items = [{"e164": E164, "account_id": AUTH_ID}] if bought else []
        return web.json_response({"items": items, "page": 1, "per_page": 100, "total": len(items)})

    async with (
        serve(handler) as server,
        AsyncClient(
            AUTH_ID, AUTH_TOKEN, base_url=server.base_url, max_response_bytes=64 * 1024
        ) as client,
    ):
        number = await client.numbers.purchase(E164)
    assert number.e164 == E164
    assert server.count("POST") == 1


# -- the deadline -----------------------------------------------------------------


def _slow_policy() -> RetryPolicy:
    # Long real sleeps and many retries: without a deadline this takes minutes.
    return RetryPolicy(max_retries=50, backoff_base=0.4, backoff_max=0.4, random=lambda: 1.0)


async def test_the_deadline_bounds_a_call_that_keeps_being_retried() -> None:
    """503 forever with real backoff: ``deadline=2`` ends the call within 10% of 2 s."""

    async def handler(request: web.Request, server: Loopback) -> Any:
        return web.json_response({"error": "busy"}, status=503)

    async with (
        serve(handler) as server,
        AsyncClient(
            AUTH_ID, AUTH_TOKEN, base_url=server.base_url, deadline=2.0, retry_policy=_slow_policy()
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017,PT011  # the last 503, whatever its class
            await client.numbers.list()
        elapsed = time.monotonic() - started
    assert elapsed <= 2.2
    assert server.count() >= 3


async def _trickle(request: web.Request, server: Loopback) -> Any:
    """Headers at once, then one byte every 100 ms, forever."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    with contextlib.suppress(ConnectionError, RuntimeError):
        while not server.stopping.is_set():
            await response.write(b" ")
            await asyncio.sleep(0.1)
    return response


async def test_the_deadline_bounds_a_trickling_answer() -> None:
    """A server trickling its body: the per-attempt timeout is 30 s, the deadline of 2 s wins."""
    async with (
        serve(_trickle) as server,
        AsyncClient(
            AUTH_ID,
            AUTH_TOKEN,
            base_url=server.base_url,
            timeout=30,
            deadline=2.0,
            retry_policy=_slow_policy(),
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            await client.numbers.list()
        elapsed = time.monotonic() - started
    assert 1.8 <= elapsed <= 2.2


async def test_the_deadline_bounds_a_purchase_and_its_checks() -> None:
    """A purchase trickled to, then checks trickled to: unknown within 10% of the deadline."""
    async with (
        serve(_trickle) as server,
        AsyncClient(
            AUTH_ID,
            AUTH_TOKEN,
            base_url=server.base_url,
            timeout=1.0,
            retry_policy=_slow_policy(),
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(PurchaseOutcomeUnknown):
            await client.with_options(deadline=3.0).numbers.purchase(E164)
        elapsed = time.monotonic() - started
    assert elapsed <= 3.3
    assert server.count("POST") == 1


@pytest.mark.parametrize("deadline", [None, 5.0])
async def test_a_retry_after_beyond_what_is_left_ends_the_call_at_once(
    deadline: float | None,
) -> None:
    """``Retry-After: 10^9``: RateLimited at once, not a sleep of the cap on every retry."""

    async def handler(request: web.Request, server: Loopback) -> Any:
        return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "1e9"})

    async with (
        serve(handler) as server,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, deadline=deadline) as client,
    ):
        started = time.monotonic()
        with pytest.raises(RateLimited) as caught:
            await client.numbers.list()
        elapsed = time.monotonic() - started
    assert elapsed < 0.5
    assert caught.value.retry_after == 1e9
    assert server.count() == 1


@pytest.mark.parametrize("deadline", [0.5, 1.5])
async def test_a_retry_after_within_the_deadline_is_waited_for(deadline: float) -> None:
    """``Retry-After: 1`` is honoured when the deadline leaves room for it, refused otherwise."""

    async def handler(request: web.Request, server: Loopback) -> Any:
        if server.count() == 1:
            return web.json_response({}, status=429, headers={"Retry-After": "1"})
        return web.json_response({"items": [], "page": 1, "per_page": 25, "total": 0})

    async with (
        serve(handler) as server,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, deadline=deadline) as client,
    ):
        if deadline < 1:
            with pytest.raises(RateLimited):
                await client.numbers.list()
        else:
            await client.numbers.list()
    assert server.count() == (1 if deadline < 1 else 2)


# -- a caller's session ---------------------------------------------------------------


async def test_a_callers_session_that_raises_for_status_still_gets_typed_errors() -> None:
    """``ClientSession(raise_for_status=True)``: a 404 is NotFound, a purchase 404 is NotFound."""

    async def handler(request: web.Request, server: Loopback) -> Any:
        return web.json_response({"error": "not_found", "message": "no such number"}, status=404)

    async with (
        serve(handler) as server,
        aiohttp.ClientSession(raise_for_status=True) as session,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, session=session) as client,
    ):
        with pytest.raises(NotFound):
            await client.numbers.list()
        with pytest.raises(NotFound) as caught:
            await client.numbers.purchase(E164)
    assert caught.value.status == 404
    assert not isinstance(caught.value, PurchaseOutcomeUnknown)
