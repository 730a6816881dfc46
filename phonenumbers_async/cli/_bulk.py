"""The command line's side of bulk jobs: input files, the results file, progress, the plan.

The work itself (concurrency, the journal, resuming, verifying earlier runs)
is the SDK's bulk engine (``phonenumbers_async._bulk``); this module reads
what the user gave, shows what the engine reports, and writes it down.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import hashlib
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Protocol

import click

from phonenumbers_async import (
    AsyncClient,
    BulkOutcome,
    FileJournal,
    JournalError,
    Outcome,
    PhoneNumbersError,
    PurchasePlan,
)

from ._common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    CliError,
    describe_error,
)
from ._context import Settings

# Reading numbers lives in _input; these names stay importable from here.
from ._input import BadLine, Item, items_from_args, read_numbers_file, read_pairs_file
from ._output import (
    RESULT_COLUMNS,
    Column,
    Output,
    cell,
    csv_cell,
    json_value,
    make_console,
    plural,
    progress_columns,
    sanitize,
)

__all__ = [
    "AMOUNT",
    "JOURNAL_HELP",
    "PLAN_COLUMNS",
    "BadLine",
    "Item",
    "Result",
    "check_plan",
    "confirm",
    "default_journal_path",
    "default_results_path",
    "exit_code",
    "items_from_args",
    "plan_json",
    "plan_summary",
    "read_numbers_file",
    "read_pairs_file",
    "run_job",
    "spent_and_left",
    "summarize",
]


@dataclass(frozen=True)
class Result:
    """One number's outcome: a row of the results file."""

    number: str
    outcome: str
    error: str = ""
    cost: str = ""
    earlier: bool = False
    ok: bool = False

    @classmethod
    def of(cls, outcome: BulkOutcome) -> Result:
        """The row of an engine outcome; the note says which run did it, and what else."""
        notes = [text for text in (outcome.error, outcome.note) if text]
        if outcome.earlier:
            checked = ", verified on the account" if outcome.verified else ""
            notes.insert(0, f"done by earlier run {outcome.run_id}{checked}")
        if outcome.replaces:
            notes.append(f"replaces {outcome.replaces}, bought by someone else")
        return cls(
            outcome.e164 or "-",
            outcome.outcome.value,
            error="; ".join(notes),
            cost=cell(outcome.cost),
            earlier=outcome.earlier,
            ok=outcome.ok,
        )

    def row(self) -> dict[str, str]:
        return {
            "number": self.number,
            "outcome": self.outcome,
            "error": self.error,
            "cost": self.cost,
        }

    def json(self) -> dict[str, Any]:
        """The row in the command line's one JSON shape (``bulk_result`` in its schema)."""
        valid = self.outcome != "invalid" and self.number != "-"
        item: dict[str, Any] = {
            "e164": self.number if valid else None,
            "outcome": self.outcome,
            "note": self.error or None,
            "cost": self.cost or None,
            "earlier": self.earlier,
            "ok": self.ok,
        }
        if not valid and self.number != "-":
            item["input"] = self.number
        return item


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
        # An invalid line's raw input and the server's error text land here too.
        self._writer.writerow({key: csv_cell(value) for key, value in result.row().items()})
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
        note = f" [{result.error}]" if result.error else ""
        return f"{result.outcome} {result.number}{cost}{note}"
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
        # A replacement (provisioning) adds a row beyond the count asked for.
        self._total = max(self._total, self._count)
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
            self._progress.console.print(Text(sanitize(_result_line(result))), style="red")
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


JOURNAL_HELP = """\b
Resuming: every number is recorded in a journal (JSON Lines, appended and
fsynced): "started" before its request is sent, its outcome after, each run
with its own id. Rerun the same command after an interruption: what an earlier
run recorded as done is verified against the account first (and done again if
the account no longer shows it), and a number whose request was in flight is
looked up, so nothing is bought (or released) twice and its cost is reported.
A journal of another job or account is refused; entries older than 7 days are
ignored. The default journal is found again on a rerun:
FILE.<operation>-journal.jsonl next to the --from FILE, or
<operation>-journal-<hash of the numbers>.jsonl in the current directory for
numbers given as arguments. Delete it (or pass another --journal) to start
over."""


# -- the plan -----------------------------------------------------------------------------

PLAN_COLUMNS = (
    Column("number", "Number"),
    Column("setup_fee", "Setup", numeric=True),
    Column("monthly_fee", "Monthly", numeric=True),
    Column("cost", "Cost", numeric=True),
    Column("currency", "Currency"),
    Column("status", "Status"),
)


def plan_rows(plan: PurchasePlan) -> list[dict[str, str]]:
    return [
        {
            "number": line.e164,
            "setup_fee": cell(line.setup_fee),
            "monthly_fee": cell(line.monthly_fee),
            "cost": cell(line.cost),
            "currency": line.currency or plan.currency,
            "status": "on sale" if line.on_sale else "not on sale",
        }
        for line in plan.lines
    ]


