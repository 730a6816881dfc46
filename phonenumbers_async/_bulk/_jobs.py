"""The bulk jobs: what the engine does per number for each kind of job.

Purchase, release, routing and assignment (one state change per number that a
lookup can confirm) and provisioning (buy, hand to a sub-account, route, with
replacements for numbers bought away). Each verifies what earlier runs of the
job recorded before acting; see ``_engine`` for the run itself.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .._models import NumberStatus, PhoneNumber
from .._validation import check_application_id, check_trunk_group_id
from ..errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    InsufficientBalance,
    NotFound,
    NumberTaken,
    PermissionDenied,
    PhoneNumbersError,
    ValidationError,
)
from ._engine import NOTHING_DONE, BulkEngine, Emit, History, classify, describe
from ._journal import JournalEntry
from ._outcome import BulkOutcome, Outcome
from ._plan import ProvisionOrder, PurchasePlan, select

if TYPE_CHECKING:
    from .._resources.inventory import Inventory
    from .._resources.numbers import Numbers
    from .._resources.subaccounts import SubAccounts

__all__ = [
    "ProvisionJob",
    "PurchaseJob",
    "ReleaseJob",
    "RouteTarget",
    "StepJob",
    "assign_step",
    "journaled_purchases",
    "route_step",
]

_PURCHASE_DONE = frozenset({Outcome.PURCHASED.value, Outcome.ALREADY_OWNED.value})
_RELEASE_DONE = frozenset({Outcome.RELEASED.value, Outcome.PENDING_RELEASE.value})
# Statuses a released number can show while it is still listed on the account.
_RELEASED_STATUSES = frozenset({"pending_release", "released"})
# An interrupted release's fee is looked for in this many pages of transactions,
# from a little before its start (the server's clock may differ).
_FEE_PAGES = 5
_CLOCK_SKEW = timedelta(minutes=5)


# -- purchase ----------------------------------------------------------------------


class PurchaseJob:
    """``numbers.purchase_many``: buy each number once, whatever runs it takes."""

    def __init__(
        self,
        engine: BulkEngine,
        numbers: Numbers,
        *,
        family: bool = False,
        gone_means: Outcome = Outcome.NOT_IN_INVENTORY,
    ) -> None:
        self.engine = engine
        self.numbers = numbers
        # Provisioning hands numbers to sub-accounts: the family's numbers count.
        self.family = family
        # A 404 for a number just picked from inventory means another buyer got it.
        self.gone_means = gone_means

    async def verify(
        self, e164: str, history: History | None
    ) -> tuple[BulkOutcome | None, str | None]:
        """An earlier run's purchase confirmed on the account, or a note on why to buy now."""
        engine = self.engine
        if history is None or (history.done is None and not history.unsettled):
            return None, None
        # A start newer than every recorded end: that run's purchase may have landed.
        done = None if history.unsettled else history.done
        if done is not None and done.outcome not in _PURCHASE_DONE:
            return None, None
        number = await engine.owned(e164, family=self.family)
        if number is False:
            return None, None  # unknown: the purchase path finds out (a 404 is looked up)
        if done is not None:
            if isinstance(number, PhoneNumber):
                outcome = Outcome(done.outcome)
                run = done.run_id if outcome is Outcome.PURCHASED else None
                result = engine.outcome(
                    e164, outcome, history=history, cost=done.cost, run_id=run, verified=True
                )
                return result, None
            return None, (
                f"run {done.run_id} recorded it as {done.outcome}, but the account no longer "
                "owns it: bought again"
            )
        if isinstance(number, PhoneNumber):
            return self._recovered(e164, number, history), None
        if history.done is not None and history.done.outcome in _PURCHASE_DONE:
            stale = history.done
            return None, (
                f"run {stale.run_id} recorded it as {stale.outcome}, but the account no longer "
                "owns it: bought again"
            )
        return None, None

    def _recovered(self, e164: str, number: PhoneNumber, history: History) -> BulkOutcome:
        """A purchase an interrupted run started, found done: its work, at the number's fees."""
        run = history.started_by
        return self.engine.outcome(
            e164,
            Outcome.PURCHASED,
            history=history,
            cost=number.upfront_cost,
            run_id=run,
            verified=True,
            recovered=True,
            note=f"bought by interrupted run {run}; cost from the number's fees",
        )

    async def buy(self, e164: str, history: History | None, note: str | None) -> BulkOutcome:
        """Buy ``e164`` now (its start journaled), reading every answer into an outcome."""
        engine = self.engine
        stopped = engine.skipped(e164)
        if stopped is not None:
            return stopped
        await engine.started(e164)
        try:
            bought = await self.numbers.purchase(e164)
        except NotFound as exc:
            return await self._not_on_sale(e164, exc, history, note)
        except PhoneNumbersError as exc:
            if isinstance(exc, InsufficientBalance | AuthenticationFailed):
                # Every later purchase would fail the same way: start no more.
                engine.stop(exc, e164)
            return engine.outcome(
                e164, classify(exc), history=history, error=describe(exc), note=note
            )
        except Exception as exc:
            return engine.unexpected(e164, exc, history)
        return engine.outcome(
            e164, Outcome.PURCHASED, history=history, cost=bought.upfront_cost, note=note
        )

    async def _not_on_sale(
        self, e164: str, error: NotFound, history: History | None, note: str | None
    ) -> BulkOutcome:
        # Not in inventory: maybe because this account owns it (an interrupted
        # run's request that landed after this run's check, or a number owned
        # before the job).
        engine = self.engine
        number = await engine.owned(e164, family=self.family, fresh=True)
        if number is False:
            # Neither "taken" nor "owned" without the account's word: a rerun checks again.
            # This request bought nothing (a 404): its start is settled.
            await engine.note_nothing_done(e164)
            return engine.outcome(
                e164,
                Outcome.UNKNOWN,
                history=history,
                error=f"{describe(error)}; and looking it up on the account failed",
                note=note,
            )
        if isinstance(number, PhoneNumber):
            if history is not None and history.unsettled:
                return self._recovered(e164, number, history)
            return engine.outcome(
                e164, Outcome.ALREADY_OWNED, history=history, verified=True, note=note
            )
        outcome = Outcome.TAKEN if isinstance(error, NumberTaken) else self.gone_means
        return engine.outcome(e164, outcome, history=history, error=describe(error), note=note)

    async def handle(self, e164: str, emit: Emit) -> None:
        history = self.engine.histories.get(e164)
        earlier, note = await self.verify(e164, history)
        result = earlier if earlier is not None else await self.buy(e164, history, note)
        await emit(result)


