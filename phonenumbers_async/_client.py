"""``AsyncClient``: settings, the session's life, and the resources.

Sending lives in :class:`Sender`, the small object the resources see (the
``Requester`` protocol of ``_reconcile``): the client's settings, its
transport and rate limiter, and the one retry loop of ``_retry``.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Unpack

import aiohttp

from ._config import CallOptions, ClientConfig, ClientOptions, SettingsView
from ._ratelimit import RateLimiter
from ._raw import Exchange, raw_recorder
from ._resources.account import Account
from ._resources.inventory import Inventory
from ._resources.numbers import Numbers
from ._resources.subaccounts import SubAccounts
from ._retry import (
    SendResult,
    Settle,
    deadline_scope,
    remaining_time,
    send_with_retries,
)
from ._sansio import Request, Response, error_from_response
from ._transport import AiohttpTransport, HTTPRequest, Timeouts, Transport
from ._version import __version__
from .errors import ConfigurationError, DeadlineExceeded, PhoneNumbersError

__all__ = ["AsyncClient", "Sender"]

logger = logging.getLogger("phonenumbers_async")

USER_AGENT = f"phonenumbers_async/{__version__}"


class Sender(SettingsView):
    """Sends requests for one client: what resources see of it (the ``Requester`` protocol)."""

    def __init__(
        self, config: ClientConfig, transport: Transport, rate_limiter: RateLimiter | None
    ) -> None:
        self._config = config
        self._transport = transport
        self._rate_limiter = rate_limiter

    @property
    def config(self) -> ClientConfig:
        return self._config

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def rate_limiter(self) -> RateLimiter | None:
        return self._rate_limiter

    async def send(self, request: Request, *, settle: Settle | None = None) -> SendResult:
        """Send ``request`` through the one retry loop, within the call's deadline."""
        config = self.config
        request = request.with_params(config.extra_query)
        url = request.url(config.base_url)
        headers = request.headers(
            config.auth_id, config.auth_token, USER_AGENT, config.extra_headers
        )
        limiter = self._rate_limiter
        transport = self._transport
        max_body = config.max_response_bytes

        async def attempt(timeouts: Timeouts) -> Response:
            if limiter is not None and not await limiter.acquire(within=remaining_time()):
                raise DeadlineExceeded(
                    "the call's deadline comes before the rate limit allows another request",
                    maybe_sent=False,
                )
            return await transport.send(
                HTTPRequest(request.method, url, headers, request.body, timeouts, max_body)
            )

        def log(number: int, outcome: Response | PhoneNumbersError, elapsed: float) -> None:
            logger.debug(
                "%s %s -> %s attempt=%d elapsed=%.3fs",
                request.method,
                request.path,
                outcome.status if isinstance(outcome, Response) else type(outcome).__name__,
                number,
                elapsed,
            )

        started = time.perf_counter()
        with deadline_scope(config.deadline):
            result = await send_with_retries(
                attempt,
                idempotency=request.idempotency,
                policy=config.retry_policy,
                timeouts=config.timeouts,
                settle=settle,
                on_attempt=log,
            )
        exchanges = raw_recorder()  # for with_raw_response; None, and nothing to do, otherwise
        if exchanges is not None and result.response is not None:
            exchanges.append(
                Exchange(
                    request.method,
                    url,
                    result.response,
                    result.attempts,
                    time.perf_counter() - started,
                )
            )
        return result

    async def call(self, request: Request) -> Response:
        """Send ``request``; its 2xx answer, or the typed error for what came instead."""
        result = await self.send(request)
        result.raise_error()
        response = result.response
        assert response is not None  # no error means an answer came
        if not response.ok:
            raise error_from_response(response, attempts=result.attempts)
        return response


def _sender(
    config: ClientConfig, transport: Transport | None, session: aiohttp.ClientSession | None
) -> Sender:
    resolved: Transport = transport or AiohttpTransport(
        session, connection_limit=max(100, 2 * config.max_concurrency)
    )
    limiter = RateLimiter(config.rate_limit) if config.rate_limit else None
    return Sender(config, resolved, limiter)


