"""Header read timeout and the bound on half-open connections (slowloris)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from phonenumbers_async.emulator import EmulatorInfo, run_emulator

HEADER_TIMEOUT = 1.0
SLOW_CLIENTS = 200


async def _closed_after(
    reader: asyncio.StreamReader, limit: float, started: float | None = None
) -> float | None:
    """Seconds from ``started`` (default: now) until the server closes the connection
    (None: still open ``limit`` seconds from now)."""
    started = time.monotonic() if started is None else started
    try:
        data = await asyncio.wait_for(reader.read(1024), timeout=limit)
    except TimeoutError:
        return None
    except ConnectionResetError:
        return time.monotonic() - started
    assert data == b"", data  # no answer to half a request: only the close
    return time.monotonic() - started


async def _slow_client(info: EmulatorInfo) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that sends half a request line and then nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", info.port)
    writer.write(b"GET /api/v1/account/" + info.auth_id.encode() + b"/numbers HTTP/1.1\r\nHost: x")
    await writer.drain()
    return reader, writer


async def _served(info: EmulatorInfo) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{info.base_url}/v1/account/{info.auth_id}/numbers",
            headers={"X-Auth-ID": info.auth_id, "X-Auth-Token": info.auth_token},
            timeout=aiohttp.ClientTimeout(total=5),
        ) as response,
    ):
        await response.read()
        return response.status


@pytest.fixture
async def guarded() -> AsyncIterator[EmulatorInfo]:
    """An emulator with a 1 s header timeout and room for 256 half-open connections."""
    async with run_emulator(seed_inventory=5, header_timeout=HEADER_TIMEOUT) as info:
        yield info


async def _close_all(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()
    for writer in writers:
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_partial_headers_are_closed_within_the_timeout(guarded: EmulatorInfo) -> None:
    """200 connections sending half a request line are all closed after about 1 s, while a
    normal client is served at once in the meantime."""
    # Each connection's time is counted from its own start: opening 200 of them can
    # take a good part of the timeout on a loaded machine.
    clients, opened = [], []
    for _ in range(SLOW_CLIENTS):
        opened.append(time.monotonic())
        clients.append(await _slow_client(guarded))
    started = time.monotonic()
    waits = [
        asyncio.create_task(_closed_after(reader, 10 * HEADER_TIMEOUT, since))
        for (reader, _), since in zip(clients, opened, strict=True)
    ]
    assert await _served(guarded) == 200
    served_after = time.monotonic() - started
    closed = await asyncio.gather(*waits)
    await _close_all([writer for _, writer in clients])
    assert served_after < HEADER_TIMEOUT
    assert all(seconds is not None for seconds in closed)
    assert max(s for s in closed if s is not None) < HEADER_TIMEOUT + 3
    assert min(s for s in closed if s is not None) > HEADER_TIMEOUT / 2


async def test_half_open_connections_are_bounded() -> None:
    """With room for 50, 200 half-open connections: the 150 oldest are closed at once, and a
    normal client is still served."""
    async with run_emulator(seed_inventory=1, header_timeout=30.0, max_half_open=50) as info:
        clients = [await _slow_client(info) for _ in range(SLOW_CLIENTS)]
        results = await asyncio.gather(*(_closed_after(r, 1.0) for r, _ in clients))
        assert await _served(info) == 200
        await _close_all([writer for _, writer in clients])
    closed_now = sum(1 for seconds in results if seconds is not None)
    assert closed_now == SLOW_CLIENTS - 50
    assert all(seconds is not None for seconds in results[: SLOW_CLIENTS - 50])


async def test_a_slow_but_complete_request_and_an_idle_keep_alive_are_served(
    guarded: EmulatorInfo,
) -> None:
    """Headers that arrive in pieces within the timeout are served; a kept-alive connection
    that idles longer than the header timeout between requests is not closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded.port)
    head = (
        f"GET /api/v1/account/{guarded.auth_id}/numbers HTTP/1.1\r\nHost: x\r\n"
        f"X-Auth-ID: {guarded.auth_id}\r\nX-Auth-Token: {guarded.auth_token}\r\n\r\n"
    ).encode()
    try:
        for piece in (head[:20], head[20:60], head[60:]):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(HEADER_TIMEOUT / 4)
        first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert first.startswith(b"HTTP/1.1 200")
        length = int(first.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        await asyncio.sleep(HEADER_TIMEOUT * 1.5)
        writer.write(head)
        await writer.drain()
        second = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert second.startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
        await writer.wait_closed()


async def test_a_body_that_does_not_arrive_in_time_is_408() -> None:
    """Complete headers announcing 100 bytes, then 10 of them: a 408 envelope after the body
    timeout, the connection closed; the control API's bodies are bounded the same way."""
    async with run_emulator(seed_inventory=1, body_timeout=0.5) as info:
        for path, auth in (
            (f"/api/v1/account/{info.auth_id}/numbers/purchase-from-inventory", True),
            ("/_emulator/clock", False),
        ):
            reader, writer = await asyncio.open_connection("127.0.0.1", info.port)
            credentials = (
                f"X-Auth-ID: {info.auth_id}\r\nX-Auth-Token: {info.auth_token}\r\n" if auth else ""
            )
            writer.write(
                (
                    f"POST {path} HTTP/1.1\r\nHost: x\r\n{credentials}"
                    "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                    '{"e164": "'
                ).encode()
            )
            await writer.drain()
            started = time.monotonic()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            elapsed = time.monotonic() - started
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
            writer.close()
            await writer.wait_closed()
            assert head.startswith(b"HTTP/1.1 408"), head
            assert b"connection: close" in head.lower()
            assert 0.4 < elapsed < 3
            assert b"did not arrive" in body
