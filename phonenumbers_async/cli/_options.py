"""Options and helpers the commands share: output flags, paging, bulk input."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from phonenumbers_async import (
    AsyncClient,
    Page,
)
from phonenumbers_async.cli._context import Settings
from phonenumbers_async.cli._output import (
    FORMATS,
    Column,
    Output,
)

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


def settings_of(ctx: click.Context) -> Settings:
    return ctx.ensure_object(Settings)


def _set_format(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value is not None:
        settings_of(ctx).output_format = value


def _set_quiet(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        settings_of(ctx).quiet = True


def _set_verbose(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    settings = settings_of(ctx)
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


def check_paging(all_pages: bool, page: int) -> None:
    if all_pages and page != 1:
        raise click.UsageError("--page and --all cannot be combined")


def page_note(out: Output, page: Page[Any], noun: str) -> None:
    if page.total is None:
        if page.has_next:
            out.info(f"page {page.page}; there may be more: --all lists every {noun}")
        return
    pages = page.page_count or 1
    text = f"page {page.page} of {pages} ({page.total} {noun}s in all)"
    if page.page < pages:
        text += f"; --page {page.page + 1} for the next, --all for every {noun}"
    out.info(text)


async def one_page_or_all(
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


def show(
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
        page_note(out, page, noun)


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