class AsyncClient(SettingsView):
    """The async client of the Phone Numbers API.

    Arguments left out come from ``VOBIZ_AUTH_ID``, ``VOBIZ_AUTH_TOKEN`` and
    ``VOBIZ_BASE_URL``. Use it with ``async with``, or call :meth:`aclose`.
    A ``session`` passed in is used as-is and left open; a ``transport``
    passed in (anything with the :class:`Transport` methods, such as
    :class:`MockTransport`) replaces aiohttp and is closed with the client,
    as httpx does; passing both is an error. It can be built outside an
    event loop: the HTTP session is created on first use.

    Resources: ``numbers`` (the account's numbers: list, get, purchase,
    release and its cancellation, routing to a trunk or an application,
    health), ``inventory`` (numbers on sale), ``subaccounts`` (their
    lifecycle, and handing numbers to them) and ``account`` (balance and
    transactions). Each has ``with_raw_response``: the same calls, returning
    a :class:`RawResponse` (status, headers, request id, elapsed, attempts;
    ``.parse()`` gives the model).

    The options (:class:`ClientOptions`, shared with the sync ``Client``):
    ``base_url``; ``timeout`` seconds for one attempt (30), ``connect_timeout``
    for establishing a connection (10), ``deadline`` seconds for a whole call
    (retries, ``Retry-After`` waits and reconciliation checks included);
    ``max_retries`` bounds resends (0: none; when left out,
    ``retry_policy.max_retries``, by default 3); ``max_concurrency`` bounds
    the pages a listing fetches at once (8); ``rate_limit`` (requests per
    second) spaces out every request of this client; ``max_response_bytes``
    bounds a response body as it is read; ``session``, ``transport``,
    ``retry_policy``, ``allow_http``; ``extra_headers`` and ``extra_query``
    added to every request. Every setting is checked here, and a bad one
    raises :class:`ConfigurationError`. :meth:`with_options` gives a copy
    with other settings for some calls.
    """

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        session = options.get("session")
        transport = options.get("transport")
        if session is not None and transport is not None:
            raise ConfigurationError(
                "pass session= or transport=, not both: a transport brings its own connections"
            )
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise ConfigurationError(f"session must be an aiohttp.ClientSession, not {session!r}")
        config = ClientConfig.from_options(auth_id, auth_token, options)
        self._setup(_sender(config, transport, session), owns_transport=True)

    @classmethod
    def _from_config(cls, config: ClientConfig, transport: Transport | None) -> AsyncClient:
        """A client for settings already resolved (the sync ``Client`` builds its own so)."""
        client = object.__new__(cls)
        client._setup(_sender(config, transport, None), owns_transport=True)
        return client

    def _setup(self, sender: Sender, *, owns_transport: bool) -> None:
        self._sender = sender
        self._owns_transport = owns_transport
        self._numbers = Numbers(sender)
        self._inventory = Inventory(sender)
        self._subaccounts = SubAccounts(sender)
        self._account = Account(sender)

    # -- resources (properties, so that help() and dir() list them) -------

    @property
    def numbers(self) -> Numbers:
        """The account's numbers: list, get, purchase, release, routing, health."""
        return self._numbers

    @property
    def inventory(self) -> Inventory:
        """Numbers on sale: list, iterate, check one."""
        return self._inventory

    @property
    def subaccounts(self) -> SubAccounts:
        """Sub-accounts: their lifecycle, and handing numbers to them."""
        return self._subaccounts

    @property
    def account(self) -> Account:
        """The account's money: balance and transactions."""
        return self._account

    # -- settings --------------------------------------------------------

    @property
    def config(self) -> ClientConfig:
        """The resolved settings (the token is left out of its repr)."""
        return self._sender.config

    def with_options(self, **changes: Unpack[CallOptions]) -> AsyncClient:
        """A client sharing this one's connections and rate limit, with some settings changed.

        For one call with a deadline:
        ``await client.with_options(deadline=5).numbers.purchase(e164)``.
        The settings are those of :class:`CallOptions` (``timeout``,
        ``connect_timeout``, ``deadline``, ``max_retries``, ``max_concurrency``,
        ``max_response_bytes``, ``extra_headers``, ``extra_query``), checked as
        the constructor checks them. ``extra_headers`` and ``extra_query`` are
        added to every request of the copy (in place of this client's own
        extras, when given); they can never replace the authentication
        headers (``ConfigurationError``). Closing the copy does not close the shared
        connections.
        """
        sender = self._sender
        clone = object.__new__(AsyncClient)
        clone._setup(
            Sender(sender.config.evolve(**changes), sender.transport, sender.rate_limiter),
            owns_transport=False,
        )
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
            await self._sender.transport.aclose()
