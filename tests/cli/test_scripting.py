"""What a script relies on: options in any position, exit 130 on Ctrl-C, ``--all``
streaming, normalised numbers and trimmed ids, errors that say where, no files
from a one-off, shell completion and the emulator's ``--env``."""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest

from phonenumbers_async.cli._app import LOCAL_COMMANDS, cli
from phonenumbers_async.cli._options import GLOBAL_OPTION_NAMES

from ._helpers import COMMAND, Emu, Ran, cli_env, run_cli

InProcess = Callable[..., Ran]


def api_commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every group and command that talks to the API, as its words."""
    for name, command in sorted(group.commands.items()):
        if not path and name in LOCAL_COMMANDS:
            continue
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from api_commands(command, (*path, name))


def test_every_command_takes_and_shows_the_global_options(run_here: InProcess) -> None:
    """Each command's help lists every global option (one definition on all of them)."""
    commands = list(api_commands())
    assert ("numbers", "list") in commands
    assert ("account", "balance") in commands
    for words in commands:
        ran = run_here(*words, "--help")
        assert ran.code == 0, ran.err
        missing = [name for name in GLOBAL_OPTION_NAMES if name not in ran.out]
        assert not missing, f"{' '.join(words)} --help lacks {missing}"


def test_global_options_work_after_the_command(emu: Emu, run_here: InProcess) -> None:
    """--base-url, --auth-id, --format, --timeout and --rate-limit given after the
    command name are used (the environment points nowhere)."""
    ran = run_here(
        "inventory",
        "list",
        "--per-page",
        "2",
        "--base-url",
        emu.info.base_url,
        "--auth-id",
        emu.info.auth_id,
        "--auth-token",
        emu.info.auth_token,
        "--format",
        "json",
        "--timeout",
        "5",
        "--rate-limit",
        "50",
        env={},
    )
    assert ran.code == 0, ran.err
    assert len(json.loads(ran.out)) == 2


def test_an_option_after_the_command_wins_over_one_before(emu: Emu, run_here: InProcess) -> None:
    """`--base-url BAD numbers list --base-url GOOD` uses GOOD; the reverse uses BAD."""
    dead = "http://127.0.0.1:1/api"
    good = run_here("--base-url", dead, "numbers", "list", "--base-url", emu.info.base_url)
    assert good.code == 0, good.err
    bad = run_here("--base-url", emu.info.base_url, "numbers", "list", "--base-url", dead)
    assert bad.code == 1
    assert dead in bad.err


def test_timeout_after_the_command_applies(emu: Emu, run_here: InProcess) -> None:
    """`numbers list --timeout 0.2` against a slow server fails as a timeout."""
    emu.control("POST", "/faults", {"latency_ms": 1500})
    ran = run_here("numbers", "list", "--timeout", "0.2", "--format", "json")
    assert ran.code == 1
    error = json.loads(ran.err)
    assert "--timeout allows longer" in error["message"]


def test_trimmed_credentials_and_sub_account_id(emu: Emu, run_here: InProcess) -> None:
    """An Auth ID and token with surrounding spaces work; so does ' SA_… ' as an argument."""
    env = {
        "VOBIZ_AUTH_ID": f" {emu.info.auth_id} \n",
        "VOBIZ_AUTH_TOKEN": f"{emu.info.auth_token} ",
        "VOBIZ_BASE_URL": emu.info.base_url,
    }
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    ran = run_here("subaccounts", "assign", number, f" {emu.sub} ", "--format", "json", env=env)
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)["sub_account_id"] == emu.sub
    assert emu.owned()[number] == emu.sub


def test_a_number_with_separators_is_normalised_and_noted(emu: Emu, run_here: InProcess) -> None:
    """`numbers get '+CC 123-456.78 (9)'` finds the number, with a note of what was removed."""
    [number] = emu.create_numbers(1, owner=emu.info.auth_id)
    spaced = f"{number[:3]} {number[3:7]}-{number[7:10]}.({number[10:]})"
    ran = run_here("numbers", "get", spaced, "--format", "json")
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)[0]["e164"] == number
    assert f"read as {number}" in ran.err
    quiet = run_here("numbers", "get", spaced, "-q", "--format", "json")
    assert quiet.code == 0
    assert quiet.err == ""


