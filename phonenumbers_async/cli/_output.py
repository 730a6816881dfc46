"""Writing results: a rich table, JSON or CSV on stdout; messages on stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from phonenumbers_async import PhoneNumber, SubAccount, converter

from ._common import format_time

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "NUMBER_COLUMNS",
    "RESULT_COLUMNS",
    "SUBACCOUNT_COLUMNS",
    "Column",
    "Output",
    "make_console",
    "number_json",
    "number_row",
    "subaccount_json",
    "subaccount_row",
]

FORMATS = ("table", "json", "csv")

# A pipe or a file has no width; rich would otherwise squeeze tables to 80
# columns and fold E.164 numbers across lines, which breaks grep and friends.
_PIPE_WIDTH = 240


class Column:
    """One output column: its key in a row, its table header, and whether the table shows it."""

    __slots__ = ("header", "in_table", "key", "numeric")

    def __init__(self, key: str, header: str, *, in_table: bool = True, numeric: bool = False):
        self.key = key
        self.header = header
        self.in_table = in_table
        self.numeric = numeric


NUMBER_COLUMNS = (
    Column("e164", "Number"),
    Column("account_id", "Owner"),
    Column("country", "Country"),
    Column("region", "Region"),
    Column("status", "Status"),
    Column("capabilities", "Capabilities"),
    Column("setup_fee", "Setup fee", numeric=True),
    Column("monthly_fee", "Monthly fee", numeric=True),
    Column("currency", "Currency"),
    Column("trunk_group_id", "Trunk group", in_table=False),
    Column("purchased_at", "Purchased", in_table=False),
    Column("id", "Id", in_table=False),
)

SUBACCOUNT_COLUMNS = (
    Column("auth_id", "Auth ID"),
    Column("name", "Name"),
    Column("email", "Email"),
    Column("enabled", "Enabled"),
    Column("is_active", "Active"),
    Column("rate_limit", "Rate limit", numeric=True),
    Column("created_at", "Created"),
    Column("parent_auth_id", "Parent", in_table=False),
    Column("id", "Id", in_table=False),
)

RESULT_COLUMNS = (
    Column("number", "Number"),
    Column("outcome", "Outcome"),
    Column("error", "Note"),
    Column("cost", "Cost", numeric=True),
)


def cell(value: object) -> str:
    """How one value reads in a table or CSV cell (None is empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Decimal):
        return format(value, "f")
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
    """A number as the API's JSON shape (money as numbers, times as ISO 8601)."""
    data: dict[str, Any] = converter.unstructure(number)
    return data


def subaccount_row(sub: SubAccount) -> dict[str, str]:
    """A sub-account as flat text cells (never its token)."""
    return {column.key: cell(getattr(sub, column.key, None)) for column in SUBACCOUNT_COLUMNS}


def subaccount_json(sub: SubAccount) -> dict[str, Any]:
    """A sub-account as JSON, without ``auth_token``: output is pasted into tickets and logs."""
    data: dict[str, Any] = converter.unstructure(sub)
    data.pop("auth_token", None)
    return data


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

    # -- messages (stderr) -----------------------------------------------

    def info(self, message: str) -> None:
        """A progress or context line; ``--quiet`` drops it."""
        if not self.quiet:
            print(message, file=self.stderr, flush=True)

    def warn(self, message: str) -> None:
        """Something the operator must see even with ``--quiet`` (bad input lines…)."""
        print(f"warning: {message}", file=self.stderr, flush=True)

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
            items = list(json_items) if json_items is not None else [dict(row) for row in rows]
            self.stdout.write(json.dumps(items, indent=2, default=str) + "\n")
        elif self.format == "csv":
            writer = csv.DictWriter(
                self.stdout, fieldnames=[column.key for column in columns], lineterminator="\n"
            )
            writer.writeheader()
            for row in rows:
                writer.writerow({column.key: row.get(column.key, "") for column in columns})
        else:
            self._table(rows, [column for column in columns if column.in_table], title)
        self.stdout.flush()

    def record(self, sentence: str, record: Mapping[str, str]) -> None:
        """The result of one action: a sentence for people, or one JSON object / CSV row."""
        if self.format == "json":
            self.stdout.write(json.dumps(dict(record), default=str) + "\n")
        elif self.format == "csv":
            writer = csv.DictWriter(self.stdout, fieldnames=list(record), lineterminator="\n")
            writer.writeheader()
            writer.writerow(dict(record))
        else:
            self.stdout.write(sentence + "\n")
        self.stdout.flush()

    def _table(
        self, rows: Sequence[Mapping[str, str]], columns: Sequence[Column], title: str | None
    ) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, title_justify="left")
        for column in columns:
            # Identifiers never wrap: a folded number is a wrong number when copied.
            identifier = column.key in {"e164", "number", "account_id", "auth_id"}
            table.add_column(
                column.header,
                justify="right" if column.numeric else "left",
                no_wrap=identifier,
                overflow="fold",
            )
        for row in rows:
            # Text() keeps server data such as "[foo]" from being read as rich markup.
            table.add_row(*(Text(row.get(column.key, "")) for column in columns))
        make_console(self.stdout).print(table)
