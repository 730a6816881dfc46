"""``numbers``: the account's numbers, one at a time and in bulk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click

from phonenumbers_async import (
    AsyncClient,
    FanOutError,
    FileJournal,
    PhoneNumber,
    PurchasePlan,
    RouteTarget,
    ValidationError,
)
from phonenumbers_async.cli._bulk import (
    AMOUNT,
    JOURNAL_HELP,
    PLAN_COLUMNS,
    BadLine,
    Item,
    check_plan,
    confirm,
    default_journal_path,
    default_results_path,
    items_from_args,
    plan_json,
    plan_rows,
    plan_summary,
    read_numbers_file,
    read_pairs_file,
    run_job,
    spent_and_left,
    summarize,
)
from phonenumbers_async.cli._common import (
    EXIT_CODES_HELP,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    describe_error,
)
from phonenumbers_async.cli._context import Settings, call, run_async
from phonenumbers_async.cli._options import (
    CONTEXT,
    E164,
    bulk_options,
    check_paging,
    file_job_options,
    paging_options,
    scratch_directory,
    show,
    show_listing,
    writes_job_files,
)
from phonenumbers_async.cli._output import (
    NUMBER_COLUMNS,
    Column,
    Output,
    cell,
    json_value,
    number_json,
    number_row,
)
from phonenumbers_async.cli.commands.provision import numbers_provision

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


def purchase_flags(function: F) -> F:
    """--dry-run, --yes and --max-cost: the pre-flight of anything that buys."""
    function = click.option(
        "--max-cost",
        type=AMOUNT,
        metavar="AMOUNT",
        help="Refuse (exit 2) a plan that costs more than AMOUNT.",
    )(function)
    function = click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")(
        function
    )
    return click.option(
        "--dry-run", is_flag=True, help="Print the plan and its cost; buy nothing."
    )(function)


PREFLIGHT_HELP = """\b
Before anything is bought the command prints the plan: how many numbers, their
cost (setup fees plus the first month, from inventory), the account's available
balance and what would remain. It asks for confirmation on a terminal (--yes
skips it; without a terminal it refuses unless --yes). --dry-run stops after the
plan (exit 0); --max-cost refuses a dearer plan, and a plan the balance cannot
cover is refused before buying (exit 2). After the first 402 (insufficient
balance) no further purchase is started."""


@numbers.command(
    "purchase", epilog=PREFLIGHT_HELP + "\n\n" + JOURNAL_HELP + "\n\n" + EXIT_CODES_HELP
)
@bulk_options
@purchase_flags
@click.pass_obj
def numbers_purchase(
    settings: Settings,
    numbers: tuple[str, ...],
    source: Path | None,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
    dry_run: bool,
    yes: bool,
    max_cost: Decimal | None,
) -> int:
    """Buy numbers from inventory: E164 arguments, or --from FILE.

    Numbers are bought concurrently, with a progress bar on a terminal and one
    line per number otherwise; every outcome goes to a results CSV, and the
    results are printed at the end, then the total spent and the balance left.
    A malformed number is reported with its line and the others proceed.
    """
    out = settings.output()
    items, bad = _read_input(out, "purchase", numbers, source)
    wanted = [item.e164 for item in items]

    async def make_plan() -> PurchasePlan:
        async with settings.client(max_concurrency=concurrency) as client:
            return await client.numbers.plan_purchase(wanted)

    plan = run_async(make_plan())
    out.info(plan_summary(plan))
    if dry_run:
        out.rows(plan_rows(plan), PLAN_COLUMNS, json_items=plan_json(plan))
        return EXIT_OK
    check_plan(plan, max_cost)
    confirm(
        f"Buy {plan.count} number(s) ({_preview(wanted)}) for {cell(plan.total)} {plan.currency}?",
        # Nothing on sale, nothing to spend: the job only looks the numbers up.
        yes=yes or plan.count == 0,
        refusal=f"buy {plan.count} number(s)",
        declined="nothing bought",
    )
    keep = writes_job_files(
        len(items),
        from_file=source is not None,
        results_path=results_path,
        journal_path=journal_path,
    )
    directory = Path.cwd() if keep else scratch_directory()
    journal_path = journal_path or default_journal_path("purchase", source, wanted, directory)
    results_path = results_path or default_results_path("purchase", directory)
    journal = FileJournal(journal_path)
    run = run_job(
        settings.client(max_concurrency=concurrency),
        out,
        "Purchasing",
        len(items),
        lambda client: client.numbers.purchase_many(
            wanted, concurrency=concurrency, journal=journal
        ),
        results_path,
        journal,
        order=items,
        bad=bad,
        resumable=keep,
    )
    money = spent_and_left(settings, run.spent(), plan.currency)
    return summarize(
        out,
        "purchase",
        run,
        results_path=results_path,
        journal_path=journal_path,
        money=money,
        show_files=keep,
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
    out = settings.output()
    items, bad = _read_input(out, "release", numbers, source)
    wanted = [item.e164 for item in items]
    confirm(
        f"Release {len(wanted)} number(s) ({_preview(wanted)}) back to inventory? "
        "This cannot be undone",
        yes=yes,
        refusal=f"release {len(wanted)} number(s)",
        declined="nothing released",
    )
    # An immediate release is another job than a cancellable one: its own journal.
    job_name = "release-immediate" if immediate else "release"
    keep = writes_job_files(
        len(items),
        from_file=source is not None,
        results_path=results_path,
        journal_path=journal_path,
    )
    directory = Path.cwd() if keep else scratch_directory()
    journal_path = journal_path or default_journal_path(job_name, source, wanted, directory)
    results_path = results_path or default_results_path("release", directory)
    journal = FileJournal(journal_path)
    run = run_job(
        settings.client(max_concurrency=concurrency),
        out,
        "Releasing",
        len(items),
        lambda client: client.numbers.release_many(
            wanted, immediate=immediate, concurrency=concurrency, journal=journal
        ),
        results_path,
        journal,
        order=items,
        bad=bad,
        resumable=keep,
    )
    return summarize(
        out,
        "release",
        run,
        results_path=results_path,
        journal_path=journal_path,
        show_files=keep,
    )


def _preview(items: Sequence[str]) -> str:
    shown = ", ".join(items[:3])
    return shown if len(items) <= 3 else f"{shown} and {len(items) - 3} more"


def _read_input(
    out: Output, operation: str, numbers: tuple[str, ...], source: Path | None
) -> tuple[list[Item], list[BadLine]]:
    """The numbers of a bulk command (arguments or a file), bad lines reported."""
    if numbers and source is not None:
        raise click.UsageError("give numbers as arguments or with --from FILE, not both")
    if not numbers and source is None:
        raise click.UsageError(f"give the numbers to {operation} as arguments or with --from FILE")
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
    return items, bad


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


@numbers.command("route", epilog=JOURNAL_HELP + "\n\n" + EXIT_CODES_HELP)
@click.argument("e164", type=E164, required=False, metavar="E164")
@click.option("--trunk", "trunk_group_id", metavar="UUID", help="The SIP trunk group to route to.")
@click.option("--application", "application_id", metavar="ID", help="The application to attach.")
@file_job_options(
    "CSV with columns e164,trunk_group_id or e164,application_id: route each number.", "route"
)
@click.pass_obj
def numbers_route(
    settings: Settings,
    e164: str | None,
    trunk_group_id: str | None,
    application_id: str | None,
    source: Path | None,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
) -> int:
    """Route a number to a SIP trunk (--trunk) or an application (--application),
    or many numbers from a file (--from FILE)."""
    if source is not None:
        if e164 is not None or trunk_group_id is not None or application_id is not None:
            raise click.UsageError(
                "--from FILE names the numbers and their targets; give nothing else"
            )
        return _route_file(settings, source, concurrency, results_path, journal_path)
    if e164 is None:
        raise click.UsageError("give a number (E164) and --trunk or --application, or --from FILE")
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


def _route_file(
    settings: Settings,
    source: Path,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
) -> int:
    out = settings.output()
    column, pairs, bad, notes = read_pairs_file(source, ("trunk_group_id", "application_id"))
    for line in bad:
        out.warn(line.describe(str(source)))
    for note in notes:
        out.info(f"note: {note}")
    if not pairs:
        raise CliError("no valid rows to route", EXIT_USAGE)
    try:
        targets = [
            (
                item.e164,
                RouteTarget(trunk_group_id=value)
                if column == "trunk_group_id"
                else RouteTarget(application_id=value),
            )
            for item, value in pairs
        ]
    except ValidationError as exc:
        raise CliError(f"{source}: {exc}", EXIT_USAGE) from None
    journal_path = journal_path or source.with_name(f"{source.name}.route-journal.jsonl")
    results_path = results_path or default_results_path("route", Path.cwd())
    journal = FileJournal(journal_path)
    run = run_job(
        settings.client(max_concurrency=concurrency),
        out,
        "Routing",
        len(targets),
        lambda client: client.numbers.route_many(targets, concurrency=concurrency, journal=journal),
        results_path,
        journal,
        order=[item for item, _ in pairs],
        bad=bad,
    )
    return summarize(out, "route", run, results_path=results_path, journal_path=journal_path)


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


numbers.add_command(numbers_provision)
