"""The one "was it done anyway?" mechanism, used by every call that changes state.

A state change (purchase, release, assign, unassign, and every later one) is
described by a :class:`StateChange`: its request, how to read its success,
which error answers may be hearing about its own earlier attempt, and how to
look at the server's state to see whether the work was done. :func:`apply`
sends it through the one retry loop (``_retry.send_with_retries``), which
asks the change to verify after every ambiguous failure, before it resends
or reports; this module turns the loop's findings into the call's result:

- done (by this call, or by an earlier attempt whose answer was lost): the result;
- not done, and the server said why: that error;
- not done, established by a lookup: the lookup's error (``NumberTaken``…);
- not established, or an attempt that may still land: :class:`OutcomeUnknown`.

A 2xx whose body cannot be read is a success: the change's state is looked
up for the full result, and the change says what to return when even that
fails.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from ._retry import (
    Done,
    Failed,
    RetryPolicy,
    SendResult,
    Settle,
    Unknown,
    Verdict,
    deadline_scope,
    verify_safely,
)
from ._sansio import Request, Response, error_from_response
from .errors import APIError, OutcomeUnknown, PhoneNumbersError, UnexpectedResponse

__all__ = ["Requester", "StateChange", "apply", "nothing_to_recover"]

logger = logging.getLogger("phonenumbers_async")

T = TypeVar("T")


class Requester(Protocol):
    """What resources need from a client: who it is, its policy, and sending."""

    @property
    def auth_id(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    @property
    def max_concurrency(self) -> int: ...

    @property
    def retry_policy(self) -> RetryPolicy: ...

    @property
    def deadline(self) -> float | None: ...

    async def send(self, request: Request, *, settle: Settle | None = None) -> SendResult:
        """Send with retries; the last answer, error statuses included."""
        ...

    async def call(self, request: Request) -> Response:
        """Send with retries; a 2xx answer, or the typed error."""
        ...


class StateChange(Generic[T]):
    """One state-changing call, as the reconciliation needs to know it.

    ``read`` turns a 2xx answer into the result (raising
    :class:`UnexpectedResponse` when it cannot); ``check`` looks at the
    server's state and says whether the work is done; ``own_effect`` tells
    which error answers, after an ambiguous attempt, may be hearing about
    that attempt's own work (a purchase's 404, a release's 403…);
    ``recover`` gives the result of a success whose body could not be read
    (looking the state up, or knowing what success means); ``unknown``
    builds the error for an outcome that could not be established.
    ``subject`` names what the change acts on (a number, a sub-account).
    """

    def __init__(
        self,
        *,
        operation: str,
        subject: str,
        request: Request,
        read: Callable[[Response], T],
        check: Callable[[], Awaitable[Verdict]],
        own_effect: Callable[[APIError], bool],
        recover: Callable[[UnexpectedResponse], Awaitable[T]],
        unknown: Callable[[PhoneNumbersError], OutcomeUnknown] | None = None,
    ) -> None:
        self.operation = operation
        self.subject = subject
        self.request = request
        self.read = read
        self.check = check
        self.own_effect = own_effect
        self.recover = recover
        self.unknown = unknown or (lambda cause: OutcomeUnknown(operation, subject, cause))

    # The Settle hooks the retry loop calls.

    def may_be_own_effect(self, error: APIError) -> bool:
        return self.own_effect(error)

    async def verify(self) -> Verdict:
        return await self.check()


async def nothing_to_recover(_: UnexpectedResponse) -> None:
    """``recover`` of a change without a result: an unreadable success body loses nothing."""


async def apply(requester: Requester, change: StateChange[T]) -> T:
    """Carry out ``change`` exactly once, as far as the server's state can tell."""
    with deadline_scope(requester.deadline):
        result = await requester.send(change.request, settle=change)
        return await _conclude(change, result)


async def _conclude(change: StateChange[T], result: SendResult) -> T:
    failure: PhoneNumbersError
    response = result.response
    if response is not None and response.ok:
        try:
            return change.read(response)
        except UnexpectedResponse as exc:
            # The server said yes: the work is done, whatever the body says.
            logger.warning(
                "%s of %s succeeded but its answer was unreadable: %s",
                change.operation,
                change.subject,
                exc,
            )
            return await change.recover(exc)
    if isinstance(result.error, UnexpectedResponse) and 200 <= result.error.status < 300:
        # Said yes with an answer too large to read: done, as an unreadable body is.
        return await change.recover(result.error)
    if result.error is not None:
        failure = result.error
    else:
        assert response is not None  # no error means an answer came
        failure = error_from_response(response, attempts=result.attempts)
    verdict = result.verdict
    if isinstance(verdict, Done):
        logger.info("%s of %s: an earlier attempt had done it", change.operation, change.subject)
        return verdict.value  # type: ignore[no-any-return]  # Done[T] for this change
    if isinstance(verdict, Failed):
        raise verdict.error from failure
    if isinstance(verdict, Unknown):
        failure.add_note(verdict.reason)
        raise change.unknown(failure) from failure
    if result.in_flight:
        # An attempt may still be under way at the server: the state seen so
        # far may still change, so look once more before reporting.
        last_look = await verify_safely(change)
        if isinstance(last_look, Done):
            return last_look.value  # type: ignore[no-any-return]  # Done[T] for this change
        raise change.unknown(failure) from failure
    if result.ambiguous and verdict is None and not isinstance(failure, APIError):
        # No answer, some attempt may have landed, nothing was checked.
        raise change.unknown(failure) from failure
    raise failure
