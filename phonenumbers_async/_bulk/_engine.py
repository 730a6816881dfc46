"""The bulk engine: many numbers, a bounded number in flight, each outcome as it settles.

One engine runs one *run* of a *job* (see ``_journal``). Before a number is
acted on, what earlier runs of the job recorded about it is verified against
the account: a number an earlier run finished is reported as that run's work
only if the account still shows it (otherwise it is done again), and a
number an earlier run started without finishing is looked up, so that work
which landed after that run died is reported as its work, with its cost.
After the first ``402`` no further purchase is started (those in flight
settle); the numbers not yet started are reported ``skipped``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .._models import NumberStatus, PhoneNumber
from .._reconcile import Requester
from .._validation import (
    check_application_id,
    check_concurrency,
    check_e164,
    check_trunk_group_id,
)
from ..errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    InsufficientBalance,
    NotFound,
    NumberTaken,
    OutcomeUnknown,
    PermissionDenied,
    PhoneNumbersError,
    ServerError,
    TransportError,
    ValidationError,
)
from ._journal import (
    FileJournal,
    JobIdentity,
    JournalArg,
    JournalEntry,
    JournalReplay,
    JournalStore,
    MemoryJournal,
)
from ._outcome import BulkOutcome, Outcome
from ._plan import ProvisionOrder, PurchasePlan, select

if TYPE_CHECKING:
    from .._resources.inventory import Inventory
    from .._resources.numbers import Numbers
    from .._resources.subaccounts import SubAccounts

__all__ = [
    "BulkEngine",
    "ProvisionJob",
    "PurchaseJob",
    "ReleaseJob",
    "RouteTarget",
    "assign_step",
    "new_run_id",
    "open_store",
    "route_step",
    "unique_numbers",
]

logger = logging.getLogger("phonenumbers_async")

#: Above this many numbers known to the journal, one listing verifies them all.
_LISTING_ABOVE = 20

_PURCHASE_DONE = frozenset({Outcome.PURCHASED.value, Outcome.ALREADY_OWNED.value})
_RELEASE_DONE = frozenset({Outcome.RELEASED.value, Outcome.PENDING_RELEASE.value})
# Statuses a released number can show while it is still listed on the account.
_RELEASED_STATUSES = frozenset({"pending_release", "released"})


def new_run_id() -> str:
    """A short random id for one run of a job."""
    return uuid.uuid4().hex[:12]


def open_store(journal: JournalArg) -> JournalStore:
    """The store for a ``journal=`` argument: a path is a file, None is memory."""
    if journal is None:
        return MemoryJournal()
    if isinstance(journal, JournalStore):
        return journal
    return FileJournal(journal)


def unique_numbers(numbers: Iterable[str]) -> list[str]:
    """``numbers`` checked (E.164) and de-duplicated, in their order."""
    if isinstance(numbers, str):
        raise ValidationError("numbers must be an iterable of E.164 strings, not one string")
    return list(dict.fromkeys(check_e164(e164) for e164 in numbers))


def _now() -> datetime:
    return datetime.now(UTC)


@attrs.define
class _History:
    """What earlier runs recorded about one number."""

    started_by: str | None = None
    done: JournalEntry | None = None
    failed: JournalEntry | None = None
    steps: dict[str, JournalEntry] = attrs.field(factory=dict)
    expired_at: datetime | None = None

    @property
    def unsettled(self) -> bool:
        """Started by an earlier run that never recorded a clear end."""
        if self.started_by is None:
            return False
        if self.done is not None:
            return False
        return self.failed is None or self.failed.outcome == Outcome.UNKNOWN.value

    def note_expired(self) -> str | None:
        if self.expired_at is None:
            return None
        return (
            f"the journal's entry from {self.expired_at:%Y-%m-%d %H:%M} UTC is older than its "
            "expiry and was ignored"
        )


def _fold(
    replay_entries: Iterable[JournalEntry], expired: Iterable[JournalEntry]
) -> dict[str, _History]:
    histories: dict[str, _History] = {}
    for entry in expired:
        histories.setdefault(entry.e164, _History()).expired_at = entry.at
    for entry in replay_entries:
        history = histories.setdefault(entry.e164, _History())
        if entry.event == "started":
            history.started_by = entry.run_id
            history.failed = None
        elif entry.event == "done":
            history.done = entry
        elif entry.event == "failed":
            history.failed = entry
        elif entry.event == "step" and entry.outcome is not None:
            history.steps[entry.outcome] = entry
    return histories


def _describe(error: BaseException) -> str:
    """One line for an error (an API error's text already has its status and request id)."""
    return str(error) or type(error).__name__


def _classify(error: PhoneNumbersError) -> Outcome:
    """The outcome of a call that raised ``error`` (the not-found cases are the caller's)."""
    if isinstance(error, OutcomeUnknown | ServerError):
        return Outcome.UNKNOWN
    if isinstance(error, TransportError):
        # maybe_sent: the server may have acted on it; a rerun checks first.
        return Outcome.UNKNOWN if error.maybe_sent else Outcome.FAILED
    if isinstance(error, InsufficientBalance):
        return Outcome.INSUFFICIENT_BALANCE
    return Outcome.FAILED


_Emit = Callable[[BulkOutcome], Awaitable[None]]


class _GroupCommit:
    """Journal entries made durable in groups (group commit).

    Each entry must be durable before its worker goes on (a ``started``
    entry before the request leaves). Entries that arrive while a group is
    being written and fsynced (in a thread, so the loop keeps running) form
    the next group: one fsync covers every worker waiting, instead of one
    fsync per entry in a row. A store kept in memory is appended to at once.
    """

    def __init__(self, store: JournalStore) -> None:
        self._store = store
        self._inline = isinstance(store, MemoryJournal)
        self._pending: list[tuple[JournalEntry, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    def submit(self, entry: JournalEntry) -> asyncio.Future[None]:
        """Hand ``entry`` over; the future is done once it is durable."""
        durable: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._inline:
            self._store.append(entry)
            durable.set_result(None)
            return durable
        self._pending.append((entry, durable))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write_groups())
        return durable

    async def record(self, entry: JournalEntry) -> None:
        """Hand ``entry`` over and wait until it is durable."""
        # Shielded: a cancelled worker's entry is still written (and waited for by drain).
        await asyncio.shield(self.submit(entry))

    async def drain(self) -> None:
        """Wait until every entry handed over so far is written."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _write_groups(self) -> None:
        while self._pending:
            group, self._pending = self._pending, []
            try:
                await asyncio.to_thread(self._append, [entry for entry, _ in group])
            except BaseException as exc:  # the workers waiting on the group report it
                for _, durable in group:
                    if not durable.done():
                        durable.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for _, durable in group:
                if not durable.done():
                    durable.set_result(None)

    def _append(self, entries: list[JournalEntry]) -> None:
        append_many = getattr(self._store, "append_many", None)
        if append_many is not None:
            append_many(entries)
        else:
            for entry in entries:
                self._store.append(entry)


class BulkEngine:
    """One run of one job: the journal, the stop flag, the workers."""

    def __init__(
        self,
        client: Requester,
        job: JobIdentity,
        journal: JournalArg,
        *,
        concurrency: int,
        run_id: str | None = None,
    ) -> None:
        self._client = client
        self.job = job
        self.store = open_store(journal)
        self.concurrency = check_concurrency(concurrency, "concurrency")
        self.run_id = run_id or new_run_id()
        self.histories: dict[str, _History] = {}
        self.stop_reason: str | None = None
        self.replay = JournalReplay()
        self._recorder = _GroupCommit(self.store)
        self._outcomes: asyncio.Queue[BulkOutcome | BaseException | None] = asyncio.Queue()
        self._deliveries: deque[tuple[BulkOutcome, asyncio.Future[None]]] = deque()
        self._snapshot: dict[str, PhoneNumber] | None = None

    # -- the run ---------------------------------------------------------------

    async def run(
        self,
        items: Sequence[str] | Callable[[], Sequence[str]],
        handle: Callable[[str, _Emit], Awaitable[None]],
    ) -> AsyncGenerator[BulkOutcome, None]:
        """Handle every item, ``concurrency`` at a time; yield outcomes as they settle.

        ``items`` may be a function, called once the journal has been read.
        """
        replay = self.store.open(self.job, self.run_id, _now())
        try:
            self.replay = replay
            if replay.unreadable:
                logger.warning("journal: ignored %d unreadable record(s)", replay.unreadable)
            self.histories = _fold(replay.entries, replay.expired)
            if callable(items):
                items = items()
            known = [e164 for e164 in items if e164 in self.histories]
            if len(known) > _LISTING_ABOVE:
                # One listing verifies them all, instead of a search each.
                self._snapshot = {number.e164: number async for number in self._family_listing()}
            # Closed explicitly: a caller that stops early must stop the workers now.
            async with contextlib.aclosing(self._workers(items, handle)) as outcomes:
                async for outcome in outcomes:
                    yield outcome
        finally:
            # Whatever was handed to the journal is written before it is closed.
            await self._recorder.drain()
            self.store.close()

    def _family_listing(self) -> AsyncIterator[PhoneNumber]:
        from .._resources.numbers import Numbers

        return Numbers(self._client).iter(per_page=100)

    async def _workers(
        self, items: Sequence[str], handle: Callable[[str, _Emit], Awaitable[None]]
    ) -> AsyncGenerator[BulkOutcome, None]:
        pending: deque[str] = deque(items)
        outcomes = self._outcomes

        async def emit(outcome: BulkOutcome) -> None:
            self.report(outcome)

        async def worker() -> None:
            try:
                while pending:
                    await handle(pending.popleft(), emit)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # a journal write failed (disk full…): stop the run
                outcomes.put_nowait(exc)
                return
            outcomes.put_nowait(None)

        workers = [
            asyncio.ensure_future(worker()) for _ in range(min(self.concurrency, len(items)))
        ]
        try:
            running = len(workers)
            # Until every worker is done and every outcome it reported is delivered.
            while running or self._deliveries or not outcomes.empty():
                message = await outcomes.get()
                if message is None:
                    running -= 1
                elif isinstance(message, BaseException):
                    raise message
                else:
                    yield message
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    # -- journal -----------------------------------------------------------------

    async def started(self, e164: str) -> None:
        """Record, durably, that a request for ``e164`` is about to be sent."""
        await self._recorder.record(
            JournalEntry(e164=e164, event="started", run_id=self.run_id, at=_now())
        )

    async def step(
        self, e164: str, outcome: Outcome, cost: Decimal | None = None, run_id: str | None = None
    ) -> None:
        await self._recorder.record(
            JournalEntry(
                e164=e164,
                event="step",
                run_id=run_id or self.run_id,
                at=_now(),
                outcome=outcome.value,
                cost=cost,
            )
        )

    def _done_entry(self, result: BulkOutcome) -> JournalEntry | None:
        """The entry that records ``result``, or None when there is nothing to record."""
        if result.outcome is Outcome.SKIPPED:
            return None
        history = self.histories.get(result.e164)
        done = history.done if history is not None else None
        if (
            result.verified
            and done is not None
            and (done.outcome, done.run_id) == (result.outcome.value, result.run_id)
        ):
            return None  # an earlier run's record, confirmed: already in the journal
        return JournalEntry(
            e164=result.e164,
            event="done" if result.ok else "failed",
            run_id=result.run_id or self.run_id,
            at=_now(),
            outcome=result.outcome.value,
            cost=result.cost,
            error=result.error,
        )

    def report(self, result: BulkOutcome) -> None:
        """Record ``result`` and hand it to the caller once durable, in the order reported.

        The worker does not wait: it goes on to its next number, whose
        ``started`` entry then joins the same group commit as this one.
        """
        entry = self._done_entry(result)
        if entry is None:
            durable: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            durable.set_result(None)
        else:
            durable = self._recorder.submit(entry)
        self._deliveries.append((result, durable))
        durable.add_done_callback(lambda _: self._deliver())

    def _deliver(self) -> None:
        # Front first, so outcomes come out in the order they settled; one step with
        # no await, so the run loop sees the deliveries and the queue agree.
        while self._deliveries and self._deliveries[0][1].done():
            result, durable = self._deliveries.popleft()
            error = None if durable.cancelled() else durable.exception()
            self._outcomes.put_nowait(error if error is not None else result)

    def skipped(self, e164: str) -> BulkOutcome | None:
        """The outcome of a number not to be tried because the job stopped, if it did."""
        if self.stop_reason is None:
            return None
        return BulkOutcome(e164=e164, outcome=Outcome.SKIPPED, error=self.stop_reason)

    def stop(self, error: PhoneNumbersError, e164: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = f"not attempted: the job stopped after {e164}: {_describe(error)}"

    # -- lookups -------------------------------------------------------------------

    async def owned(
        self, e164: str, *, family: bool, account: str | None = None, fresh: bool = False
    ) -> PhoneNumber | bool | None:
        """The number as the account shows it, None if not held, False if the lookup failed.

        Verifying earlier runs may read the listing taken when the run started;
        ``fresh`` looks the number up now (after an answer that may come from
        work landing since, such as an interrupted run's late purchase).
        """
        owner = account or self._client.auth_id
        if self._snapshot is not None and not fresh:
            number = self._snapshot.get(e164)
            if number is None or (family and account is None):
                return number
            held_by = number.account_id or self._client.auth_id
            return number if held_by == owner else None
        # Imported here: the resources import this module to offer the bulk methods.
        from .._resources._lookup import find_owned

        try:
            found = await find_owned(self._client, e164, owner, family=family)
        except PhoneNumbersError as exc:
            logger.info("verifying %s: the lookup failed: %s", e164, exc)
            return False
        if found.number is None and not found.exact:
            return False
        return found.number

    # -- outcomes ----------------------------------------------------------------------

    def unexpected(self, e164: str, error: Exception, history: _History | None) -> BulkOutcome:
        """A bug must not cancel the other workers and lose their records: the number's
        outcome is unknown (a rerun checks it first)."""
        return self.outcome(
            e164,
            Outcome.UNKNOWN,
            history=history,
            error=f"unexpected {type(error).__name__}: {error}",
        )

    def outcome(
        self,
        e164: str,
        outcome: Outcome,
        *,
        history: _History | None = None,
        cost: Decimal | None = None,
        error: str | None = None,
        run_id: str | None = None,
        verified: bool = False,
        recovered: bool = False,
        note: str | None = None,
        steps: tuple[str, ...] = (),
    ) -> BulkOutcome:
        """An outcome of this run: work done now is this run's, unless ``run_id`` says whose."""
        expired = history.note_expired() if history is not None else None
        if expired is not None:
            note = f"{note}; {expired}" if note else expired
        if run_id is None and outcome.ok and outcome is not Outcome.ALREADY_OWNED:
            run_id = self.run_id
        return BulkOutcome(
            e164=e164,
            outcome=outcome,
            cost=cost,
            error=error,
            run_id=run_id,
            earlier=run_id is not None and run_id != self.run_id,
            verified=verified,
            recovered=recovered,
            note=note,
            steps=steps,
        )


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
        self, e164: str, history: _History | None
    ) -> tuple[BulkOutcome | None, str | None]:
        """An earlier run's purchase confirmed on the account, or a note on why to buy now."""
        engine = self.engine
        if history is None or (history.done is None and not history.unsettled):
            return None, None
        done = history.done
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
        return None, None

    def _recovered(self, e164: str, number: PhoneNumber, history: _History) -> BulkOutcome:
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

    async def buy(self, e164: str, history: _History | None, note: str | None) -> BulkOutcome:
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
                e164, _classify(exc), history=history, error=_describe(exc), note=note
            )
        except Exception as exc:
            return engine.unexpected(e164, exc, history)
        return engine.outcome(
            e164, Outcome.PURCHASED, history=history, cost=bought.upfront_cost, note=note
        )

    async def _not_on_sale(
        self, e164: str, error: NotFound, history: _History | None, note: str | None
    ) -> BulkOutcome:
        # Not in inventory: maybe because this account owns it (an interrupted
        # run's request that landed after this run's check, or a number owned
        # before the job).
        engine = self.engine
        number = await engine.owned(e164, family=self.family, fresh=True)
        if isinstance(number, PhoneNumber):
            if history is not None and history.unsettled:
                return self._recovered(e164, number, history)
            return engine.outcome(
                e164, Outcome.ALREADY_OWNED, history=history, verified=True, note=note
            )
        outcome = Outcome.TAKEN if isinstance(error, NumberTaken) else self.gone_means
        return engine.outcome(e164, outcome, history=history, error=_describe(error), note=note)

    async def handle(self, e164: str, emit: _Emit) -> None:
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

    async def _earlier(self, e164: str, history: _History) -> tuple[BulkOutcome | None, str | None]:
        engine = self.engine
        done = history.done
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
            run = history.started_by
            result = engine.outcome(
                e164, Outcome.RELEASED, history=history, run_id=run, verified=True,
                recovered=True,
                note=f"released by interrupted run {run}",
            )  # fmt: skip
            return result, None
        if done is not None:
            return None, (
                f"run {done.run_id} recorded it as {done.outcome}, but it is active again: "
                "released again"
            )
        return None, None

    async def apply(self, e164: str, history: _History | None) -> BulkOutcome:
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
                run = history.started_by
                return engine.outcome(
                    e164, Outcome.RELEASED, history=history, run_id=run, verified=True,
                    recovered=True,
                note=f"released by interrupted run {run}",
                )  # fmt: skip
            return engine.outcome(
                e164, Outcome.FAILED, history=history, error=_describe(exc), note=note
            )
        except PhoneNumbersError as exc:
            if isinstance(exc, AuthenticationFailed):
                engine.stop(exc, e164)
            return engine.outcome(
                e164, _classify(exc), history=history, error=_describe(exc), note=note
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

    async def handle(self, e164: str, emit: _Emit) -> None:
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

    async def apply(self, e164: str, history: _History | None) -> BulkOutcome:
        """Verify an earlier run's work, else do it now: the outcome (not yet journaled)."""
        engine = self.engine
        step = self.done_outcome.value
        if (
            history is not None
            and (history.done is not None or history.unsettled or step in history.steps)
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
        await engine.started(e164)
        try:
            await self.act(e164)
        except (Conflict, BadRequest) as exc:
            # Refused as "already so"? Only the account's state can say.
            if await self.confirmed(e164, True):
                return engine.outcome(
                    e164, self.done_outcome, history=history, verified=True,
                    note="it was already so",
                )  # fmt: skip
            return engine.outcome(e164, Outcome.FAILED, history=history, error=_describe(exc))
        except PhoneNumbersError as exc:
            if isinstance(exc, AuthenticationFailed):
                engine.stop(exc, e164)
            return engine.outcome(e164, _classify(exc), history=history, error=_describe(exc))
        except Exception as exc:
            return engine.unexpected(e164, exc, history)
        return engine.outcome(e164, self.done_outcome, history=history)

    async def handle(self, e164: str, emit: _Emit) -> None:
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

    def __init__(self, inventory: Inventory, order: ProvisionOrder, first: Iterable[str]) -> None:
        self._inventory = inventory
        self._order = order
        self._queue: deque[str] = deque()
        self._seen: set[str] = set()
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
_GAVE_UP = frozenset({Outcome.TAKEN.value, Outcome.NOT_IN_INVENTORY.value})


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
        route = RouteTarget(order.trunk_group_id, order.application_id)
        if order.trunk_group_id is not None or order.application_id is not None:
            self.steps.append(route_step(engine, numbers, lambda _: route))
        self._inventory = inventory
        self._plan = plan
        self._candidates: _Candidates | None = None

    def slots(self) -> list[str]:
        """One slot per number to deliver; call once the engine has read the journal."""
        # The journal's numbers first: a rerun finishes them before picking new ones.
        earlier = [
            e164
            for e164, history in self.engine.histories.items()
            if history.started_by is not None
            and (history.failed is None or history.failed.outcome not in _GAVE_UP)
        ]
        self._candidates = _Candidates(
            self._inventory, self.order, [*earlier, *(line.e164 for line in self._plan.lines)]
        )
        return [str(index) for index in range(self.order.count)]

    async def handle(self, _slot: str, emit: _Emit) -> None:
        if self._candidates is None:
            raise RuntimeError("ProvisionJob.slots() must be called before the run")
        engine = self.engine
        replaces: str | None = None
        while True:
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
        view = None
        if history is not None:
            # The purchase as its own history: its step entry is its "done".
            view = _History(
                started_by=history.started_by, done=history.steps.get(Outcome.PURCHASED.value)
            )
        earlier, note = await self.purchase.verify(e164, view)
        bought = earlier if earlier is not None else await self.purchase.buy(e164, view, note)
        if bought.outcome is not Outcome.PURCHASED:
            return bought
        await engine.step(e164, Outcome.PURCHASED, bought.cost, bought.run_id)
        steps = [Outcome.PURCHASED.value]
        for step in self.steps:
            done = await step.apply(e164, history)
            if not done.ok:
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
