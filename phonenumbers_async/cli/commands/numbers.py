"""``numbers``: the account's numbers, one at a time and in bulk."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from phonenumbers_async import (
    AsyncClient,
    FanOutError,
    PhoneNumber,
)
from phonenumbers_async.cli._bulk import (
    BulkJob,
    ResultsFile,
    default_journal_path,
    default_results_path,
    exit_code,
    items_from_args,
    make_reporter,
    read_numbers_file,
)
from phonenumbers_async.cli._common import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    describe_error,
)
from phonenumbers_async.cli._context import Settings, call, run_async
from phonenumbers_async.cli._journal import Journal
from phonenumbers_async.cli._options import (
    CONTEXT,
    E164,
    JOURNAL_HELP,
    PROG,
    bulk_options,
    check_paging,
    paging_options,
    show,
    show_listing,
    writes_job_files,
)
from phonenumbers_async.cli._output import (
    NUMBER_COLUMNS,
    RESULT_COLUMNS,
    Column,
    cell,
    json_value,
    number_json,
    number_row,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


__all__ = ["numbers"]


@click.group(context_settings=CONTEXT)
def numbers() -> None:
    """The account's numbers: list, purchase from inventory, release."""


@numbers.command("list")
@paging_options
@click.option(
    "--include-subaccounts/--no-include-subaccounts",
    default=None,
    help="Include sub-accounts' numbers (the API's default for a master account: include).",
)
@click.option(
    "--fan-out",
    is_flag=True,
    help="List the master and every sub-account concurrently (implies --all).",
)
@click.option("--search", metavar="DIGITS", help="Only numbers containing these digits.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Requests in flight for --all and --fan-out.",
)
@click.pass_obj
def numbers_list(
    settings: Settings,
    all_pages: bool,
    page: int,
    per_page: int | None,
    include_subaccounts: bool | None,
    fan_out: bool,
    search: str | None,
    concurrency: int,
) -> int:
    """List the account's numbers (one page, or --all)."""
    check_paging(all_pages or fan_out, page)
    if fan_out and search is not None:
        raise click.UsageError("--search filters one account's listing; drop --fan-out")
    if fan_out and include_subaccounts is False:
        raise click.UsageError("--fan-out lists the sub-accounts; drop --no-include-subaccounts")
    out = settings.output()
    client = settings.client(max_concurrency=concurrency)

    async def fan_out_all() -> tuple[list[PhoneNumber], FanOutError | None]:
        found: list[PhoneNumber] = []
        async with client:
            try:
                async for number in client.numbers.iter_fanout(
                    concurrency=concurrency, per_page=per_page or 100, on_error="collect"
                ):
                    found.append(number)
            except FanOutError as exc:
                return found, exc
        return found, None

    if not fan_out:
        show_listing(
            out,
            client,
            all_pages=all_pages,
            per_page=per_page,
            iterate=lambda size: client.numbers.iter(
                per_page=size, include_subaccounts=include_subaccounts, search=search
            ),
            one_page=lambda size: client.numbers.list(
                page=page, per_page=size, include_subaccounts=include_subaccounts, search=search
            ),
            noun="number",
            row=number_row,
            columns=NUMBER_COLUMNS,
            as_json=number_json,
        )
        return EXIT_OK
    items, failure = run_async(fan_out_all())
    # Accounts answer in any order; a stable order makes runs comparable.
    items.sort(key=lambda number: (number.account_id or "", number.e164))
    show(out, items, None, "number", number_row, NUMBER_COLUMNS, number_json)
    if failure is not None:
        details = "; ".join(
            f"{account}: {describe_error(error)}" for account, error in failure.failures.items()
        )
        raise CliError(f"{failure} ({details}); the listing above is incomplete")
    return EXIT_OK


@numbers.command("purchase", epilog=JOURNAL_HELP + "\n\n" + EXIT_CODES_HELP)
@bulk_options
@click.pass_obj
def numbers_purchase(
    settings: Settings,
    numbers: tuple[str, ...],
    source: Path | None,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
) -> int:
    """Buy numbers from inventory: E164 arguments, or --from FILE.

    Numbers are bought concurrently, with a progress bar on a terminal and one
    line per number otherwise; every outcome goes to a results CSV, and the
    results are printed at the end. A malformed number is reported with its
    line and the others proceed.
    """
    return _bulk(
        settings,
        "purchase",
        numbers,
        source,
        concurrency,
        results_path,
        journal_path,
        yes=True,
    )


