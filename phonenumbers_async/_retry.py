"""When to resend a request, how long to wait, and the one loop that does it.

The decisions are plain functions of their inputs (:class:`RetryPolicy`,
:func:`classify`); :func:`send_with_retries` is the only loop in the SDK that
sends a request more than once. A state-changing call hands it a
:class:`Settle` (see ``_reconcile``): after an ambiguous failure the loop asks
it what the server's state shows before it resends or gives up, so a resend
never repeats work that was done.

Every call runs under an optional deadline (:func:`deadline_scope`) that
bounds the whole call: attempts are cut to the time left, a wait that would
outlast it is not started, and the checks of a reconciliation share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar

import attrs

from ._sansio import Idempotency, Response, error_from_response
from ._transport import Timeouts
from .errors import (
    APIError,
    DeadlineExceeded,
    PhoneNumbersError,
    RequestTimeout,
    TransportError,
    UnexpectedResponse,
)

__all__ = [
    "Done",
    "Failed",
    "NotDone",
    "Outcome",
    "RetryPolicy",
    "SendResult",
    "Settle",
    "Unknown",
    "Verdict",
    "classify",
    "deadline_scope",
    "remaining_time",
    "send_with_retries",
    "verify_safely",
]

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


class Outcome(enum.Enum):
    """What one answer says about whether the server did the work."""

    #: 2xx: done.
    SUCCESS = "success"
    #: The server refused, and said so: nothing was done, resending changes nothing.
    DECLINED = "declined"
    #: Nothing was done, but trying again later may work (429, 503).
    NOT_DONE = "not done"
    #: The work may or may not have been done (500, 502, 504).
    AMBIGUOUS = "ambiguous"


# Codes that name why a 5xx failed: the docs say a failed debit "currently
# surfaces as a 500", and a refused debit is rolled back.
_DECLINING_CODES = frozenset({"INSUFFICIENT_BALANCE", "insufficient_balance"})


def classify(status: int, code: str | None = None) -> Outcome:
    """The one definition of "the server declined it" (and of its neighbours)."""
    if 200 <= status < 300:
        return Outcome.SUCCESS
    if status == 429 or status == 503:
        # 503: "unable to handle the request" (RFC 9110): it was not handled.
        return Outcome.NOT_DONE
    if status >= 500:
        return Outcome.DECLINED if code in _DECLINING_CODES else Outcome.AMBIGUOUS
    return Outcome.DECLINED


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring ``Retry-After``.

    ``max_retries`` is how many times a request may be sent again (0: never).
    A ``Retry-After`` longer than ``retry_after_max`` is not waited for: the
    error is reported at once. ``sleep`` and ``random`` are there so tests
    can run a policy without waiting and with reproducible jitter.
    """

    max_retries: int = 3
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    retry_after_max: float = 60.0
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES
    sleep: Callable[[float], Awaitable[None]] = attrs.field(default=asyncio.sleep, eq=False)
    random: Callable[[], float] = attrs.field(default=random.random, eq=False)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise ValueError("max_retries must be an integer")
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")

    def backoff(self, attempt: int) -> float:
        """Seconds before resend number ``attempt`` (1-based): uniform in [0, cap)."""
        # The exponent is bounded: past it the cap applies anyway, and 2.0**1024 overflows.
        cap = min(self.backoff_max, self.backoff_base * 2.0 ** min(attempt - 1, 64))
        return self.random() * cap

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """The server's ``Retry-After`` when it gave one, else the backoff.

        None when the server asks for a wait beyond ``retry_after_max``: not worth waiting.
        """
        if retry_after is not None:
            return retry_after if retry_after <= self.retry_after_max else None
        return self.backoff(attempt)

    def may_resend_status(self, idempotency: Idempotency, status: int) -> bool:
        """Whether an error status allows sending the same request again, unverified."""
        outcome = classify(status)
        if outcome is Outcome.NOT_DONE:
            return status in self.retry_statuses
        if outcome is not Outcome.AMBIGUOUS:
            return False
        # A read can always be repeated; a 500 to it is worth another try too.
        if idempotency is Idempotency.SAFE:
            return status in self.retry_statuses or status == 500
        return False

    @staticmethod
    def may_resend_after_transport_error(idempotency: Idempotency, maybe_sent: bool) -> bool:
        """Whether a connection-level failure allows sending the request again, unverified."""
        return idempotency is Idempotency.SAFE or not maybe_sent


