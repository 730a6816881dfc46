"""``client.numbers``: the account's own numbers, purchase and release."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator
from functools import partial
from typing import Literal

import attrs

from .._models import Page, PhoneNumber
from .._paging import PageReader, iterate_items
from .._retry import is_ambiguous_status
from .._sansio import (
    Idempotency,
    Request,
    decode_number_page,
    decode_purchase,
    error_from_response,
    json_body,
    paging,
    path,
    query,
)
from .._validation import (
    check_concurrency,
    check_e164,
    check_flag,
    check_page,
    check_per_page,
)
from ..errors import (
    APIError,
    FanOutError,
    InsufficientBalance,
    NotFound,
    PhoneNumbersError,
    PurchaseOutcomeUnknown,
    ServerError,
    TransportError,
    ValidationError,
)
from ._base import Resource, done_anyway

__all__ = ["Numbers"]

logger = logging.getLogger("phonenumbers_async")


# A 5xx that names its cause is not ambiguous: the purchase was refused.
_KNOWN_OUTCOME_ERRORS = (InsufficientBalance,)


class _PurchaseState(enum.Enum):
    IN_INVENTORY = "in inventory"
    GONE = "gone"


@attrs.frozen
class _AccountDone:
    auth_id: str
    error: Exception | None = None


class Numbers(Resource):
    """The numbers an account owns: list them, buy from inventory, release."""

    # -- listing ---------------------------------------------------------

    async def list(
        self,
        *,
        page: int = 1,
        per_page: int = 25,
        include_subaccounts: bool | None = None,
        auth_id: str | None = None,
    ) -> Page[PhoneNumber]:
        """One page of the account's numbers (a master's include its sub-accounts' by default).

        ``auth_id`` lists a sub-account's numbers with the master's credentials.
        """
        check_page(page)
        check_per_page(per_page)
        check_flag(include_subaccounts, "include_subaccounts")
        read = await self._fetch(page, per_page, include_subaccounts, self._account(auth_id))
        return read()

    async def _fetch(
        self, page: int, per_page: int, include_subaccounts: bool | None, account: str
    ) -> PageReader[PhoneNumber]:
        request = Request(
            "GET",
            path("v1", "account", account, "numbers"),
            query(**paging(page, per_page), include_subaccounts=include_subaccounts),
        )
        result = await self._client._call(request)
        return partial(decode_number_page, result.response.body, page, per_page)

    def iter_pages(
        self,
        *,
        per_page: int = 100,
        include_subaccounts: bool | None = None,
        auth_id: str | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> AsyncIterator[Page[PhoneNumber]]:
        """Every page of the account's numbers, in order, the next ones fetched ahead."""
        account = self._account(auth_id)
        check_flag(include_subaccounts, "include_subaccounts")
        return self._pages(
            lambda number, size: self._fetch(number, size, include_subaccounts, account),
            per_page=per_page,
            start_page=start_page,
            max_concurrency=max_concurrency,
        )

    def iter(
        self,
        *,
        per_page: int = 100,
        include_subaccounts: bool | None = None,
        auth_id: str | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> AsyncIterator[PhoneNumber]:
        """Every number of the account, lazily (``async for``); pages are prefetched."""
        return iterate_items(
            self.iter_pages(
                per_page=per_page,
                include_subaccounts=include_subaccounts,
                auth_id=auth_id,
                start_page=start_page,
                max_concurrency=max_concurrency,
            )
        )

    def iter_fanout_pages(
        self,
        *,
        concurrency: int | None = None,
        per_page: int = 100,
        on_error: Literal["raise", "collect"] = "raise",
    ) -> AsyncIterator[Page[PhoneNumber]]:
        """Pages of the master's and every sub-account's numbers, listed concurrently.

        Pages of different accounts arrive interleaved, each account's in order.
        """
        check_per_page(per_page)
        bound = self._client.max_concurrency if concurrency is None else concurrency
        check_concurrency(bound, "concurrency")
        if on_error not in ("raise", "collect"):
            raise ValidationError(f"on_error must be 'raise' or 'collect', not {on_error!r}")
        return self._fan_out(bound, per_page, on_error)

    def iter_fanout(
        self,
        *,
        concurrency: int | None = None,
        per_page: int = 100,
        on_error: Literal["raise", "collect"] = "raise",
    ) -> AsyncIterator[PhoneNumber]:
        """Every number of the master and of each sub-account, listed concurrently.

        Each number's ``account_id`` is its owner. A failing account raises its
        error at once (``on_error="raise"``), or, with ``on_error="collect"``,
        the other accounts are still yielded and a :class:`FanOutError` listing
        the failures is raised at the end.
        """
        return iterate_items(
            self.iter_fanout_pages(concurrency=concurrency, per_page=per_page, on_error=on_error)
        )

    async def _fan_out(
        self, concurrency: int, per_page: int, on_error: str
    ) -> AsyncIterator[Page[PhoneNumber]]:
        accounts = [self._client.auth_id]
        accounts += [sub.auth_id async for sub in self._client.subaccounts.iter(per_page=100)]
        # Bounded: a slow consumer holds at most this many pages plus one per worker.
        queue: asyncio.Queue[Page[PhoneNumber] | _AccountDone] = asyncio.Queue(concurrency)
        slots = asyncio.Semaphore(concurrency)

        async def list_account(account: str) -> None:
            async with slots:
                try:
                    pages = self.iter_pages(
                        auth_id=account,
                        include_subaccounts=False,
                        per_page=per_page,
                        max_concurrency=1,
                    )
                    async with contextlib.aclosing(pages):  # type: ignore[type-var]
                        async for page in pages:
                            await queue.put(_stamp_owner(page, account))
                except Exception as exc:  # reported to the consumer, never lost
                    # Every worker must say it is done, or the consumer waits forever.
                    await queue.put(_AccountDone(account, exc))
                    return
            await queue.put(_AccountDone(account))

        workers = [asyncio.ensure_future(list_account(account)) for account in accounts]
        failures: dict[str, PhoneNumbersError] = {}
        try:
            remaining = len(workers)
            while remaining:
                message = await queue.get()
                if isinstance(message, Page):
                    yield message
                    continue
                remaining -= 1
                error = message.error
                if error is not None:
                    # Only the API's own errors are collected; a bug is raised at once.
                    if on_error == "raise" or not isinstance(error, PhoneNumbersError):
                        error.add_note(f"while listing the numbers of {message.auth_id}")
                        raise error
                    failures[message.auth_id] = error
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        if failures:
            raise FanOutError(failures)

    # -- purchase --------------------------------------------------------

    async def purchase(
        self, e164: str, *, currency: str | None = None, auth_id: str | None = None
    ) -> PhoneNumber:
        """Buy ``e164`` from inventory for this account (or sub-account ``auth_id``).

        Never resent blindly: after an ambiguous failure (timeout, dropped
        connection, 5xx) the client checks whether the number is still in
        inventory or now owned, and then retries, returns the owned number, or
        raises :class:`PurchaseOutcomeUnknown`.
        """
        check_e164(e164)
        account = self._account(auth_id)
        payload: dict[str, str] = {"e164": e164}
        if currency is not None:
            payload["currency"] = currency
        request = Request(
            "POST",
            path("v1", "account", account, "numbers", "purchase-from-inventory"),
            body=json_body(payload),
            idempotency=Idempotency.NEVER,
        )
        policy = self._client.retry_policy
        # Set once an attempt may still be under way at the server (a timeout,
        # a dropped connection, a gateway's 502/504): from then on "still in
        # inventory" proves nothing, and no failure is final until checked.
        in_flight = False
        round_number = 0
        while True:
            round_number += 1
            failure: PhoneNumbersError
            try:
                result = await self._client._send(request)
            except TransportError as exc:
                if not exc.maybe_sent:
                    return await self._give_up(e164, account, exc, in_flight)
                failure = exc
                in_flight = True
            else:
                response = result.response
                if response.ok:
                    return await self._purchased(response.body, e164, account)
                error = error_from_response(response, attempts=result.attempts)
                retry_after = response.retry_after
                # A resend told "not in inventory" may be hearing about our own
                # earlier attempt, which landed after the check saw the number
                # still on sale: establish that before reporting NotFound.
                own_earlier_attempt = round_number > 1 and isinstance(error, NotFound)
                if not own_earlier_attempt and (
                    not is_ambiguous_status(response.status, retry_after)
                    or isinstance(error, _KNOWN_OUTCOME_ERRORS)
                ):
                    return await self._give_up(e164, account, error, in_flight)
                failure = error
                in_flight = in_flight or response.status in (502, 504)
            logger.info("purchase of %s failed ambiguously (%s); reconciling", e164, failure)
            try:
                state = await self._settled_purchase_state(e164, account)
            except PhoneNumbersError as check_error:
                raise PurchaseOutcomeUnknown(e164, failure) from check_error
            if isinstance(state, PhoneNumber):
                logger.info("purchase of %s had succeeded; returning the owned number", e164)
                return state
            if state is _PurchaseState.GONE:
                raise NotFound(
                    f"{e164} is no longer in inventory and this account does not own it "
                    "(another buyer got it)",
                    status=404,
                    code="not_in_inventory",
                    attempts=round_number,
                ) from failure
            # Still in inventory: no attempt has taken effect yet, so one more may be sent.
            if round_number > policy.max_retries:
                return await self._give_up(e164, account, failure, in_flight)
            await policy.sleep(policy.backoff(round_number))

    async def _give_up(
        self, e164: str, account: str, failure: PhoneNumbersError, in_flight: bool
    ) -> PhoneNumber:
        """Raise ``failure``, unless an attempt that may still land makes it untrue.

        With an attempt possibly still under way, the number is looked up once
        more: owned means the purchase happened; anything else is unknown.
        """
        if not in_flight:
            raise failure
        try:
            state = await self._settled_purchase_state(e164, account)
        except PhoneNumbersError:
            state = _PurchaseState.GONE
        if isinstance(state, PhoneNumber):
            return state
        raise PurchaseOutcomeUnknown(e164, failure) from failure

    async def _purchased(self, body: bytes, e164: str, account: str) -> PhoneNumber:
        """The bought number from a 2xx answer; a body that cannot be read is no failure."""
        try:
            return decode_purchase(body)
        except (APIError, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            # The server said yes: the number is ours whatever the body says.
            logger.warning("purchase of %s succeeded but its answer was unreadable: %s", e164, exc)
            try:
                owned = await self.find(e164, auth_id=account)
            except PhoneNumbersError:
                owned = None
            return owned or PhoneNumber(e164=e164, account_id=account)

    async def _settled_purchase_state(
        self, e164: str, account: str
    ) -> PhoneNumber | _PurchaseState:
        """:meth:`_purchase_state`, asked again when the check itself fails transiently.

        The check only reads, so a 5xx or a connection failure (which the
        client's own retries may not cover, a 500 for one) is worth another
        try before the caller is told the outcome is unknown.
        """
        policy = self._client.retry_policy
        check = 0
        while True:
            check += 1
            try:
                return await self._purchase_state(e164, account)
            except (ServerError, TransportError):
                if check > policy.max_retries:
                    raise
                await policy.sleep(policy.backoff(check))

    async def _purchase_state(self, e164: str, account: str) -> PhoneNumber | _PurchaseState:
        """In inventory, owned by ``account`` (the number), or gone elsewhere."""
        if await self._client.inventory.contains(e164):
            return _PurchaseState.IN_INVENTORY
        owned = await self.find(e164, auth_id=account)
        return owned if owned is not None else _PurchaseState.GONE

    async def find(self, e164: str, *, auth_id: str | None = None) -> PhoneNumber | None:
        """The account's own number ``e164``, or None (scans the account's listing)."""
        check_e164(e164)
        pages = self.iter_pages(auth_id=auth_id, include_subaccounts=False, per_page=100)
        async with contextlib.aclosing(pages):  # type: ignore[type-var]
            async for page in pages:
                for number in page.items:
                    if number.e164 == e164:
                        return number
        return None

    # -- release ---------------------------------------------------------

    async def release(self, e164: str, *, auth_id: str | None = None) -> None:
        """Release ``e164`` back to inventory (permanent).

        When a resent release is told "not owned", the client checks whether
        its own earlier attempt released the number before reporting failure.
        """
        check_e164(e164)
        request = Request(
            "DELETE",
            path("v1", "account", self._account(auth_id), "numbers", e164),
            idempotency=Idempotency.RECONCILABLE,
        )
        result = await self._client._send(request)
        if result.response.ok:
            return
        error = error_from_response(result.response, attempts=result.attempts)
        retry_after = result.response.retry_after
        # Done already? A resend told "not owned" after an ambiguous attempt, or
        # a last answer (500, 502, 504) that leaves open whether it was done.
        maybe_done = (
            result.earlier_attempt_ambiguous and error.status in (403, 404)
        ) or is_ambiguous_status(error.status, retry_after)
        if maybe_done and await done_anyway(self._client.inventory.contains(e164), error):
            logger.info("release of %s: an earlier attempt had released it", e164)
            return
        raise error


def _stamp_owner(page: Page[PhoneNumber], account: str) -> Page[PhoneNumber]:
    if all(number.account_id is not None for number in page.items):
        return page
    items = tuple(
        number if number.account_id is not None else attrs.evolve(number, account_id=account)
        for number in page.items
    )
    return attrs.evolve(page, items=items)
