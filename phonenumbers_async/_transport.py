"""The one seam between the SDK and the network.

A transport has one job: take one :class:`HTTPRequest` and return a
:class:`Response` (status, headers, bytes), or raise :class:`TransportError`.
Everything else (retries, error mapping, decoding) happens above it, so a test
can swap in :class:`MockTransport` — a handler function instead of a server,
as httpx's ``MockTransport`` is.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

import aiohttp
import attrs
from yarl import URL

from ._sansio import Response
from .errors import (
    ClientClosedError,
    ConfigurationError,
    RequestTimeout,
    ResponseTooLarge,
    TransportError,
)

__all__ = ["AiohttpTransport", "HTTPRequest", "MockTransport", "Timeouts", "Transport"]

#: Read in pieces of this size, so a body's size is checked as it arrives.
_READ_CHUNK = 64 * 1024
_UNBOUNDED = 2**62


@attrs.frozen
class Timeouts:
    """Seconds for one attempt and for establishing its connection."""

    total: float | None = 30.0
    connect: float | None = 10.0


@attrs.frozen
class HTTPRequest:
    """One request as it goes on the wire: absolute URL, every header, the body's bytes.

    ``max_body_bytes`` bounds the response body; a transport stops reading
    past it and raises :class:`ResponseTooLarge`.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None
    timeouts: Timeouts = Timeouts()
    max_body_bytes: int = _UNBOUNDED


class Transport(Protocol):
    """What the client needs from the network."""

    async def send(self, request: HTTPRequest) -> Response: ...

    async def aclose(self) -> None: ...


def too_large(status: int, limit: int) -> ResponseTooLarge:
    """The error for a body over ``limit`` bytes."""
    return ResponseTooLarge(
        f"the response body is larger than {limit} bytes (max_response_bytes); "
        "reading stopped there",
        status=status,
        limit=limit,
    )


@functools.lru_cache(maxsize=64)
def _client_timeout(timeouts: Timeouts) -> aiohttp.ClientTimeout:
    # Immutable, so one per distinct setting is shared by every request.
    return aiohttp.ClientTimeout(total=timeouts.total, connect=timeouts.connect)


def disable_hidden_retry(session: aiohttp.ClientSession) -> None:
    """Stop aiohttp from silently resending an idempotent request on a dropped connection.

    aiohttp 3.x resends GET/DELETE/… once when a kept-alive connection turns
    out to be closed, and shows only the second answer: a DELETE that worked
    the first time would then look like "not owned". The retry policy above
    decides every resend itself, so the hidden one is switched off. The flag is
    private to aiohttp (its own test client sets it the same way); a test
    checks it still exists.
    """
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False


async def _read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The body, decompressed, refusing it as soon as it grows past ``limit`` bytes."""
    declared = response.content_length
    # A compressed body's declared length is not its decoded size; the count below decides.
    if declared is not None and declared > limit and not response.headers.get("Content-Encoding"):
        raise too_large(response.status, limit)
    pieces: list[bytes] = []
    size = 0
    async for piece in response.content.iter_chunked(_READ_CHUNK):
        size += len(piece)
        if size > limit:
            raise too_large(response.status, limit)
        pieces.append(piece)
    return b"".join(pieces)


class AiohttpTransport:
    """A transport on one reused ``aiohttp.ClientSession``.

    The session is created lazily, inside the running event loop, on the first
    request; a session passed in by the caller is used as-is and never closed
    here. Statuses are never raised by aiohttp, whatever the session's
    ``raise_for_status`` says: the client reads every status itself.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        connection_limit: int = 100,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._connection_limit = connection_limit
        self._closed = False
        if session is not None:
            disable_hidden_retry(session)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            # Not a TransportError: nothing transient about it, so never retried.
            raise ClientClosedError("the client is closed; create a new one")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connection_limit)
            self._session = aiohttp.ClientSession(connector=connector, raise_for_status=False)
            disable_hidden_retry(self._session)
        return self._session

    async def send(self, request: HTTPRequest) -> Response:
        method = request.method
        timeouts = request.timeouts
        session = self.session  # raises ClientClosedError itself, outside the mapping below
        try:
            async with session.request(
                method,
                # encoded=True: the path is already percent-encoded; yarl must not
                # decode %2B back to a literal plus.
                URL(request.url, encoded=True),
                headers=dict(request.headers),
                data=request.body,
                timeout=_client_timeout(timeouts),
                allow_redirects=False,
                # A caller's session may say True; a 404 is an answer, not a failure.
                raise_for_status=False,
            ) as response:
                payload = await _read_bounded(response, request.max_body_bytes)
                return Response(response.status, response.headers, payload)
        except RuntimeError as exc:
            # aiohttp's word for a session that cannot be used: closed, or
            # made in another event loop. Not transient, so not a TransportError.
            if session.closed:
                raise ClientClosedError(
                    "the aiohttp session given to the client is closed"
                ) from exc
            raise ConfigurationError(
                f"the aiohttp session cannot be used here ({exc}); a session works only "
                "in the event loop it was created in"
            ) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise RequestTimeout(
                f"{method} {_where(request)} timed out while connecting",
                maybe_sent=False,
            ) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise RequestTimeout(
                f"{method} {_where(request)} got no complete answer within {timeouts.total} s"
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            # Refused, unreachable, DNS: the request never left this machine.
            raise TransportError(
                f"{method} {_where(request)} could not connect: {exc.strerror or exc}",
                maybe_sent=False,
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            # Dropped or reset after the request went out: it may have been handled.
            raise TransportError(
                f"{method} {_where(request)} failed after sending: {exc.__class__.__name__}: {exc}"
            ) from exc

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()
            # Give the SSL/TCP transports one loop turn to finish closing, so no
            # "unclosed transport" warning fires afterwards (aiohttp's advice).
            await asyncio.sleep(0)


def _where(request: HTTPRequest) -> str:
    """The URL without its query, for messages (a query may be long)."""
    return request.url.split("?", 1)[0]


Handler = Callable[[HTTPRequest], Response | Awaitable[Response]]


class MockTransport:
    """A transport that answers with ``handler(request)`` instead of the network.

    For tests of code that uses the SDK::

        def handler(request: HTTPRequest) -> Response:
            return Response(200, {}, b'{"items": [], "page": 1, "per_page": 25, "total": 0}')

        client = AsyncClient("MA_X", "token", transport=MockTransport(handler))

    The handler may be a plain or an async function, and may raise
    :class:`TransportError` to stand for a network failure. Bodies over the
    request's ``max_body_bytes`` are refused as the real transport refuses
    them. ``requests`` lists every request sent, in order.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[HTTPRequest] = []
        self.closed = False

    async def send(self, request: HTTPRequest) -> Response:
        if self.closed:
            raise ClientClosedError("the client is closed; create a new one")
        self.requests.append(request)
        answer = self._handler(request)
        response = await answer if inspect.isawaitable(answer) else answer
        if len(response.body) > request.max_body_bytes:
            raise too_large(response.status, request.max_body_bytes)
        return response

    async def aclose(self) -> None:
        self.closed = True
