"""A header read timeout and a bound on half-open connections (slowloris).

aiohttp's server waits for a request's headers for as long as the client
takes. The guard wraps each connection's protocol: from the moment a
connection opens, or sends the first bytes of its next request, it has
``header_timeout`` seconds until the request's headers are complete (the
application's first middleware reports that), or it is closed. At most
``max_half_open`` connections may be waiting for their headers; one more
closes the one that has waited longest.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

__all__ = ["ConnectionGuard", "GuardedTCPSite"]

log = logging.getLogger("phonenumbers_async.emulator")


class ConnectionGuard:
    """Times the headers of every connection and bounds how many may be waiting."""

    def __init__(self, header_timeout: float, max_half_open: int) -> None:
        self.header_timeout = header_timeout
        self.max_half_open = max_half_open
        # protocol -> its timer, oldest first
        self._waiting: collections.OrderedDict[Any, asyncio.TimerHandle] = collections.OrderedDict()
        self._busy: set[Any] = set()
        self._transports: dict[Any, asyncio.Transport] = {}
        self.closed_for_timeout = 0
        self.closed_for_capacity = 0

    @property
    def half_open(self) -> int:
        """Connections waiting for a request's headers now."""
        return len(self._waiting)

    def protocol_factory(self, factory: Callable[[], Any]) -> Callable[[], asyncio.Protocol]:
        """Wrap aiohttp's protocol factory so every connection is timed."""
        return lambda: _GuardedProtocol(self, factory())

    # called by the protocol wrapper

    def opened(self, protocol: Any, transport: asyncio.Transport) -> None:
        self._transports[protocol] = transport
        self._wait(protocol)

    def received(self, protocol: Any) -> None:
        if protocol not in self._busy and protocol not in self._waiting:
            self._wait(protocol)

    def closed(self, protocol: Any) -> None:
        timer = self._waiting.pop(protocol, None)
        if timer is not None:
            timer.cancel()
        self._busy.discard(protocol)
        self._transports.pop(protocol, None)

    # called by the application (first middleware) for every request

    def request_started(self, protocol: Any) -> None:
        """The request's headers are complete: stop its timer."""
        timer = self._waiting.pop(protocol, None)
        if timer is not None:
            timer.cancel()
        self._busy.add(protocol)

    def request_finished(self, protocol: Any) -> None:
        """The handler is done; the next request's first bytes start a new timer."""
        self._busy.discard(protocol)

    def _wait(self, protocol: Any) -> None:
        while len(self._waiting) >= self.max_half_open:
            oldest = next(iter(self._waiting))
            self.closed_for_capacity += 1
            self._close(oldest)
        loop = asyncio.get_running_loop()
        self._waiting[protocol] = loop.call_later(self.header_timeout, self._expire, protocol)

    def _expire(self, protocol: Any) -> None:
        if protocol in self._waiting:
            self.closed_for_timeout += 1
            self._close(protocol)

    def _close(self, protocol: Any) -> None:
        timer = self._waiting.pop(protocol, None)
        if timer is not None:
            timer.cancel()
        transport = self._transports.get(protocol)
        if transport is not None:
            log.debug("emulator: closing a connection that did not send its headers in time")
            transport.abort()


class _GuardedProtocol(asyncio.Protocol):
    """Forwards every protocol call to aiohttp's handler, telling the guard what happens."""

    def __init__(self, guard: ConnectionGuard, inner: Any) -> None:
        self._guard = guard
        self._inner = inner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.connection_made(transport)
        assert isinstance(transport, asyncio.Transport)  # a TCP server's transports are
        self._guard.opened(self._inner, transport)

    def data_received(self, data: bytes) -> None:
        self._guard.received(self._inner)
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        result: bool | None = self._inner.eof_received()
        return result

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.closed(self._inner)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


class GuardedTCPSite(web.TCPSite):
    """``web.TCPSite`` whose connections go through a :class:`ConnectionGuard`."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard):
        super().__init__(runner, host, port)
        self._guard = guard

    async def start(self) -> None:
        # TCPSite.start, with the guard around the protocol factory.
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            self._guard.protocol_factory(server),
            self._host,
            self._port,
            backlog=self._backlog,
        )
        if self._server.sockets:
            self._bound_port = self._server.sockets[0].getsockname()[1]
        else:  # pragma: no cover - a TCP server always has a socket
            self._bound_port = self._port
