"""Writing results: a rich table, JSON or CSV on stdout; messages on stderr.

Everything from the server is treated as untrusted text here: control and
escape sequences never reach a terminal, and a CSV cell cannot start a
spreadsheet formula. JSON has one shape for every command (see
``output.schema.json``): money as exact strings, ``null`` for nothing, ``e164``
for a number.
"""

from __future__ import annotations

import csv
import enum
import json
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, cast

import attrs

from phonenumbers_async import PhoneNumber, SubAccount
from phonenumbers_async._convert import money_text, time_text

from ._common import format_time

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import ProgressColumn

__all__ = [
    "INVENTORY_COLUMNS",
    "NUMBER_COLUMNS",
    "RESULT_COLUMNS",
    "SUBACCOUNT_COLUMNS",
    "Column",
    "Output",
    "RowStream",
    "csv_cell",
    "format_in",
    "json_value",
    "make_console",
    "number_json",
    "number_row",
    "output_schema",
    "plural",
    "progress_columns",
    "sanitize",
    "subaccount_json",
    "subaccount_row",
]

FORMATS = ("table", "json", "csv")

# A pipe or a file has no width; rich would otherwise squeeze tables to 80
# columns and fold E.164 numbers across lines, which breaks grep and friends.
_PIPE_WIDTH = 240