@pytest.mark.parametrize(
    ("text", "named"),
    [("0044207946000", "dialling prefix '00'"), ("919876543210", "leading '+' is missing")],
)
def test_a_leading_00_or_missing_plus_is_named_not_guessed(
    emu: Emu, run_here: InProcess, text: str, named: str
) -> None:
    """`subaccounts assign` with 00… or digits only exits 2 naming the problem, no request sent."""
    ran = run_here("subaccounts", "assign", text, emu.sub)
    assert ran.code == 2
    assert named in ran.err
    assert emu.control("GET", "/stats")["requests"] == {}


def test_connect_error_names_the_url_and_the_setting(run_here: InProcess) -> None:
    """No server at the base URL: the error names it and --base-url / VOBIZ_BASE_URL."""
    ran = run_here("numbers", "list", "--base-url", "http://127.0.0.1:1/api", "--timeout", "5")
    assert ran.code == 1
    assert "http://127.0.0.1:1/api" in ran.err
    assert "check --base-url or VOBIZ_BASE_URL" in ran.err


def test_unknown_host_names_the_url_and_the_setting(run_here: InProcess) -> None:
    """A host that does not resolve (.invalid never does): the URL and the setting are named."""
    url = "https://nosuchhost.invalid/api"
    ran = run_here("numbers", "list", "--base-url", url, "--timeout", "5")
    assert ran.code == 1
    assert f"base URL {url}: check --base-url or VOBIZ_BASE_URL" in ran.err


def test_tls_to_a_plain_http_server_names_the_setting(emu: Emu, run_here: InProcess) -> None:
    """https:// to the (plain-http) emulator: a TLS error that names the URL and the setting."""
    url = emu.info.base_url.replace("http://", "https://")
    ran = run_here("numbers", "list", "--base-url", url, "--timeout", "5")
    assert ran.code == 1
    assert f"base URL {url}: check --base-url or VOBIZ_BASE_URL" in ran.err


def test_base_url_without_api_suggests_it(emu: Emu, run_here: InProcess) -> None:
    """A base URL missing /api gets the server's 404 plus a hint about /api."""
    url = emu.info.root_url
    ran = run_here("numbers", "list", "--base-url", url)
    assert ran.code == 1
    assert "no such route" in ran.err
    assert f"base URL {url} does not end in /api" in ran.err


def test_wrong_credentials_name_the_variables(emu: Emu, run_here: InProcess) -> None:
    """Refused credentials: the error says which settings to check."""
    ran = run_here("numbers", "list", "--auth-token", "wrong")
    assert ran.code == 1
    assert "VOBIZ_AUTH_ID/VOBIZ_AUTH_TOKEN" in ran.err


def test_plain_http_needs_the_allow_http_flag(run_here: InProcess) -> None:
    """A remote http:// base URL is refused with advice to pass --allow-http (a flag
    that exists), and accepted with it (then failing only to connect)."""
    url = "http://192.0.2.1:1/api"  # TEST-NET-1: never a real host
    refused = run_here("numbers", "list", "--base-url", url)
    assert refused.code == 2
    assert "--allow-http" in refused.err
    assert "allow_http=True" not in refused.err
    allowed = run_here("numbers", "list", "--base-url", url, "--allow-http", "--timeout", "0.5")
    assert allowed.code == 1
    assert url in allowed.err


def test_a_one_off_purchase_leaves_no_files(emu: Emu, run_here: InProcess, tmp_path: Path) -> None:
    """One number bought by argument writes nothing in the current directory; two do."""
    first, second, third = (item["e164"] for item in emu.inventory()[:3])
    one = run_here("numbers", "purchase", "--yes", first)
    assert one.code == 0, one.err
    assert list(tmp_path.iterdir()) == []
    assert "journal" not in one.err
    two = run_here("numbers", "purchase", "--yes", second, third)
    assert two.code == 0, two.err
    names = sorted(path.name for path in tmp_path.iterdir())
    assert any(name.startswith("purchase-results-") for name in names)
    assert any(name.startswith("purchase-journal-") for name in names)


def test_one_failed_number_is_not_counted_twice(run_here: InProcess) -> None:
    """A single failure reads "1 of 1 failed", without "(1 failed)" after it."""
    ran = run_here("numbers", "purchase", "--yes", "+15550000001")
    assert ran.code == 1
    assert "error: purchase: 1 of 1 failed" in ran.err
    assert "(1 failed)" not in ran.err


def _slow_listing(emu: Emu, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, *args],
        env=cli_env(emu.info),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("output_format", ["csv", "json"])
