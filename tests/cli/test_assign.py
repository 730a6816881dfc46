"""Sub-account assignment through the real command, and the cool-off's own exit code."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from ._helpers import Emu, Runner


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_assign_moves_the_number_to_the_subaccount(emu: Emu, cli: Runner) -> None:
    """`subaccounts assign E164 SA_…` makes the sub-account the number's owner."""
    number = emu.create_numbers(1, owner=emu.info.auth_id)[0]
    result = cli("subaccounts", "assign", number, emu.sub)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"assigned {number} to {emu.sub}"
    assert emu.owned()[number] == emu.sub


def test_unassign_in_cool_off_exits_4_with_its_end_time(emu: Emu, cli: Runner) -> None:
    """A number called 2d 21h ago is refused with `in cool-off until <ISO> (12d 3h)`, exit 4."""
    number = emu.create_numbers(1, owner=emu.sub)[0]
    now = _iso(emu.control("GET", "/clock")["now"]).replace(microsecond=0)
    called = now - timedelta(days=2, hours=21)
    emu.record_call(number, at=called.isoformat().replace("+00:00", "Z"))
    result = cli("subaccounts", "unassign", number)
    assert result.returncode == 4
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    match = re.fullmatch(
        rf"error: cannot unassign \{number}: in cool-off until (\S+) \((\S+ \S+)\); "
        r"retry after that, or use --force \(admin accounts only\) \(request id req_\w+\)",
        line,
    )
    assert match, line
    assert _iso(match.group(1)) == called + timedelta(days=15)
    assert match.group(2) == "12d 3h"
    assert emu.owned()[number] == emu.sub


def test_forced_unassign_as_admin_is_audited(emu: Emu, cli: Runner) -> None:
    """`subaccounts unassign --force` during a cool-off succeeds for the admin and is audited."""
    number = emu.create_numbers(1, owner=emu.sub)[0]
    emu.record_call(number)
    result = cli("--format", "json", "subaccounts", "unassign", number, "--force")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"e164": number, "outcome": "unassigned", "forced": True}
    assert emu.owned()[number] == emu.info.auth_id
    forced = [row for row in emu.control("GET", "/audit")["items"] if row["e164"] == number]
    assert [row["forced"] for row in forced] == [True]


def test_unassign_outside_cool_off_needs_no_force(emu: Emu, cli: Runner) -> None:
    """A number never called is unassigned at once, printed as a CSV row on request."""
    number = emu.create_numbers(1, owner=emu.sub)[0]
    result = cli("subaccounts", "unassign", number, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["e164,outcome,forced", f"{number},unassigned,no"]
    assert emu.owned()[number] == emu.info.auth_id
