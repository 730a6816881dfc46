"""The ``phonenumbers-async`` command: its click groups, options and error handling."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from phonenumbers_async import (
    AsyncClient,
    CoolOffInEffect,
    FanOutError,
    Page,
    PhoneNumber,
    PhoneNumbersError,
    __version__,
    converter,
)

from ._bulk import (
    BulkJob,
    ResultsFile,
    default_journal_path,
    default_results_path,
    exit_code,
    items_from_args,
    make_reporter,
    read_numbers_file,
)
from ._common import (
    EXIT_CODES_HELP,
    EXIT_COOL_OFF,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    describe_error,
    exit_code_for,
)
from ._journal import Journal
from ._output import (
    FORMATS,
    NUMBER_COLUMNS,
    RESULT_COLUMNS,
    SUBACCOUNT_COLUMNS,
    Column,
    Output,
    cell,
    number_json,
    number_row,
    subaccount_json,
    subaccount_row,
)

__all__ = ["Settings", "cli", "run"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

PROG = "phonenumbers-async"

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

JOURNAL_HELP = """\b
Resuming: every number is recorded in a journal (JSON Lines, appended and
fsynced): "started" before its request is sent, its outcome after. Rerun the
same command after an interruption: numbers already done are skipped, and a
number whose request was in flight is first checked against the account, so
nothing is bought (or released) twice. The default journal is found again
on a rerun: FILE.<operation>-journal.jsonl next to the --from FILE, or
<operation>-journal-<hash of the numbers>.jsonl in the current directory for
numbers given as arguments. Delete it (or pass another --journal) to start
over."""


@dataclass
class Settings:
    """The global options, shared with every command through the click context."""

    auth_id: str | None = None
    auth_token: str | None = None
    base_url: str | None = None
    output_format: str = "table"
    quiet: bool = False
    verbose: bool = False
    timeout: float = 30.0
    rate_limit: float | None = None

    _log_handler: logging.Handler | None = None
    _log_level: int = logging.NOTSET

    def start_logging(self) -> None:
        """Send the SDK's debug log (one line per HTTP attempt, never a token) to stderr."""
        logger = logging.getLogger("phonenumbers_async")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._log_handler, self._log_level = handler, logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)

    def stop_logging(self) -> None:
        """Undo :meth:`start_logging` (``run`` may be called in-process, by tests)."""
        if self._log_handler is not None:
            logger = logging.getLogger("phonenumbers_async")
            logger.removeHandler(self._log_handler)
            logger.setLevel(self._log_level)
            self._log_handler = None

    def output(self) -> Output:
        return Output(self.output_format, quiet=self.quiet)

    def client(self, *, max_concurrency: int = 8) -> AsyncClient:
        """An async client from the options; missing credentials are a usage error."""
        missing = [
            (flag, env)
            for flag, env, value in (
                ("--auth-id", "VOBIZ_AUTH_ID", self.auth_id),
                ("--auth-token", "VOBIZ_AUTH_TOKEN", self.auth_token),
            )
            if not value
        ]
        if missing:
            flags = " and ".join(flag for flag, _ in missing)
            names = " and ".join(env for _, env in missing)
            raise CliError(f"missing credentials: pass {flags}, or set {names}", EXIT_USAGE)
        return AsyncClient(
            self.auth_id,
            self.auth_token,
            base_url=self.base_url,
            timeout=self.timeout,
            rate_limit=self.rate_limit,
            max_concurrency=max_concurrency,
        )


