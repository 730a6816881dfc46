"""``AsyncClient``: configuration, the session's life, and sending with retries."""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

import aiohttp
import attrs

from ._config import ClientConfig
from ._ratelimit import RateLimiter
from ._resources.inventory import Inventory
from ._resources.numbers import Numbers
from ._resources.subaccounts import SubAccounts
from ._retry import RetryPolicy, is_ambiguous_status
from ._sansio import Request, Response, error_from_response
from ._transport import AiohttpTransport, Timeouts, Transport
from ._version import __version__
from .errors import TransportError

__all__ = ["AsyncClient", "SendResult"]

logger = logging.getLogger("phonenumbers_async")

USER_AGENT = f"phonenumbers_async/{__version__}"

_UNSET: Any = object()


@attrs.frozen
class SendResult:
    """A response, how many attempts it took, and whether an earlier one may have done the work."""

    response: Response
    attempts: int
    earlier_attempt_ambiguous: bool


class AsyncClient:
    """The async client of the Phone Numbers API.

    Arguments left out come from ``VOBIZ_AUTH_ID``, ``VOBIZ_AUTH_TOKEN`` and
    ``VOBIZ_BASE_URL``. Use it with ``async with``, or call :meth:`aclose`.
    A ``session`` passed in is used as-is and left open; a ``transport``
    passed in (anything with the :class:`Transport` methods) replaces aiohttp
    and is closed with the client, as httpx does. It can be built
    outside an event loop: the HTTP session is created on first use.

    ``timeout`` is seconds for a whole request, ``connect_timeout`` for
    establishing a connection; ``max_retries`` bounds resends (0: none; when
    left out, ``retry_policy.max_retries``, by default 3);
    ``max_concurrency`` bounds the pages a listing fetches at once;
    ``rate_limit`` (requests per second) spaces out every request of this
    client. :meth:`with_options` gives a copy with other settings for some calls.
    """

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = 10.0,
        max_retries: int | None = None,
        max_concurrency: int = 8,
        rate_limit: float | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: Transport | None = None,
        retry_policy: RetryPolicy | None = None,
        allow_http: bool = False,
    ) -> None:
        base_policy = retry_policy or RetryPolicy()
        # An explicit max_retries wins; otherwise a caller's policy keeps its own
        # bound instead of being silently reset to the default.
        if max_retries is None:
            max_retries = base_policy.max_retries
        self._config = ClientConfig.resolve(
            auth_id=auth_id,
            auth_token=auth_token,
            base_url=base_url,
            allow_http=allow_http,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            rate_limit=rate_limit,
        )
        self._allow_http = allow_http
        self._timeouts = Timeouts(total=self._config.timeout, connect=self._config.connect_timeout)
        self._transport: Transport = transport or AiohttpTransport(
            session, connection_limit=max(100, 2 * max_concurrency)
        )
        self._owns_transport = True
        self._retry = attrs.evolve(base_policy, max_retries=max_retries)
        self._rate_limiter = RateLimiter(rate_limit) if rate_limit else None
        self.numbers = Numbers(self)
        self.inventory = Inventory(self)
        self.subaccounts = SubAccounts(self)

    # -- settings --------------------------------------------------------

    @property
    def config(self) -> ClientConfig:
        """The resolved settings (the token is left out of its repr)."""
        return self._config

    @property
    def auth_id(self) -> str:
        """The Auth ID this client acts as."""
        return self._config.auth_id

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._config.base_url

    @property
    def max_concurrency(self) -> int:
        """How many pages a listing fetches at once, unless a call says otherwise."""
        return self._config.max_concurrency

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy in force, ``max_retries`` included."""
        return self._retry

    def with_options(
        self,
        *,
        timeout: float | None = _UNSET,
        connect_timeout: float | None = _UNSET,
        max_retries: int = _UNSET,
        max_concurrency: int = _UNSET,
    ) -> AsyncClient:
        """A client sharing this one's connection pool with some settings changed.

        For one call with another timeout:
        ``await client.with_options(timeout=5).numbers.purchase(e164)``.
        Closing the copy does not close the shared pool.
        """
        changes = {
            name: value
            for name, value in (
                ("timeout", timeout),
                ("connect_timeout", connect_timeout),
                ("max_retries", max_retries),
                ("max_concurrency", max_concurrency),
            )
            if value is not _UNSET
        }
        settings = attrs.asdict(self._config)
        settings.update(changes)
        clone = AsyncClient(
            settings.pop("auth_id"),
            settings.pop("auth_token"),
            base_url=settings.pop("base_url"),
            transport=self._transport,
            retry_policy=self._retry,
            allow_http=self._allow_http,
            **settings,
        )
        clone._owns_transport = False
        clone._rate_limiter = self._rate_limiter
        return clone

    def __repr__(self) -> str:
        return f"<AsyncClient auth_id={self.auth_id!r} base_url={self.base_url!r}>"

    # -- lifetime --------------------------------------------------------

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session this client opened (a caller's session stays open)."""
        if self._owns_transport:
            await self._transport.aclose()

    # -- sending ---------------------------------------------------------

    async def _send(self, request: Request) -> SendResult:
        """Send ``request``, resending as its idempotency and the retry policy allow.

        Returns the final response, error statuses included; raises
        :class:`TransportError` when no response came.
        """
        config = self._config
        url = request.url(config.base_url)
        headers = request.headers(config.auth_id, config.auth_token, USER_AGENT)
        timeouts = self._timeouts
        policy = self._retry
        ambiguous = False
        attempt = 0
        while True:
            attempt += 1
            if self._rate_limiter is not None:
                await self._rate_limiter.acquire()
            started = time.monotonic()
            try:
                response = await self._transport.send(
                    request.method, url, headers, request.body, timeouts
                )
            except TransportError as exc:
                exc.attempts = attempt
                logger.debug(
                    "%s %s -> %s attempt=%d elapsed=%.3fs",
                    request.method,
                    request.path,
                    exc.__class__.__name__,
                    attempt,
                    time.monotonic() - started,
                )
                if attempt > policy.max_retries or not policy.may_resend_after_transport_error(
                    request.idempotency, exc.maybe_sent
                ):
                    raise
                ambiguous = ambiguous or exc.maybe_sent
                delay = policy.backoff(attempt)
            else:
                logger.debug(
                    "%s %s -> %d attempt=%d elapsed=%.3fs",
                    request.method,
                    request.path,
                    response.status,
                    attempt,
                    time.monotonic() - started,
                )
                if response.status < 400:
                    return SendResult(response, attempt, ambiguous)
                retry_after = response.retry_after
                if attempt > policy.max_retries or not policy.may_resend_status(
                    request.idempotency, response.status, retry_after
                ):
                    return SendResult(response, attempt, ambiguous)
                ambiguous = ambiguous or is_ambiguous_status(response.status, retry_after)
                delay = policy.delay(attempt, retry_after)
            await policy.sleep(delay)

    async def _call(self, request: Request) -> SendResult:
        """Send and raise the typed error for an error status."""
        result = await self._send(request)
        if not result.response.ok:
            raise error_from_response(result.response, attempts=result.attempts)
        return result
