"""Helpers for the resilience tests: loopback servers, recording sleeps, hooked transports."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from phonenumbers_async import RetryPolicy
from phonenumbers_async._sansio import Response
from phonenumbers_async._transport import HTTPRequest, Transport
from phonenumbers_async.errors import TransportError

EMPTY_PAGE = {"items": [], "page": 1, "per_page": 25, "total": 0}


@dataclass
class Seen:
    """One request as a loopback server received it."""

    method: str
    path: str
    at: float


@dataclass
class Loopback:
    """A running loopback server: its base URL and what it received."""

    root: str
    seen: list[Seen] = field(default_factory=list)
    # Set when the server stops, so handlers that "never answer" can end.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def base_url(self) -> str:
        return self.root + "/api"

    def count(self, method: str | None = None) -> int:
        return sum(1 for seen in self.seen if method is None or seen.method == method)


Handler = Callable[[web.Request, Loopback], Awaitable[web.StreamResponse]]
Answer = Callable[[web.Request], web.StreamResponse]


@contextlib.asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[Loopback]:
    """Run ``handler`` for every request on 127.0.0.1 (a free port), recording each request."""
    server = Loopback(root="")

    async def catch_all(request: web.Request) -> web.StreamResponse:
        server.seen.append(Seen(request.method, request.path, time.monotonic()))
        return await handler(request, server)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", catch_all)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server.root = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield server
    finally:
        server.stopping.set()
        await runner.cleanup()


def answer(status: int, payload: Any = None, **headers: str) -> web.Response:
    """A JSON answer (an empty body when ``payload`` is None)."""
    if payload is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status, text=json.dumps(payload), content_type="application/json", headers=headers
    )


def drop(request: web.Request) -> web.Response:
    """Close the connection without answering (the returned response is never sent)."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


def scripted(*answers: Answer) -> Handler:
    """A handler giving the answers in order, repeating the last one forever."""
    queue = list(answers)

    async def handler(request: web.Request, server: Loopback) -> web.StreamResponse:
        make = queue.pop(0) if len(queue) > 1 else queue[0]
        return make(request)

    return handler


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def recording_policy(**overrides: Any) -> tuple[RetryPolicy, list[float]]:
    """A retry policy whose sleep records the delay and returns at once, and that record."""
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(0)

    return RetryPolicy(sleep=sleep, **overrides), delays


def fast_policy(max_retries: int = 8) -> RetryPolicy:
    """Real but short sleeps, for jobs against the emulator."""
    return RetryPolicy(max_retries=max_retries, backoff_base=0.01, backoff_max=0.05)


Hook = Callable[[str, "Response | TransportError"], Awaitable[None]]


class HookedTransport:
    """A transport that runs ``after(method, outcome)`` after each send of the one it wraps.

    A test uses the hook to change the emulator's faults at an exact point of
    a call; ``sent`` lists the methods sent, in order.
    """

    def __init__(self, inner: Transport, *, after: Hook) -> None:
        self.inner = inner
        self.after = after
        self.sent: list[str] = []

    async def send(self, request: HTTPRequest) -> Response:
        method = request.method
        self.sent.append(method)
        try:
            response = await self.inner.send(request)
        except TransportError as exc:
            await self.after(method, exc)
            raise
        await self.after(method, response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def wait_for(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``condition`` until it holds (fails the test after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


class Proxy:
    """A loopback proxy in front of the emulator that can hold back requests or their answers.

    ``plan(method, n)`` gives, for the ``n``-th request of ``method``, the
    seconds to hold it before forwarding and the seconds to hold the answer
    after; ``gate(method, n)`` may await anything before forwarding;
    ``replace(method, n)`` may give an answer to send instead of forwarding
    at all (a failing gateway). Once started, a forward always happens, even
    when the client has given up meanwhile, as in a slow network: the server
    does the work, the answer is lost.
    """

    def __init__(
        self,
        upstream: str,
        *,
        plan: Callable[[str, int], tuple[float, float]] | None = None,
        gate: Callable[[str, int], Awaitable[None]] | None = None,
        replace: Callable[[str, int], web.Response | None] | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.replace = replace
        self.plan = plan or (lambda method, n: (0.0, 0.0))
        self.gate = gate
        self.counts: dict[str, int] = {}
        self.forwarded: list[tuple[str, int, int]] = []  # method, n, upstream status
        self._session: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request, server: Loopback) -> web.StreamResponse:
        method = request.method
        self.counts[method] = n = self.counts.get(method, 0) + 1
        body = await request.read()
        instead = self.replace(method, n) if self.replace is not None else None
        if instead is not None:
            return instead
        hold_request, hold_answer = self.plan(method, n)
        if hold_request:
            await _pause(hold_request, server)
        if self.gate is not None:
            await self.gate(method, n)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("x-auth-id", "x-auth-token", "content-type", "accept")
        }
        async with self._session.request(
            method,
            URL(self.upstream + request.raw_path, encoded=True),
            headers=headers,
            data=body or None,
        ) as reply:
            payload = await reply.read()
            status, content_type = reply.status, reply.headers.get("Content-Type")
        self.forwarded.append((method, n, status))
        if hold_answer:
            await _pause(hold_answer, server)
        out_headers = {"Content-Type": content_type} if content_type else {}
        return web.Response(status=status, body=payload, headers=out_headers)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _pause(seconds: float, server: Loopback) -> None:
    """Sleep, but no longer than the server runs."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.stopping.wait(), seconds)


@contextlib.asynccontextmanager
async def proxied(proxy: Proxy) -> AsyncIterator[Loopback]:
    """``proxy`` running on loopback (closed afterwards)."""
    try:
        async with serve(proxy.handle) as server:
            yield server
    finally:
        await proxy.aclose()