# -- release ------------------------------------------------------------------------


class ReleaseJob:
    """``numbers.release_many``: release each number once; a cancelled release is redone."""

    def __init__(self, engine: BulkEngine, numbers: Numbers, *, immediate: bool) -> None:
        self.engine = engine
        self.numbers = numbers
        self.immediate = immediate

    def _released(self, number: PhoneNumber | None) -> bool:
        """Whether the account shows the release done (gone, or pending when cancellable)."""
        if number is None:
            return True
        status = number.status
        return not self.immediate and status is not None and status.value in _RELEASED_STATUSES

    async def _recovered(
        self, e164: str, history: History, number: PhoneNumber | None
    ) -> BulkOutcome:
        """A release an interrupted run started, found done: its fee from the ledger."""
        run = history.started_by
        pending = number is not None and number.status is NumberStatus.PENDING_RELEASE
        fee = await self._fee_since(e164, history.started_at)
        found = "fee from the account's transactions" if fee is not None else "fee unknown"
        return self.engine.outcome(
            e164,
            Outcome.PENDING_RELEASE if pending else Outcome.RELEASED,
            history=history,
            cost=fee,
            run_id=run,
            verified=True,
            recovered=True,
            note=f"released by interrupted run {run}; {found}",
        )

    async def _fee_since(self, e164: str, since: datetime | None) -> Decimal | None:
        """What the ledger debited for ``e164`` since ``since`` (less refunds), or None.

        None when no such transaction is found (the fee may be zero or not listed)
        or the ledger cannot be read: unknown, never taken for zero.
        """
        if since is None:
            return None
        from .._resources.account import Account

        account = Account(self.engine.client)
        earliest = since - _CLOCK_SKEW
        net, found = Decimal(0), False
        try:
            for page_number in range(1, _FEE_PAGES + 1):
                page = await account.list_transactions(page=page_number, per_page=100)
                for transaction in page.items:
                    when = transaction.created_at or transaction.processed_at
                    if when is None or when < earliest:
                        continue
                    if transaction.reference != e164 or transaction.amount is None:
                        continue
                    if "release" not in (transaction.description or "").lower():
                        continue  # the number's purchase, say
                    found = True
                    credit = transaction.type in {"credit", "refund"}
                    net += -transaction.amount if credit else transaction.amount
                oldest = [t.created_at for t in page.items if t.created_at is not None]
                if not page.items or (oldest and min(oldest) < earliest):
                    break
        except PhoneNumbersError:
            return None
        return net if found else None

    async def _earlier(self, e164: str, history: History) -> tuple[BulkOutcome | None, str | None]:
        engine = self.engine
        # A start newer than every recorded end: that run's release may have landed.
        done = None if history.unsettled else history.done
        if not history.unsettled and (done is None or done.outcome not in _RELEASE_DONE):
            return None, None
        number = await engine.owned(e164, family=True)
        if number is False:
            return None, None
        if self._released(number if isinstance(number, PhoneNumber) else None):
            if done is not None:
                outcome = Outcome(done.outcome)
                result = engine.outcome(
                    e164, outcome, history=history, cost=done.cost, run_id=done.run_id,
                    verified=True,
                )  # fmt: skip
                return result, None
            shown = number if isinstance(number, PhoneNumber) else None
            return await self._recovered(e164, history, shown), None
        if done is not None:
            return None, (
                f"run {done.run_id} recorded it as {done.outcome}, but it is active again: "
                "released again"
            )
        return None, None

    async def apply(self, e164: str, history: History | None) -> BulkOutcome:
        engine = self.engine
        note = None
        if history is not None:
            earlier, note = await self._earlier(e164, history)
            if earlier is not None:
                return earlier
        stopped = engine.skipped(e164)
        if stopped is not None:
            return stopped
        await engine.started(e164)
        try:
            released = await self.numbers.release(e164, immediate=self.immediate)
        except (NotFound, PermissionDenied) as exc:
            number = await engine.owned(e164, family=True, fresh=True)
            if number is None and history is not None and history.unsettled:
                return await self._recovered(e164, history, None)
            if number is False:
                return engine.outcome(
                    e164, Outcome.UNKNOWN, history=history, note=note,
                    error=f"{describe(exc)}; and looking it up on the account failed",
                )  # fmt: skip
            return engine.outcome(
                e164, Outcome.FAILED, history=history, error=describe(exc), note=note
            )
        except PhoneNumbersError as exc:
            if isinstance(exc, AuthenticationFailed):
                engine.stop(exc, e164)
            return engine.outcome(
                e164, classify(exc), history=history, error=describe(exc), note=note
            )
        except Exception as exc:
            return engine.unexpected(e164, exc, history)
        pending = released.status is NumberStatus.PENDING_RELEASE
        if pending:
            until = released.cooldown_ends_at
            window = f"cancellable until {until:%Y-%m-%d %H:%M} UTC" if until else "cancellable"
            note = f"{note}; {window}" if note else window
        return engine.outcome(
            e164,
            Outcome.PENDING_RELEASE if pending else Outcome.RELEASED,
            history=history,
            cost=released.release_fee,
            note=note,
        )

    async def handle(self, e164: str, emit: Emit) -> None:
        result = await self.apply(e164, self.engine.histories.get(e164))
        await emit(result)


