"""Options and helpers the commands share: output flags, paging, bulk input."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from phonenumbers_async import (
    AsyncClient,
    Page,
    ValidationError,
)
from phonenumbers_async._config import DEFAULT_BASE_URL
from phonenumbers_async._validation import check_subaccount_id, normalize_e164
from phonenumbers_async.cli._context import Settings, run_async
from phonenumbers_async.cli._output import (
    FORMATS,
    Column,
    Output,
    RowStream,
    plural,
    sanitize,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

PROG = "phonenumbers-async"

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def settings_of(ctx: click.Context) -> Settings:
    return ctx.ensure_object(Settings)


# -- the global options ------------------------------------------------------
#
# One definition of each, put on the top-level group and on every command that
# talks to the API (so `numbers list --timeout 5` works and its help shows
# them). A value given after the command name wins over one given before it,
# which wins over the environment, which wins over the default.


def _strip(value: str | None) -> str | None:
    # A copied Auth ID or token often brings a space or a newline along.
    return value.strip() if value is not None else None


def _store(
    attribute: str, convert: Callable[[Any], Any] | None = None
) -> Callable[[click.Context, click.Parameter, Any], None]:
    """The callback of a global option: put its value on the shared :class:`Settings`."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        source = ctx.get_parameter_source(param.name or "")
        top = ctx.parent is None
        # Below the top, only what was typed there counts: the environment and
        # the defaults were applied at the top, and must not undo what was typed there.
        if not top and source is not ParameterSource.COMMANDLINE:
            return
        settings = settings_of(ctx)
        setattr(settings, attribute, convert(value) if convert is not None else value)
        if attribute == "verbose" and value:
            settings.start_logging()

    return callback


def global_options() -> list[click.Option]:
    """A fresh set of the global options (a click parameter belongs to one command)."""
    return [
        click.Option(
            ["--auth-id"],
            envvar="VOBIZ_AUTH_ID",
            show_envvar=True,
            metavar="MA_…|SA_…",
            expose_value=False,
            callback=_store("auth_id", _strip),
            help="Account Auth ID.",
        ),
        click.Option(
            ["--auth-token"],
            envvar="VOBIZ_AUTH_TOKEN",
            show_envvar=True,
            metavar="TOKEN",
            expose_value=False,
            callback=_store("auth_token", _strip),
            help="Account Auth Token (prefer the variable: flags show in the process list).",
        ),
        click.Option(
            ["--base-url"],
            envvar="VOBIZ_BASE_URL",
            show_envvar=True,
            metavar="URL",
            expose_value=False,
            callback=_store("base_url", _strip),
            help=f"API base URL [default: {DEFAULT_BASE_URL}].",
        ),
        click.Option(
            ["--allow-http"],
            is_flag=True,
            expose_value=False,
            callback=_store("allow_http"),
            help="Allow a plain-http base URL on another host (sends the token unencrypted).",
        ),
        click.Option(
            ["--format", "output_format"],
            type=click.Choice(FORMATS),
            default="table",
            show_default=True,
            expose_value=False,
            callback=_store("output_format"),
            help="Output format on stdout (json: one schema for every command).",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_store("quiet"),
            help="No progress or notes on stderr (errors still show).",
        ),
        click.Option(
            ["-v", "--verbose"],
            is_flag=True,
            expose_value=False,
            callback=_store("verbose"),
            help="Log every HTTP request, and tracebacks, to stderr.",
        ),
        click.Option(
            ["--timeout"],
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            expose_value=False,
            callback=_store("timeout"),
            help="Seconds allowed for each request.",
        ),
        click.Option(
            ["--rate-limit"],
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="PER_SECOND",
            expose_value=False,
            callback=_store("rate_limit"),
            help="Send at most this many requests per second.",
        ),
    ]


GLOBAL_OPTION_NAMES = tuple(option.opts[-1] for option in global_options())


def add_global_options(command: click.Command, *, skip: frozenset[str] = frozenset()) -> None:
    """Put the global options on ``command`` and, for a group, on every command under it
    (except the ones named in ``skip``, which do not talk to the API)."""
    command.params.extend(global_options())
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if name not in skip:
                add_global_options(sub)


# -- arguments that are numbers or ids ---------------------------------------


# click >= 8.3 makes ParamType generic; a subscript would fail on the older ones allowed.
class E164Type(click.ParamType):  # type: ignore[type-arg]
    """An E.164 number, normalised (spaces, dashes, dots, parentheses removed, and said so)."""

    name = "E164"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            e164, note = normalize_e164(value)
        except ValidationError as exc:
            self.fail(str(exc), param, ctx)
        if note is not None and not (ctx is not None and settings_of(ctx).quiet):
            print(f"note: {sanitize(note)}", file=sys.stderr, flush=True)
        return e164


