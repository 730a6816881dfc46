"""The command line's parts in-process: input files, durations, the journal file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from phonenumbers_async import FileJournal, JobIdentity, JournalEntry, JournalError, JournalMismatch
from phonenumbers_async.cli._bulk import (
    BadLine,
    Item,
    default_journal_path,
    items_from_args,
    read_numbers_file,
)
from phonenumbers_async.cli._common import CliError, format_remaining


@pytest.mark.parametrize(
    ("remaining", "text"),
    [
        (timedelta(days=12, hours=2, minutes=59, seconds=59), "12d 3h"),
        (timedelta(days=15), "15d 0h"),
        (timedelta(hours=4, minutes=10), "4h 10m"),
        (timedelta(minutes=3, seconds=20), "3m 20s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=-5), "0s"),
    ],
)
def test_remaining_time_reads_in_two_units(remaining: timedelta, text: str) -> None:
    """Cool-off durations print as their two largest units, rounded."""
    assert format_remaining(remaining) == text


def test_plain_file_skips_blanks_and_comments_and_keeps_line_numbers(tmp_path: Path) -> None:
    """A one-per-line file: blanks and # lines skipped, bad lines and repeats reported."""
    source = tmp_path / "n.txt"
    source.write_text("# header\n+14155550100\n\n  +14155550101  \nabc\n+14155550100\n")
    items, bad, notes = read_numbers_file(source)
    assert items == [Item("+14155550100", 2), Item("+14155550101", 4)]
    assert [(line.line, line.text) for line in bad] == [(5, "abc")]
    assert notes == ["line 6: +14155550100 repeats line 2; it is handled once"]


def test_csv_file_uses_the_e164_column_even_with_a_bom(tmp_path: Path) -> None:
    """A spreadsheet export (BOM, other columns, an empty cell) is read by its e164 column."""
    source = tmp_path / "n.csv"
    source.write_bytes("\ufeffName,E164\nfront desk,+14155550100\nback office,\n".encode())
    items, bad, _ = read_numbers_file(source)
    assert items == [Item("+14155550100", 2)]
    assert bad == [BadLine(3, "back office,", "no value in the e164 column")]


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    """An input file that does not exist exits 2 with its path named."""
    with pytest.raises(CliError) as caught:
        read_numbers_file(tmp_path / "absent.txt")
    assert caught.value.exit_code == 2
    assert "absent.txt: no such file" in caught.value.message


def test_arguments_are_checked_like_file_lines() -> None:
    """Arguments get the same checks, with the missing-plus hint."""
    items, bad, _ = items_from_args(["+14155550100", "14155550100"])
    assert items == [Item("+14155550100")]
    assert "leading '+' is missing" in bad[0].reason


def test_default_journal_is_stable_for_the_same_input(tmp_path: Path) -> None:
    """The default journal depends on the file name, or on the set of numbers given."""
    source = tmp_path / "order.csv"
    assert default_journal_path("purchase", source, [], tmp_path) == (
        tmp_path / "order.csv.purchase-journal.jsonl"
    )
    one = default_journal_path("purchase", None, ["+2", "+1"], tmp_path)
    assert one == default_journal_path("purchase", None, ["+1", "+2", "+1"], tmp_path)
    assert one != default_journal_path("purchase", None, ["+1"], tmp_path)
    assert one != default_journal_path("release", None, ["+1", "+2"], tmp_path)


def _job(operation: str = "purchase") -> JobIdentity:
    return JobIdentity(operation, "MA_A1", "u")


def _entry(e164: str, event: str, **fields: Any) -> JournalEntry:
    return JournalEntry(e164=e164, event=event, run_id="run1", at=datetime.now(UTC), **fields)


def test_journal_records_survive_reopening(tmp_path: Path) -> None:
    """A reopened journal gives back every entry of earlier runs; every record is one JSON
    line, each run announced by its own line."""
    path = tmp_path / "j.jsonl"
    journal = FileJournal(path)
    journal.open(_job(), "run1", datetime.now(UTC))
    journal.append(_entry("+1", "started"))
    journal.append(_entry("+1", "done", outcome="purchased", cost=Decimal("12.5")))
    journal.append(_entry("+2", "started"))
    journal.close()
    reopened = FileJournal(path)
    replay = reopened.open(_job(), "run2", datetime.now(UTC))
    reopened.close()
    assert [(e.e164, e.event, e.cost) for e in replay.entries] == [
        ("+1", "started", None),
        ("+1", "done", Decimal("12.5")),
        ("+2", "started", None),
    ]
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0]["job"]["operation"] == "purchase"
    assert [record.get("event") for record in records[1:]] == [
        "run", "started", "done", "started", "run",
    ]  # fmt: skip


def test_a_journal_in_use_is_refused(tmp_path: Path) -> None:
    """Two jobs on one journal at once: the second is refused instead of racing."""
    path = tmp_path / "j.jsonl"
    first = FileJournal(path)
    first.open(_job(), "run1", datetime.now(UTC))
    try:
        with pytest.raises(JournalError, match="in use by another running job"):
            FileJournal(path).open(_job(), "run2", datetime.now(UTC))
    finally:
        first.close()


def test_a_journal_of_another_operation_is_refused(tmp_path: Path) -> None:
    """A purchase journal is not taken for a release job."""
    path = tmp_path / "j.jsonl"
    journal = FileJournal(path)
    journal.open(_job(), "run1", datetime.now(UTC))
    journal.close()
    with pytest.raises(JournalMismatch, match="written by a purchase job, not release"):
        FileJournal(path).open(_job("release"), "run2", datetime.now(UTC))


def test_a_torn_last_line_is_counted_not_fatal(tmp_path: Path) -> None:
    """A partial final record (a SIGKILL mid-write) is skipped and counted; the next run
    starts on a fresh line."""
    path = tmp_path / "j.jsonl"
    journal = FileJournal(path)
    journal.open(_job(), "run1", datetime.now(UTC))
    journal.append(_entry("+1", "started"))
    journal.close()
    with path.open("a") as handle:
        handle.write('{"e164": "+2", "ev')
    reopened = FileJournal(path)
    replay = reopened.open(_job(), "run2", datetime.now(UTC))
    reopened.close()
    assert replay.unreadable == 1
    assert [entry.e164 for entry in replay.entries] == ["+1"]
    assert path.read_text().splitlines()[-1].startswith('{"run":"run2"')
