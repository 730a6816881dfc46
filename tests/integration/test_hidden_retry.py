"""aiohttp's hidden resend of an idempotent request is off, so a dropped DELETE is seen as such.

A raw loopback server answers a listing on a kept-alive connection, then
reads the next request (a DELETE), acts on it and drops the connection
without answering. aiohttp's hidden retry would resend that DELETE and show
the caller only the second answer, "not owned". The client must instead see
the drop and reconcile it itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from conftest import no_sleep_policy

from phonenumbers_async import AsyncClient, PermissionDenied

from .fake_api import MASTER, TOKEN

E164 = "+919876543210"
DROP = None  # an answer that closes the connection instead of responding
Answer = tuple[int, Any] | None


class RawServer:
    """Answers requests in arrival order from a script, recording each request line."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                length = next(
                    (
                        int(line.split(":")[1])
                        for line in lines
                        if line.lower().startswith("content-length")
                    ),
                    0,
                )
                if length:
                    await reader.readexactly(length)
                self.requests.append(lines[0])
                answer = self.answers.pop(0)
                if answer is DROP:
                    return
                status, payload = answer
                body = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def raw_server(server: RawServer) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    host, port = listener.sockets[0].getsockname()[:2]
    try:
        yield f"http://{host}:{port}/api"
    finally:
        listener.close()
        await listener.wait_closed()


LISTING = (200, {"items": [], "page": 1, "per_page": 25, "total": 0})
FORBIDDEN = (403, {"error": "forbidden", "message": "account does not own this number"})
NOT_OWNED = (200, {"items": [], "page": 1, "per_page": 100, "total": 0})
IN_INVENTORY = (200, {"items": [{"e164": E164}], "page": 1, "per_page": 100, "total": 1})
OWNED = (
    200,
    {"items": [{"e164": E164, "status": "active"}], "page": 1, "per_page": 100, "total": 1},
)


async def _release_after_a_listing(
    server: RawServer, make_client: Callable[[str], AsyncClient]
) -> None:
    async with raw_server(server) as url, make_client(url) as client:
        await client.numbers.list()  # leaves a kept-alive connection in the pool
        await client.numbers.release(E164)


async def test_a_dropped_delete_is_looked_up_not_silently_resent() -> None:
    """With retries off, the DELETE goes out once, and a lookup of the number settles it."""
    server = RawServer(LISTING, DROP, NOT_OWNED, IN_INVENTORY)

    await _release_after_a_listing(
        server, lambda url: AsyncClient(MASTER, TOKEN, base_url=url, max_retries=0)
    )

    assert [line.split()[0] for line in server.requests] == ["GET", "DELETE", "GET", "GET"]
    assert "/numbers?search=%2B919876543210" in server.requests[2]


async def test_the_control_with_aiohttps_retry_on_hides_the_success() -> None:
    """Control: with the switch forced back on, aiohttp resends and shows only "not owned"."""
    server = RawServer(LISTING, DROP, FORBIDDEN)

    async with aiohttp.ClientSession() as session:

        def make_client(url: str) -> AsyncClient:
            client = AsyncClient(MASTER, TOKEN, base_url=url, max_retries=0, session=session)
            session._retry_connection = True  # undo what the client did
            return client

        with pytest.raises(PermissionDenied):
            await _release_after_a_listing(server, make_client)

    assert [line.split()[0] for line in server.requests] == ["GET", "DELETE", "DELETE"]


async def test_a_dropped_delete_still_owned_is_resent_after_the_lookup() -> None:
    """Dropped before it was done: the lookup shows it still owned, so it is resent, and works."""
    server = RawServer(LISTING, DROP, OWNED, (200, {"message": "number returned to inventory"}))
    policy, delays = no_sleep_policy()

    await _release_after_a_listing(
        server, lambda url: AsyncClient(MASTER, TOKEN, base_url=url, retry_policy=policy)
    )

    assert [line.split()[0] for line in server.requests] == ["GET", "DELETE", "GET", "DELETE"]
    assert server.requests[1] == (
        f"DELETE /api/v1/account/{MASTER}/numbers/%2B919876543210 HTTP/1.1"
    )
    assert len(delays) == 1
