"""In-process: number normalisation, reading number files, and what output lets
through (control sequences, spreadsheet formulas, table width, progress, plurals)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from phonenumbers_async import PhoneNumber, ValidationError
from phonenumbers_async._validation import normalize_e164
from phonenumbers_async.cli._bulk import Item as BulkItem
from phonenumbers_async.cli._bulk import read_numbers_file as bulk_read_numbers_file
from phonenumbers_async.cli._common import CliError
from phonenumbers_async.cli._input import Item, items_from_args, read_numbers_file
from phonenumbers_async.cli._output import (
    INVENTORY_COLUMNS,
    Output,
    csv_cell,
    number_row,
    plural,
    progress_columns,
    sanitize,
)

from ._helpers import Emu, Ran

InProcess = Callable[..., Ran]


@pytest.mark.parametrize(
    ("text", "e164", "removed"),
    [
        ("+91 98765-43210", "+919876543210", ["spaces", "dashes"]),
        ("+1 (415) 555.0100", "+14155550100", ["spaces", "parentheses", "dots"]),
        ("  +14155550100\t", "+14155550100", None),
    ],
)
def test_separators_are_removed_and_said(text: str, e164: str, removed: list[str] | None) -> None:
    """Spaces, dashes, dots and parentheses go; the note names what went (none if nothing)."""
    number, note = normalize_e164(text)
    assert number == e164
    if removed is None:
        assert note is None
    else:
        assert note is not None
        assert f"read as {e164}" in note
        for name in removed:
            assert name in note


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("0091 98765 43210", "dialling prefix '00'"),
        ("919876543210", "leading '+' is missing"),
        ("+91 98765 ext 1", "expected '+' then 1 to 15 digits"),
        ("+0123", "expected '+' then 1 to 15 digits"),
    ],
)
def test_what_is_not_guessed_is_named(text: str, named: str) -> None:
    """A leading 00, a missing + or anything else is refused with the reason, never guessed."""
    with pytest.raises(ValidationError, match=named.replace("+", r"\+").replace("(", r"\(")):
        normalize_e164(text)


def test_bulk_module_still_exports_the_readers(tmp_path: Path) -> None:
    """`_bulk` re-exports the readers (the bulk code imports them from there)."""
    assert BulkItem is Item
    source = tmp_path / "n.txt"
    source.write_text("+14155550100\n")
    assert bulk_read_numbers_file(source)[0] == [Item("+14155550100", 1)]


@pytest.mark.parametrize("header", ["e164", "Number", "PHONE", "phone_number", "DID"])
def test_number_column_is_found_by_its_header(tmp_path: Path, header: str) -> None:
    """A CSV's number column is recognised by any of its usual names, in any case."""
    source = tmp_path / "n.csv"
    source.write_text(f"label,{header}\nfront desk,+1 415 555 0100\nback,+14155550101\n")
    items, bad, notes = read_numbers_file(source)
    assert [item.e164 for item in items] == ["+14155550100", "+14155550101"]
    assert bad == []
    assert any("read as +14155550100" in note for note in notes)


def test_number_column_is_the_only_one_holding_numbers(tmp_path: Path) -> None:
    """With no known header, the one column whose values are numbers is used."""
    source = tmp_path / "n.csv"
    source.write_text("site,line,count\nParis,+33 1 40 00 00 00,3\nLyon,+33472000000,12\n")
    items, _, _ = read_numbers_file(source)
    assert [(item.e164, item.line) for item in items] == [("+33140000000", 2), ("+33472000000", 3)]


def test_headerless_csv_finds_its_number_column(tmp_path: Path) -> None:
    """A CSV without a header: its first row is data, not lost."""
    source = tmp_path / "n.csv"
    source.write_text("Paris,+33140000000\nLyon,+33472000000\n")
    items, _, _ = read_numbers_file(source)
    assert [item.e164 for item in items] == ["+33140000000", "+33472000000"]


def test_two_number_columns_are_refused_by_name(tmp_path: Path) -> None:
    """Two columns of numbers and no header to choose: a usage error naming both."""
    source = tmp_path / "n.csv"
    source.write_text("main,backup\n+33140000000,+33472000000\n")
    with pytest.raises(CliError) as caught:
        read_numbers_file(source)
    assert caught.value.exit_code == 2
    assert "main, backup" in caught.value.message


def test_a_one_column_file_under_a_number_header(tmp_path: Path) -> None:
    """A single column headed "Number" is a list of numbers, its header skipped."""
    source = tmp_path / "n.csv"
    source.write_text("Number\n+14155550100\n")
    items, bad, _ = read_numbers_file(source)
    assert items == [Item("+14155550100", 2)]
    assert bad == []


def test_extra_columns_are_read_by_header(tmp_path: Path) -> None:
    """`extra_columns` brings each row's other values (such as a trunk id) along, stripped."""
    source = tmp_path / "routes.csv"
    source.write_text(
        "E164,Trunk_Group_ID\n+14155550100, 3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c \n+14155550101,\n"
    )
    items, _, _ = read_numbers_file(source, extra_columns=["trunk_group_id"])
    assert [dict(item.extra) for item in items] == [
        {"trunk_group_id": "3f1c2a4e-8b7d-4c1e-9a2f-5d6e7f8a9b0c"},
        {"trunk_group_id": ""},
    ]


def test_a_missing_extra_column_is_a_usage_error(tmp_path: Path) -> None:
    """Asking for a column the file lacks names it."""
    source = tmp_path / "n.csv"
    source.write_text("e164\n+14155550100\n")
    with pytest.raises(CliError) as caught:
        read_numbers_file(source, extra_columns=["sub_account_id"])
    assert "no 'sub_account_id' column" in caught.value.message