class SubAccountIdType(click.ParamType):  # type: ignore[type-arg]
    """A sub-account Auth ID (``SA_…``), surrounding spaces trimmed."""

    name = "SA_…"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return check_subaccount_id(str(value).strip())
        except ValidationError as exc:
            self.fail(str(exc), param, ctx)


E164 = E164Type()
SUB_ACCOUNT_ID = SubAccountIdType()


# -- listings ----------------------------------------------------------------


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
    return click.option(
        "--all",
        "all_pages",
        is_flag=True,
        help="Every page, printed as pages arrive (JSON Lines with --format json).",
    )(function)


def check_paging(all_pages: bool, page: int) -> None:
    if all_pages and page != 1:
        raise click.UsageError("--page and --all cannot be combined")


def page_note(out: Output, page: Page[Any], noun: str) -> None:
    if page.total is None:
        if page.has_next:
            out.info(f"page {page.page}; there may be more: --all lists every {noun}")
        return
    pages = page.page_count or 1
    text = f"page {page.page} of {pages} ({plural(page.total, noun)} in all)"
    if page.page < pages:
        text += f"; --page {page.page + 1} for the next, --all for every {noun}"
    out.info(text)


def show_listing(
    out: Output,
    client: AsyncClient,
    *,
    all_pages: bool,
    per_page: int | None,
    iterate: Callable[[int], AsyncIterator[T]],
    one_page: Callable[[int], Awaitable[Page[T]]],
    noun: str,
    row: Callable[[T], Mapping[str, str]],
    columns: Sequence[Column],
    as_json: Callable[[T], Any],
) -> None:
    """One page of a listing, or (``--all``) every item written as its page arrives.

    The client is closed after. An interrupted or failed ``--all`` leaves the
    items written so far on stdout (a table prints its buffered rows first).
    """
    size = per_page or (100 if all_pages else 25)

    async def one() -> Page[T]:
        async with client:
            return await one_page(size)

    async def every(stream: RowStream) -> None:
        async with client:
            async for item in iterate(size):
                stream.add(row(item), as_json(item))

    if not all_pages:
        page = run_async(one())
        out.rows(
            [row(item) for item in page.items],
            columns,
            json_items=[as_json(item) for item in page.items],
        )
        page_note(out, page, noun)
        return
    stream = out.stream(columns, page_size=size)
    try:
        run_async(every(stream))
    finally:
        stream.close()
    out.info(f"{plural(stream.count, noun)} in all")


def show(
    out: Output,
    items: Sequence[T],
    page: Page[T] | None,
    noun: str,
    row: Callable[[T], Mapping[str, str]],
    columns: Sequence[Column],
    as_json: Callable[[T], Any],
) -> None:
    """Items already fetched (such as a fan-out's), with the page note when there is one."""
    out.rows([row(item) for item in items], columns, json_items=[as_json(item) for item in items])
    if page is not None:
        page_note(out, page, noun)


# -- bulk commands -----------------------------------------------------------


def writes_job_files(
    count: int, *, from_file: bool, results_path: Path | None, journal_path: Path | None
) -> bool:
    """Whether a bulk command keeps a results CSV and a journal on disk.

    A one-off (a single number given as an argument) writes nothing in the
    current directory unless ``--results`` or ``--journal`` asks for it: its
    outcome is printed, and a rerun finds the number already done by asking
    the account. Several numbers, or a ``--from`` file, keep both so that an
    interrupted job resumes.
    """
    return count > 1 or from_file or results_path is not None or journal_path is not None


def scratch_directory() -> Path:
    """A directory for a one-off's journal and results, removed when the command ends."""
    scratch = tempfile.TemporaryDirectory(prefix=f"{PROG}-")
    click.get_current_context().call_on_close(scratch.cleanup)
    return Path(scratch.name)


def file_job_options(source_help: str, operation: str) -> Callable[[F], F]:
    """``--from FILE`` and the options of the job it starts (a command that also acts on one)."""

    def decorate(function: F) -> F:
        for decorator in (
            click.option(
                "--journal",
                "journal_path",
                type=click.Path(path_type=Path, dir_okay=False),
                help="Journal that makes a rerun resume "
                f"(with --from; default FILE.{operation}-journal.jsonl).",
            ),
            click.option(
                "--results",
                "results_path",
                type=click.Path(path_type=Path, dir_okay=False),
                help="Results CSV (with --from).",
            ),
            click.option(
                "--concurrency",
                type=click.IntRange(1, 100),
                default=8,
                show_default=True,
                help="Numbers handled at once (with --from).",
            ),
            click.option(
                "--from",
                "source",
                type=click.Path(path_type=Path, dir_okay=False),
                help=source_help,
            ),
        ):
            function = decorator(function)
        return function

    return decorate


def bulk_options(function: F) -> F:
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
        help="File of numbers: one per line, or a CSV (its number column headed e164, "
        "number, phone, phone_number or did, or the only column of numbers).",
    )(function)
    return click.argument("numbers", nargs=-1, metavar="[E164]...")(function)
