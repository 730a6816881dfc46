"""pytest fixtures for the emulator, registered through the ``pytest11`` entry point.

Installing ``phonenumbers_async`` gives every test suite two fixtures:

``emulator``
    A fresh emulator (in memory, 50 inventory numbers, 2 sub-accounts) for one
    test, running in a background thread so that sync tests, subprocesses and
    async tests on any event loop can use it. Yields an ``EmulatorInfo``.
``emulator_factory``
    A callable taking an ``EmulatorOptions`` and/or its fields as keywords
    (``seed_inventory``, ``subaccounts``, ``balance``, ``db_path``, ``seed``,
    ``header_timeout``…) that starts an emulator and returns its
    ``EmulatorInfo``; all are stopped after the test.

Loading this plugin imports nothing of the emulator (nor of the SDK) until a
fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._options import EmulatorOptions
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

    def factory(options: EmulatorOptions | None = None, /, **changes: Any) -> EmulatorInfo:
        thread = EmulatorThread(options, **changes)
        info = thread.start()
        started.append(thread)
        return info

    yield factory
    for thread in reversed(started):
        thread.stop()
