"""Fixtures for the command line's tests: an emulator in a background thread and a
runner for the real command in a subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from phonenumbers_async.emulator import EmulatorThread

from ._helpers import Emu, Ran, Runner, cli_env, run_cli

SEED = 7070

InProcess = Callable[..., Ran]


@pytest.fixture
def emu() -> Iterator[Emu]:
    """A fresh in-memory emulator: 40 numbers on sale, 2 sub-accounts."""
    with EmulatorThread(seed_inventory=40, subaccounts=2, seed=SEED) as info:
        yield Emu(info)


@pytest.fixture
def cli(emu: Emu, tmp_path: Path) -> Runner:
    """``cli(*args)`` runs the command against ``emu`` in ``tmp_path``."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(args, env=env or cli_env(emu.info), cwd=tmp_path)

    return run


@pytest.fixture
def run_here(
    emu: Emu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> InProcess:
    """``run_here(*args)`` runs the command line in this process against ``emu``, in
    ``tmp_path``; ``env=`` replaces the emulator's VOBIZ_* variables."""
    from phonenumbers_async.cli._app import run

    monkeypatch.chdir(tmp_path)

    def go(*args: str, env: dict[str, str] | None = None) -> Ran:
        variables = (
            env
            if env is not None
            else {
                "VOBIZ_AUTH_ID": emu.info.auth_id,
                "VOBIZ_AUTH_TOKEN": emu.info.auth_token,
                "VOBIZ_BASE_URL": emu.info.base_url,
            }
        )
        for name in ("VOBIZ_AUTH_ID", "VOBIZ_AUTH_TOKEN", "VOBIZ_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return go
