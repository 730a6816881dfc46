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
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .._models import PhoneNumber
from .._reconcile import Requester
from .._validation import (
    check_concurrency,
    check_e164,
)
from ..errors import (
    InsufficientBalance,
    OutcomeUnknown,
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

if TYPE_CHECKING:
    pass

__all__ = [
    "BulkEngine",
    "Emit",
    "History",
    "classify",
    "describe",
    "new_run_id",
    "open_store",
    "pairs_of",
    "unique_numbers",
]

logger = logging.getLogger("phonenumbers_async")

#: Above this many numbers known to the journal, one listing verifies them all.
_LISTING_ABOVE = 20


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


#: A step entry saying the request started last answered that it did nothing (a 404
#: to a purchase): that start is settled, even when the outcome stays unknown.
NOTHING_DONE = "nothing-done"


def pairs_of(items: object, what: str) -> Iterable[tuple[object, object]]:
    """``(e164, target)`` pairs from a mapping or an iterable of pairs, each one checked."""
    if isinstance(items, Mapping):
        return list(items.items())
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise ValidationError(f"{what} are (e164, target) pairs or a mapping, not {items!r}")
    pairs: list[tuple[object, object]] = []
    for pair in items:
        if isinstance(pair, str | bytes) or not isinstance(pair, tuple | list) or len(pair) != 2:
            raise ValidationError(
                f"{what} are (e164, target) pairs or a mapping e164 -> target, not {pair!r}"
            )
        pairs.append((pair[0], pair[1]))
    return pairs


def _now() -> datetime:
    return datetime.now(UTC)


@attrs.define
class History:
    """What earlier runs recorded about one number.

    ``started_by`` is the run of the latest ``started`` entry of the job's own
    action (a step's start, tagged with the step, is in ``step_started``);
    ``open`` says no ``done`` or ``failed`` entry (other than an unknown
    outcome) came after it. ``entries`` keeps the number's entries in order.
    """

    started_by: str | None = None
    started_at: datetime | None = None
    done: JournalEntry | None = None
    failed: JournalEntry | None = None
    steps: dict[str, JournalEntry] = attrs.field(factory=dict)
    step_started: dict[str, str] = attrs.field(factory=dict)
    expired_at: datetime | None = None
    open: bool = False
    entries: list[JournalEntry] = attrs.field(factory=list)

    @property
    def unsettled(self) -> bool:
        """Started by an earlier run that never recorded a clear end after that start."""
        return self.started_by is not None and self.open

    def add(self, entry: JournalEntry) -> None:
        """Fold one more entry (in journal order) into the history."""
        self.entries.append(entry)
        if entry.event == "started":
            if entry.outcome is not None:  # a step's start
                self.step_started[entry.outcome] = entry.run_id
                return
            self.started_by = entry.run_id
            self.started_at = entry.at
            self.failed = None
            self.open = True
        elif entry.event == "done":
            self.done = entry
            self.open = False
        elif entry.event == "failed":
            self.failed = entry
            if entry.outcome != Outcome.UNKNOWN.value:  # unknown: no end, so still open
                self.open = False
        elif entry.event == "step" and entry.outcome is not None:
            self.steps[entry.outcome] = entry
            if entry.outcome == NOTHING_DONE:
                self.open = False

    def note_expired(self) -> str | None:
        if self.expired_at is None:
            return None
        return (
            f"the journal's entry from {self.expired_at:%Y-%m-%d %H:%M} UTC is older than its "
            "expiry and was ignored"
        )


def _fold(
    replay_entries: Iterable[JournalEntry], expired: Iterable[JournalEntry]
) -> dict[str, History]:
    histories: dict[str, History] = {}
    for entry in expired:
        histories.setdefault(entry.e164, History()).expired_at = entry.at
    for entry in replay_entries:
        histories.setdefault(entry.e164, History()).add(entry)
    return histories


def describe(error: BaseException) -> str:
    """One line for an error (an API error's text already has its status and request id)."""
    return str(error) or type(error).__name__


def classify(error: PhoneNumbersError) -> Outcome:
    """The outcome of a call that raised ``error`` (the not-found cases are the caller's)."""
    if isinstance(error, OutcomeUnknown | ServerError):
        return Outcome.UNKNOWN
    if isinstance(error, TransportError):
        # maybe_sent: the server may have acted on it; a rerun checks first.
        return Outcome.UNKNOWN if error.maybe_sent else Outcome.FAILED
    if isinstance(error, InsufficientBalance):
        return Outcome.INSUFFICIENT_BALANCE
    return Outcome.FAILED


Emit = Callable[[BulkOutcome], Awaitable[None]]


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
        self.histories: dict[str, History] = {}
        self.stop_reason: str | None = None
        self.replay = JournalReplay()
        self._recorder = _GroupCommit(self.store)
        self._outcomes: asyncio.Queue[BulkOutcome | BaseException | None] = asyncio.Queue()
        self._deliveries: deque[tuple[BulkOutcome, asyncio.Future[None]]] = deque()
        self._snapshot: dict[str, PhoneNumber] | None = None
        # Outcomes reported but not yet taken by the caller: a worker takes its next
        # number only while fewer than ``concurrency`` wait (backpressure).
        self._undelivered = 0
        self._room = asyncio.Condition()

    @property
    def client(self) -> Requester:
        """The client the run's requests go through."""
        return self._client

    # -- the run ---------------------------------------------------------------

    async def run(
        self,
        items: Sequence[str] | Callable[[], Sequence[str]],
        handle: Callable[[str, Emit], Awaitable[None]],
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
        self, items: Sequence[str], handle: Callable[[str, Emit], Awaitable[None]]
    ) -> AsyncGenerator[BulkOutcome, None]:
        pending: deque[str] = deque(items)
        outcomes = self._outcomes

        async def emit(outcome: BulkOutcome) -> None:
            self.report(outcome)

        async def worker() -> None:
            try:
                while pending:
                    await self.room()
                    if not pending:
                        break
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
                    # The caller came back for more: room for one more outcome.
                    async with self._room:
                        self._undelivered -= 1
                        self._room.notify_all()
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def room(self) -> None:
        """Wait until the caller has taken enough outcomes to start on one more number."""
        async with self._room:
            await self._room.wait_for(lambda: self._undelivered < self.concurrency)

    # -- journal -----------------------------------------------------------------

    async def started(self, e164: str, step: Outcome | None = None) -> None:
        """Record, durably, that a request for ``e164`` is about to be sent.

        ``step`` tags the start of one step of a multi-step job (provisioning),
        so that it is not taken for the start of the job's first action.
        """
        await self._recorder.record(
            JournalEntry(
                e164=e164,
                event="started",
                run_id=self.run_id,
                at=_now(),
                outcome=step.value if step is not None else None,
            )
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

    async def note_nothing_done(self, e164: str) -> None:
        """Record, durably, that the request just started for ``e164`` did nothing."""
        await self._recorder.record(
            JournalEntry(
                e164=e164, event="step", run_id=self.run_id, at=_now(), outcome=NOTHING_DONE
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
        self._undelivered += 1
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

    def stop(self, error: PhoneNumbersError | str, e164: str) -> None:
        """Start no more work: the numbers not yet started come out ``skipped``."""
        if self.stop_reason is None:
            why = error if isinstance(error, str) else describe(error)
            self.stop_reason = f"not attempted: the job stopped after {e164}: {why}"

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

    def unexpected(self, e164: str, error: Exception, history: History | None) -> BulkOutcome:
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
        history: History | None = None,
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