# -- routing and assignment -----------------------------------------------------------


@attrs.frozen
class RouteTarget:
    """Where a number should route: a trunk group or an application (exactly one)."""

    trunk_group_id: str | None = None
    application_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.trunk_group_id is None) == (self.application_id is None):
            raise ValidationError("a route names a trunk group or an application (exactly one)")
        if self.trunk_group_id is not None:
            # Canonical (lower) case, as the single-number call sends it.
            object.__setattr__(self, "trunk_group_id", check_trunk_group_id(self.trunk_group_id))
        else:
            check_application_id(self.application_id)

    def shown_by(self, number: PhoneNumber) -> bool:
        if self.trunk_group_id is not None:
            return (number.trunk_group_id or "").lower() == self.trunk_group_id.lower()
        return number.application_id == self.application_id


class StepJob:
    """One state change per number that a lookup can confirm: routing, or assignment."""

    def __init__(
        self,
        engine: BulkEngine,
        outcome: Outcome,
        act: Callable[[str], Awaitable[None]],
        confirmed: Callable[[str, bool], Awaitable[bool | None]],
    ) -> None:
        self.engine = engine
        self.done_outcome = outcome
        self.act = act
        # (e164, fresh) -> True: the account shows it done; False: it does not; None: the
        # lookup failed. ``fresh``: look now, not in the listing taken at the start.
        self.confirmed = confirmed
        # One step of provisioning: its starts are tagged, not the purchase's.
        self.tagged = False

    async def apply(self, e164: str, history: History | None) -> BulkOutcome:
        """Verify an earlier run's work, else do it now: the outcome (not yet journaled)."""
        engine = self.engine
        step = self.done_outcome.value
        if (
            history is not None
            and (
                history.done is not None
                or history.unsettled
                or step in history.steps
                or step in history.step_started
            )
            and await self.confirmed(e164, False)
        ):
            done = history.steps.get(step) or history.done
            run = done.run_id if done is not None else history.started_by
            return engine.outcome(
                e164, self.done_outcome, history=history, run_id=run, verified=True
            )
        stopped = engine.skipped(e164)
        if stopped is not None:
            return stopped
        await engine.started(e164, self.done_outcome if self.tagged else None)
        try:
            await self.act(e164)
        except (Conflict, BadRequest) as exc:
            # Refused as "already so"? Only the account's state can say.
            shown = await self.confirmed(e164, True)
            if shown:
                return engine.outcome(
                    e164, self.done_outcome, history=history, verified=True,
                    note="it was already so",
                )  # fmt: skip
            outcome = Outcome.UNKNOWN if shown is None else Outcome.FAILED
            return engine.outcome(e164, outcome, history=history, error=describe(exc))
        except PhoneNumbersError as exc:
            if isinstance(exc, AuthenticationFailed):
                engine.stop(exc, e164)
            return engine.outcome(e164, classify(exc), history=history, error=describe(exc))
        except Exception as exc:
            return engine.unexpected(e164, exc, history)
        return engine.outcome(e164, self.done_outcome, history=history)

    async def handle(self, e164: str, emit: Emit) -> None:
        result = await self.apply(e164, self.engine.histories.get(e164))
        await emit(result)


