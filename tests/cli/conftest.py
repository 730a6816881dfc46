"""Fixtures for the command line's tests: an emulator in a background thread and a
runner for the real command in a subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from phonenumbers_async.emulator import EmulatorThread

from ._helpers import Emu, Runner, cli_env, run_cli

SEED = 7070


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
