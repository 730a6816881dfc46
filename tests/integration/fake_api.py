"""A small stand-in for the Phone Numbers API on a real loopback socket.

It serves generated listings (numbers per account, sub-accounts) and records
every request, so tests can check what reached the server. ``total_for``
makes the page envelope's ``total`` honest, missing or wrong; ``gate`` lets a
test hold chosen requests open; ``failing`` accounts answer 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MASTER = "MA_MASTER"
TOKEN = "loopback-token-1234"


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query_string: str
    account: str
    page: int
    per_page: int
    headers: dict[str, str]


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
    """The server's state and its record of requests."""

    numbers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    subaccounts: list[str] = field(default_factory=list)
    total_for: Callable[[int], int | None] = lambda actual: actual
    failing: set[str] = field(default_factory=set)
    gate: Callable[[Seen], Awaitable[None]] | None = None
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    cancelled: list[Seen] = field(default_factory=list)
    # Set at shutdown so no gated handler outlives its test.
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _cancel_seen: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_cancelled(self, count: int) -> None:
        """Wait until ``count`` handlers were cancelled by their client going away."""
        while len(self.cancelled) < count:
            self._cancel_seen.clear()
            await self._cancel_seen.wait()

    def pages_seen(self, account: str = MASTER) -> list[int]:
        return [s.page for s in self.seen if s.account == account and "numbers" in s.path]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/account/{account}/numbers", self._numbers)
        app.router.add_get("/api/v1/accounts/{account}/sub-accounts/", self._subaccounts)
        return app

    async def _enter(self, request: web.Request, size_name: str) -> Seen:
        seen = Seen(
            request.method,
            request.raw_path.split("?")[0],
            request.query_string,
            request.match_info["account"],
            int(request.query.get("page", "1")),
            int(request.query.get(size_name, "25")),
            dict(request.headers),
        )
        self.seen.append(seen)
        if (
            request.headers.get("X-Auth-ID") != MASTER
            or request.headers.get("X-Auth-Token") != TOKEN
        ):
            raise web.HTTPUnauthorized(
                text='{"error": "unauthorized"}', content_type="application/json"
            )
        return seen

    async def _numbers(self, request: web.Request) -> web.Response:
        seen = await self._enter(request, "per_page")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate(seen)
            if seen.account in self.failing:
                return web.json_response({"error": "internal", "message": "boom"}, status=500)
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
            return web.json_response(body)
        except asyncio.CancelledError:
            self.cancelled.append(seen)
            self._cancel_seen.set()
            raise
        finally:
            self.in_flight -= 1

    async def _subaccounts(self, request: web.Request) -> web.Response:
        seen = await self._enter(request, "size")
        start = (seen.page - 1) * seen.per_page
        chosen = self.subaccounts[start : start + seen.per_page]
        return web.json_response(
            {
                "sub_accounts": [
                    {"auth_id": sub, "id": str(500000 + i), "parent_auth_id": MASTER}
                    for i, sub in enumerate(chosen)
                ],
                "total": len(self.subaccounts),
                "page": seen.page,
                "size": seen.per_page,
            }
        )


def bound_socket() -> socket.socket:
    """A listening-ready socket on 127.0.0.1 with a free port, for a URL known in advance."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def serve(api: FakeAPI, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """Run ``api`` on 127.0.0.1 (a free port, or ``sock``); yields the base URL (``…/api``)."""
    # handler_cancellation: a handler is cancelled when its client goes away,
    # which is how a test sees that the SDK really cancelled a request.
    runner = web.AppRunner(api.app(), handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site: web.BaseSite = (
            web.TCPSite(runner, "127.0.0.1", 0) if sock is None else web.SockSite(runner, sock)
        )
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}/api"
    finally:
        api.release.set()
        await runner.cleanup()