# Deadlines ------------------------------------------------------------------

# The monotonic time by which the current call must end, for everything the
# call sends (its checks included). Tasks inherit it with their context.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "phonenumbers_async_deadline", default=None
)


@contextlib.contextmanager
def deadline_scope(seconds: float | None) -> Iterator[None]:
    """Run the block under a deadline of ``seconds`` from now (None: none).

    An enclosing scope's deadline stays in force when it is sooner: a call
    made inside another call cannot outlive it.
    """
    if seconds is None:
        yield
        return
    expires = time.monotonic() + seconds
    current = _DEADLINE.get()
    if current is not None and current <= expires:
        yield
        return
    token = _DEADLINE.set(expires)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining_time() -> float | None:
    """Seconds left before the current call's deadline (None: no deadline)."""
    expires = _DEADLINE.get()
    return None if expires is None else expires - time.monotonic()


# Reconciliation hooks ---------------------------------------------------------


@attrs.frozen
class Done(Generic[T]):
    """The work was done (by this call or an earlier attempt of it); ``value`` is its result."""

    value: T


@attrs.frozen
class NotDone:
    """The work was not done: sending again is safe."""


@attrs.frozen
class Failed:
    """The work was not done and will not be: ``error`` says why."""

    error: PhoneNumbersError


@attrs.frozen
class Unknown:
    """The state could not be established; ``reason`` says why."""

    reason: str


Verdict = Done[Any] | NotDone | Failed | Unknown


class Settle(Protocol):
    """What the retry loop asks a state-changing call after an ambiguous failure."""

    def may_be_own_effect(self, error: APIError) -> bool:
        """Whether ``error``, to a resend, may be hearing about an earlier attempt's work."""
        ...

    async def verify(self) -> Verdict:
        """Look at the server's state: was the work done?"""
        ...


@attrs.frozen
class SendResult:
    """How a send ended.

    ``response`` is the last answer (an error status included; None when no
    readable answer came, and then ``error`` is the transport failure or the
    unreadable answer); ``verdict`` is
    the last reconciliation's finding; ``ambiguous`` tells whether an
    attempt may have done the work; ``in_flight`` whether one may still be
    under way at the server (a timeout, a dropped connection, a gateway's
    502/504), so that the state seen now may still change.
    """

    response: Response | None
    attempts: int
    ambiguous: bool = False
    in_flight: bool = False
    verdict: Verdict | None = None
    error: TransportError | UnexpectedResponse | None = None

    def raise_error(self) -> None:
        """Raise the failure that left the send without a readable answer, if one did."""
        if self.error is not None:
            raise self.error


Attempt = Callable[[Timeouts], Awaitable[Response]]