def test_many_normalisations_are_summarised() -> None:
    """Past three, normalisation notes are counted rather than listed."""
    items, _, notes = items_from_args([f"+1 415 555 010{digit}" for digit in range(6)])
    assert len(items) == 6
    assert len([note for note in notes if "read as" in note]) == 3
    assert any(note.startswith("and 3 more numbers") for note in notes)


def test_repeats_after_normalisation_are_handled_once() -> None:
    """'+1 415…' and '+1415…' are one number: the second is a noted repeat."""
    items, _, notes = items_from_args(["+1 415 555 0100", "+14155550100"])
    assert items == [Item("+14155550100")]
    assert any("repeats an earlier argument" in note for note in notes)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("North\x1b[31m red\x1b[0m", "North red"),
        ("\x1b]8;;http://evil\x07click\x1b]8;;\x07", "click"),
        ("a\x07b\x00c\x9b2Jd\x7f", "abcd"),
        ("clear\x1bc", "clear"),
        ("plain text, [markup]", "plain text, [markup]"),
    ],
)
def test_control_sequences_are_stripped(raw: str, shown: str) -> None:
    """Escape sequences (CSI, OSC, 8-bit CSI, two-byte) and C0/C1 controls are removed."""
    assert sanitize(raw) == shown


def test_terminal_output_carries_no_escape_from_server_text() -> None:
    """A table, a sentence and a note built from hostile text print no ESC or BEL."""
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output("table", stdout=stdout, stderr=stderr)
    number = PhoneNumber(e164="+14155550100", region="\x1b]0;pwned\x07Bay \x1b[2JArea")
    out.rows([number_row(number)], INVENTORY_COLUMNS)
    out.record("routed \x1b[31m+14155550100", {"e164": "+14155550100"})
    out.info("note \x1b[1mbold")
    out.warn("bad \x07 line")
    printed = stdout.getvalue() + stderr.getvalue()
    assert "\x1b" not in printed
    assert "\x07" not in printed
    assert "Bay Area" in printed


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1-2", "'+1-2"),
        ("-2+3", "'-2+3"),
        ("+919876543210", "+919876543210"),
        ("-12.50", "-12.50"),
        ("Bay Area", "Bay Area"),
    ],
)
def test_csv_cells_cannot_start_a_formula(value: str, written: str) -> None:
    """A cell starting with = + - @ gets a leading ' unless it is a plain number
    (an E.164 number or an amount), which a spreadsheet reads as a value."""
    assert csv_cell(value) == written


def test_csv_listing_neutralises_a_hostile_region() -> None:
    """End to end through Output: the region cell is neutralised, the number is not."""
    stdout = io.StringIO()
    number = PhoneNumber(e164="+14155550100", region="=1+1", monthly_fee=Decimal("-1.5"))
    Output("csv", stdout=stdout).rows([number_row(number)], INVENTORY_COLUMNS)
    (row,) = csv.DictReader(io.StringIO(stdout.getvalue()))
    assert row["e164"] == "+14155550100"
    assert row["region"] == "'=1+1"
    assert row["monthly_fee"] == "-1.5"


class _Terminal(io.StringIO):
    """A stream that says it is a terminal (so rich uses the terminal's width)."""

    def isatty(self) -> bool:
        return True


def test_an_inventory_table_fits_80_columns_without_breaking_a_header_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 80 columns: every line fits, no header word is split, no Owner column."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    numbers = [
        PhoneNumber(
            e164=f"+9180{index:08d}",
            country="IN",
            region="Maharashtra",
            setup_fee=Decimal("499.00"),
            monthly_fee=Decimal("1499.00"),
            currency="INR",
        )
        for index in range(3)
    ]
    stdout, stderr = _Terminal(), io.StringIO()
    Output("table", stdout=stdout, stderr=stderr).rows(
        [number_row(number) for number in numbers], INVENTORY_COLUMNS
    )
    lines = sanitize(stdout.getvalue()).splitlines()  # without the terminal's bold
    assert all(len(line) <= 80 for line in lines)
    shown = [column for column in INVENTORY_COLUMNS if column.in_table]
    header_text = " ".join(lines[:4])
    kept = [column for column in shown if column.header.split()[0] in header_text]
    assert len(kept) >= 5, "the main columns stay"
    for column in kept:
        for word in column.header.split():
            assert word in header_text, f"{column.header!r} was split"
    assert "Owner" not in stdout.getvalue()
    for number in numbers:
        assert number.e164 in stdout.getvalue()


def test_progress_times_are_labelled() -> None:
    """The progress bar reads "elapsed …" and "left …", not two bare times."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, no_color=True)
    with Progress(*progress_columns(), console=console, auto_refresh=False) as progress:
        task = progress.add_task("Purchasing", total=4, failed=1)
        progress.update(task, advance=2)
        progress.refresh()
    text = screen.getvalue()
    assert "elapsed 0:00:0" in text
    assert "left " in text
    assert "1 failed" in text


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 numbers"), (1, "1 number"), (2, "2 numbers")],
)
def test_plural(count: int, text: str) -> None:
    """Counts read as English: "1 number", "2 numbers"."""
    assert plural(count, "number") == text


def test_page_note_says_one_number(emu: Emu, run_here: InProcess) -> None:
    """A one-item listing's note says "1 number in all", not "1 numbers"."""
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    ran = run_here("numbers", "list", "--search", number[1:])
    assert ran.code == 0, ran.err
    assert "(1 number in all)" in ran.err
