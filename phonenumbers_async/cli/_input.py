"""Numbers given to a command: arguments, or a file of them (plain lines or a CSV).

Every number goes through :func:`~phonenumbers_async._validation.normalize_e164`,
the one home of the rule; this module only finds the numbers (and any extra
columns a command asks for) and says where each came from.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from phonenumbers_async import ValidationError
from phonenumbers_async._validation import normalize_e164

from ._common import EXIT_USAGE, CliError

__all__ = [
    "NUMBER_HEADERS",
    "BadLine",
    "Item",
    "items_from_args",
    "read_numbers_file",
    "read_pairs_file",
]

# Header names a spreadsheet's number column goes by, most specific first.
NUMBER_HEADERS = ("e164", "number", "phone", "phone_number", "did")

# Normalisation notes shown one by one; past this, they are counted.
_NOTES_SHOWN = 3


@dataclass(frozen=True)
class Item:
    """A number to act on, where it came from (a file line, or None for an argument),
    and the values of the extra columns the command asked for."""

    e164: str
    line: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class BadLine:
    """Input that is not a number: where, what, and why."""

    line: int | None
    text: str
    reason: str

    def describe(self, source: str) -> str:
        where = f"{source}, line {self.line}" if self.line is not None else source
        return f"{where}: {self.reason}"


@dataclass
class _Reading:
    """Numbers as they are read: the good, the bad, repeats and normalisations noted."""

    items: list[Item] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    normalised: list[str] = field(default_factory=list)
    first_seen: dict[str, Item] = field(default_factory=dict)

    def add(self, text: str, line: int | None, extra: Mapping[str, str] | None = None) -> None:
        try:
            e164, note = normalize_e164(text)
        except ValidationError as exc:
            self.bad.append(BadLine(line, text.strip(), str(exc)))
            return
        here = f"line {line}: " if line is not None else ""
        if note is not None:
            self.normalised.append(f"{here}{note}")
        seen = self.first_seen.get(e164)
        if seen is not None:
            where = f"line {seen.line}" if seen.line is not None else "an earlier argument"
            self.notes.append(f"{here}{e164} repeats {where}; it is handled once")
            return
        item = Item(e164, line, dict(extra or {}))
        self.first_seen[e164] = item
        self.items.append(item)

    def result(self) -> tuple[list[Item], list[BadLine], list[str]]:
        notes = self.normalised[:_NOTES_SHOWN]
        if len(self.normalised) > _NOTES_SHOWN:
            notes.append(
                f"and {len(self.normalised) - _NOTES_SHOWN} more numbers with spaces, dashes, "
                "dots or parentheses removed"
            )
        return self.items, self.bad, notes + self.notes


def items_from_args(numbers: Sequence[str]) -> tuple[list[Item], list[BadLine], list[str]]:
    """Numbers given on the command line: normalised, checked and de-duplicated.

    Returns the numbers, the bad ones, and notes (what normalisation removed, repeats).
    """
    reading = _Reading()
    for text in numbers:
        reading.add(text, None)
    return reading.result()


def read_numbers_file(
    path: Path, *, extra_columns: Sequence[str] = ()
) -> tuple[list[Item], list[BadLine], list[str]]:
    """Numbers from a file: one per line, or a CSV.

    A CSV's number column is the one headed ``e164``, ``number``, ``phone``,
    ``phone_number`` or ``did`` (any case), else the only column whose values
    are numbers. ``extra_columns`` (such as ``trunk_group_id``) are read by
    header into each :attr:`Item.extra`, stripped; a file without one of them
    is a usage error. Blank lines and lines starting with ``#`` are skipped.
    Returns the numbers (de-duplicated, in file order), the bad lines, and notes.
    """
    rows = list(_rows(path, _read_text(path)))
    reading = _Reading()
    if not any(len(cells) > 1 for _, cells in rows) and not extra_columns:
        # One value a line: a plain list (perhaps under a header such as "Number").
        if rows and rows[0][1][0].strip().lower() in NUMBER_HEADERS:
            rows = rows[1:]
        for line, cells in rows:
            reading.add(cells[0], line)
        return reading.result()
    header, data = _split_header(path, rows)
    column = _number_column(path, header, data)
    extras = {name: _named_column(path, header, name) for name in extra_columns}
    label = header[column].strip().lower() if header else "number"
    for line, cells in data:
        value = cells[column].strip() if column < len(cells) else ""
        if not value:
            reading.bad.append(BadLine(line, ",".join(cells), f"no value in the {label} column"))
            continue
        values = {
            name: (cells[at].strip() if at < len(cells) else "") for name, at in extras.items()
        }
        reading.add(value, line, values)
    return reading.result()


def read_pairs_file(
    path: Path, value_columns: Sequence[str]
) -> tuple[str, list[tuple[Item, str]], list[BadLine], list[str]]:
    """A CSV of numbers and one of ``value_columns`` (such as ``trunk_group_id``).

    The number column is found as :func:`read_numbers_file` finds it; the
    header must name exactly one of ``value_columns``. Returns that column's
    name, the (number, value) pairs, the bad lines (a row without a value is
    one) and the notes.
    """
    header, _ = _split_header(path, list(_rows(path, _read_text(path))))
    names = {name.strip().lower() for name in header}
    found = [name for name in value_columns if name in names]
    if len(found) != 1:
        wanted = " or ".join(f"e164,{name}" for name in value_columns)
        raise CliError(
            f"{path}: the header must name the columns {wanted} (the number column may "
            f"also be headed {', '.join(NUMBER_HEADERS[1:])})",
            EXIT_USAGE,
        )
    column = found[0]
    items, bad, notes = read_numbers_file(path, extra_columns=[column])
    pairs: list[tuple[Item, str]] = []
    for item in items:
        value = item.extra[column]
        if value:
            pairs.append((item, value))
        else:
            bad.append(BadLine(item.line, item.e164, f"no value in the {column} column"))
    return column, pairs, bad, notes


def _read_text(path: Path) -> str:
    try:
        # utf-8-sig: spreadsheet exports often start with a byte-order mark.
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"cannot read {path}: no such file", EXIT_USAGE) from None
    except UnicodeDecodeError:
        raise CliError(f"cannot read {path}: not UTF-8 text", EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", EXIT_USAGE) from None


def _rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank, non-comment CSV record with the line it starts on.

    A record the csv module cannot read (a field over its size limit, a NUL
    byte…) is a usage error naming the file and the line.
    """
    reader = csv.reader(io.StringIO(text))
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CliError(f"{path}, line {reader.line_num}: {exc}", EXIT_USAGE) from None
        start, line = line, reader.line_num + 1
        if not any(value.strip() for value in cells) or cells[0].lstrip().startswith("#"):
            continue
        yield start, cells