async def send_with_retries(
    attempt: Attempt,
    *,
    idempotency: Idempotency,
    policy: RetryPolicy,
    timeouts: Timeouts,
    settle: Settle | None = None,
    on_attempt: Callable[[int, Response | PhoneNumbersError, float], None] | None = None,
) -> SendResult:
    """Send until an answer is final, resending as the policy, the verdicts and the deadline allow.

    When no answer came, the result carries the :class:`TransportError`
    (``maybe_sent`` set when any attempt may have reached the server).
    """
    ambiguous = False
    in_flight = False
    verdict: Verdict | None = None
    number = 0
    while True:
        number += 1
        started = time.monotonic()
        retry_after: float | None = None
        unanswered: TransportError | UnexpectedResponse | None = None
        response: Response | None = None
        cut_by_deadline = False
        try:
            attempt_timeouts, cut_by_deadline = _timeouts_within_deadline(timeouts)
            response = await attempt(attempt_timeouts)
        except TransportError as exc:
            if cut_by_deadline and isinstance(exc, RequestTimeout):
                exc = _deadline_exceeded(exc)
            this_sent = exc.maybe_sent
            in_flight = in_flight or this_sent
            ambiguous = ambiguous or this_sent
            exc.attempts = number
            exc.maybe_sent = ambiguous
            unanswered = exc
            if on_attempt is not None:
                on_attempt(number, exc, time.monotonic() - started)
            if isinstance(exc, DeadlineExceeded) and not this_sent:
                # Out of time before anything went out: nothing more to try.
                return SendResult(None, number, ambiguous, in_flight, verdict, exc)
            if not policy.may_resend_after_transport_error(idempotency, this_sent):
                if settle is None or not this_sent:
                    return SendResult(None, number, ambiguous, in_flight, verdict, exc)
                verdict = await verify_safely(settle)
                if not isinstance(verdict, NotDone):
                    return SendResult(None, number, ambiguous, in_flight, verdict, exc)
        except UnexpectedResponse as exc:
            unanswered = exc
            if on_attempt is not None:
                on_attempt(number, exc, time.monotonic() - started)
            if 200 <= exc.status < 300:
                # A success whose body could not be read: done, never to be resent.
                return SendResult(None, number, ambiguous, in_flight, verdict, exc)
            # An error answer that could not be read: whether it did the work is unknown.
            ambiguous = True
            if settle is None:
                return SendResult(None, number, ambiguous, in_flight, verdict, exc)
            verdict = await verify_safely(settle)
            if not isinstance(verdict, NotDone):
                return SendResult(None, number, ambiguous, in_flight, verdict, exc)
        else:
            if on_attempt is not None:
                on_attempt(number, response, time.monotonic() - started)
            if response.ok:
                return SendResult(response, number, ambiguous, in_flight, verdict)
            error = error_from_response(response, attempts=number)
            outcome = classify(response.status, error.code)
            retry_after = response.retry_after
            if outcome is Outcome.DECLINED:
                if settle is not None and ambiguous and settle.may_be_own_effect(error):
                    verdict = await verify_safely(settle)
                    return SendResult(response, number, ambiguous, in_flight, verdict)
                return SendResult(response, number, ambiguous, in_flight, verdict)
            if outcome is Outcome.AMBIGUOUS:
                ambiguous = True
                in_flight = in_flight or response.status in (502, 504)
            if not policy.may_resend_status(idempotency, response.status):
                if settle is None or outcome is not Outcome.AMBIGUOUS:
                    return SendResult(response, number, ambiguous, in_flight, verdict)
                verdict = await verify_safely(settle)
                if not isinstance(verdict, NotDone):
                    return SendResult(response, number, ambiguous, in_flight, verdict)
        # Another attempt, if the budget and the deadline allow it.
        delay = policy.delay(number, retry_after) if number <= policy.max_retries else None
        left = remaining_time()
        if delay is None or (left is not None and delay >= left):
            return SendResult(response, number, ambiguous, in_flight, verdict, unanswered)
        await policy.sleep(delay)


def _timeouts_within_deadline(timeouts: Timeouts) -> tuple[Timeouts, bool]:
    """The attempt's timeouts cut to the deadline, and whether they were cut."""
    left = remaining_time()
    if left is None:
        return timeouts, False
    if left <= 0:
        raise DeadlineExceeded(
            "the call's deadline ran out before it could be completed", maybe_sent=False
        )
    if timeouts.total is not None and timeouts.total <= left:
        return timeouts, False
    connect = timeouts.connect if timeouts.connect is None else min(timeouts.connect, left)
    return Timeouts(total=left, connect=connect), True


def _deadline_exceeded(error: RequestTimeout) -> DeadlineExceeded:
    replacement = DeadlineExceeded(
        f"the call's deadline ran out ({error.message})", maybe_sent=error.maybe_sent
    )
    replacement.__cause__ = error
    return replacement


async def verify_safely(settle: Settle) -> Verdict:
    """The settle hook's verdict; a check that fails itself leaves the outcome unknown."""
    try:
        return await settle.verify()
    except PhoneNumbersError as exc:
        return Unknown(f"checking the outcome failed: {exc}")
