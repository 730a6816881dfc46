"""On a terminal: `release` asks before acting, and bulk jobs draw a progress bar."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

from ._helpers import COMMAND, Emu, cli_env

PROMPT = "This cannot be undone [y/N]:"


def run_on_terminal(
    args: list[str], *, env: dict[str, str], cwd: Path, answer: str | None = None
) -> tuple[int, str, str]:
    """Run the command with stdin and stderr on a pseudo-terminal; answer its prompt.

    Returns the exit code, what the terminal showed and stdout (a pipe).
    """
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        [*COMMAND, *args],
        env=env,
        cwd=cwd,
        stdin=follower,
        stderr=follower,
        stdout=subprocess.PIPE,
        text=True,
    )
    os.close(follower)
    shown = b""
    answered = answer is None
    deadline = time.monotonic() + 120  # a hang guard only
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
                if not answered and PROMPT.encode() in shown:
                    assert answer is not None
                    os.write(leader, answer.encode() + b"\n")
                    answered = True
            elif process.poll() is not None:
                break
        assert process.stdout is not None
        stdout = process.stdout.read()
        code = process.wait(timeout=60)
    finally:
        process.kill()
        process.wait()
        os.close(leader)
        if process.stdout is not None:
            process.stdout.close()
    return code, shown.decode(errors="replace"), stdout


def test_release_on_a_terminal_asks_then_shows_a_progress_bar(emu: Emu, tmp_path: Path) -> None:
    """Answering y releases the numbers, with a bar counting 2/2 on the terminal."""
    emu.control("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    numbers = emu.create_numbers(2, owner=emu.info.auth_id)
    code, shown, stdout = run_on_terminal(
        ["numbers", "release", *numbers], env=cli_env(emu.info), cwd=tmp_path, answer="y"
    )
    assert code == 0, shown
    assert f"Release 2 number(s) ({numbers[0]}, {numbers[1]}) back to inventory?" in shown
    assert "Releasing" in shown
    assert "2/2" in shown
    assert "━" in shown
    # On a terminal the bar replaces the per-number lines.
    assert "[1/2]" not in shown
    assert all(number in stdout for number in numbers)
    assert not set(numbers) & set(emu.owned())


def test_release_declined_on_a_terminal_releases_nothing(emu: Emu, tmp_path: Path) -> None:
    """Answering n (or just Enter) exits 1 with the number still owned."""
    number = emu.create_numbers(1, owner=emu.info.auth_id)[0]
    code, shown, stdout = run_on_terminal(
        ["numbers", "release", number], env=cli_env(emu.info), cwd=tmp_path, answer="n"
    )
    assert code == 1
    assert "error: nothing released" in shown
    assert stdout == ""
    assert number in emu.owned()
