"""The one scriptable loopback stub server, and what runs on it.

``serve(handler)`` runs ``handler(request, server)`` for every request on
127.0.0.1 (a free port, or a socket bound in advance) and records each
request as a ``Seen``. Handlers here: ``scripted`` (canned answers in order),
``FakeAPI`` (generated listings with gates and counters), ``Proxy`` (the
emulator behind a proxy that holds requests or answers back). The emulator
itself (``phonenumbers_async.emulator``) is the stateful server; this one is
for answers the emulator would never give.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

EMPTY_PAGE = {"items": [], "page": 1, "per_page": 25, "total": 0}

_ACCOUNT = re.compile(r"/accounts?/([^/]+)")


@dataclass(frozen=True)
class Seen:
    """One request as a loopback server received it."""

    method: str
    #: The raw (still percent-encoded) path, without the query.
    path: str
    query_string: str
    headers: Mapping[str, str]
    at: float

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.query_string))

    @property
    def account(self) -> str:
        """The account in the path (``…/account/{id}/…`` or ``…/accounts/{id}/…``)."""
        found = _ACCOUNT.search(self.path)
        return found.group(1) if found else ""

    @property
    def page(self) -> int:
        return int(self.query.get("page", "1"))

    @property
    def per_page(self) -> int:
        """The page size asked for (``per_page``, or ``size`` for sub-accounts)."""
        query = self.query
        return int(query.get("per_page", query.get("size", "25")))


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
async def serve(
    handler: Handler, *, sock: socket.socket | None = None, cancel_on_disconnect: bool = False
) -> AsyncIterator[Loopback]:
    """Run ``handler`` for every request on 127.0.0.1, recording each request.

    ``sock``: a socket bound in advance (``bound_socket``), for a URL known
    before the server runs. ``cancel_on_disconnect``: cancel a handler whose
    client went away, which is how a test sees that the SDK really cancelled a
    request; off, a handler runs to its end as a real server's work does.
    """
    server = Loopback(root="")

    async def catch_all(request: web.Request) -> web.StreamResponse:
        path, _, query = request.raw_path.partition("?")
        record = Seen(request.method, path, query, dict(request.headers), time.monotonic())
        server.seen.append(record)
        return await handler(request, server)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", catch_all)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=1.0,
        handler_cancellation=cancel_on_disconnect,
    )
    await runner.setup()
    try:
        site: web.BaseSite = (
            web.TCPSite(runner, "127.0.0.1", 0) if sock is None else web.SockSite(runner, sock)
        )
        await site.start()
        host, port = runner.addresses[0][:2]
        server.root = f"http://{host}:{port}"
        yield server
    finally:
        server.stopping.set()
        await runner.cleanup()


def bound_socket() -> socket.socket:
    """A socket on 127.0.0.1 with a free port, for a URL known before the server runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- canned answers --------------------------------------------------------------


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


async def wait_for(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``condition`` until it holds (fails the test after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


# -- a listing API with gates and counters ----------------------------------------

MASTER = "MA_MASTER"
TOKEN = "loopback-token-1234"

_NUMBERS = re.compile(r"/api/v1/account/([^/]+)/numbers")
_SUBACCOUNTS = re.compile(r"/api/v1/accounts/([^/]+)/sub-accounts/")


def make_numbers(
    account: str, count: int, *, index: int = 0, owner: bool = True
) -> list[dict[str, Any]]:
    """``count`` numbers of ``account``, unique across accounts through ``index``."""
    return [
        {
            "id": f"{account}-{i}",
            **({"account_id": account} if owner else {}),
            "e164": f"+9180{index:02d}{i:06d}",
            "country": "IN",
            "status": "active",
            "setup_fee": 100,
            "monthly_fee": 1.5,
            "currency": "INR",
            "created_at": "2026-03-25T06:58:38.796024Z",
        }
        for i in range(count)
    ]


@dataclass
class FakeAPI:
    """Generated listings (numbers per account, sub-accounts) for ``serve(api.handle)``.

    ``total_for`` makes the page envelope's ``total`` honest, missing or wrong;
    ``gate`` lets a test hold chosen requests open; ``failing`` accounts answer
    500. Only ``MASTER`` with ``TOKEN`` is let in.
    """

    numbers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    subaccounts: list[str] = field(default_factory=list)
    total_for: Callable[[int], int | None] = lambda actual: actual
    failing: set[str] = field(default_factory=set)
    gate: Callable[[Seen], Awaitable[None]] | None = None
    in_flight: int = 0
    max_in_flight: int = 0
    cancelled: list[Seen] = field(default_factory=list)
    server: Loopback | None = None
    _cancel_seen: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def seen(self) -> list[Seen]:
        return [] if self.server is None else self.server.seen

    @property
    def release(self) -> asyncio.Event:
        """Set at shutdown, so that no gated handler outlives its test."""
        assert self.server is not None, "the API is not served yet"
        return self.server.stopping

    async def wait_cancelled(self, count: int) -> None:
        """Wait until ``count`` handlers were cancelled by their client going away."""
        while len(self.cancelled) < count:
            self._cancel_seen.clear()
            await self._cancel_seen.wait()

    def pages_seen(self, account: str = MASTER) -> list[int]:
        return [s.page for s in self.seen if s.account == account and "numbers" in s.path]

    async def handle(self, request: web.Request, server: Loopback) -> web.StreamResponse:
        self.server = server
        seen = server.seen[-1]  # serve() records this request just before calling us
        if request.method == "GET" and _NUMBERS.fullmatch(seen.path):
            return await self._numbers(request, seen)
        if request.method == "GET" and _SUBACCOUNTS.fullmatch(seen.path):
            return self._subaccounts(request, seen)
        return answer(404, {"error": "not_found", "message": "no such route"})

    @staticmethod
    def _authorized(request: web.Request) -> bool:
        headers = request.headers
        return headers.get("X-Auth-ID") == MASTER and headers.get("X-Auth-Token") == TOKEN

    async def _numbers(self, request: web.Request, seen: Seen) -> web.StreamResponse:
        if not self._authorized(request):
            return answer(401, {"error": "unauthorized"})
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate(seen)
            if seen.account in self.failing:
                return answer(500, {"error": "internal", "message": "boom"})
            items = self.numbers.get(seen.account, [])
            start = (seen.page - 1) * seen.per_page
            body: dict[str, Any] = {
                "items": items[start : start + seen.per_page],
                "page": seen.page,
                "per_page": seen.per_page,
            }
            total = self.total_for(len(items))
            if total is not None:
                body["total"] = total
            return answer(200, body)
        except asyncio.CancelledError:
            self.cancelled.append(seen)
            self._cancel_seen.set()
            raise
        finally:
            self.in_flight -= 1

    def _subaccounts(self, request: web.Request, seen: Seen) -> web.StreamResponse:
        if not self._authorized(request):
            return answer(401, {"error": "unauthorized"})
        start = (seen.page - 1) * seen.per_page
        chosen = self.subaccounts[start : start + seen.per_page]
        return answer(
            200,
            {
                "sub_accounts": [
                    {"auth_id": sub, "id": str(500000 + i), "parent_auth_id": MASTER}
                    for i, sub in enumerate(chosen)
                ],
                "total": len(self.subaccounts),
                "page": seen.page,
                "size": seen.per_page,
            },
        )


@contextlib.asynccontextmanager
async def serve_api(api: FakeAPI, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """``api`` on loopback, cancelling handlers whose client left; yields the base URL."""
    async with serve(api.handle, sock=sock, cancel_on_disconnect=True) as server:
        api.server = server
        yield server.base_url


# -- a proxy in front of the emulator ---------------------------------------------


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
