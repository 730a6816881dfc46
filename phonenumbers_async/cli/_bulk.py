"""Bulk purchase and release: input files, concurrent workers, progress, results and resume."""

from __future__ import annotations

import asyncio
import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

from phonenumbers_async import (
    AsyncClient,
    AuthenticationFailed,
    NotFound,
    NumberStatus,
    OutcomeUnknown,
    PhoneNumber,
    PhoneNumbersError,
    Release,
    ServerError,
    TransportError,
)

from ._common import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, CliError, describe_error

# Reading numbers moved to _input; these names stay importable from here.
from ._input import BadLine, Item, items_from_args, read_numbers_file
from ._journal import Journal
from ._output import RESULT_COLUMNS, Output, cell, make_console, progress_columns

__all__ = [
    "BadLine",
    "BulkJob",
    "Item",
    "Result",
    "default_journal_path",
    "default_results_path",
    "exit_code",
    "items_from_args",
    "read_numbers_file",
]

OK_OUTCOMES = frozenset({"purchased", "already-owned", "released", "pending-release"})


@dataclass(frozen=True)
class Result:
    """One number's outcome: a row of the results file."""

    number: str
    outcome: str
    error: str = ""
    cost: str = ""
    earlier: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome in OK_OUTCOMES

    def row(self) -> dict[str, str]:
        return {
            "number": self.number,
            "outcome": self.outcome,
            "error": self.error,
            "cost": self.cost,
        }


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def default_results_path(operation: str, directory: Path) -> Path:
    """``<operation>-results-<local time>.csv`` in ``directory``, never an existing file."""
    base = directory / f"{operation}-results-{_stamp()}"
    candidate = base.with_suffix(".csv")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = base.with_name(f"{base.name}-{counter}").with_suffix(".csv")
    return candidate


def default_journal_path(
    operation: str, source: Path | None, numbers: Sequence[str], directory: Path
) -> Path:
    """A journal path that the same command finds again when rerun.

    From a file: ``<file>.<operation>-journal.jsonl`` next to it (so fixing a
    bad line and rerunning still resumes). From arguments: a name derived from
    the set of numbers, in ``directory``.
    """
    if source is not None:
        return source.with_name(f"{source.name}.{operation}-journal.jsonl")
    digest = hashlib.sha256("\n".join(sorted(set(numbers))).encode()).hexdigest()[:12]
    return directory / f"{operation}-journal-{digest}.jsonl"


def exit_code(results: Sequence[Result]) -> int:
    """0 when everything succeeded, 3 when some did, 1 when none did."""
    failed = sum(not result.ok for result in results)
    if not failed:
        return EXIT_OK
    return EXIT_PARTIAL if failed < len(results) else EXIT_FAILURE


class ResultsFile:
    """The results CSV, a row written and flushed as each outcome arrives."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._handle: IO[str] = path.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise CliError(
                f"cannot write results file {path}: {exc.strerror or exc}", EXIT_USAGE
            ) from None
        self._writer = csv.DictWriter(
            self._handle, fieldnames=[column.key for column in RESULT_COLUMNS]
        )
        self._writer.writeheader()
        self._handle.flush()

    def write(self, result: Result) -> None:
        self._writer.writerow(result.row())
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


class Reporter(Protocol):
    def start(self, total: int, description: str) -> None: ...

    def update(self, result: Result) -> None: ...

    def stop(self) -> None: ...


def _result_line(result: Result) -> str:
    if result.ok:
        cost = f" (cost {result.cost})" if result.cost else ""
        return f"{result.outcome} {result.number}{cost}"
    return f"{result.outcome} {result.number}: {result.error}"


class LineReporter:
    """One plain line per finished number, for logs and pipes."""

    def __init__(self, out: Output) -> None:
        self._out = out
        self._total = 0
        self._count = 0

    def start(self, total: int, description: str) -> None:
        self._total = total

    def update(self, result: Result) -> None:
        self._count += 1
        self._out.info(f"[{self._count}/{self._total}] {_result_line(result)}")

    def stop(self) -> None:
        pass


class BarReporter:
    """A rich progress bar on the terminal; failures are printed above it as they happen."""

    def __init__(self, out: Output) -> None:
        from rich.progress import Progress

        self._progress = Progress(*progress_columns(), console=make_console(out.stderr))
        self._task: object = None
        self._failed = 0

    def start(self, total: int, description: str) -> None:
        self._progress.start()
        self._task = self._progress.add_task(description, total=total, failed=0)

    def update(self, result: Result) -> None:
        from rich.text import Text

        if not result.ok:
            self._failed += 1
            self._progress.console.print(Text(_result_line(result)), style="red")
        self._progress.update(self._task, advance=1, failed=self._failed)  # type: ignore[arg-type]

    def stop(self) -> None:
        self._progress.stop()


class QuietReporter:
    """No progress at all (``--quiet``)."""

    def start(self, total: int, description: str) -> None:
        pass

    def update(self, result: Result) -> None:
        pass

    def stop(self) -> None:
        pass


def make_reporter(out: Output) -> Reporter:
    """A bar on a terminal, plain lines otherwise, nothing with ``--quiet``."""
    if out.quiet:
        return QuietReporter()
    if out.stderr.isatty():
        return BarReporter(out)
    return LineReporter(out)


def _release_result(e164: str, released: Release) -> Result:
    """A release's row: pending (cancellable until when, for what fee) or done."""
    fee = cell(released.release_fee)
    if released.status is NumberStatus.PENDING_RELEASE:
        until = cell(released.cooldown_ends_at)
        note = f"cancellable until {until}" if until else "cancellable"
        return Result(e164, "pending-release", cost=fee, error=note)
    return Result(e164, "released", cost=fee)


