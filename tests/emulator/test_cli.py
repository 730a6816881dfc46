"""The command line: the start-up line, serving, a clean stop, and flag validation."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from phonenumbers_async.emulator._cli import build_parser, main

LINE = re.compile(
    r"^EMULATOR base_url=(?P<base>http://127\.0\.0\.1:(?P<port>\d+)/api) "
    r"auth_id=(?P<auth_id>MA_[A-Z0-9]{10}) auth_token=(?P<token>\S+) "
    r"subaccounts=(?P<subs>\S*)$"
)


async def _start(*args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "phonenumbers_async.emulator",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def test_cli_prints_one_line_serves_and_stops_on_sigterm() -> None:
    """python -m …emulator prints the parseable line, serves, and exits 0 on SIGTERM."""
    proc = await _start("--port", "0", "--seed-inventory", "5", "--subaccounts", "2")
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().rstrip("\n")
        match = LINE.match(line)
        assert match, line
        subs = [pair.split(":") for pair in match["subs"].split(",")]
        assert len(subs) == 2
        assert all(s[0].startswith("SA_") and s[1] for s in subs)
        headers = {"X-Auth-ID": match["auth_id"], "X-Auth-Token": match["token"]}
        url = f"{match['base']}/v1/account/{match['auth_id']}/inventory/numbers"
        async with aiohttp.ClientSession() as session:
            async with session.get(url, headers=headers) as response:
                assert response.status == 200
                assert (await response.json())["total"] == 5
            sub_headers = {"X-Auth-ID": subs[0][0], "X-Auth-Token": subs[0][1]}
            async with session.get(
                f"{match['base']}/v1/account/{subs[0][0]}/numbers", headers=sub_headers
            ) as response:
                assert response.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    assert stdout.decode() == "", "exactly one line on stdout"
    assert "Traceback" not in stderr.decode()


async def test_cli_stops_on_sigint_with_given_credentials(tmp_path: Path) -> None:
    """--auth-id/--auth-token/--subaccounts 0/--db are honoured; SIGINT exits 0."""
    db = tmp_path / "cli.sqlite3"
    proc = await _start(
        "--auth-id",
        "MA_CLITEST001",
        "--auth-token",
        "tok-123",
        "--subaccounts",
        "0",
        "--db",
        str(db),
        "--balance",
        "250.5",
        "--seed",
        "9",
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().rstrip("\n")
        match = LINE.match(line)
        assert match, line
        assert (match["auth_id"], match["token"], match["subs"]) == ("MA_CLITEST001", "tok-123", "")
        root = match["base"].removesuffix("/api")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{root}/_emulator/accounts/MA_CLITEST001") as response,
        ):
            assert (await response.json())["balance"] == 250.5
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    assert db.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "abc"], "not an integer"),
        (["--port", "70000"], "between 0 and 65535"),
        (["--seed-inventory", "-1"], "between 0"),
        (["--subaccounts", "x"], "not an integer"),
        (["--auth-id", "SA_WRONG"], "master Auth ID"),
        (["--auth-token", "has space"], "token"),
        (["--balance", "lots"], "not an amount"),
        (["--balance", "-5"], ">= 0"),
        (["--currency", "rupee"], "currency"),
        (["--host", "10.0.0.1"], "--allow-remote"),
        (["--host", "0.0.0.0"], "--allow-remote"),
        (["--no-such-flag"], "unrecognized arguments"),
        (["--header-timeout", "0"], "more than 0"),
        (["--header-timeout", "soon"], "not a number"),
        (["--body-timeout", "1e9"], "at most 3600"),
        (["--max-half-open", "0"], "between 1"),
    ],
)
def test_bad_flags_exit_2_with_a_clear_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad flags make argparse exit with status 2 and say what is wrong."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_parser_defaults() -> None:
    """Defaults: loopback, ephemeral port, memory, 50 numbers, 2 sub-accounts, INR."""
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.db, args.seed_inventory, args.subaccounts) == (
        "127.0.0.1",
        0,
        None,
        50,
        2,
    )
    assert (args.auth_id, args.auth_token, args.balance, args.currency) == (None, None, None, "INR")
    assert build_parser(prog="phonenumbers-async emulator").prog == "phonenumbers-async emulator"


def test_port_in_use_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A port that is taken gives exit status 1 and a message, not a traceback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert main(["--port", str(port), "--seed-inventory", "0"]) == 1
    assert "cannot start" in capsys.readouterr().err


def test_unusable_db_path_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --db path that cannot be opened gives exit status 1 and a message."""
    assert main(["--db", str(tmp_path / "missing-dir" / "x.sqlite3")]) == 1
    assert "cannot start" in capsys.readouterr().err
