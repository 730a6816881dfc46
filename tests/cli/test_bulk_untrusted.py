"""The bulk commands' output of untrusted text (input lines, server text) and their money:
results and plan files neutralised, terminal text sanitised, one JSON error shape, what
"total spent" counts, plurals, and input files the csv module cannot read."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import click
import jsonschema
import pytest

from phonenumbers_async import (
    BulkOutcome,
    FileJournal,
    JournalEntry,
    JournalReplay,
    Outcome,
    PlanLine,
    ProvisionOrder,
    PurchasePlan,
)
from phonenumbers_async.cli import _bulk
from phonenumbers_async.cli._common import EXIT_FAILURE, EXIT_PARTIAL, EXIT_USAGE, CliError
from phonenumbers_async.cli._input import read_numbers_file
from phonenumbers_async.cli._output import Output, output_schema
from phonenumbers_async.cli.commands.provision import read_plan, write_plan

HOSTILE = '=HYPERLINK("http://evil")\x1b]0;PWNED\x07\x1b[2J'


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _cells(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_results_file_neutralises_formulas_and_controls(tmp_path: Path) -> None:
    """An invalid line's raw input and server error text reach the results CSV as text:
    no cell starts a formula, and no escape or control character is written."""
    path = tmp_path / "r.csv"
    results = _bulk.ResultsFile(path)
    results.write(_bulk.Result(HOSTILE, "invalid", error="@SUM(A1)\x1b[31m red"))
    results.write(_bulk.Result("+14155550100", "purchased", cost="-1.50"))
    results.close()
    rows = _cells(path)
    assert rows[0]["number"].startswith("'=HYPERLINK")
    assert rows[0]["error"] == "'@SUM(A1) red"
    assert "\x1b" not in path.read_text(encoding="utf-8")
    assert "\x07" not in path.read_text(encoding="utf-8")
    # Plain numbers (an E.164 number, a negative amount) stay values.
    assert rows[1]["number"] == "+14155550100"
    assert rows[1]["cost"] == "-1.50"


def test_plan_file_neutralises_the_servers_text(tmp_path: Path) -> None:
    """--plan-out writes the server's number and currency through csv_cell: a formula-like
    currency is quoted, controls are stripped, and a plain E.164 number is left as is."""
    order = ProvisionOrder(count=1, country="US")
    plan = PurchasePlan(
        lines=(
            PlanLine(
                e164="+14155550100",
                setup_fee=Decimal("1.10"),
                monthly_fee=Decimal("2"),
                currency="=1+1\x1b[2J",
            ),
        ),
        currency="USD",
        available_balance=None,
        order=order,
    )
    path = tmp_path / "plan.csv"
    write_plan(path, plan)
    text = path.read_text(encoding="utf-8")
    assert "\x1b" not in text
    row = next(csv.DictReader(io.StringIO(text.partition("\n")[2])))
    assert row["e164"] == "+14155550100"
    assert row["currency"] == "'=1+1"


def test_a_neutralised_plan_reads_back_unchanged(tmp_path: Path) -> None:
    """Neutralising the plan's cells leaves real values alone: a plan of E.164 numbers,
    amounts (negative too) and currency codes reads back as it was written."""
    lines = (
        PlanLine(
            e164="+14155550100",
            setup_fee=Decimal("-1.10"),
            monthly_fee=Decimal("2"),
            currency="USD",
        ),
        PlanLine(e164="+919876543210", setup_fee=None, monthly_fee=Decimal("0.5"), currency="INR"),
    )
    order = ProvisionOrder(count=2, country="US")
    path = tmp_path / "plan.csv"
    write_plan(path, PurchasePlan(lines=lines, currency="USD", available_balance=None, order=order))
    read_order, read_lines = read_plan(path)
    assert read_order == order
    assert tuple(read_lines) == lines


def test_progress_bar_strips_escape_sequences() -> None:
    """A failure printed above the progress bar carries no ESC sequence from server text
    (rich drops BEL and CR itself, but not ESC)."""
    stderr = _Terminal()
    reporter = _bulk.BarReporter(Output("table", stderr=stderr))
    reporter.start(1, "release")
    error = "403 forbidden: \x1b]0;PWNED\x07\x1b[2J\x1b[31mserver text"
    reporter.update(_bulk.Result("+12122002029", "failed", error=error))
    reporter.stop()
    written = stderr.getvalue()
    assert "server text" in written
    assert "\x1b]0;PWNED" not in written
    assert "\x1b[2J" not in written


def _run(*outcomes: BulkOutcome) -> _bulk.JobRun:
    return _bulk.JobRun([_bulk.Result.of(outcome) for outcome in outcomes], list(outcomes))


def _summarize(out: Output, run: _bulk.JobRun) -> int:
    return _bulk.summarize(
        out, "purchase", run, results_path=Path("r.csv"), journal_path=Path("j.jsonl")
    )


@pytest.mark.parametrize(
    ("outcomes", "exit_code", "code"),
    [
        (
            (
                BulkOutcome(e164="+14155550100", outcome=Outcome.PURCHASED),
                BulkOutcome(e164="+14155550101", outcome=Outcome.FAILED, error="gone"),
            ),
            EXIT_PARTIAL,
            "partly_failed",
        ),
        (
            (BulkOutcome(e164="+14155550101", outcome=Outcome.FAILED, error="gone"),),
            EXIT_FAILURE,
            "failed",
        ),
    ],
)
def test_failed_job_is_the_json_error_object(
    outcomes: tuple[BulkOutcome, ...], exit_code: int, code: str
) -> None:
    """Under --format json a bulk job that failed (partly or wholly) ends with the one JSON
    error object of the schema, with its exit code and code, not a bare "error:" line."""
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output("json", stdout=stdout, stderr=stderr)
    assert _summarize(out, _run(*outcomes)) == exit_code
    report = json.loads(stderr.getvalue().splitlines()[-1])
    schema = output_schema()
    jsonschema.validate(report, {"$ref": "#/$defs/error", "$defs": schema["$defs"]})
    assert report["exit_code"] == exit_code
    assert report["code"] == code
    assert "failed" in report["message"]


def test_failed_job_message_is_sanitised_in_a_table() -> None:
    """In table mode the failure line goes through the sanitiser: no escape sequence
    (from a file name here) reaches the terminal."""
    stderr = io.StringIO()
    out = Output("table", stdout=io.StringIO(), stderr=stderr)
    run = _run(BulkOutcome(e164="+14155550101", outcome=Outcome.FAILED, error="x"))
    _bulk.summarize(
        out, "purchase", run, results_path=Path("r\x1b[2J.csv"), journal_path=Path("j.jsonl")
    )
    assert stderr.getvalue().startswith("error: purchase: 1 of 1 failed")
    assert "results: r.csv" in stderr.getvalue()
    assert "\x1b" not in stderr.getvalue()


def test_total_spent_counts_a_provisioning_that_bought_then_failed() -> None:
    """A number bought whose later provisioning step failed still cost money: "total
    spent" is the cost of every outcome that bought, and nothing else."""
    run = _run(
        BulkOutcome(e164="+14155550100", outcome=Outcome.PROVISIONED, cost=Decimal("3.00")),
        BulkOutcome(
            e164="+14155550101",
            outcome=Outcome.FAILED,
            cost=Decimal("2.50"),
            steps=(Outcome.PURCHASED.value,),
            error="route failed",
        ),
        BulkOutcome(e164="+14155550102", outcome=Outcome.PURCHASED, cost=Decimal("1.25")),
        BulkOutcome(e164="+14155550103", outcome=Outcome.NOT_IN_INVENTORY),
        BulkOutcome(e164="+14155550104", outcome=Outcome.RELEASED, cost=Decimal("9")),
    )
    assert run.spent() == Decimal("6.75")