def _arun(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def _settings(ctx: click.Context) -> Settings:
    return ctx.ensure_object(Settings)


def _set_format(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value is not None:
        _settings(ctx).output_format = value


def _set_quiet(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        _settings(ctx).quiet = True


def _set_verbose(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    settings = _settings(ctx)
    if value and not settings.verbose:
        settings.verbose = True
        settings.start_logging()


def output_options(function: F) -> F:
    """``--format``, ``--quiet`` and ``--verbose`` after the command name too.

    They only update the shared settings, so a command reads them from there.
    """
    for decorator in (
        click.option(
            "--format",
            type=click.Choice(FORMATS),
            default=None,
            expose_value=False,
            callback=_set_format,
            help="Output format (as the global --format).",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_set_quiet,
            help="No progress or notes on stderr.",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=_set_verbose,
            help="Log every HTTP request to stderr.",
        ),
    ):
        function = decorator(function)
    return function


def paging_options(function: F) -> F:
    function = click.option(
        "--per-page",
        type=click.IntRange(1, 100),
        default=None,
        help="Items per page (1-100; default 25, or 100 with --all).",
    )(function)
    function = click.option(
        "--page", type=click.IntRange(min=1), default=1, show_default=True, help="Page to show."
    )(function)
    return click.option("--all", "all_pages", is_flag=True, help="Every page, not just one.")(
        function
    )


def _check_paging(all_pages: bool, page: int) -> None:
    if all_pages and page != 1:
        raise click.UsageError("--page and --all cannot be combined")


def _page_note(out: Output, page: Page[Any], noun: str) -> None:
    if page.total is None:
        if page.has_next:
            out.info(f"page {page.page}; there may be more: --all lists every {noun}")
        return
    pages = page.page_count or 1
    text = f"page {page.page} of {pages} ({page.total} {noun}s in all)"
    if page.page < pages:
        text += f"; --page {page.page + 1} for the next, --all for every {noun}"
    out.info(text)


async def _one_page_or_all(
    client: AsyncClient,
    all_pages: bool,
    iterate: Callable[[int], AsyncIterator[T]],
    one_page: Callable[[int], Awaitable[Page[T]]],
    per_page: int | None,
) -> tuple[list[T], Page[T] | None]:
    """Every item (``--all``) or one page of a listing, with the client closed after."""
    async with client:
        if all_pages:
            return [item async for item in iterate(per_page or 100)], None
        page = await one_page(per_page or 25)
        return list(page.items), page


def _show(
    out: Output,
    items: Sequence[T],
    page: Page[T] | None,
    noun: str,
    row: Callable[[T], Mapping[str, str]],
    columns: Sequence[Column],
    as_json: Callable[[T], dict[str, Any]],
) -> None:
    out.rows([row(item) for item in items], columns, json_items=[as_json(item) for item in items])
    if page is not None:
        _page_note(out, page, noun)


# -- the group ---------------------------------------------------------------


@click.group(
    context_settings=CONTEXT,
    epilog=EXIT_CODES_HELP,
    help=(
        "Manage Vobiz phone numbers: list, search inventory, buy and release in bulk, "
        "assign to sub-accounts; run a local emulator of the API, or a demo on it."
    ),
)
@click.option(
    "--auth-id",
    envvar="VOBIZ_AUTH_ID",
    show_envvar=True,
    metavar="MA_…|SA_…",
    help="Account Auth ID.",
)
@click.option(
    "--auth-token",
    envvar="VOBIZ_AUTH_TOKEN",
    show_envvar=True,
    metavar="TOKEN",
    help="Account Auth Token (prefer the variable: flags show in the process list).",
)
@click.option(
    "--base-url",
    envvar="VOBIZ_BASE_URL",
    show_envvar=True,
    metavar="URL",
    help="API base URL [default: https://api.vobiz.ai/api].",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format on stdout.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress or notes on stderr (errors still show)."
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Log every HTTP request, and tracebacks, to stderr."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds allowed for each request.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="PER_SECOND",
    help="Send at most this many requests per second.",
)
@click.version_option(__version__, prog_name=PROG)
@click.pass_context
def cli(
    ctx: click.Context,
    auth_id: str | None,
    auth_token: str | None,
    base_url: str | None,
    output_format: str,
    quiet: bool,
    verbose: bool,
    timeout: float,
    rate_limit: float | None,
) -> None:
    settings = ctx.ensure_object(Settings)
    settings.auth_id = auth_id
    settings.auth_token = auth_token
    settings.base_url = base_url
    settings.output_format = output_format
    settings.quiet = quiet
    settings.verbose = verbose
    settings.timeout = timeout
    settings.rate_limit = rate_limit
    if verbose:
        settings.start_logging()


# -- numbers -------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
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
@output_options
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
    _check_paging(all_pages or fan_out, page)
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

    failure: FanOutError | None = None
    one_page: Page[PhoneNumber] | None = None
    if fan_out:
        items, failure = _arun(fan_out_all())
        # Accounts answer in any order; a stable order makes runs comparable.
        items.sort(key=lambda number: (number.account_id or "", number.e164))
    else:
        items, one_page = _arun(
            _one_page_or_all(
                client,
                all_pages,
                lambda size: client.numbers.iter(
                    per_page=size, include_subaccounts=include_subaccounts, search=search
                ),
                lambda size: client.numbers.list(
                    page=page,
                    per_page=size,
                    include_subaccounts=include_subaccounts,
                    search=search,
                ),
                per_page,
            )
        )
    _show(out, items, one_page, "number", number_row, NUMBER_COLUMNS, number_json)
    if failure is not None:
        details = "; ".join(
            f"{account}: {describe_error(error)}" for account, error in failure.failures.items()
        )
        raise CliError(f"{failure} ({details}); the listing above is incomplete")
    return EXIT_OK


def bulk_options(function: F) -> F:
    function = output_options(function)
    function = click.option(
        "--journal",
        "journal_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Journal file that makes a rerun resume (default: see below).",
    )(function)
    function = click.option(
        "--results",
        "results_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Results CSV: number, outcome, error, cost "
        "[default: <operation>-results-<time>.csv here].",
    )(function)
    function = click.option(
        "--concurrency",
        type=click.IntRange(1, 100),
        default=8,
        show_default=True,
        help="Numbers handled at once.",
    )(function)
    function = click.option(
        "--from",
        "source",
        type=click.Path(path_type=Path, dir_okay=False),
        help="File of numbers: one per line, or a CSV with an 'e164' column.",
    )(function)
    return click.argument("numbers", nargs=-1, metavar="[E164]...")(function)


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
    cwd = Path.cwd()
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
                results = _arun(go())
            except KeyboardInterrupt:
                raise CliError(
                    f"interrupted; rerun the same command to resume (journal {journal_path})",
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
    tail = f"results: {results_path}; journal: {journal_path}"
    if code == EXIT_OK:
        out.info(f"{operation}: {summary}{extra}; {tail}")
    else:
        failed = sum(not result.ok for result in results)
        print(
            f"error: {operation}: {failed} of {len(results)} failed ({summary}{extra}); {tail}",
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


# -- inventory ---------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def inventory() -> None:
    """Numbers on sale."""


@inventory.command("list")
@click.option("--country", metavar="CC", help="Two-letter country code, such as IN or US.")
@click.option("--search", metavar="DIGITS", help="Digits the number contains, such as 9180.")
@click.option(
    "--exclude",
    metavar="PREFIX",
    multiple=True,
    help="Leave out numbers starting with PREFIX (repeat it, or separate with commas).",
)
@paging_options
@output_options
@click.pass_obj
def inventory_list(
    settings: Settings,
    country: str | None,
    search: str | None,
    exclude: tuple[str, ...],
    all_pages: bool,
    page: int,
    per_page: int | None,
) -> int:
    """List numbers on sale (one page, or --all), optionally filtered."""
    _check_paging(all_pages, page)
    out = settings.output()
    client = settings.client()

    items, one_page = _arun(
        _one_page_or_all(
            client,
            all_pages,
            lambda size: client.inventory.iter(
                country=country, search=search, exclude=exclude, per_page=size
            ),
            lambda size: client.inventory.list(
                country=country, search=search, exclude=exclude, page=page, per_page=size
            ),
            per_page,
        )
    )
    _show(out, items, one_page, "number", number_row, NUMBER_COLUMNS, number_json)
    return EXIT_OK


# -- sub-accounts ------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def subaccounts() -> None:
    """Sub-accounts, and handing numbers to them and back."""


@subaccounts.command("list")
@paging_options
@click.option("--active-only", is_flag=True, help="Only active sub-accounts.")
@output_options
@click.pass_obj
def subaccounts_list(
    settings: Settings,
    all_pages: bool,
    page: int,
    per_page: int | None,
    active_only: bool,
) -> int:
    """List the master account's sub-accounts (one page, or --all)."""
    _check_paging(all_pages, page)
    out = settings.output()
    client = settings.client()
    active = True if active_only else None

    items, one_page = _arun(
        _one_page_or_all(
            client,
            all_pages,
            lambda size: client.subaccounts.iter(per_page=size, active_only=active),
            lambda size: client.subaccounts.list(page=page, per_page=size, active_only=active),
            per_page,
        )
    )
    _show(out, items, one_page, "sub-account", subaccount_row, SUBACCOUNT_COLUMNS, subaccount_json)
    return EXIT_OK


@subaccounts.command("assign", epilog=EXIT_CODES_HELP)
@click.argument("e164")
@click.argument("sub_account", metavar="SA_…")
@output_options
@click.pass_obj
def subaccounts_assign(settings: Settings, e164: str, sub_account: str) -> int:
    """Move a number from the master's pool to a sub-account."""
    out = settings.output()
    client = settings.client()

    async def go() -> None:
        async with client:
            await client.subaccounts.assign_number(e164, sub_account)

    try:
        _arun(go())
    except CoolOffInEffect as exc:
        raise CliError(f"cannot assign {e164}: {describe_error(exc)}", EXIT_COOL_OFF) from None
    out.record(
        f"assigned {e164} to {sub_account}",
        {"number": e164, "sub_account": sub_account, "outcome": "assigned"},
    )
    return EXIT_OK


@subaccounts.command("unassign", epilog=EXIT_CODES_HELP)
@click.argument("e164")
@click.option(
    "--force",
    is_flag=True,
    help="Unassign even within the 15-day cool-off (admin accounts only; audited).",
)
@output_options
@click.pass_obj
def subaccounts_unassign(settings: Settings, e164: str, force: bool) -> int:
    """Move a number back from its sub-account to the master's pool.

    Within 15 days of the number's last call this is refused (exit 4) with the
    time the cool-off ends, unless --force.
    """
    out = settings.output()
    client = settings.client()

    async def go() -> None:
        async with client:
            await client.subaccounts.unassign_number(e164, force=force)

    try:
        _arun(go())
    except CoolOffInEffect as exc:
        raise CliError(
            f"cannot unassign {e164}: "
            + describe_error(exc, hint="retry after that, or use --force (admin accounts only)"),
            EXIT_COOL_OFF,
        ) from None
    how = " (forced)" if force else ""
    out.record(
        f"unassigned {e164}{how}; it is back in the master account's pool",
        {"number": e164, "outcome": "unassigned", "forced": "yes" if force else "no"},
    )
    return EXIT_OK


def _call(settings: Settings, action: Callable[[AsyncClient], Awaitable[T]]) -> T:
    """Run one SDK call with a client made from the options, closing it after."""
    client = settings.client()

    async def go() -> T:
        async with client:
            return await action(client)

    return _arun(go())


@numbers.command("get")
@click.argument("e164")
@output_options
@click.pass_obj
def numbers_get(settings: Settings, e164: str) -> int:
    """Show one of the account's numbers (looked up with the API's search)."""
    number = _call(settings, lambda client: client.numbers.get(e164))
    settings.output().rows([number_row(number)], NUMBER_COLUMNS, json_items=[number_json(number)])
    return EXIT_OK


@numbers.command("cancel-release", epilog=EXIT_CODES_HELP)
@click.argument("e164")
@output_options
@click.pass_obj
def numbers_cancel_release(settings: Settings, e164: str) -> int:
    """Undo a release within its 24-hour window: the number is active again."""
    cancelled = _call(settings, lambda client: client.numbers.cancel_release(e164))
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
            "refund_amount": cell(cancelled.refund_amount),
            "refund_status": cell(cancelled.refund_status),
        },
    )
    return EXIT_OK


@numbers.command("route", epilog=EXIT_CODES_HELP)
@click.argument("e164")
@click.option("--trunk", "trunk_group_id", metavar="UUID", help="The SIP trunk group to route to.")
@click.option("--application", "application_id", metavar="ID", help="The application to attach.")
@output_options
@click.pass_obj
def numbers_route(
    settings: Settings, e164: str, trunk_group_id: str | None, application_id: str | None
) -> int:
    """Route a number: to a SIP trunk (--trunk) or to an application (--application)."""
    if (trunk_group_id is None) == (application_id is None):
        raise click.UsageError("give exactly one of --trunk UUID or --application ID")
    if trunk_group_id is not None:
        trunk = trunk_group_id
        _call(settings, lambda client: client.numbers.assign_trunk(e164, trunk))
        sentence, record = f"routed {e164} to trunk {trunk}", {"trunk_group_id": trunk}
    else:
        application = str(application_id)
        _call(settings, lambda client: client.numbers.attach_application(e164, application))
        sentence = f"attached {e164} to application {application}"
        record = {"application_id": application}
    settings.output().record(sentence, {"e164": e164, "outcome": "routed", **record})
    return EXIT_OK


@numbers.command("unroute", epilog=EXIT_CODES_HELP)
@click.argument("e164")
@click.option("--trunk", "from_trunk", is_flag=True, help="Only take it off its SIP trunk.")
@click.option(
    "--application", "from_application", is_flag=True, help="Only detach its application."
)
@output_options
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

    done = _call(settings, unroute)
    sentence = f"took {e164} off " + " and ".join(done) if done else f"{e164} was not routed"
    settings.output().record(
        sentence, {"e164": e164, "outcome": "unrouted" if done else "not-routed"}
    )
    return EXIT_OK


@numbers.command("health")
@click.argument("e164")
@click.option(
    "--granularity", type=click.Choice(["daily", "hourly"]), default="daily", show_default=True
)
@click.option("--days", type=click.IntRange(1, 365), default=30, show_default=True)
@output_options
@click.pass_obj
def numbers_health(settings: Settings, e164: str, granularity: str, days: int) -> int:
    """A number's health: calls, answer rate and minutes, with one row per day (or hour)."""
    health = _call(
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
    out.rows(rows, HEALTH_COLUMNS, json_items=[converter.unstructure(health)])
    return EXIT_OK


HEALTH_COLUMNS = (
    Column("ts", "Time"),
    Column("total_calls", "Calls", numeric=True),
    Column("answered_calls", "Answered", numeric=True),
    Column("failed_calls", "Failed", numeric=True),
    Column("answer_rate", "Rate", numeric=True),
    Column("total_minutes", "Minutes", numeric=True),
)
TRANSACTION_COLUMNS = (
    Column("created_at", "When"),
    Column("type", "Type"),
    Column("amount", "Amount", numeric=True),
    Column("currency", "Currency"),
    Column("reference_type", "Kind"),
    Column("description", "Description"),
    Column("id", "Id", in_table=False),
)


@cli.group(context_settings=CONTEXT)
def account() -> None:
    """The account's money: balance and transactions."""


@account.command("balance")
@click.option("--currency", default="INR", show_default=True, help="Three-letter currency code.")
@output_options
@click.pass_obj
def account_balance(settings: Settings, currency: str) -> int:
    """The balance; available_balance is what purchases may spend."""
    balance = _call(settings, lambda client: client.account.balance(currency))
    settings.output().record(
        f"available {cell(balance.available_balance)} {balance.currency or currency} "
        f"(balance {cell(balance.balance)}, reserved {cell(balance.reserved_funds)}, "
        f"credit limit {cell(balance.credit_limit)})",
        {
            "currency": cell(balance.currency),
            "balance": cell(balance.balance),
            "available_balance": cell(balance.available_balance),
            "reserved_funds": cell(balance.reserved_funds),
            "credit_limit": cell(balance.credit_limit),
        },
    )
    return EXIT_OK


@account.command("transactions")
@paging_options
@output_options
@click.pass_obj
def account_transactions(
    settings: Settings, all_pages: bool, page: int, per_page: int | None
) -> int:
    """The ledger: number rentals, calls, payments and refunds (one page, or --all)."""
    _check_paging(all_pages, page)
    client = settings.client()
    items, one_page = _arun(
        _one_page_or_all(
            client,
            all_pages,
            lambda size: client.account.iter_transactions(per_page=size),
            lambda size: client.account.list_transactions(page=page, per_page=size),
            per_page,
        )
    )
    _show(
        settings.output(),
        items,
        one_page,
        "transaction",
        lambda entry: {
            column.key: cell(getattr(entry, column.key)) for column in TRANSACTION_COLUMNS
        },
        TRANSACTION_COLUMNS,
        converter.unstructure,
    )
    return EXIT_OK


@subaccounts.command("create")
@click.argument("name")
@click.option("--email", help="Contact address (needed with --kyc-mode customer_use).")
@click.option("--kyc-mode", type=click.Choice(["personal_use", "customer_use"]))
@click.option("--description")
@click.option("--disabled", is_flag=True, help="Create it disabled.")
@output_options
@click.pass_obj
def subaccounts_create(
    settings: Settings,
    name: str,
    email: str | None,
    kyc_mode: str | None,
    description: str | None,
    disabled: bool,
) -> int:
    """Create a sub-account; its Auth Token is printed this once: store it now."""
    created = _call(
        settings,
        lambda client: client.subaccounts.create(
            name,
            email=email,
            kyc_mode=kyc_mode,  # type: ignore[arg-type]  # checked by click.Choice
            description=description,
            enabled=False if disabled else None,
        ),
    )
    out = settings.output()
    out.warn("the auth token below is shown only this once: store it in your secret manager now")
    token = created.auth_token or "(the server sent none: reset it before use)"
    out.record(
        f"created {created.auth_id} ({name}); auth token: {token}",
        {"auth_id": created.auth_id, "name": name, "auth_token": cell(created.auth_token)},
    )
    return EXIT_OK


@subaccounts.command("update")
@click.argument("sub_account", metavar="SA_…")
@click.option("--name")
@click.option("--email")
@click.option("--description")
@click.option("--enable/--disable", "enabled", default=None)
@output_options
@click.pass_obj
def subaccounts_update(
    settings: Settings,
    sub_account: str,
    name: str | None,
    email: str | None,
    description: str | None,
    enabled: bool | None,
) -> int:
    """Change a sub-account's name, email, description or enabled state."""
    sub = _call(
        settings,
        lambda client: client.subaccounts.update(
            sub_account, name=name, email=email, description=description, enabled=enabled
        ),
    )
    settings.output().rows(
        [subaccount_row(sub)], SUBACCOUNT_COLUMNS, json_items=[subaccount_json(sub)]
    )
    return EXIT_OK


@subaccounts.command("delete", epilog=EXIT_CODES_HELP)
@click.argument("sub_account", metavar="SA_…")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@output_options
@click.pass_obj
def subaccounts_delete(settings: Settings, sub_account: str, yes: bool) -> int:
    """Delete a sub-account (asks first unless --yes; refuses without a terminal)."""
    if not yes:
        if not sys.stdin.isatty():
            raise CliError(f"refusing to delete {sub_account} without --yes", EXIT_USAGE)
        click.confirm(f"Delete sub-account {sub_account}?", abort=True, err=True)
    _call(settings, lambda client: client.subaccounts.delete(sub_account))
    settings.output().record(
        f"deleted {sub_account}", {"auth_id": sub_account, "outcome": "deleted"}
    )
    return EXIT_OK


# -- emulator and demo ----------------------------------------------------------------


@cli.command(
    "emulator",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def emulator(args: tuple[str, ...]) -> int:
    """Run the local emulator of the API (options: emulator --help)."""
    from phonenumbers_async.emulator._cli import main as emulator_main

    try:
        return emulator_main(list(args), prog=f"{PROG} emulator")
    except SystemExit as exc:  # argparse exits on --help and on bad flags
        code = exc.code
        if code is None:
            return EXIT_OK
        return code if isinstance(code, int) else EXIT_USAGE


@cli.command("demo")
@click.option("--seed", type=int, default=None, help="Seed the emulator for a repeatable run.")
@click.pass_obj
def demo(settings: Settings, seed: int | None) -> int:
    """Start a local emulator and walk through every operation on it."""
    from ._demo import run_demo

    return _arun(run_demo(seed=seed))


# -- running -------------------------------------------------------------------------


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code.

    Every failure becomes one ``error: …`` line on stderr and an exit code;
    a traceback is shown only with ``--verbose`` and only for a bug.
    """
    settings = Settings()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(settings, args)
    finally:
        settings.stop_logging()


def _run(settings: Settings, args: list[str]) -> int:
    try:
        result = cli.main(args=args, prog_name=PROG, standalone_mode=False, obj=settings)
    except click.UsageError as exc:
        # click >= 8.2 signals "no arguments: show the help" as a usage error.
        no_args = getattr(click.exceptions, "NoArgsIsHelpError", None)
        if no_args is not None and isinstance(exc, no_args):
            exc.show()
            return EXIT_USAGE
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        _error(f"{exc.format_message()}{hint}")
        return EXIT_USAGE
    except click.ClickException as exc:
        _error(exc.format_message())
        return exc.exit_code
    except click.Abort:
        _error("aborted")
        return EXIT_FAILURE
    except CliError as exc:
        _error(exc.message)
        return exc.exit_code
    except PhoneNumbersError as exc:
        _error(describe_error(exc))
        return exit_code_for(exc)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (head, less…) went away; say nothing more on a dead pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except OSError as exc:
        # A local file (journal, results, input) could not be written or read.
        where = f" ({exc.filename})" if exc.filename else ""
        _error(f"{exc.strerror or exc}{where}")
        return EXIT_FAILURE
    except Exception as exc:
        if settings.verbose:
            traceback.print_exc(file=sys.stderr)
        _error(
            f"unexpected {exc.__class__.__name__}: {exc}"
            + ("" if settings.verbose else " (rerun with --verbose to see the traceback)")
        )
        return EXIT_FAILURE
    if isinstance(result, int):
        return result
    return EXIT_OK