@numbers.command("release", epilog=JOURNAL_HELP + "\n\n" + EXIT_CODES_HELP)
@bulk_options
@click.option(
    "--immediate",
    is_flag=True,
    help="Skip the 24-hour cancellable window (the number goes straight to quarantine).",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def numbers_release(
    settings: Settings,
    numbers: tuple[str, ...],
    source: Path | None,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
    immediate: bool,
    yes: bool,
) -> int:
    """Release numbers: E164 arguments, or --from FILE.

    The current API keeps each number as pending-release for 24 hours
    (numbers cancel-release undoes it; the results show until when and the
    fee), then quarantines it for 45 days. Asks for confirmation first unless
    --yes; without a terminal to ask on, it refuses unless --yes is given.
    """
    return _bulk(
        settings,
        "release",
        numbers,
        source,
        concurrency,
        results_path,
        journal_path,
        yes=yes,
        immediate=immediate,
    )


def _preview(items: Sequence[str]) -> str:
    shown = ", ".join(items[:3])
    return shown if len(items) <= 3 else f"{shown} and {len(items) - 3} more"


def _bulk(
    settings: Settings,
    operation: str,
    numbers: tuple[str, ...],
    source: Path | None,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
    *,
    yes: bool,
    immediate: bool = False,
) -> int:
    if numbers and source is not None:
        raise click.UsageError("give numbers as arguments or with --from FILE, not both")
    if not numbers and source is None:
        raise click.UsageError(f"give the numbers to {operation} as arguments or with --from FILE")
    out = settings.output()
    if source is not None:
        items, bad, notes = read_numbers_file(source)
        where = str(source)
    else:
        items, bad, notes = items_from_args(numbers)
        where = "argument"
    for line in bad:
        out.warn(line.describe(where))
    for note in notes:
        out.info(f"note: {note}")
    if not items:
        raise CliError(f"no valid numbers to {operation}", EXIT_USAGE)
    client = settings.client(max_concurrency=concurrency)
    if not yes:
        _confirm_release([item.e164 for item in items])
    keep_files = writes_job_files(
        len(items),
        from_file=source is not None,
        results_path=results_path,
        journal_path=journal_path,
    )
    cwd = Path.cwd()
    if not keep_files:  # a one-off: its journal and results go in a scratch directory
        scratch = tempfile.TemporaryDirectory(prefix=f"{PROG}-")
        click.get_current_context().call_on_close(scratch.cleanup)
        cwd = Path(scratch.name)
    # An immediate release is another job than a cancellable one: its own journal.
    job_name = f"{operation}-immediate" if immediate else operation
    journal_path = journal_path or default_journal_path(
        job_name, source, [item.e164 for item in items], cwd
    )
    results_path = results_path or default_results_path(operation, cwd)
    journal = Journal.open(
        journal_path, operation=operation, auth_id=client.auth_id, base_url=client.base_url
    )
    try:
        if journal.ignored_lines:
            out.warn(f"journal {journal_path}: ignored {journal.ignored_lines} unreadable line(s)")
        earlier = sum(
            1 for item in items if (entry := journal.get(item.e164)) is not None and entry.done
        )
        if earlier:
            out.info(
                f"{earlier} of {len(items)} number(s) were done by an earlier run "
                f"(journal {journal_path}); skipping them"
            )
        results_file = ResultsFile(results_path)
        try:
            job = BulkJob(
                client,
                operation,
                journal,
                results_file,
                make_reporter(out),
                concurrency=concurrency,
                immediate=immediate,
            )

            async def go() -> list[Any]:
                async with client:
                    return await job.run(items, bad)

            try:
                results = run_async(go())
            except KeyboardInterrupt:
                raise CliError(
                    "interrupted; rerun the same command to resume"
                    + (f" (journal {journal_path})" if keep_files else ""),
                    EXIT_INTERRUPTED,
                ) from None
        finally:
            results_file.close()
    finally:
        journal.close()
    out.rows([result.row() for result in results], RESULT_COLUMNS)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
    extra = ""
    if earlier:
        extra += f"; {earlier} done by an earlier run"
    if job.reconciled:
        extra += f"; {job.reconciled} settled by checking the account"
    code = exit_code(results)
    tail = f"; results: {results_path}; journal: {journal_path}" if keep_files else ""
    if code == EXIT_OK:
        out.info(f"{operation}: {summary}{extra}{tail}")
    else:
        failed = sum(not result.ok for result in results)
        # "1 of 1 failed", not "1 of 1 failed (1 failed)": the other outcomes in brackets.
        others = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if outcome != "failed")
        detail = f" ({others}{extra})" if others else extra
        print(
            f"error: {operation}: {failed} of {len(results)} failed{detail}{tail}",
            file=sys.stderr,
            flush=True,
        )
    return code


def _confirm_release(items: Sequence[str]) -> None:
    count = len(items)
    if not sys.stdin.isatty():
        raise CliError(
            f"refusing to release {count} number(s) without confirmation: stdin is not a "
            "terminal; pass --yes to release them",
            EXIT_USAGE,
        )
    question = (
        f"Release {count} number(s) ({_preview(items)}) back to inventory? This cannot be undone"
    )
    if not click.confirm(question, default=False, err=True):
        raise CliError("nothing released", EXIT_FAILURE)


@numbers.command("get")
@click.argument("e164", type=E164)
@click.pass_obj
def numbers_get(settings: Settings, e164: str) -> int:
    """Show one of the account's numbers (looked up with the API's search)."""
    number = call(settings, lambda client: client.numbers.get(e164))
    settings.output().rows([number_row(number)], NUMBER_COLUMNS, json_items=[number_json(number)])
    return EXIT_OK