def plan_json(plan: PurchasePlan) -> list[dict[str, Any]]:
    """The plan's lines in the command line's one JSON shape (``plan_line`` in its schema)."""
    return [
        {
            "e164": line.e164,
            "setup_fee": json_value(line.setup_fee),
            "monthly_fee": json_value(line.monthly_fee),
            "cost": json_value(line.cost),
            "currency": line.currency or plan.currency or None,
            "on_sale": line.on_sale,
        }
        for line in plan.lines
    ]


def plan_summary(plan: PurchasePlan) -> str:
    """The plan in one sentence: count, cost (setup + monthly), balance, what would remain."""
    # "number(s)" kept: tests owned elsewhere (test_bulk_preflight.py) pin this wording.
    money = plan.currency
    text = (
        f"plan: {plan.count} number(s) to buy, setup {cell(plan.setup_total)} + first month "
        f"{cell(plan.monthly_total)} = {cell(plan.total)} {money}"
    )
    if plan.available_balance is None:
        text += "; the available balance is unknown"
    else:
        text += (
            f"; available balance {cell(plan.available_balance)} {money}, "
            f"{cell(plan.remaining)} {money} would remain"
        )
    off_sale = len(plan.lines) - plan.count
    if off_sale:
        text += (
            f"; {off_sale} not on sale (owned already or gone: each is looked up when the job runs)"
        )
    return text


def check_plan(plan: PurchasePlan, max_cost: Decimal | None) -> None:
    """Refuse (exit 2) a plan above ``max_cost`` or beyond the available balance."""
    if max_cost is not None and plan.total > max_cost:
        raise CliError(
            f"the plan costs {cell(plan.total)} {plan.currency}, above --max-cost "
            f"{cell(max_cost)}; nothing was bought",
            EXIT_USAGE,
        )
    if not plan.affordable:
        short = plan.total - (plan.available_balance or Decimal(0))
        raise CliError(
            f"the available balance ({cell(plan.available_balance)} {plan.currency}) cannot "
            f"cover the plan ({cell(plan.total)} {plan.currency}; short by {cell(short)}); "
            "nothing was bought",
            EXIT_USAGE,
        )


def confirm(question: str, *, yes: bool, refusal: str, declined: str) -> None:
    """Ask on a terminal; without one, refuse unless ``--yes`` was given."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(
            f"refusing to {refusal} without confirmation: stdin is not a terminal; "
            "pass --yes to go ahead",
            EXIT_USAGE,
        )
    # The question carries server text (a currency, numbers): no terminal control in it.
    if not click.confirm(sanitize(question), default=False, err=True):
        raise CliError(declined, EXIT_FAILURE)


class Amount(click.ParamType[Decimal]):
    """A non-negative amount of money, read exactly (a Decimal)."""

    name = "amount"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"{value!r} is not an amount such as 1500 or 99.50", param, ctx)
        if not amount.is_finite() or amount < 0:
            self.fail(f"{value!r} is not a non-negative amount", param, ctx)
        return amount


AMOUNT = Amount()


def spent_and_left(settings: Settings, spent: Decimal, currency: str) -> str:
    """The summary's money: what the job spent and the balance left (if it can be read)."""

    async def balance() -> Decimal | None:
        async with settings.client() as client:
            return (await client.account.balance(currency)).available_balance

    text = f"total spent {cell(spent)} {currency}"
    try:
        left = asyncio.run(balance())
    except PhoneNumbersError as exc:
        return f"{text}; the remaining balance could not be read ({describe_error(exc)})"
    return f"{text}; remaining balance {cell(left)} {currency}"


# -- running a job ---------------------------------------------------------------------


@dataclass
class JobRun:
    """What a finished job reports: every row in input order, and the engine's outcomes."""

    results: list[Result]
    outcomes: list[BulkOutcome]

    journal: FileJournal | None = None

    @property
    def earlier(self) -> int:
        return sum(outcome.earlier for outcome in self.outcomes)

    @property
    def recovered(self) -> int:
        return sum(outcome.recovered for outcome in self.outcomes)

    def spent(self) -> Decimal:
        """What the job's purchases debited, this run's and earlier runs' alike."""
        return sum(
            (o.cost or Decimal(0) for o in self.outcomes if bought(o)),
            Decimal(0),
        )

    def counts(self, *, leave_out: str | None = None) -> str:
        """How many rows had each outcome, such as "3 purchased, 1 failed"."""
        counts: dict[str, int] = {}
        for result in self.results:
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        return ", ".join(
            f"{count} {outcome}" for outcome, count in counts.items() if outcome != leave_out
        )


