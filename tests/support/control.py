"""The emulator's control API for sync tests: the package's own ``EmulatorControl``.

Async tests use ``EmulatorControl`` directly. A sync test (the command line's,
the sync client's, the provider SDK's) has no event loop of its own, so each
call here runs one ``EmulatorControl`` call on a fresh loop::

    control = SyncControl(info.root_url)
    control(lambda emulator: emulator.record_call(e164))
    ledger = control(lambda emulator: emulator.ledger())
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from phonenumbers_async.emulator import EmulatorControl

T = TypeVar("T")


class SyncControl:
    """Runs ``EmulatorControl`` calls to completion from sync code."""

    def __init__(self, root_url: str) -> None:
        self.root_url = root_url

    def __call__(self, use: Callable[[EmulatorControl], Awaitable[T]]) -> T:
        """``use(control)`` on a control client of its own, closed afterwards."""

        async def run() -> T:
            async with EmulatorControl(self.root_url) as control:
                return await use(control)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(run())
        # Called from a coroutine (an async test driving a sync helper): a loop of
        # its own in another thread, since this thread's loop is busy running us.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, run()).result()

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One raw call (``path`` under ``/_emulator``); the parsed JSON answer."""
        return self(lambda control: control.request(method, path, body))
