"""pytest fixtures for the emulator, registered through the ``pytest11`` entry point.

Installing ``phonenumbers_async`` gives every test suite two fixtures:

``emulator``
    A fresh emulator (in memory, 50 inventory numbers, 2 sub-accounts) for one
    test, running in a background thread so that sync tests, subprocesses and
    async tests on any event loop can use it. Yields an ``EmulatorInfo``.
``emulator_factory``
    A callable taking the options of ``run_emulator`` (``seed_inventory``,
    ``subaccounts``, ``balance``, ``db_path``, ``seed``…) that starts an
    emulator and returns its ``EmulatorInfo``; all are stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._server import EmulatorInfo, EmulatorThread

__all__ = ["emulator", "emulator_factory"]


@pytest.fixture
def emulator() -> Iterator[EmulatorInfo]:
    """A running emulator for this test (stopped afterwards)."""
    from ._server import EmulatorThread

    with EmulatorThread() as info:
        yield info


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., EmulatorInfo]]:
    """Start emulators with custom options; every one is stopped after the test."""
    from ._server import EmulatorThread

    started: list[EmulatorThread] = []

    def factory(**options: Any) -> EmulatorInfo:
        thread = EmulatorThread(**options)
        info = thread.start()
        started.append(thread)
        return info

    yield factory
    for thread in reversed(started):
        thread.stop()
