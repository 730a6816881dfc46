"""Every error the SDK raises, in one tree.

::

    PhoneNumbersError
    ├── ConfigurationError            bad client settings (missing credentials, plain http…)
    ├── EventLoopError (RuntimeError) the sync Client called where it would deadlock
    ├── ClientClosedError (RuntimeError) the client was used after it was closed
    ├── ValidationError (ValueError)  bad input, caught before any request is sent
    ├── TransportError                no usable HTTP answer (connection refused, reset…)
    │   └── RequestTimeout            no answer within the timeout
    │       └── DeadlineExceeded      the call's overall deadline ran out
    ├── UnexpectedResponse            an answer the client cannot read (real status and body)
    │   ├── ResponseTooLarge          the body was larger than max_response_bytes
    │   └── PagingError               a listing that repeats a page or never ends
    ├── OutcomeUnknown                a state change may or may not have happened
    │   └── PurchaseOutcomeUnknown    … a purchase
    ├── FanOutError                   some accounts of a fan-out listing failed
    └── APIError                      the server answered with an error status
        ├── BadRequest                400
        ├── AuthenticationFailed      401
        ├── InsufficientBalance       402
        ├── PermissionDenied          403
        ├── NotFound                  404
        │   └── NumberTaken           the client's conclusion: another buyer got the number
        ├── Conflict                  409
        │   └── CoolOffInEffect       409 did_cool_off_in_effect
        ├── Unprocessable             422
        ├── RateLimited               429
        └── ServerError               5xx

Who concluded what: an ``APIError`` carries a status the server sent (except
``NumberTaken``, the client's own reading of the account's state, which is a
``NotFound`` so that code catching "not in inventory" keeps working);
``UnexpectedResponse`` is an answer that came but could not be read;
``OutcomeUnknown`` is the client saying it could not establish what happened.

Messages never contain the auth token.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack

__all__ = [
    "APIError",
    "AuthenticationFailed",
    "BadRequest",
    "ClientClosedError",
    "ConfigurationError",
    "Conflict",
    "CoolOffInEffect",
    "DeadlineExceeded",
    "EventLoopError",
    "FanOutError",
    "InsufficientBalance",
    "NotFound",
    "NumberTaken",
    "OutcomeUnknown",
    "PagingError",
    "PermissionDenied",
    "PhoneNumbersError",
    "PurchaseOutcomeUnknown",
    "RateLimited",
    "RequestTimeout",
    "ResponseTooLarge",
    "ServerError",
    "TransportError",
    "UnexpectedResponse",
    "Unprocessable",
    "ValidationError",
]


class PhoneNumbersError(Exception):
    """Base class of every error raised by phonenumbers_async."""


class ConfigurationError(PhoneNumbersError):
    """The client is configured in a way that cannot work (for example no credentials)."""


class EventLoopError(PhoneNumbersError, RuntimeError):
    """The sync :class:`~phonenumbers_async.Client` was called where blocking would deadlock.

    That is only from inside the client's own event-loop thread (from code
    the client itself runs, such as a transport or a handler); from any
    other thread, one running an event loop included, a call simply blocks
    that thread. Use ``AsyncClient`` in async code.
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


class DeadlineExceeded(RequestTimeout):
    """The call's overall ``deadline`` ran out (retries, waits and checks included)."""


class UnexpectedResponse(PhoneNumbersError):
    """An answer came, but the client cannot read it (not JSON, wrong shape, unrepresentable).

    ``status`` is the status the server really sent, ``body`` the decoded JSON
    or the start of the text. Not an :class:`APIError`: the server did not say
    the call failed. For a state-changing call the client establishes the
    outcome instead of raising this.
    """

    def __init__(self, message: str, *, status: int, body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class ResponseTooLarge(UnexpectedResponse):
    """The body was larger than the client's ``max_response_bytes``; reading stopped there."""

    def __init__(self, message: str, *, status: int, limit: int) -> None:
        super().__init__(message, status=status)
        self.limit = limit


class PagingError(UnexpectedResponse):
    """A listing that cannot end: a page repeating the one before, or no short page in sight."""


class OutcomeUnknown(PhoneNumbersError):
    """A state-changing call failed ambiguously and the client could not establish what happened.

    ``operation`` names the call (``"purchase"``, ``"release"``…), ``subject``
    what it acted on (a number, for number calls also ``e164``; a
    sub-account's name for a creation), ``cause`` (also ``__cause__``) the
    last failure. Check the state before trying again.
    """

    def __init__(self, operation: str, subject: str, cause: PhoneNumbersError) -> None:
        super().__init__(
            f"{operation} of {subject} failed ambiguously and its outcome is unknown "
            f"(last error: {cause}); check before retrying"
        )
        self.operation = operation
        self.subject = subject
        self.e164 = subject
        self.cause = cause


class PurchaseOutcomeUnknown(OutcomeUnknown):
    """A purchase may or may not have happened; check the account's numbers before retrying."""

    def __init__(self, e164: str, cause: PhoneNumbersError) -> None:
        super().__init__("purchase", e164, cause)


class FanOutError(PhoneNumbersError):
    """Some accounts of :meth:`Numbers.iter_fanout` could not be listed.

    Raised at the end of the iteration when the caller asked to continue past
    failures; ``failures`` maps each failing Auth ID to its error.
    """

    def __init__(self, failures: Mapping[str, PhoneNumbersError]) -> None:
        names = ", ".join(sorted(failures))
        super().__init__(f"listing failed for {len(failures)} account(s): {names}")
        self.failures = dict(failures)


class APIErrorFields(TypedDict, total=False):
    """The keyword arguments of every :class:`APIError` (``status`` required there)."""

    status: int
    code: str | None
    request_id: str | None
    body: Any
    attempts: int


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


class NumberTaken(NotFound):
    """The client's conclusion: the number left inventory, and not to this account.

    Raised by a purchase after an ambiguous failure when an exact lookup shows
    the number neither on sale nor owned (another buyer got it).
    """

    def __init__(self, e164: str, *, attempts: int = 1) -> None:
        super().__init__(
            f"{e164} is no longer in inventory and this account does not own it "
            "(another buyer got it)",
            status=404,
            code="number_taken",
            attempts=attempts,
        )
        self.e164 = e164


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
        **fields: Unpack[APIErrorFields],
    ) -> None:
        fields.setdefault("status", 409)
        fields.setdefault("code", "did_cool_off_in_effect")
        super().__init__(message, **fields)
        self.cool_off_until = cool_off_until
        self.cool_off_remaining = cool_off_remaining


class Unprocessable(APIError):
    """422: the request was well-formed but its content was refused."""


class RateLimited(APIError):
    """429: too many requests; ``retry_after`` is the server's advice in seconds."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, **fields: Unpack[APIErrorFields]
    ) -> None:
        fields.setdefault("status", 429)
        super().__init__(message, **fields)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server (or a gateway in front of it) failed."""