def route_step(
    engine: BulkEngine, numbers: Numbers, route_of: Callable[[str], RouteTarget]
) -> StepJob:
    """Routing each number to its trunk group or application."""

    async def act(e164: str) -> None:
        route = route_of(e164)
        if route.trunk_group_id is not None:
            await numbers.assign_trunk(e164, route.trunk_group_id)
        else:
            await numbers.attach_application(e164, str(route.application_id))

    async def confirmed(e164: str, fresh: bool) -> bool | None:
        number = await engine.owned(e164, family=True, fresh=fresh)
        if not isinstance(number, PhoneNumber):
            return None if number is False else False
        return route_of(e164).shown_by(number)

    return StepJob(engine, Outcome.ROUTED, act, confirmed)


def assign_step(
    engine: BulkEngine, subaccounts: SubAccounts, sub_account_of: Callable[[str], str]
) -> StepJob:
    """Handing each number to its sub-account."""

    async def act(e164: str) -> None:
        await subaccounts.assign_number(e164, sub_account_of(e164))

    async def confirmed(e164: str, fresh: bool) -> bool | None:
        number = await engine.owned(e164, family=False, account=sub_account_of(e164), fresh=fresh)
        return None if number is False else number is not None

    return StepJob(engine, Outcome.ASSIGNED, act, confirmed)