_BOUGHT = (Outcome.PURCHASED, Outcome.PROVISIONED)


def bought(outcome: BulkOutcome) -> bool:
    """Whether the job bought this number: a purchase, or a provisioning whose purchase
    step was done even when a later step (routing, assigning) failed."""
    return outcome.outcome in _BOUGHT or Outcome.PURCHASED.value in outcome.steps


def run_job(
    client: AsyncClient,
    out: Output,
    description: str,
    total: int,
    outcomes: Callable[[AsyncClient], AsyncIterator[BulkOutcome]],
    results_path: Path,
    journal: FileJournal,
    *,
    order: Sequence[Item] = (),
    bad: Sequence[BadLine] = (),
    resumable: bool = True,
) -> JobRun:
    """Run one engine job: each outcome to the results file and the progress as it settles.

    Rows come back in input order (``order``; bad lines by their line), with
    any row the engine added (a replacement) after them.
    """
    results_file = ResultsFile(results_path)
    reporter = make_reporter(out)
    invalid = [Result(line.text, "invalid", error=line.reason) for line in bad]
    collected: list[BulkOutcome] = []
    try:
        for result in invalid:
            results_file.write(result)

        async def go() -> None:
            async with client:
                async for outcome in outcomes(client):
                    collected.append(outcome)
                    result = Result.of(outcome)
                    results_file.write(result)
                    reporter.update(result)

        reporter.start(total, description)
        try:
            asyncio.run(go())
        except KeyboardInterrupt:
            # A one-off keeps no journal: a rerun asks the account instead.
            where = f" (journal {journal.path})" if resumable else ""
            raise CliError(
                f"interrupted; rerun the same command to resume{where}", EXIT_INTERRUPTED
            ) from None
        except JournalError as exc:
            raise CliError(f"{exc}; pass another --journal path", EXIT_USAGE) from None
        finally:
            reporter.stop()
    finally:
        results_file.close()
    position = {item.e164: index for index, item in enumerate(order)}
    ranked = [((line.line or 0, 0), result) for line, result in zip(bad, invalid, strict=True)]
    lines = {item.e164: item.line for item in order}
    for outcome in collected:
        index = position.get(outcome.e164)
        line = lines.get(outcome.e164)
        key = (line if line is not None else index if index is not None else 1 << 62, 1)
        ranked.append((key, Result.of(outcome)))
    ranked.sort(key=lambda pair: pair[0])
    # A number bought away and replaced is no failure of the job (its replacement may be).
    replaced = {outcome.replaces for outcome in collected if outcome.replaces}
    rows = [
        dataclasses.replace(result, ok=True) if result.number in replaced else result
        for _, result in ranked
    ]
    return JobRun(rows, collected, journal)


def summarize(
    out: Output,
    operation: str,
    run: JobRun,
    *,
    results_path: Path,
    journal_path: Path,
    money: str | None = None,
    show_files: bool = True,
) -> int:
    """Print the rows and the summary line; the exit code."""
    out.rows(
        [result.row() for result in run.results],
        RESULT_COLUMNS,
        json_items=[result.json() for result in run.results],
    )
    extra = ""
    if run.earlier:
        extra = (
            # "number(s)" kept: tests owned elsewhere (test_provision.py) pin this wording.
            f"; {run.earlier} of {len(run.outcomes)} number(s) were done by an earlier run "
            "(verified on the account)"
        )
    if run.recovered:
        extra += f"; {run.recovered} found done by an interrupted run"
    replay = run.journal.replay if run.journal is not None else None
    if replay is not None and replay.unreadable:
        out.warn(f"journal {journal_path}: ignored {plural(replay.unreadable, 'unreadable line')}")
    if replay is not None and replay.expired:
        numbers = len({entry.e164 for entry in replay.expired})
        out.info(
            f"note: journal {journal_path}: records of {plural(numbers, 'number')} were older "
            "than 7 days and were ignored"
        )
    parts = [f"results: {results_path}; journal: {journal_path}"] if show_files else []
    if money:
        parts.append(money)
    tail = "".join(f"; {part}" for part in parts)
    code = exit_code(run.results)
    if code == EXIT_OK:
        out.info(f"{operation}: {run.counts()}{extra}{tail}")
    else:
        failed = sum(not result.ok for result in run.results)
        # "1 of 1 failed", not "1 of 1 failed (1 failed)": the other outcomes in brackets.
        others = run.counts(leave_out="failed")
        detail = f" ({others}{extra})" if others else extra
        # One error shape: an object under --format json, a sanitised line otherwise.
        out.error(
            f"{operation}: {failed} of {len(run.results)} failed{detail}{tail}",
            exit_code=code,
            code="partly_failed" if code == EXIT_PARTIAL else "failed",
        )
    return code
