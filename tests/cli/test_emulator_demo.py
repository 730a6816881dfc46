"""`phonenumbers-async emulator` runs the emulator; `demo` walks through it all."""

from __future__ import annotations

import selectors
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from ._helpers import COMMAND, cli_env, parse, run_cli


def _read_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60  # a hang guard only
        while not selector.select(timeout=0.5):
            assert process.poll() is None, "the emulator exited before printing its line"
            assert time.monotonic() < deadline, "the emulator printed nothing"
    return process.stdout.readline()


def test_emulator_subcommand_serves_and_stops_cleanly(tmp_path: Path) -> None:
    """`emulator --port 0 …` prints its start line, serves the API, and exits 0 on SIGTERM."""
    process = subprocess.Popen(
        [*COMMAND, "emulator", "--port", "0", "--seed-inventory", "3", "--subaccounts", "1"],
        env=cli_env(None),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = _read_line(process)
        fields = dict(part.split("=", 1) for part in line.split()[1:])
        assert line.startswith("EMULATOR ")
        assert fields["subaccounts"].startswith("SA_")
        request = urllib.request.Request(
            f"{fields['base_url']}/v1/account/{fields['auth_id']}/inventory/numbers",
            headers={"X-Auth-ID": fields["auth_id"], "X-Auth-Token": fields["auth_token"]},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert parse(response.read().decode())["total"] == 3
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        process.wait()
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_emulator_subcommand_bad_flag_exits_2(tmp_path: Path) -> None:
    """A bad emulator flag is reported by the emulator's parser with exit 2."""
    result = run_cli(["emulator", "--port", "abc"], env=cli_env(None), cwd=tmp_path)
    assert result.returncode == 2
    assert "phonenumbers-async emulator: error: argument --port" in result.stderr


def test_demo_walks_through_every_step_and_exits_0(tmp_path: Path) -> None:
    """`demo` needs no credentials, walks the whole workflow (buy, route, hand over, release
    with its cooldown, cancel), shows the cool-off refusal, and exits 0."""
    result = run_cli(["demo"], env=cli_env(None), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "1. Check the balance before spending",
        "2. Browse inventory",
        "3. Purchase +",
        "4. Route +",
        "5. List the master account's numbers, sub-accounts included",
        "6. Assign +",
        "7. Record a call on +",
        "8. Try to unassign it",
        "9. Force the unassign as the admin master account",
        "10. Release +",
        "11. Change of mind: cancel the release",
        "12. Release +",
    ]
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "refused: in cool-off until " in out
    assert "(12d 3h)" in out
    assert "trunk_group_id is now " in out
    assert "pending_release, cancellable until " in out
    assert "status active" in out
    assert out.rstrip().endswith("Stopped the emulator. Every step succeeded.")
