"""The retry policy against real sockets: loopback servers written here answer with faults."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web
from support.server import (
    EMPTY_PAGE,
    Answer,
    Handler,
    Loopback,
    answer,
    closed_port,
    drop,
    scripted,
    serve,
)
from support.wire import AUTH_ID, AUTH_TOKEN, no_sleep_policy

from phonenumbers_async import AsyncClient
from phonenumbers_async._sansio import Request, path
from phonenumbers_async.errors import (
    APIError,
    AuthenticationFailed,
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    Unprocessable,
)

E164 = "+919876543210"


def make_client(base_url: str, **options: Any) -> AsyncClient:
    return AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=base_url, **options)


@contextlib.asynccontextmanager
async def running(handler: Handler, **options: Any) -> AsyncIterator[tuple[Loopback, AsyncClient]]:
    """A loopback server running ``handler`` and a client of it with ``options``."""
    async with serve(handler) as server, make_client(server.base_url, **options) as client:
        yield server, client


def ok_page(request: web.Request) -> web.Response:
    return answer(200, EMPTY_PAGE)


def status(code: int, **headers: str) -> Answer:
    return lambda request: answer(code, {"error": "x", "message": f"status {code}"}, **headers)


async def test_503_then_200_succeeds_on_the_second_attempt() -> None:
    """A 503 is resent; the 200 that follows is the result, after two attempts."""
    policy, delays = no_sleep_policy()
    async with running(scripted(status(503), ok_page), retry_policy=policy) as (server, client):
        result = await client._sender.send(
            Request("GET", path("v1", "account", AUTH_ID, "numbers"))
        )
        page = await client.numbers.list()
    assert result.response is not None
    assert result.response.status == 200
    assert result.attempts == 2
    assert page.items == ()
    assert server.count("GET") == 3  # 503 + 200, then the listing's 200
    assert len(delays) == 1


async def test_429_with_retry_after_one_second_waits_about_a_second() -> None:
    """``429`` with ``Retry-After: 1`` makes the client wait about one second (real sleep)."""
    async with running(scripted(status(429, **{"Retry-After": "1"}), ok_page)) as (server, client):
        await client.numbers.list()
    assert server.count() == 2
    waited = server.seen[1].at - server.seen[0].at
    assert 0.9 <= waited <= 3.0


@pytest.mark.parametrize("code", [429, 503])
async def test_http_date_retry_after_is_honoured(code: int) -> None:
    """``Retry-After`` as an HTTP date three seconds ahead makes the client wait about that long."""
    policy, delays = no_sleep_policy()

    def later(request: web.Request) -> web.StreamResponse:
        when = datetime.now(UTC) + timedelta(seconds=3)
        return status(code, **{"Retry-After": format_datetime(when, usegmt=True)})(request)

    async with running(scripted(later, ok_page), retry_policy=policy) as (server, client):
        await client.numbers.list()
    assert server.count() == 2
    # The date has whole seconds, so the wait is between 2 and 3 seconds.
    assert len(delays) == 1
    assert 1.5 <= delays[0] <= 3.0


async def test_http_date_retry_after_beyond_retry_after_max_is_not_waited_for() -> None:
    """A ``Retry-After`` date an hour ahead (beyond ``retry_after_max``) ends the call at once."""
    policy, delays = no_sleep_policy(retry_after_max=5.0)
    far = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    async with running(
        scripted(status(503, **{"Retry-After": far}), ok_page), retry_policy=policy
    ) as (server, client):
        with pytest.raises(ServerError):
            await client.numbers.list()
    assert delays == []
    assert server.count() == 1


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        (status(503), ServerError),
        (status(502), ServerError),
        (status(504), ServerError),
        (status(429, **{"Retry-After": "0"}), RateLimited),
        (drop, TransportError),
    ],
    ids=["503", "502", "504", "429", "dropped"],
)
async def test_exhausted_retries_raise_the_typed_error_with_the_attempt_count(
    fault: Any, error_class: type[Exception]
) -> None:
    """After ``max_retries`` resends the last failure is raised as its own class, attempts=3."""
    policy, delays = no_sleep_policy()
    async with running(scripted(fault), retry_policy=policy, max_retries=2) as (server, client):
        with pytest.raises(error_class) as caught:
            await client.numbers.list()
    assert type(caught.value) is error_class
    assert caught.value.attempts == 3  # type: ignore[attr-defined]
    assert server.count("GET") == 3
    assert len(delays) == 2


@pytest.mark.parametrize("fault", [status(503), drop], ids=["503", "dropped"])
async def test_max_retries_zero_sends_exactly_once(fault: Any) -> None:
    """``max_retries=0``: one request reaches the server, none is resent (aiohttp's included)."""
    policy, delays = no_sleep_policy()
    async with running(scripted(fault), retry_policy=policy, max_retries=0) as (server, client):
        with pytest.raises((ServerError, TransportError)) as caught:
            await client.numbers.list()
    # Both error types carry ``attempts``; pytest.raises types the value as their base.
    assert caught.value.attempts == 1  # type: ignore[attr-defined]
    assert server.count() == 1
    assert delays == []


NOT_RETRIED = [
    (400, BadRequest),
    (401, AuthenticationFailed),
    (403, PermissionDenied),
    (404, NotFound),
    (409, Conflict),
    (422, Unprocessable),
]


@pytest.mark.parametrize(("code", "error_class"), NOT_RETRIED)
@pytest.mark.parametrize("operation", ["list", "release"])
async def test_client_errors_are_never_retried(
    code: int, error_class: type[APIError], operation: str
) -> None:
    """A 4xx other than 429 is raised after one request: the server counts exactly one."""
    policy, delays = no_sleep_policy()
    async with running(scripted(status(code)), retry_policy=policy) as (server, client):
        call = client.numbers.list() if operation == "list" else client.numbers.release(E164)
        with pytest.raises(error_class) as caught:
            await call
    assert caught.value.status == code
    assert caught.value.attempts == 1
    assert server.count() == 1
    assert delays == []


async def _never_answer(request: web.Request, server: Loopback) -> web.StreamResponse:
    await server.stopping.wait()
    return answer(200, EMPTY_PAGE)


async def test_a_server_that_never_answers_ends_in_request_timeout_within_the_bound() -> None:
    """``timeout=0.5`` against a silent server: RequestTimeout after about half a second."""
    async with running(_never_answer, timeout=0.5, max_retries=0) as (server, client):
        started = time.monotonic()
        with pytest.raises(RequestTimeout) as caught:
            await client.numbers.list()
        elapsed = time.monotonic() - started
    assert 0.45 <= elapsed <= 2.0
    assert caught.value.maybe_sent is True
    assert caught.value.attempts == 1
    assert server.count() == 1


async def test_timeouts_are_retried_and_the_whole_call_stays_bounded() -> None:
    """Each of 1 + 2 attempts times out at 0.5 s; the call ends in RequestTimeout, attempts=3."""
    policy, delays = no_sleep_policy()
    async with (
        serve(_never_answer) as server,
        make_client(server.base_url, timeout=0.5, max_retries=2, retry_policy=policy) as client,
    ):
        started = time.monotonic()
        with pytest.raises(RequestTimeout) as caught:
            await client.numbers.list()
        elapsed = time.monotonic() - started
    assert caught.value.attempts == 3
    assert server.count() == 3
    assert len(delays) == 2
    assert elapsed <= 3 * 0.5 + 2.0


async def test_per_call_timeout_via_with_options() -> None:
    """``with_options(timeout=…)`` changes the bound for the calls made through the copy only."""

    async def slow(request: web.Request, server: Loopback) -> web.StreamResponse:
        await asyncio.sleep(0.6)
        return answer(200, EMPTY_PAGE)

    async with running(slow, timeout=0.3, max_retries=0) as (server, client):
        with pytest.raises(RequestTimeout):
            await client.numbers.list()
        patient = client.with_options(timeout=5.0)
        assert (await patient.numbers.list()).items == ()
        impatient = make_client(server.base_url, timeout=30.0, max_retries=0)
        async with impatient:
            started = time.monotonic()
            with pytest.raises(RequestTimeout):
                await impatient.with_options(timeout=0.3).numbers.list()
            assert time.monotonic() - started <= 2.0
        assert client.config.timeout == 0.3
        assert patient.config.timeout == 5.0


async def test_connection_refused_is_retried_and_ends_not_sent() -> None:
    """A closed port: every attempt is refused, resent, and the error says nothing was sent."""
    policy, delays = no_sleep_policy()
    base_url = f"http://127.0.0.1:{closed_port()}/api"
    async with make_client(base_url, retry_policy=policy, max_retries=3) as client:
        with pytest.raises(TransportError) as caught:
            await client.numbers.list()
        with pytest.raises(TransportError) as purchase:
            await client.numbers.purchase(E164)
    assert type(caught.value) is TransportError
    assert caught.value.maybe_sent is False
    assert caught.value.attempts == 4
    # A purchase that surely never left is resent too, and stays a plain TransportError.
    assert type(purchase.value) is TransportError
    assert purchase.value.maybe_sent is False
    assert purchase.value.attempts == 4
    assert len(delays) == 6


class Ladder:
    """``random()`` returning scripted values, to pin the jitter."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


async def test_backoff_grows_exponentially_and_is_capped() -> None:
    """With the jitter at its top, the delays double from ``backoff_base`` up to ``backoff_max``."""
    policy, delays = no_sleep_policy(
        max_retries=7, backoff_base=0.1, backoff_max=1.0, random=Ladder(0.999)
    )
    async with running(scripted(status(503)), retry_policy=policy) as (server, client):
        with pytest.raises(ServerError):
            await client.numbers.list()
    caps = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    assert delays == pytest.approx([0.999 * cap for cap in caps])
    assert server.count() == 8


async def test_backoff_delays_stay_within_the_full_jitter_bounds() -> None:
    """Seeded jitter: every delay lies in ``[0, min(max, base * 2**(n-1)))`` and they spread."""
    rng = random.Random(1234)
    policy, delays = no_sleep_policy(
        max_retries=10, backoff_base=0.05, backoff_max=0.8, random=rng.random
    )
    async with running(scripted(status(502)), retry_policy=policy) as (server, client):
        for _ in range(8):
            with pytest.raises(ServerError):
                await client.numbers.list()
    assert len(delays) == 80
    assert server.count() == 88
    for index, delay in enumerate(delays):
        attempt = index % 10 + 1
        cap = min(0.8, 0.05 * 2 ** (attempt - 1))
        assert 0.0 <= delay < cap
    # Full jitter, not "cap plus a little": late delays land anywhere from near 0 to near the cap.
    capped = [d for i, d in enumerate(delays) if i % 10 + 1 >= 5]
    assert min(capped) < 0.2 < 0.6 < max(capped)


async def test_debug_log_has_one_line_per_attempt_and_never_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each attempt logs method, path, status, attempt number and elapsed time; the token never."""
    caplog.set_level(logging.DEBUG, logger="phonenumbers_async")
    policy, _ = no_sleep_policy()
    handler = scripted(status(503), status(502), ok_page)
    async with running(handler, retry_policy=policy) as (_, client):
        await client.numbers.list()
    refused = make_client(f"http://127.0.0.1:{closed_port()}/api", retry_policy=policy)
    async with refused:
        with pytest.raises(TransportError):
            await refused.with_options(max_retries=1).numbers.list()

    records = [r for r in caplog.records if r.name == "phonenumbers_async"]
    lines = [r.getMessage() for r in records]
    assert len(lines) == 5
    outcomes = ["503", "502", "200", "TransportError", "TransportError"]
    for line, outcome, attempt in zip(lines, outcomes, [1, 2, 3, 1, 2], strict=True):
        assert line.startswith(f"GET /v1/account/{AUTH_ID}/numbers -> {outcome} ")
        assert f"attempt={attempt} " in line
        assert re.search(r"elapsed=\d+\.\d+s$", line)
    assert all(r.levelno == logging.DEBUG for r in records)
    assert AUTH_TOKEN not in caplog.text