def test_confirmation_prompt_is_sanitised(monkeypatch: pytest.MonkeyPatch) -> None:
    """The confirmation question (it carries the server's currency) reaches the terminal
    without escape sequences."""
    asked: list[str] = []

    def fake_confirm(text: str, **_: object) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(click, "confirm", fake_confirm)
    monkeypatch.setattr(sys, "stdin", _Terminal())
    _bulk.confirm("Buy 1 number for 2 \x1b]0;PWNED\x07USD?", yes=False, refusal="r", declined="d")
    assert asked == ["Buy 1 number for 2 USD?"]


def test_journal_notes_use_plurals() -> None:
    """The summary's journal warning and note say "1 unreadable line" and "1 number", not
    "line(s)" and "number(s)"."""
    stderr = io.StringIO()
    out = Output("table", stdout=io.StringIO(), stderr=stderr)
    run = _run(BulkOutcome(e164="+14155550100", outcome=Outcome.PURCHASED))
    expired = JournalEntry(
        e164="+14155550100", event="done", run_id="r1", at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    run.journal = cast(
        "FileJournal", SimpleNamespace(replay=JournalReplay(expired=(expired,), unreadable=1))
    )
    _summarize(out, run)
    text = stderr.getvalue()
    assert "ignored 1 unreadable line\n" in text
    assert "records of 1 number were older than 7 days" in text
    assert "(s)" not in text


def test_a_field_over_the_csv_limit_is_a_usage_error_naming_the_line(tmp_path: Path) -> None:
    """An input file with a field larger than the csv module's limit is a usage error
    (exit 2) naming the file and the line, not an "unexpected Error"."""
    path = tmp_path / "big.csv"
    path.write_text(
        "e164,label\n+14155550100,a\n+14155550101," + "x" * (csv.field_size_limit() + 1) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(CliError) as caught:
        read_numbers_file(path)
    assert caught.value.exit_code == EXIT_USAGE
    assert f"{path}, line 3: field larger than field limit" in caught.value.message
