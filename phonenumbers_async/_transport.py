"""The one seam between the SDK and the network.

A transport has one job: send a request and return ``(status, headers,
bytes)``, or raise :class:`TransportError`. Everything else (retries, error
mapping, decoding) happens above it, so tests can swap in a fake.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Protocol

import aiohttp
import attrs
from yarl import URL

from ._sansio import Response
from .errors import ClientClosedError, ConfigurationError, RequestTimeout, TransportError

__all__ = ["AiohttpTransport", "Timeouts", "Transport"]


@attrs.frozen
class Timeouts:
    """Seconds for the whole request and for establishing the connection."""

    total: float | None = 30.0
    connect: float | None = 10.0


@functools.lru_cache(maxsize=64)
def _client_timeout(timeouts: Timeouts) -> aiohttp.ClientTimeout:
    # Immutable, so one per distinct setting is shared by every request.
    return aiohttp.ClientTimeout(total=timeouts.total, connect=timeouts.connect)


class Transport(Protocol):
    """What the client needs from the network."""

    async def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Response: ...

    async def aclose(self) -> None: ...


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


class AiohttpTransport:
    """A transport on one reused ``aiohttp.ClientSession``.

    The session is created lazily, inside the running event loop, on the first
    request; a session passed in by the caller is used as-is and never closed
    here.
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

    async def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        timeouts: Timeouts,
    ) -> Response:
        timeout = _client_timeout(timeouts)
        session = self.session  # raises ClientClosedError itself, outside the mapping below
        try:
            async with session.request(
                method,
                # encoded=True: the path is already percent-encoded; yarl must not
                # decode %2B back to a literal plus.
                URL(url, encoded=True),
                headers=headers,
                data=body,
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                payload = await response.read()
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
                f"{method} timed out while connecting ({exc.__class__.__name__})",
                maybe_sent=False,
            ) from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise RequestTimeout(
                f"{method} got no complete answer within {timeouts.total} s"
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            # Refused, unreachable, DNS: the request never left this machine.
            raise TransportError(
                f"{method} could not connect: {exc.strerror or exc}", maybe_sent=False
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            # Dropped or reset after the request went out: it may have been handled.
            raise TransportError(
                f"{method} failed after sending: {exc.__class__.__name__}: {exc}"
            ) from exc

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()
            # Give the SSL/TCP transports one loop turn to finish closing, so no
            # "unclosed transport" warning fires afterwards (aiohttp's advice).
            await asyncio.sleep(0)
