"""Fixtures of the docs tests: a fresh emulator and the environment a reader would set."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo


async def _routing_targets(emulator: EmulatorInfo) -> tuple[str, str]:
    async with EmulatorControl(emulator.root_url) as control:
        account = await control.account(emulator.auth_id)
    return str(account["trunk_group_ids"][0]), str(account["application_ids"][0])


@pytest.fixture
def reader_env(
    emulator: EmulatorInfo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, str]:
    """The variables the docs tell a reader to set, pointing at a fresh emulator.

    ``VOBIZ_AUTH_ID``, ``VOBIZ_AUTH_TOKEN`` and ``VOBIZ_BASE_URL`` are the
    master's; ``VOBIZ_TRUNK_GROUP_ID`` and ``VOBIZ_APPLICATION_ID`` stand for the
    trunk group and application a real account has set up in the console. The
    working directory is an empty temporary one, so files a block writes land
    there. Returns the whole environment (for subprocesses).
    """
    trunk_group_id, application_id = asyncio.run(_routing_targets(emulator))
    values = {
        "VOBIZ_AUTH_ID": emulator.auth_id,
        "VOBIZ_AUTH_TOKEN": emulator.auth_token,
        "VOBIZ_BASE_URL": emulator.base_url,
        "VOBIZ_TRUNK_GROUP_ID": trunk_group_id,
        "VOBIZ_APPLICATION_ID": application_id,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return dict(os.environ)
