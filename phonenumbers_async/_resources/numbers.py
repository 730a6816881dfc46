"""``client.numbers``: the account's own numbers, purchase and release."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from functools import partial
from os import PathLike
from typing import Literal

import attrs

from .._bulk._engine import BulkEngine, pairs_of, unique_numbers
from .._bulk._jobs import ProvisionJob, PurchaseJob, ReleaseJob, RouteTarget, route_step
from .._bulk._journal import JobIdentity, JournalStore
from .._bulk._outcome import BulkOutcome
from .._bulk._plan import ProvisionOrder, PurchasePlan, plan_order, plan_purchase
from .._models import (
    NumberHealth,
    NumberStatus,
    Page,
    PhoneNumber,
    Release,
    ReleaseCancellation,
)
from .._paging import PageReader, iterate_items
from .._reconcile import StateChange, apply, nothing_to_recover
from .._retry import Done, Failed, NotDone, Unknown, Verdict, deadline_scope
from .._sansio import (
    Idempotency,
    Request,
    Response,
    decode_cancellation,
    decode_health,
    decode_number_page,
    decode_purchase,
    decode_release,
    json_body,
    paging,
    path,
    query,
)
from .._validation import (
    check_application_id,
    check_concurrency,
    check_days,
    check_e164,
    check_flag,
    check_granularity,
    check_page,
    check_per_page,
    check_search,
    check_trunk_group_id,
)
from ..errors import (
    FanOutError,
    NotFound,
    NumberTaken,
    PhoneNumbersError,
    PurchaseOutcomeUnknown,
    UnexpectedResponse,
    ValidationError,
)
from ._base import Resource
from ._lookup import Presence, find_owned, inventory_presence
from .account import Account
from .inventory import Inventory
from .subaccounts import SubAccounts

__all__ = ["Numbers"]

logger = logging.getLogger("phonenumbers_async")

# Statuses a released number can show while it is still listed on the account.
_RELEASED_STATUSES = frozenset({"pending_release", "released"})
# What an unreadable 2xx release means when no lookup can say more.
_RELEASING = NumberStatus.PENDING_RELEASE


@attrs.frozen
class _Route:
    """Where a number routes to: the path's tail, the number's field, the answers to check.

    ``set_refusals`` and ``clear_refusals`` are the statuses that, to a resend,
    may be hearing about the earlier attempt ("already assigned", "not on a
    trunk"), so the number is looked up before they are believed.
    """

    name: str
    tail: str
    field: str
    set_refusals: tuple[int, ...]
    clear_refusals: tuple[int, ...]


_TRUNK = _Route(
    "trunk", "assign", "trunk_group_id", set_refusals=(400, 409), clear_refusals=(400, 404)
)
_APPLICATION = _Route(
    "application",
    "application",
    "application_id",
    set_refusals=(400, 409),
    clear_refusals=(400, 404),
)


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
        search: str | None = None,
        auth_id: str | None = None,
    ) -> Page[PhoneNumber]:
        """One page of the account's numbers (a master's include its sub-accounts' by default).

        ``search`` keeps the numbers containing it (a part of the E.164
        number, ``+`` optional); ``auth_id`` lists a sub-account's numbers
        with the master's credentials.
        """
        check_page(page)
        check_per_page(per_page)
        check_flag(include_subaccounts, "include_subaccounts")
        check_search(search)
        read = await self._fetch(
            page, per_page, include_subaccounts, search, self._account(auth_id)
        )
        return read()

    async def _fetch(
        self,
        page: int,
        per_page: int,
        include_subaccounts: bool | None,
        search: str | None,
        account: str,
    ) -> PageReader[PhoneNumber]:
        request = Request(
            "GET",
            path("v1", "account", account, "numbers"),
            query(**paging(page, per_page), include_subaccounts=include_subaccounts, search=search),
        )
        response = await self._client.call(request)
        return partial(decode_number_page, response.body, page, per_page)

    def iter_pages(
        self,
        *,
        per_page: int = 100,
        include_subaccounts: bool | None = None,
        search: str | None = None,
        auth_id: str | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> AsyncIterator[Page[PhoneNumber]]:
        """Every page of the account's numbers, in order, the next ones fetched ahead."""
        account = self._account(auth_id)
        check_flag(include_subaccounts, "include_subaccounts")
        check_search(search)
        return self._pages(
            lambda number, size: self._fetch(number, size, include_subaccounts, search, account),
            per_page=per_page,
            start_page=start_page,
            max_concurrency=max_concurrency,
        )

    def iter(
        self,
        *,
        per_page: int = 100,
        include_subaccounts: bool | None = None,
        search: str | None = None,
        auth_id: str | None = None,
        start_page: int = 1,
        max_concurrency: int | None = None,
    ) -> AsyncIterator[PhoneNumber]:
        """Every number of the account (containing ``search``), lazily; pages are prefetched."""
        return iterate_items(
            self.iter_pages(
                per_page=per_page,
                include_subaccounts=include_subaccounts,
                search=search,
                auth_id=auth_id,
                start_page=start_page,
                max_concurrency=max_concurrency,
            )
        )

    async def get(self, e164: str, *, auth_id: str | None = None) -> PhoneNumber:
        """The account's own number ``e164``, looked up with one ``search`` request.

        Raises :class:`NotFound` when the account does not own it. Against a
        server that ignores ``search`` the account's listing is scanned, and
        the error says that a miss there is not proof.
        """
        check_e164(e164)
        account = self._account(auth_id)
        with deadline_scope(self._client.deadline):
            found = await find_owned(self._client, e164, account)
        if found.number is not None:
            return found.number
        error = NotFound(f"{account} does not own {e164}", status=404, code="number_not_found")
        if not found.exact:
            error.add_note(
                "the server ignored the search filter, so the whole listing was scanned; "
                "a number can be missed while a live listing shifts"
            )
        raise error

    async def find(self, e164: str, *, auth_id: str | None = None) -> PhoneNumber | None:
        """The account's own number ``e164``, or None (like :meth:`get`, without the error)."""
        check_e164(e164)
        with deadline_scope(self._client.deadline):
            found = await find_owned(self._client, e164, self._account(auth_id))
        return found.number

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
        accounts += [sub.auth_id async for sub in SubAccounts(self._client).iter(per_page=100)]
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

        Never resent blindly: after an ambiguous failure (a timeout, a dropped
        connection, a 5xx) the client looks the number up (inventory, then the
        account's own numbers) and then resends, returns the owned number,
        raises :class:`NumberTaken` (another buyer got it) or
        :class:`PurchaseOutcomeUnknown`.
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

        async def check() -> Verdict:
            # Inventory first: once the number has left it, no attempt of ours
            # can still change who owns it, so the owner lookup after it is
            # final. Owned wins even when inventory still lists it (a listing
            # that lags the purchase).
            on_sale = await inventory_presence(self._client, e164)
            owned = await find_owned(self._client, e164, account)
            if owned.number is not None:
                return Done(owned.number)
            if on_sale is Presence.PRESENT:
                return NotDone()
            if on_sale is Presence.ABSENT and owned.exact:
                return Failed(NumberTaken(e164))
            return Unknown("the number was neither found on sale nor owned by an exact lookup")

        def read(response: Response) -> PhoneNumber:
            number = decode_purchase(response.body)
            if number.e164 != e164:
                raise UnexpectedResponse(
                    f"the purchase answer describes {number.e164[:20]!r}, not {e164}",
                    status=response.status,
                )
            # Bought for this account: an answer that leaves the owner out still means it.
            return number if number.account_id else attrs.evolve(number, account_id=account)

        async def recover(_: UnexpectedResponse) -> PhoneNumber:
            # Bought, whatever the body says: the full number if a lookup finds it.
            try:
                owned = await find_owned(self._client, e164, account)
            except PhoneNumbersError:
                owned = None
            if owned is not None and owned.number is not None:
                return owned.number
            return PhoneNumber(e164=e164, account_id=account)

        return await apply(
            self._client,
            StateChange(
                operation="purchase",
                subject=e164,
                request=request,
                read=read,
                check=check,
                # A resend told "not in inventory" may hear of our own earlier attempt.
                own_effect=lambda error: isinstance(error, NotFound),
                recover=recover,
                unknown=lambda cause: PurchaseOutcomeUnknown(e164, cause),
            ),
        )

    # -- release and its cancellation ---------------------------------------

    async def release(
        self, e164: str, *, immediate: bool = False, auth_id: str | None = None
    ) -> Release:
        """Release ``e164`` from the account; the answer says what happens next.

        The current API keeps the number as ``pending_release`` for 24 hours
        (:meth:`cancel_release` undoes it; ``immediate=True`` skips that
        window), then quarantines it for 45 days. Older servers answer 204 or
        a message and return it to inventory at once (``status`` ``released``).
        After an ambiguous failure, or a resend told "not owned", the number
        is looked up: pending release or gone means an attempt of this call
        did it.
        """
        check_e164(e164)
        check_flag(immediate, "immediate")
        account = self._account(auth_id)
        request = Request(
            "DELETE",
            path("v1", "account", account, "numbers", e164),
            query(immediate=True if immediate else None),
            idempotency=Idempotency.RECONCILABLE,
        )

        async def check() -> Verdict:
            # The whole family: a master may release its sub-accounts' numbers.
            owned = await find_owned(self._client, e164, account, family=True)
            if owned.number is not None:
                status = owned.number.status
                # An immediate release leaves the account at once: still listed,
                # even as pending release, means it was not done.
                if not immediate and status is not None and status.value in _RELEASED_STATUSES:
                    return Done(Release(status=status))
                return NotDone()
            if not owned.exact:
                return Unknown("the lookup was not exact")
            # Gone from the account. Done only on evidence: back in inventory
            # (the older API), or quarantined after an immediate release.
            on_sale = await inventory_presence(self._client, e164)
            if on_sale is Presence.PRESENT:
                return Done(Release(status=NumberStatus.RELEASED))
            if on_sale is Presence.ABSENT and immediate:
                return Done(Release(status=NumberStatus.RELEASED))
            return Unknown("the number is neither listed on the account nor in inventory")

        async def recover(_: UnexpectedResponse) -> Release:
            verdict = await check()
            return verdict.value if isinstance(verdict, Done) else Release(status=_RELEASING)

        return await apply(
            self._client,
            StateChange(
                operation="release",
                subject=e164,
                request=request,
                read=lambda response: decode_release(response.status, response.body),
                check=check,
                own_effect=lambda error: error.status in (403, 404),
                recover=recover,
            ),
        )

    async def cancel_release(self, e164: str, *, auth_id: str | None = None) -> ReleaseCancellation:
        """Put a ``pending_release`` number back to ``active`` (within its 24-hour window).

        A resend told "number is not pending release" looks the number up:
        active on the account means an earlier attempt cancelled it.
        """
        check_e164(e164)
        account = self._account(auth_id)
        request = Request(
            "POST",
            path("v1", "account", account, "numbers", e164, "cancel-release"),
            idempotency=Idempotency.RECONCILABLE,
        )

        async def check() -> Verdict:
            return await self._routing_state(
                e164,
                account,
                lambda number: number.status is NumberStatus.ACTIVE,
                done=ReleaseCancellation(status=NumberStatus.ACTIVE),
            )

        async def recover(_: UnexpectedResponse) -> ReleaseCancellation:
            return ReleaseCancellation(status=NumberStatus.ACTIVE)

        return await apply(
            self._client,
            StateChange(
                operation="cancel-release",
                subject=e164,
                request=request,
                read=lambda response: decode_cancellation(response.body),
                check=check,
                own_effect=lambda error: error.status == 400,
                recover=recover,
            ),
        )

    # -- routing: a SIP trunk or an application --------------------------------

    async def assign_trunk(
        self, e164: str, trunk_group_id: str, *, auth_id: str | None = None
    ) -> None:
        """Route ``e164`` to SIP trunk group ``trunk_group_id`` (a UUID).

        A number already on a trunk is refused (unassign it first); a resend
        told so looks the number up, and is done if it is on *this* trunk.
        """
        await self._set_route(_TRUNK, e164, check_trunk_group_id(trunk_group_id), auth_id)

    async def unassign_trunk(self, e164: str, *, auth_id: str | None = None) -> None:
        """Take ``e164`` off its SIP trunk (a resend told "not on a trunk" is checked)."""
        await self._clear_route(_TRUNK, e164, auth_id)

    async def attach_application(
        self, e164: str, application_id: str, *, auth_id: str | None = None
    ) -> None:
        """Route ``e164`` to application ``application_id`` (refused while it is on a trunk)."""
        await self._set_route(_APPLICATION, e164, check_application_id(application_id), auth_id)

    async def detach_application(self, e164: str, *, auth_id: str | None = None) -> None:
        """Take ``e164`` off its application (a resend told "not found" is checked)."""
        await self._clear_route(_APPLICATION, e164, auth_id)

    async def _set_route(self, route: _Route, e164: str, target: str, auth_id: str | None) -> None:
        check_e164(e164)
        account = self._account(auth_id)
        request = Request(
            "POST",
            path("v1", "Account", account, "numbers", e164, route.tail),
            body=json_body({route.field: target}),
            idempotency=Idempotency.RECONCILABLE,
        )
        await self._route(
            f"routing to a {route.name}",
            e164,
            account,
            request,
            lambda number: getattr(number, route.field) == target,
            own_effect_statuses=route.set_refusals,
        )

    async def _clear_route(self, route: _Route, e164: str, auth_id: str | None) -> None:
        check_e164(e164)
        account = self._account(auth_id)
        request = Request(
            "DELETE",
            path("v1", "Account", account, "numbers", e164, route.tail),
            idempotency=Idempotency.RECONCILABLE,
        )
        await self._route(
            f"unrouting from its {route.name}",
            e164,
            account,
            request,
            lambda number: not getattr(number, route.field),
            own_effect_statuses=route.clear_refusals,
        )

    async def _route(
        self,
        operation: str,
        e164: str,
        account: str,
        request: Request,
        done_when: Callable[[PhoneNumber], bool],
        *,
        own_effect_statuses: tuple[int, ...],
    ) -> None:
        """A routing change through the reconciliation: done when the number shows ``done_when``."""
        await apply(
            self._client,
            StateChange(
                operation=operation,
                subject=e164,
                request=request,
                read=lambda _: None,
                check=lambda: self._routing_state(e164, account, done_when, done=None),
                own_effect=lambda error: error.status in own_effect_statuses,
                recover=nothing_to_recover,
            ),
        )

    async def _routing_state(
        self,
        e164: str,
        account: str,
        done_when: Callable[[PhoneNumber], bool],
        *,
        done: object,
    ) -> Verdict:
        """Done (with ``done``) when the account's number ``e164`` shows ``done_when``."""
        # The whole family: a master may route its sub-accounts' numbers.
        owned = await find_owned(self._client, e164, account, family=True)
        if owned.number is not None:
            return Done(done) if done_when(owned.number) else NotDone()
        return NotDone() if owned.exact else Unknown("the lookup was not exact")

    # -- in bulk: many numbers, exactly once, resumable ---------------------------------

    def _job(self, operation: str, **parameters: str) -> JobIdentity:
        return JobIdentity.of(operation, self._client.auth_id, self._client.base_url, parameters)

    def purchase_many(
        self,
        numbers: Iterable[str],
        *,
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> AsyncIterator[BulkOutcome]:
        """Buy every number of ``numbers``, ``concurrency`` at a time; outcomes as they settle.

        ``journal`` (a path, a :class:`JournalStore`, or None for one in
        memory) makes the job resumable: a rerun with the same journal
        verifies on the account what earlier runs did before reporting it
        (``earlier``, ``run_id``), buys again what the account no longer
        owns, and reports a purchase an interrupted run made with its cost.
        After the first ``402`` no more purchases start; the numbers not yet
        tried come out ``skipped``.
        """
        wanted = unique_numbers(numbers)
        engine = BulkEngine(
            self._client, self._job("purchase"), journal, concurrency=concurrency, run_id=run_id
        )
        job = PurchaseJob(engine, self)
        # Arguments checked here, at the call; the run starts on the first anext().
        return engine.run(wanted, job.handle)

    def release_many(
        self,
        numbers: Iterable[str],
        *,
        immediate: bool = False,
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> AsyncIterator[BulkOutcome]:
        """Release every number of ``numbers`` (see :meth:`release`), resumable like
        :meth:`purchase_many`; a release cancelled since an earlier run is done again.
        """
        check_flag(immediate, "immediate")
        wanted = unique_numbers(numbers)
        identity = self._job("release", immediate="true" if immediate else "false")
        engine = BulkEngine(self._client, identity, journal, concurrency=concurrency, run_id=run_id)
        job = ReleaseJob(engine, self, immediate=immediate)
        return engine.run(wanted, job.handle)

    def route_many(
        self,
        routes: Mapping[str, str | RouteTarget] | Iterable[tuple[str, str | RouteTarget]],
        *,
        to: Literal["trunk", "application"] = "trunk",
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> AsyncIterator[BulkOutcome]:
        """Route many numbers: ``(e164, target)`` pairs or a mapping ``e164 -> target``.

        A target is a :class:`RouteTarget`, or a string read as a trunk group
        id (``to="trunk"``) or an application id (``to="application"``). Each
        number already routed there (by an earlier run or otherwise) is
        reported ``routed`` without a request that would change it.
        """
        if to not in ("trunk", "application"):
            raise ValidationError(f"to must be 'trunk' or 'application', not {to!r}")
        targets: dict[str, RouteTarget] = {}
        for e164, target in pairs_of(routes, "routes"):
            if not isinstance(target, RouteTarget):
                if not isinstance(target, str):
                    raise ValidationError(f"a route's target is an id or a RouteTarget: {target!r}")
                target = (
                    RouteTarget(trunk_group_id=target)
                    if to == "trunk"
                    else RouteTarget(application_id=target)
                )
            targets.setdefault(check_e164(e164), target)
        engine = BulkEngine(
            self._client, self._job("route"), journal, concurrency=concurrency, run_id=run_id
        )
        job = route_step(engine, self, targets.__getitem__)
        return engine.run(list(targets), job.handle)

    async def plan_purchase(
        self, numbers: Iterable[str], *, currency: str | None = None
    ) -> PurchasePlan:
        """What buying ``numbers`` would cost (fees from inventory) against the balance."""
        return await plan_purchase(
            Inventory(self._client), Account(self._client), numbers, currency
        )

    async def plan_provision(self, order: ProvisionOrder) -> PurchasePlan:
        """The numbers an order would pick from inventory now, their cost, and the balance."""
        if not isinstance(order, ProvisionOrder):
            raise ValidationError("plan_provision takes a ProvisionOrder")
        return await plan_order(Inventory(self._client), Account(self._client), order)

    def provision(
        self,
        order: ProvisionOrder | PurchasePlan,
        *,
        concurrency: int = 8,
        journal: str | PathLike[str] | JournalStore | None = None,
        run_id: str | None = None,
    ) -> AsyncIterator[BulkOutcome]:
        """Deliver ``order.count`` numbers: buy each, hand it to the order's sub-account, route it.

        ``order`` is a :class:`ProvisionOrder` (planned now) or a plan from
        :meth:`plan_provision` (its numbers are tried first). A number bought
        away by someone else mid-job is reported ``taken`` and replaced from
        inventory. Each finished number is ``provisioned`` with the steps it
        went through; a rerun with the same journal finishes what an
        interrupted run started without buying anything twice.
        """
        if isinstance(order, PurchasePlan):
            if order.order is None:
                raise ValidationError("provision takes an order, or a plan made from one")
            wanted = order.order
        elif isinstance(order, ProvisionOrder):
            wanted = order
        else:
            raise ValidationError(f"provision takes a ProvisionOrder or a plan, not {order!r}")
        identity = self._job("provision", **dict(wanted.parameters()))
        # Arguments checked here, at the call; planning and the run start on the first anext().
        engine = BulkEngine(self._client, identity, journal, concurrency=concurrency, run_id=run_id)
        return self._provision(engine, order)

    async def _provision(
        self, engine: BulkEngine, order: ProvisionOrder | PurchasePlan
    ) -> AsyncIterator[BulkOutcome]:
        plan = order if isinstance(order, PurchasePlan) else await self.plan_provision(order)
        subaccounts = SubAccounts(self._client)
        await _check_sub_account(subaccounts, plan.order.sub_account if plan.order else None)
        job = ProvisionJob(engine, self, subaccounts, Inventory(self._client), plan)
        # Closed explicitly: stopping early must stop the engine's workers at once.
        async with contextlib.aclosing(engine.run(job.slots, job.handle)) as outcomes:
            async for outcome in outcomes:
                yield outcome

    # -- health ------------------------------------------------------------

    async def health(
        self,
        e164: str,
        *,
        granularity: str = "daily",
        days: int = 30,
        auth_id: str | None = None,
    ) -> NumberHealth:
        """The number's health: usage, spam flag, answer rate, per-day (or hour) snapshots."""
        check_e164(e164)
        check_granularity(granularity)
        check_days(days)
        request = Request(
            "GET",
            path("v1", "account", self._account(auth_id), "numbers", e164, "health"),
            query(granularity=granularity, days=days),
        )
        response = await self._client.call(request)
        return decode_health(response.body)


async def _check_sub_account(subaccounts: SubAccounts, sub_account: str | None) -> None:
    """Refuse, before anything is bought, an order whose sub-account does not exist.

    Only the account's 404 refuses it; a lookup that fails otherwise leaves
    it to the job (whose first failed hand-over stops further purchases).
    """
    if sub_account is None:
        return
    try:
        await subaccounts.get(sub_account)
    except NotFound as exc:
        raise ValidationError(
            f"sub-account {sub_account} not found on this account: nothing bought"
        ) from exc
    except PhoneNumbersError:
        return


def _stamp_owner(page: Page[PhoneNumber], account: str) -> Page[PhoneNumber]:
    if all(number.account_id is not None for number in page.items):
        return page
    items = tuple(
        number if number.account_id is not None else attrs.evolve(number, account_id=account)
        for number in page.items
    )
    return attrs.evolve(page, items=items)