# -- provisioning ------------------------------------------------------------------------


class _Candidates:
    """Numbers to try, in order: the journal's, the plan's, then fresh picks from inventory."""

    def __init__(
        self,
        inventory: Inventory,
        order: ProvisionOrder,
        first: Iterable[str],
        skip: Iterable[str] = (),
    ) -> None:
        self._inventory = inventory
        self._order = order
        self._queue: deque[str] = deque()
        self._seen: set[str] = set(skip)
        self._exhausted = False
        self._lock = asyncio.Lock()
        for e164 in first:
            self._add(e164)

    def _add(self, e164: str) -> None:
        if e164 not in self._seen:
            self._seen.add(e164)
            self._queue.append(e164)

    async def next(self) -> str | None:
        """The next number to try, or None when inventory has no more that meet the order."""
        async with self._lock:
            if not self._queue and not self._exhausted:
                fresh = await select(self._inventory, self._order, self._order.count, self._seen)
                self._exhausted = not fresh
                for number in fresh:
                    self._add(number.e164)
            return self._queue.popleft() if self._queue else None


#: Purchase outcomes after which provisioning tries another number instead.
_REPLACE = frozenset({Outcome.TAKEN, Outcome.NOT_IN_INVENTORY, Outcome.ALREADY_OWNED})
_REPLACED = frozenset(outcome.value for outcome in _REPLACE)


def purchase_view(history: History) -> History:
    """The purchase of a provisioned number as its own history.

    Its ``started`` entries are the untagged ones (a step's start is tagged);
    its "done" is the ``purchased`` step entry, or a final ``already-owned``;
    a final ``failed`` entry settles it only when no purchase succeeded since
    the latest start (otherwise a later step failed, not the purchase).
    """
    view = History(expired_at=history.expired_at)
    bought = False  # a purchased step since the latest purchase start
    for entry in history.entries:
        if entry.event == "started":
            if entry.outcome is None:
                view.add(entry)
                bought = False
        elif entry.event == "step":
            if entry.outcome == Outcome.PURCHASED.value:
                view.add(attrs.evolve(entry, event="done"))
                bought = True
            elif entry.outcome == NOTHING_DONE:
                view.add(entry)
        elif entry.event == "done":
            if entry.outcome == Outcome.ALREADY_OWNED.value:
                view.add(entry)
        elif entry.event == "failed" and not bought:
            view.add(entry)
    return view


def journaled_purchases(entries: Iterable[JournalEntry]) -> set[str]:
    """The numbers a provisioning journal records as bought for the job (not replaced).

    What a rerun need not buy again, if the account still shows them: for
    pricing the rest before a rerun (the run itself verifies each one).
    """
    histories: dict[str, History] = {}
    for entry in entries:
        histories.setdefault(entry.e164, History()).add(entry)
    bought: set[str] = set()
    for e164, history in histories.items():
        view = purchase_view(history)
        done, failed = view.done, view.failed
        purchased = done is not None and done.outcome == Outcome.PURCHASED.value
        if purchased and done is not None and (failed is None or failed.at < done.at):
            bought.add(e164)
    return bought


def replaced_by_earlier_run(view: History) -> bool:
    """Whether an earlier run settled the purchase as one to replace (and nothing since)."""
    if view.unsettled:
        return False
    if view.failed is not None and view.failed.outcome in _REPLACED:
        return view.done is None or view.done.at <= view.failed.at
    return view.done is not None and view.done.outcome == Outcome.ALREADY_OWNED.value