def _cost(number: PhoneNumber | None) -> str:
    if number is None or number.upfront_cost is None:
        return ""
    return cell(number.upfront_cost)


class BulkJob:
    """Purchase or release many numbers concurrently, journaled and resumable."""

    def __init__(
        self,
        client: AsyncClient,
        operation: str,
        journal: Journal,
        results: ResultsFile,
        reporter: Reporter,
        *,
        concurrency: int,
        immediate: bool = False,
    ) -> None:
        if operation not in ("purchase", "release"):
            raise ValueError(f"unknown bulk operation {operation!r}")
        self._client = client
        self._operation = operation
        self._journal = journal
        self._results = results
        self._reporter = reporter
        self._concurrency = concurrency
        self._immediate = immediate
        self._stop_reason: str | None = None
        self.reconciled = 0

    async def run(self, items: Sequence[Item], bad: Sequence[BadLine]) -> list[Result]:
        """Every item's result, in input order: earlier runs' from the journal, the rest now."""
        invalid = [Result(line.text, "invalid", error=line.reason) for line in bad]
        for result in invalid:
            self._results.write(result)
        by_number: dict[str, Result] = {}
        todo: list[tuple[Item, bool]] = []
        for item in items:
            entry = self._journal.get(item.e164)
            if entry is not None and entry.done and self._revocable(entry.outcome):
                # A pending release can be cancelled since: check the account again.
                todo.append((item, True))
            elif entry is not None and entry.done:
                result = Result(item.e164, entry.outcome, cost=entry.cost, earlier=True)
                by_number[item.e164] = result
                self._results.write(result)
            else:
                todo.append((item, entry is not None and entry.unsettled))
        owned: dict[str, PhoneNumber] | None = None
        if any(unsettled for _, unsettled in todo):
            # One listing settles every number whose earlier attempt got no clear answer.
            owned = {number.e164: number async for number in self._client.numbers.iter()}
        queue: asyncio.Queue[tuple[Item, bool]] = asyncio.Queue()
        for entry_todo in todo:
            queue.put_nowait(entry_todo)

        async def worker() -> None:
            while not queue.empty():
                item, unsettled = queue.get_nowait()
                if self._stop_reason is not None:
                    result = Result(item.e164, "skipped", error=self._stop_reason)
                else:
                    result = await self._one(item.e164, unsettled, owned)
                by_number[item.e164] = result
                self._results.write(result)
                self._reporter.update(result)

        verb = "Purchasing" if self._operation == "purchase" else "Releasing"
        self._reporter.start(len(todo), verb)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self._concurrency, len(todo))):
                    group.create_task(worker())
        except* OSError as group_error:
            # A journal or results write failed (disk full…): report that, not a group.
            raise group_error.exceptions[0] from None
        finally:
            self._reporter.stop()
        ordered = [(line.line, result) for line, result in zip(bad, invalid, strict=True)]
        ordered += [(item.line, by_number[item.e164]) for item in items]
        # File order (arguments have no line and keep theirs): easy to compare with the input.
        ordered.sort(key=lambda pair: pair[0] if pair[0] is not None else 0)
        return [result for _, result in ordered]

    async def _one(
        self, e164: str, unsettled: bool, owned: dict[str, PhoneNumber] | None
    ) -> Result:
        if unsettled and owned is not None:
            settled = self._reconcile(e164, owned)
            if settled is not None:
                self.reconciled += 1
                self._journal.done(e164, settled.outcome, settled.cost)
                return settled
        self._journal.started(e164)
        try:
            if self._operation == "purchase":
                result = await self._purchase(e164)
            else:
                released = await self._client.numbers.release(e164, immediate=self._immediate)
                result = _release_result(e164, released)
        except (OutcomeUnknown, ServerError) as exc:
            result = Result(e164, "unknown", error=describe_error(exc))
        except TransportError as exc:
            # maybe_sent: the server may have acted on it; a rerun checks first.
            outcome = "unknown" if exc.maybe_sent else "failed"
            result = Result(e164, outcome, error=describe_error(exc))
        except PhoneNumbersError as exc:
            if isinstance(exc, AuthenticationFailed):
                # Every other number would fail the same way; stop sending.
                self._stop_reason = f"not attempted: the job stopped after {describe_error(exc)}"
            result = Result(e164, "failed", error=describe_error(exc))
        except Exception as exc:
            # A bug must not cancel the other workers and lose their records:
            # this number's outcome is unknown (a rerun checks it first).
            result = Result(e164, "unknown", error=f"unexpected {type(exc).__name__}: {exc}")
        if result.ok:
            self._journal.done(e164, result.outcome, result.cost)
        else:
            self._journal.failed(e164, result.outcome, result.error)
        return result

    def _revocable(self, outcome: str) -> bool:
        """Whether an earlier run's "done" may have been undone since (a cancelled release)."""
        return self._operation == "release" and outcome == "pending-release"

    def _reconcile(self, e164: str, owned: dict[str, PhoneNumber]) -> Result | None:
        """What an earlier attempt without a clear answer achieved, or None to act now."""
        number = owned.get(e164)
        if self._operation == "purchase" and number is not None:
            return Result(e164, "purchased", cost=_cost(number))
        if self._operation == "release" and (
            number is None or number.status is NumberStatus.PENDING_RELEASE
        ):
            return Result(e164, "released")
        return None

    async def _purchase(self, e164: str) -> Result:
        try:
            bought = await self._client.numbers.purchase(e164)
        except NotFound as exc:
            # Not in inventory: maybe because this account already owns it
            # (a rerun without the journal, or a purchase that raced ours).
            mine = await self._client.numbers.find(e164)
            if mine is not None:
                return Result(e164, "already-owned", cost="")
            return Result(e164, "failed", error=describe_error(exc))
        return Result(e164, "purchased", cost=_cost(bought))
