"""Failures end in one `error:` line on stderr and the documented exit code, never a
traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from phonenumbers_async.cli import _app, _context

from ._helpers import Emu, Runner, cli_env, run_cli


def test_missing_token_exits_2_naming_the_variable(emu: Emu, tmp_path: Path) -> None:
    """No auth token anywhere: exit 2, one line naming --auth-token and VOBIZ_AUTH_TOKEN.

    A smoke test of the real process: ``python -m phonenumbers_async.cli`` in a subprocess.
    """
    env = cli_env(emu.info, VOBIZ_AUTH_TOKEN=None)
    result = run_cli(["numbers", "list"], env=env, cwd=tmp_path, in_process=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: missing credentials: pass --auth-token, or set VOBIZ_AUTH_TOKEN"
    ]


def test_missing_credentials_stop_a_bulk_job_before_any_file_is_written(
    tmp_path: Path,
) -> None:
    """With no credentials at all a purchase exits 2 and leaves no journal or results file."""
    result = run_cli(
        ["numbers", "purchase", "--yes", "+15550001111"], env=cli_env(None), cwd=tmp_path
    )
    assert result.returncode == 2
    assert "VOBIZ_AUTH_ID and VOBIZ_AUTH_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "setting",
    [{"VOBIZ_AUTH_TOKEN": "tok\r\nX-Evil: 1"}, {"VOBIZ_BASE_URL": "https://h.example:99999/api"}],
    ids=["token with CR LF", "port out of range"],
)
def test_a_bad_setting_stops_a_bulk_job_before_anything_is_journaled(
    emu: Emu, tmp_path: Path, setting: dict[str, str]
) -> None:
    """A setting no request could carry: exit 2 at once, no journal saying "unknown"."""
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("e164\n+15550001111\n+15550001112\n")
    result = run_cli(
        ["numbers", "purchase", "--yes", "--from", str(numbers)],
        env=cli_env(emu.info, **setting),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["numbers.csv"]


def test_wrong_token_exits_1_with_status_and_request_id(emu: Emu, cli: Runner) -> None:
    """A rejected token gives one line with the 401 and the server's request id."""
    result = cli("--auth-token", "not-the-token", "inventory", "list")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: 401 ")
    assert "(request id req_" in line


def test_bad_option_value_is_a_usage_error(emu: Emu, cli: Runner) -> None:
    """An out-of-range option exits 2 with one line pointing at the command's help."""
    result = cli("numbers", "list", "--per-page", "500")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: Invalid value for '--per-page'")
    assert line.endswith("(see 'phonenumbers-async numbers list --help')")


def test_malformed_argument_is_bad_input(emu: Emu, cli: Runner) -> None:
    """A malformed E.164 for assign exits 2 before any request, with the SDK's reason."""
    result = cli("subaccounts", "assign", "0044123", emu.sub)
    assert result.returncode == 2
    assert result.stderr.startswith("error: Invalid value for 'E164': '0044123' is not an E.164")
    assert "dialling prefix '00'" in result.stderr
    assert emu.control("GET", "/stats")["requests"] == {}


def test_help_documents_commands_and_exit_codes(tmp_path: Path) -> None:
    """`--help` lists every command and the exit codes, and needs no credentials."""
    result = run_cli(["--help"], env=cli_env(None), cwd=tmp_path)
    assert result.returncode == 0
    for command in ("numbers", "inventory", "subaccounts", "emulator", "demo"):
        assert command in result.stdout
    for code in ("0 ", "1 ", "2 ", "3 ", "4 "):
        assert f"  {code}" in result.stdout
    purchase = run_cli(["numbers", "purchase", "--yes", "--help"], env=cli_env(None), cwd=tmp_path)
    assert "3    bulk job partly failed" in purchase.stdout
    assert "journal" in purchase.stdout


def test_without_the_cli_extra_main_says_what_to_install(tmp_path: Path) -> None:
    """With click missing, the command prints the pip line and exits 1."""
    code = (
        "import sys; sys.modules['click'] = None\n"
        "from phonenumbers_async.cli import main\n"
        "raise SystemExit(main(['--help']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'error: the command line needs extra packages: pip install "phonenumbers_async[cli]"'
    )


def test_sdk_never_imports_the_cli(tmp_path: Path) -> None:
    """Importing and using the SDK loads neither the CLI nor click nor rich."""
    code = (
        "import sys, phonenumbers_async\n"
        "from phonenumbers_async import AsyncClient\n"
        "AsyncClient('MA_X1', 't', base_url='http://127.0.0.1:1/api')\n"
        "bad = [m for m in ('phonenumbers_async.cli', 'click', 'rich') if m in sys.modules]\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_unexpected_error_is_one_line_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug shows as one line suggesting --verbose; with --verbose the traceback follows."""

    def broken(self: object, **_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(_context.Settings, "client", broken)
    assert _app.run(["--auth-id", "MA_X1", "--auth-token", "t", "inventory", "list"]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "error: unexpected RuntimeError: boom (rerun with --verbose to see the traceback)"
    ]
    assert _app.run(["--verbose", "inventory", "list"]) == 1
    captured = capsys.readouterr()
    assert "Traceback" in captured.err
    assert captured.err.splitlines()[-1] == "error: unexpected RuntimeError: boom"


def test_unwritable_results_file_stops_before_any_purchase(
    emu: Emu, cli: Runner, tmp_path: Path
) -> None:
    """A results path that cannot be created exits 2 before a number is bought."""
    number = emu.inventory()[0]["e164"]
    result = cli(
        "numbers", "purchase", "--yes", number, "--results", str(tmp_path / "no" / "r.csv")
    )
    assert result.returncode == 2
    # Only the plan (read-only) comes before it.
    plan, line = result.stderr.splitlines()
    assert plan.startswith("plan: 1 number(s) to buy")
    assert line.startswith(f"error: cannot write results file {tmp_path / 'no' / 'r.csv'}")
    assert emu.ledger() == []


@pytest.mark.parametrize("module", ["rich", "phonenumbers_async.cli._app"])
@pytest.mark.parametrize("json_format", [False, True])
def test_ctrl_c_while_starting_up_exits_130_without_a_traceback(
    tmp_path: Path, module: str, json_format: bool
) -> None:
    """Ctrl-C during the imports before the command runs is reported like any other
    interruption: "error: interrupted" (the JSON error object with --format json), exit
    130, no traceback."""
    args = ["--format", "json", "inventory", "list"] if json_format else ["inventory", "list"]
    code = (
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r}:\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "from phonenumbers_async.cli import main\n"
        f"raise SystemExit(main({args!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr
    if json_format:
        assert json.loads(result.stderr) == {
            "code": "interrupted",
            "message": "interrupted",
            "request_id": None,
            "exit_code": 130,
        }
    else:
        assert result.stderr == "error: interrupted\n"
