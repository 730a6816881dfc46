"""Every error the SDK raises, in one tree.

::

    PhoneNumbersError
    ├── ConfigurationError            bad client settings (missing credentials, plain http…)
    ├── EventLoopError (RuntimeError) the sync Client called from a running event loop
    ├── ClientClosedError (RuntimeError) the client was used after it was closed
    ├── ValidationError (ValueError)  bad input, caught before any request is sent
    ├── TransportError                no usable HTTP answer (connection refused, reset…)
    │   └── RequestTimeout            no answer within the configured timeout
    ├── PurchaseOutcomeUnknown        a purchase may or may not have happened
    ├── FanOutError                   some accounts of a fan-out listing failed
    └── APIError                      the server answered with an error status
        ├── BadRequest                400
        ├── AuthenticationFailed      401
        ├── InsufficientBalance       402
        ├── PermissionDenied          403
        ├── NotFound                  404
        ├── Conflict                  409
        │   └── CoolOffInEffect       409 did_cool_off_in_effect
        ├── Unprocessable             422
        ├── RateLimited               429
        └── ServerError               5xx

Messages never contain the auth token.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "APIError",
    "AuthenticationFailed",
    "BadRequest",
    "ClientClosedError",
    "ConfigurationError",
    "Conflict",
    "CoolOffInEffect",
    "EventLoopError",
    "FanOutError",
    "InsufficientBalance",
    "NotFound",
    "PermissionDenied",
    "PhoneNumbersError",
    "PurchaseOutcomeUnknown",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "TransportError",
    "Unprocessable",
    "ValidationError",
]


class PhoneNumbersError(Exception):
    """Base class of every error raised by phonenumbers_async."""


class ConfigurationError(PhoneNumbersError):
    """The client is configured in a way that cannot work (for example no credentials)."""


class EventLoopError(PhoneNumbersError, RuntimeError):
    """The sync :class:`~phonenumbers_async.Client` was called from a thread running an event loop.

    Blocking there would stall that loop or deadlock; use ``AsyncClient`` in async code.
    """


class ClientClosedError(PhoneNumbersError, RuntimeError):
    """The client was used after ``aclose()``/``close()``; create a new one."""


class ValidationError(PhoneNumbersError, ValueError):
    """Input rejected before any request was sent (malformed E.164, bad page size…)."""


class TransportError(PhoneNumbersError):
    """No usable HTTP response: the connection failed, was reset or dropped.

    ``maybe_sent`` tells whether the request may have reached the server;
    ``attempts`` counts how many times it was tried.
    """

    def __init__(self, message: str, *, maybe_sent: bool = True, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.maybe_sent = maybe_sent
        self.attempts = attempts


class RequestTimeout(TransportError):
    """No complete answer arrived within the configured timeout."""


class PurchaseOutcomeUnknown(PhoneNumbersError):
    """A purchase failed ambiguously and the client could not establish what happened.

    The number may or may not have been bought; ``e164`` says which number and
    ``cause`` (also ``__cause__``) the last failure. Check the account's numbers
    before trying again.
    """

    def __init__(self, e164: str, cause: PhoneNumbersError) -> None:
        super().__init__(
            f"purchase of {e164} failed ambiguously and its outcome is unknown "
            f"(last error: {cause}); check the account's numbers before retrying"
        )
        self.e164 = e164
        self.cause = cause


class FanOutError(PhoneNumbersError):
    """Some accounts of :meth:`Numbers.iter_fanout` could not be listed.

    Raised at the end of the iteration when the caller asked to continue past
    failures; ``failures`` maps each failing Auth ID to its error.
    """

    def __init__(self, failures: Mapping[str, PhoneNumbersError]) -> None:
        names = ", ".join(sorted(failures))
        super().__init__(f"listing failed for {len(failures)} account(s): {names}")
        self.failures = dict(failures)


class APIError(PhoneNumbersError):
    """The server answered with an error status.

    ``code`` is the machine-readable error code when the body had one,
    ``request_id`` the server's request id when it sent one, ``body`` the
    decoded JSON body (or the raw text when it was not JSON).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.body = body
        self.attempts = attempts

    def __str__(self) -> str:
        text = f"{self.status}"
        if self.code:
            text += f" {self.code}"
        text += f": {self.message}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text


class BadRequest(APIError):
    """400: the server rejected the request as malformed."""


class AuthenticationFailed(APIError):
    """401: the Auth ID or Auth Token is wrong or missing."""


class InsufficientBalance(APIError):
    """402: the paying account's balance does not cover the purchase."""


class PermissionDenied(APIError):
    """403: the account may not do this (for example it does not own the number)."""


class NotFound(APIError):
    """404: no such resource (for a purchase: the number is not in inventory)."""


class Conflict(APIError):
    """409: the request conflicts with the resource's current state."""


class CoolOffInEffect(Conflict):
    """409: the number was used within the last 15 days and cannot be unassigned yet.

    ``cool_off_until`` is an aware datetime, ``cool_off_remaining`` a timedelta.
    """

    def __init__(
        self,
        message: str,
        *,
        cool_off_until: datetime | None,
        cool_off_remaining: timedelta | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.cool_off_until = cool_off_until
        self.cool_off_remaining = cool_off_remaining


class Unprocessable(APIError):
    """422: the request was well-formed but its content was refused."""


class RateLimited(APIError):
    """429: too many requests; ``retry_after`` is the server's advice in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server (or a gateway in front of it) failed."""