def test_ctrl_c_during_a_listing_exits_130(emu: Emu, tmp_path: Path, output_format: str) -> None:
    """SIGINT to a real process in the middle of a slow --all listing: exit 130,
    "interrupted" (as the error object under --format json)."""
    emu.control("POST", "/faults", {"latency_ms": 400})
    process = _slow_listing(
        emu, tmp_path, "inventory", "list", "--all", "--per-page", "2", "--format", output_format
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # a page arrived: the command is mid-listing
        assert first.strip()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    if output_format == "json":
        error = json.loads(stderr.strip().splitlines()[-1])
        assert (error["code"], error["exit_code"]) == ("interrupted", 130)
    else:
        assert "error: interrupted" in stderr


def test_all_streams_lines_before_the_last_page(emu: Emu, tmp_path: Path) -> None:
    """With a slow server, `--all --format json` prints its first JSON line while later
    pages are still to be served (checked with the server's own request count)."""
    # One item a page, each answered after 0.5 s, the client prefetching up to 8 pages:
    # about five rounds of answers, so the first line has several rounds still to wait for.
    emu.control("POST", "/faults", {"latency_ms": 500})
    emu.control("DELETE", "/stats")
    on_sale = len(emu.inventory())
    per_page = 1
    pages = -(-on_sale // per_page)
    process = _slow_listing(
        emu, tmp_path, "inventory", "list", "--all", "--per-page", str(per_page), "--format", "json"
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        # Answered pages (the client prefetches, so requests sent may run ahead of them).
        served_when_first_printed = sum(emu.control("GET", "/stats")["statuses"].values())
        started = time.monotonic()
        rest, stderr = process.communicate(timeout=120)
        waited_after_first = time.monotonic() - started
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, stderr
    assert json.loads(first)["e164"].startswith("+")
    assert 1 + len(rest.splitlines()) == on_sale
    assert served_when_first_printed < pages
    assert waited_after_first > 0.5  # at least one more slow round came after the first line


def test_completion_scripts_and_a_real_completion(tmp_path: Path, run_here: InProcess) -> None:
    """`completion bash|zsh|fish` print click's scripts; the bash protocol completes a command."""
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete")):
        ran = run_here("completion", shell)
        assert ran.code == 0, ran.err
        assert "_PHONENUMBERS_ASYNC_COMPLETE" in ran.out
        assert marker in ran.out
    env = cli_env(
        None,
        _PHONENUMBERS_ASYNC_COMPLETE="bash_complete",
        COMP_WORDS="phonenumbers-async numbers li",
        COMP_CWORD="2",
    )
    # click writes completions as bytes to the real stdout: a real process.
    completed = run_cli([], env=env, cwd=tmp_path, in_process=False)
    assert completed.returncode == 0, completed.stderr
    assert "plain,list" in completed.stdout.splitlines()


def test_emulator_env_prints_export_lines_a_shell_can_use(tmp_path: Path) -> None:
    """`emulator --env` prints three export lines; sourced, they run a command against it."""
    with subprocess.Popen(
        [*COMMAND, "emulator", "--env", "--seed-inventory", "3"],
        env=cli_env(None),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        _check_env_lines(process, tmp_path)
    assert process.returncode == 0


def _check_env_lines(process: subprocess.Popen[str], tmp_path: Path) -> None:
    try:
        assert process.stdout is not None
        exports = [process.stdout.readline().strip() for _ in range(3)]
        names = [line.split("=", 1)[0] for line in exports]
        assert names == [
            "export VOBIZ_BASE_URL",
            "export VOBIZ_AUTH_ID",
            "export VOBIZ_AUTH_TOKEN",
        ]
        script = "\n".join([*exports, f"{shlex.join(COMMAND)} --format json inventory list"])
        shell = subprocess.run(
            ["sh", "-c", script],
            env={**cli_env(None), "PATH": os.environ.get("PATH", "")},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert shell.returncode == 0, shell.stderr
        assert len(json.loads(shell.stdout)) == 3
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            process.kill()


def test_python_m_emulator_takes_env_too(tmp_path: Path) -> None:
    """`python -m phonenumbers_async.emulator --help` documents --env."""
    result = subprocess.run(
        [sys.executable, "-m", "phonenumbers_async.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "--env" in result.stdout


def test_verbose_twice_logs_each_request_once(emu: Emu, run_here: InProcess) -> None:
    """`-v numbers list -v`: one log line per request (one handler), and it is removed after."""
    ran = run_here("-v", "numbers", "list", "-v", "--per-page", "1")
    assert ran.code == 0, ran.err
    requests = [line for line in ran.err.splitlines() if "/numbers" in line and "GET" in line]
    assert len(requests) == 1, ran.err
    assert logging.getLogger("phonenumbers_async").handlers == []