# ESC sequences (CSI, OSC, DCS/PM/APC strings, two-byte escapes), the 8-bit CSI,
# then any C0/C1 control left (tab and newline are kept: they only move the cursor
# where a reader expects).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|[ -/]*[0-~]?)|\x9b[0-?]*[ -/]*[@-~]?"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A spreadsheet runs a cell starting with one of these as a formula...
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ...except a plain number (an E.164 number, a negative amount), which it reads as a value.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def output_schema() -> dict[str, Any]:
    """The JSON Schema of ``--format json`` output (its ``$defs``: one per kind of record)."""
    from importlib.resources import files

    text = files("phonenumbers_async.cli").joinpath("output.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def format_in(args: Sequence[str]) -> str | None:
    """The last valid ``--format`` value in ``args`` (None without one): read before
    parsing, so that an error that stops parsing still comes in the format asked for."""
    found = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        value = arg.removeprefix("--format=") if arg.startswith("--format=") else None
        if arg == "--format" and index + 1 < len(args):
            value = args[index + 1]
        if value in FORMATS:
            found = value
    return found


def sanitize(text: str) -> str:
    """``text`` without terminal control: escape sequences and C0/C1 controls removed."""
    if text.isprintable():
        return text
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


def csv_cell(text: str) -> str:
    """A CSV cell that a spreadsheet shows as text: a formula-like value gets a leading ``'``."""
    text = sanitize(text)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 number``, ``2 numbers`` (``many`` for an irregular plural)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"


def json_time(value: datetime) -> str:
    """ISO 8601 with every digit the server sent, UTC as ``Z``: the models' own rule."""
    return time_text(value)


def json_value(value: object) -> Any:
    """``value`` as JSON-safe data, the one shape of the command line's JSON.

    Money (``Decimal``) is a string with its exact digits, times ISO 8601,
    enums their value, an empty string ``None``; models become objects with
    their ``extra`` fields under ``"extra"``.
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return json_value(value.value)
    if isinstance(value, str):
        return value or None
    if isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, datetime):
        return json_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if attrs.has(type(value)):
        model = cast("type[attrs.AttrsInstance]", type(value))
        return {field.name: json_value(getattr(value, field.name)) for field in attrs.fields(model)}
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    return str(value)


class Column:
    """One output column: its key in a row, its table header, and whether the table shows it.

    ``drop`` orders the columns a narrow terminal's table leaves out (highest
    first; 0 is never left out).
    """

    __slots__ = ("drop", "header", "in_table", "key", "numeric")

    def __init__(
        self,
        key: str,
        header: str,
        *,
        in_table: bool = True,
        numeric: bool = False,
        drop: int = 0,
    ):
        self.key = key
        self.header = header
        self.in_table = in_table
        self.numeric = numeric
        self.drop = drop


NUMBER_COLUMNS = (
    Column("e164", "Number"),
    Column("account_id", "Owner", drop=4),
    Column("country", "Country"),
    Column("region", "Region", drop=3),
    Column("status", "Status"),
    Column("capabilities", "Capabilities", drop=5),
    Column("setup_fee", "Setup fee", numeric=True, drop=2),
    Column("monthly_fee", "Monthly fee", numeric=True, drop=1),
    Column("currency", "Currency", drop=6),
    Column("trunk_group_id", "Trunk group", in_table=False),
    Column("purchased_at", "Purchased", in_table=False),
    Column("id", "Id", in_table=False),
)

# Numbers on sale have no owner: the column would always be empty.
INVENTORY_COLUMNS = tuple(
    column
    for column in NUMBER_COLUMNS
    if column.key not in {"account_id", "trunk_group_id", "purchased_at"}
)

SUBACCOUNT_COLUMNS = (
    Column("auth_id", "Auth ID"),
    Column("name", "Name"),
    Column("email", "Email", drop=2),
    Column("enabled", "Enabled"),
    Column("is_active", "Active", drop=3),
    Column("rate_limit", "Rate limit", numeric=True, drop=4),
    Column("created_at", "Created", drop=1),
    Column("parent_auth_id", "Parent", in_table=False),
    Column("id", "Id", in_table=False),
)

RESULT_COLUMNS = (
    Column("number", "Number"),
    Column("outcome", "Outcome"),
    Column("error", "Note"),
    Column("cost", "Cost", numeric=True),
)

# Identifiers never wrap: a folded number is a wrong number when copied.
_IDENTIFIERS = frozenset({"e164", "number", "account_id", "auth_id"})


def cell(value: object) -> str:
    """How one value reads in a table or CSV cell (None is empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return cell(value.value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Decimal):
        return money_text(value)
    return str(value)


def number_row(number: PhoneNumber) -> dict[str, str]:
    """A number as flat text cells."""
    caps = number.capabilities
    capabilities = (
        " ".join(name for name in ("voice", "sms", "mms", "fax") if getattr(caps, name))
        if caps is not None
        else ""
    )
    row = {column.key: cell(getattr(number, column.key, None)) for column in NUMBER_COLUMNS}
    row["capabilities"] = capabilities
    return row


def number_json(number: PhoneNumber) -> dict[str, Any]:
    """A number as JSON (the ``number`` schema)."""
    data: dict[str, Any] = json_value(number)
    return data


def subaccount_row(sub: SubAccount) -> dict[str, str]:
    """A sub-account as flat text cells (never its token)."""
    return {column.key: cell(getattr(sub, column.key, None)) for column in SUBACCOUNT_COLUMNS}


def subaccount_json(sub: SubAccount) -> dict[str, Any]:
    """A sub-account as JSON, without ``auth_token``: output is pasted into tickets and logs."""
    data: dict[str, Any] = json_value(sub)
    data.pop("auth_token", None)
    return data


def progress_columns() -> list[ProgressColumn]:
    """A bulk job's progress bar: what, bar, done of total, failures, and the two labelled times."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    ]


def make_console(stream: IO[str]) -> Console:
    """A rich console on ``stream``: colours and real width on a terminal, plain text otherwise."""
    from rich.console import Console

    if stream.isatty():
        return Console(file=stream, highlight=False)
    return Console(file=stream, width=_PIPE_WIDTH, highlight=False, no_color=True)


class Output:
    """Where a command's output goes: data on stdout in the chosen format, messages on stderr."""

    def __init__(
        self,
        output_format: str = "table",
        *,
        quiet: bool = False,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ) -> None:
        if output_format not in FORMATS:
            raise ValueError(f"unknown output format {output_format!r}")
        self.format = output_format
        self.quiet = quiet
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self._said_hidden = False

    # -- messages (stderr) -----------------------------------------------

    def info(self, message: str) -> None:
        """A progress or context line; ``--quiet`` drops it."""
        if not self.quiet:
            print(sanitize(message), file=self.stderr, flush=True)

    def warn(self, message: str) -> None:
        """Something the operator must see even with ``--quiet`` (bad input lines…)."""
        print(f"warning: {sanitize(message)}", file=self.stderr, flush=True)

    def error(
        self,
        message: str,
        *,
        exit_code: int,
        code: str,
        request_id: str | None = None,
    ) -> None:
        """The failure that ends the command: ``error: …``, or with ``--format json`` one
        JSON object (``code``, ``message``, ``request_id``, ``exit_code``)."""
        if self.format == "json":
            report = {
                "code": code,
                "message": message,
                "request_id": request_id or None,
                "exit_code": exit_code,
            }
            print(json.dumps(report), file=self.stderr, flush=True)
        else:
            print(f"error: {sanitize(message)}", file=self.stderr, flush=True)

    # -- data (stdout) ---------------------------------------------------

    def rows(
        self,
        rows: Sequence[Mapping[str, str]],
        columns: Sequence[Column],
        *,
        json_items: Sequence[Any] | None = None,
        title: str | None = None,
    ) -> None:
        """A listing: a table, a JSON array (``json_items`` when given) or CSV with a header."""
        if self.format == "json":
            # Rows without json_items (a bulk job's results) are printed as their cells.
            items = (
                [json_value(item) for item in json_items]
                if json_items is not None
                else [dict(row) for row in rows]
            )
            self.stdout.write(json.dumps(items, indent=2) + "\n")
        elif self.format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow([column.key for column in columns])
            writer.writerows(_csv_row(row, columns) for row in rows)
        else:
            self._table(rows, [column for column in columns if column.in_table], title)
        self.stdout.flush()

    def stream(self, columns: Sequence[Column], *, page_size: int) -> RowStream:
        """Rows written as they arrive: JSON Lines, CSV rows, or a table a page at a time."""
        return RowStream(self, columns, page_size=page_size)

    def record(self, sentence: str, record: Mapping[str, object]) -> None:
        """The result of one action: a sentence for people, or one JSON object / CSV row."""
        if self.format == "json":
            self.stdout.write(json.dumps(json_value(dict(record))) + "\n")
        elif self.format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(list(record))
            writer.writerow([csv_cell(cell(value)) for value in record.values()])
        else:
            self.stdout.write(sanitize(sentence) + "\n")
        self.stdout.flush()

    def _table(
        self, rows: Sequence[Mapping[str, str]], columns: Sequence[Column], title: str | None
    ) -> None:
        from rich.table import Table
        from rich.text import Text

        console = make_console(self.stdout)
        shown = fit_columns(rows, columns, console.width)
        hidden = [column.header for column in columns if column not in shown]
        table = Table(title=title, title_justify="left")
        for column in shown:
            longest_word = max((len(word) for word in column.header.split()), default=1)
            table.add_column(
                column.header,
                justify="right" if column.numeric else "left",
                no_wrap=column.key in _IDENTIFIERS,
                overflow="fold",
                # A header may wrap between its words, never inside one.
                min_width=longest_word,
            )
        for row in rows:
            # Text() keeps server data such as "[foo]" from being read as rich markup.
            table.add_row(*(Text(sanitize(row.get(column.key, ""))) for column in shown))
        console.print(table)
        if hidden and rows and not self._said_hidden:
            self._said_hidden = True  # once, not again for each page of --all
            self.info(
                f"not shown at this width: {', '.join(hidden)} (--format csv or json has them)"
            )


def _csv_row(row: Mapping[str, str], columns: Sequence[Column]) -> list[str]:
    return [csv_cell(row.get(column.key, "")) for column in columns]


# A rich table with a box spends 3 characters a column and 1 for the last border.
_TABLE_CHROME_PER_COLUMN = 3


def fit_columns(
    rows: Sequence[Mapping[str, str]], columns: Sequence[Column], width: int
) -> list[Column]:
    """The columns that fit ``width`` at their natural widths, dropping the optional ones
    (highest ``drop`` first) until they do; columns that are never dropped all stay."""

    def natural(column: Column) -> int:
        longest = max((len(row.get(column.key, "")) for row in rows), default=0)
        return max(len(column.header), longest)

    needed = {column.key: natural(column) + _TABLE_CHROME_PER_COLUMN for column in columns}
    shown = list(columns)
    droppable = sorted((column for column in columns if column.drop), key=lambda c: -c.drop)
    for column in droppable:
        if sum(needed[kept.key] for kept in shown) + 1 <= width:
            break
        shown.remove(column)
    return shown


class RowStream:
    """A listing written as its items arrive (``--all``): each JSON line or CSV row is
    flushed at once; a table is printed a page at a time."""

    def __init__(self, out: Output, columns: Sequence[Column], *, page_size: int) -> None:
        self._out = out
        self._columns = columns
        self._page_size = page_size
        self._buffer: list[Mapping[str, str]] = []
        self._csv: Any = None  # a csv.writer (its type is private to the csv module)
        self.count = 0

    def add(self, row: Mapping[str, str], json_item: object) -> None:
        """Write one item (its cells for a table or CSV, ``json_item`` for JSON)."""
        self.count += 1
        out = self._out
        if out.format == "json":
            out.stdout.write(json.dumps(json_value(json_item)) + "\n")
            out.stdout.flush()
        elif out.format == "csv":
            if self._csv is None:
                self._csv = csv.writer(out.stdout, lineterminator="\n")
                self._csv.writerow([column.key for column in self._columns])
            self._csv.writerow(_csv_row(row, self._columns))
            out.stdout.flush()
        else:
            self._buffer.append(row)
            if len(self._buffer) >= self._page_size:
                self._flush_table()

    def close(self) -> None:
        """Write what is buffered (a table's last page; a CSV header if nothing came)."""
        out = self._out
        if out.format == "csv" and self._csv is None:
            out.rows([], self._columns)
        elif out.format == "table" and (self._buffer or not self.count):
            self._flush_table()

    def _flush_table(self) -> None:
        self._out.rows(self._buffer, self._columns)
        self._buffer = []