def _parses(value: str) -> bool:
    try:
        normalize_e164(value)
    except ValidationError:
        return False
    return True


def _split_header(
    path: Path, rows: list[tuple[int, list[str]]]
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (empty if the first row is data: it holds a number) and the data rows."""
    if not rows:
        raise CliError(f"{path}: no numbers in the file", EXIT_USAGE)
    first = rows[0][1]
    if any(_parses(value) for value in first):
        return [], rows
    return first, rows[1:]


def _number_column(path: Path, header: list[str], data: list[tuple[int, list[str]]]) -> int:
    names = [name.strip().lower() for name in header]
    for wanted in NUMBER_HEADERS:
        if wanted in names:
            return names.index(wanted)
    width = max((len(cells) for _, cells in data), default=0)
    holding = [
        index
        for index in range(width)
        if any(index < len(cells) and _parses(cells[index]) for _, cells in data)
    ]
    headers = ", ".join(NUMBER_HEADERS)
    if len(holding) == 1:
        return holding[0]
    if not holding:
        raise CliError(
            f"{path}: no column holds E.164 numbers; head the number column with one of: {headers}",
            EXIT_USAGE,
        )
    shown = ", ".join(header[index] if header else f"column {index + 1}" for index in holding)
    raise CliError(
        f"{path}: several columns hold numbers ({shown}); head the one to use with one of: "
        f"{headers}",
        EXIT_USAGE,
    )


def _named_column(path: Path, header: list[str], name: str) -> int:
    names = [text.strip().lower() for text in header]
    if name.lower() not in names:
        raise CliError(f"{path}: no {name!r} column in the header", EXIT_USAGE)
    return names.index(name.lower())