@numbers.command("cancel-release", epilog=EXIT_CODES_HELP)
@click.argument("e164", type=E164)
@click.pass_obj
def numbers_cancel_release(settings: Settings, e164: str) -> int:
    """Undo a release within its 24-hour window: the number is active again."""
    cancelled = call(settings, lambda client: client.numbers.cancel_release(e164))
    refund = (
        f"; refund {cell(cancelled.refund_amount)} {cancelled.currency or ''}".rstrip()
        if cancelled.refund_amount
        else ""
    )
    settings.output().record(
        f"cancelled the release of {e164}; it is active again{refund}",
        {
            "e164": e164,
            "outcome": "active",
            "refund_amount": cancelled.refund_amount,
            "currency": cancelled.currency,
            "refund_status": cancelled.refund_status,
        },
    )
    return EXIT_OK


@numbers.command("route", epilog=EXIT_CODES_HELP)
@click.argument("e164", type=E164)
@click.option("--trunk", "trunk_group_id", metavar="UUID", help="The SIP trunk group to route to.")
@click.option("--application", "application_id", metavar="ID", help="The application to attach.")
@click.pass_obj
def numbers_route(
    settings: Settings, e164: str, trunk_group_id: str | None, application_id: str | None
) -> int:
    """Route a number: to a SIP trunk (--trunk) or to an application (--application)."""
    if (trunk_group_id is None) == (application_id is None):
        raise click.UsageError("give exactly one of --trunk UUID or --application ID")
    if trunk_group_id is not None:
        trunk = trunk_group_id
        call(settings, lambda client: client.numbers.assign_trunk(e164, trunk))
        sentence, record = f"routed {e164} to trunk {trunk}", {"trunk_group_id": trunk}
    else:
        application = str(application_id)
        call(settings, lambda client: client.numbers.attach_application(e164, application))
        sentence = f"attached {e164} to application {application}"
        record = {"application_id": application}
    settings.output().record(sentence, {"e164": e164, "outcome": "routed", **record})
    return EXIT_OK


@numbers.command("unroute", epilog=EXIT_CODES_HELP)
@click.argument("e164", type=E164)
@click.option("--trunk", "from_trunk", is_flag=True, help="Only take it off its SIP trunk.")
@click.option(
    "--application", "from_application", is_flag=True, help="Only detach its application."
)
@click.pass_obj
def numbers_unroute(settings: Settings, e164: str, from_trunk: bool, from_application: bool) -> int:
    """Take a number off its trunk and/or application (by default whichever it has)."""

    async def unroute(client: AsyncClient) -> list[str]:
        number = await client.numbers.get(e164)
        done: list[str] = []
        if (from_trunk or not from_application) and number.trunk_group_id:
            await client.numbers.unassign_trunk(e164)
            done.append(f"trunk {number.trunk_group_id}")
        if (from_application or not from_trunk) and number.application_id:
            await client.numbers.detach_application(e164)
            done.append(f"application {number.application_id}")
        return done

    done = call(settings, unroute)
    sentence = f"took {e164} off " + " and ".join(done) if done else f"{e164} was not routed"
    settings.output().record(
        sentence, {"e164": e164, "outcome": "unrouted" if done else "not-routed"}
    )
    return EXIT_OK


@numbers.command("health")
@click.argument("e164", type=E164)
@click.option(
    "--granularity", type=click.Choice(["daily", "hourly"]), default="daily", show_default=True
)
@click.option("--days", type=click.IntRange(1, 365), default=30, show_default=True)
@click.pass_obj
def numbers_health(settings: Settings, e164: str, granularity: str, days: int) -> int:
    """A number's health: calls, answer rate and minutes, with one row per day (or hour)."""
    health = call(
        settings, lambda client: client.numbers.health(e164, granularity=granularity, days=days)
    )
    summary = health.summary
    out = settings.output()
    if summary is not None:
        out.info(
            f"{e164}: {cell(summary.total_calls)} calls, {cell(summary.answered_calls)} answered "
            f"(rate {cell(summary.answer_rate)}), {cell(summary.total_minutes)} minutes over "
            f"{cell(summary.period_days)} days; spam: {cell(health.is_spam)}"
        )
    rows = [
        {column.key: cell(getattr(snapshot, column.key)) for column in HEALTH_COLUMNS}
        for snapshot in health.snapshots
    ]
    out.rows(rows, HEALTH_COLUMNS, json_items=[{"e164": e164, **json_value(health)}])
    return EXIT_OK


HEALTH_COLUMNS = (
    Column("ts", "Time"),
    Column("total_calls", "Calls", numeric=True),
    Column("answered_calls", "Answered", numeric=True),
    Column("failed_calls", "Failed", numeric=True),
    Column("answer_rate", "Rate", numeric=True),
    Column("total_minutes", "Minutes", numeric=True),
)
