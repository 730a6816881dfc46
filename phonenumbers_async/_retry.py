"""When to resend a request and how long to wait first: pure decisions, no I/O."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import attrs

from ._sansio import Idempotency

__all__ = ["RetryPolicy"]

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring ``Retry-After``.

    ``max_retries`` is how many times a request may be sent again (0: never).
    ``sleep`` and ``random`` are there so tests can run a policy without
    waiting and with reproducible jitter.
    """

    max_retries: int = 3
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    retry_after_max: float = 60.0
    retry_statuses: frozenset[int] = RETRYABLE_STATUSES
    sleep: Callable[[float], Awaitable[None]] = attrs.field(default=asyncio.sleep, eq=False)
    random: Callable[[], float] = attrs.field(default=random.random, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")

    def backoff(self, attempt: int) -> float:
        """Seconds before resend number ``attempt`` (1-based): uniform in [0, cap)."""
        # The exponent is bounded: past it the cap applies anyway, and 2.0**1024 overflows.
        cap = min(self.backoff_max, self.backoff_base * 2.0 ** min(attempt - 1, 64))
        return self.random() * cap

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The server's ``Retry-After`` when it gave one (capped), else the backoff."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        return self.backoff(attempt)

    def may_resend_status(
        self, idempotency: Idempotency, status: int, retry_after: float | None
    ) -> bool:
        """Whether an error status allows sending the same request again."""
        if status not in self.retry_statuses:
            return False
        if idempotency is not Idempotency.NEVER:
            return True
        # A purchase only when the server said it did nothing: 429 always does,
        # 503 does when it asks us to come back later.
        return status == 429 or (status == 503 and retry_after is not None)

    @staticmethod
    def may_resend_after_transport_error(idempotency: Idempotency, maybe_sent: bool) -> bool:
        """Whether a connection-level failure allows sending the request again."""
        return idempotency is not Idempotency.NEVER or not maybe_sent


def is_ambiguous_status(status: int, retry_after: float | None) -> bool:
    """Whether an error status leaves open that the server did the work."""
    if status == 429 or (status == 503 and retry_after is not None):
        return False
    return status >= 500