class ProvisionJob:
    """``numbers.provision``: buy, hand to a sub-account, route; until ``count`` are delivered.

    A number is handled by one of ``count`` slots; a slot whose number was
    bought away (or is otherwise not for sale) takes the next candidate.
    """

    def __init__(
        self,
        engine: BulkEngine,
        numbers: Numbers,
        subaccounts: SubAccounts,
        inventory: Inventory,
        plan: PurchasePlan,
    ) -> None:
        if plan.order is None:
            raise ValueError("provisioning needs a plan made from an order")
        self.engine = engine
        self.order = order = plan.order
        self.purchase = PurchaseJob(engine, numbers, family=True, gone_means=Outcome.TAKEN)
        self.steps: list[StepJob] = []
        sub_account = order.sub_account
        if sub_account is not None:
            self.steps.append(assign_step(engine, subaccounts, lambda _: sub_account))
        if order.trunk_group_id is not None or order.application_id is not None:
            route = RouteTarget(order.trunk_group_id, order.application_id)
            self.steps.append(route_step(engine, numbers, lambda _: route))
        for step in self.steps:
            step.tagged = True
        self._inventory = inventory
        self._plan = plan
        self._candidates: _Candidates | None = None

    def slots(self) -> list[str]:
        """One slot per number to deliver; call once the engine has read the journal."""
        # The journal's numbers first: a rerun finishes them before picking new ones.
        # A number an earlier run replaced (taken, not on sale, owned before the job)
        # is not tried again: its replacement is in the journal.
        earlier: list[str] = []
        replaced: set[str] = set()
        for e164, history in self.engine.histories.items():
            view = purchase_view(history)
            if view.started_by is None:
                continue
            if replaced_by_earlier_run(view):
                replaced.add(e164)
            else:
                earlier.append(e164)
        self._candidates = _Candidates(
            self._inventory,
            self.order,
            [*earlier, *(line.e164 for line in self._plan.to_buy)],
            skip=replaced,
        )
        return [str(index) for index in range(self.order.count)]

    async def handle(self, _slot: str, emit: Emit) -> None:
        if self._candidates is None:
            raise RuntimeError("ProvisionJob.slots() must be called before the run")
        engine = self.engine
        replaces: str | None = None
        while True:
            if replaces is not None:
                await engine.room()  # a replacement waits for the caller like a new number
            e164 = await self._candidates.next()
            if e164 is None:
                await emit(
                    BulkOutcome(
                        e164="",
                        outcome=Outcome.SKIPPED,
                        error="inventory has no more numbers meeting the order",
                        replaces=replaces,
                    )
                )
                return
            result = attrs.evolve(await self.one(e164), replaces=replaces)
            await emit(result)
            if result.outcome not in _REPLACE or engine.stop_reason is not None:
                return
            replaces = e164

    async def one(self, e164: str) -> BulkOutcome:
        """Carry one number through every step; each step's success is journaled."""
        engine = self.engine
        history = engine.histories.get(e164)
        view = purchase_view(history) if history is not None else None
        earlier, note = await self.purchase.verify(e164, view)
        bought = earlier if earlier is not None else await self.purchase.buy(e164, view, note)
        if bought.outcome is not Outcome.PURCHASED:
            return bought
        await engine.step(e164, Outcome.PURCHASED, bought.cost, bought.run_id)
        steps = [Outcome.PURCHASED.value]
        for step in self.steps:
            done = await step.apply(e164, history)
            if not done.ok:
                if done.outcome is Outcome.FAILED:
                    # Every number goes to the same sub-account and route: refused for
                    # this one, it would be for the next, so buy no more.
                    engine.stop(f"{step.done_outcome.value} step failed: {done.error}", e164)
                return attrs.evolve(done, cost=bought.cost, steps=tuple(steps))
            await engine.step(e164, step.done_outcome, run_id=done.run_id)
            steps.append(step.done_outcome.value)
        return engine.outcome(
            e164,
            Outcome.PROVISIONED,
            history=history,
            cost=bought.cost,
            run_id=bought.run_id,
            verified=bought.verified,
            steps=tuple(steps),
            note=bought.note,
        )
