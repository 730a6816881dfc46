"""The sync Client in a notebook: called from a thread whose event loop is running (a kernel
runs its cells so), it works instead of raising; in a real IPython kernel too, when one can run."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import textwrap
import threading
from typing import Any

import pytest

from phonenumbers_async import Client
from phonenumbers_async.emulator import EmulatorInfo

from ._helpers import OWNED, portal_threads


def test_a_thread_running_asyncio_run_can_use_the_sync_client(emu: EmulatorInfo) -> None:
    """A coroutine under ``asyncio.run`` in another thread calls, iterates and closes a
    Client synchronously; its own loop is blocked meanwhile, never deadlocked."""
    results: dict[str, Any] = {}

    async def cell() -> None:
        assert asyncio.get_running_loop().is_running()
        client = Client(emu.auth_id, emu.auth_token, base_url=emu.base_url)
        results["total"] = client.numbers.list(per_page=5).total
        results["iterated"] = sum(1 for _ in client.numbers.iter(per_page=10))
        results["raw_status"] = client.account.with_raw_response.balance().status
        client.close()

    def kernel_thread() -> None:
        try:
            asyncio.run(cell())
        except BaseException as exc:  # handed to the test's thread
            results["error"] = exc

    thread = threading.Thread(target=kernel_thread)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert "error" not in results, results.get("error")
    assert results == {"total": OWNED, "iterated": OWNED, "raw_status": 200}
    assert portal_threads() == []


_KERNEL_PACKAGES = ("jupyter_client", "ipykernel")

_CELL = """
import asyncio
from phonenumbers_async import Client
asyncio.get_running_loop()  # a kernel's cell runs inside its event loop
client = Client({auth_id!r}, {auth_token!r}, base_url={base_url!r})
print("TOTAL", client.numbers.list().total)
print("ITERATED", sum(1 for _ in client.numbers.iter(per_page=10)))
client.close()
"""


def test_the_sync_client_works_in_a_real_ipython_kernel(emu: EmulatorInfo) -> None:
    """A cell run by ipykernel (which runs an event loop in the cell's thread) uses the
    Client; skipped when jupyter_client and ipykernel are not installed."""
    for name in _KERNEL_PACKAGES:
        if importlib.util.find_spec(name) is None:
            pytest.skip(f"{name} is not installed: no kernel to run a cell in")
    from jupyter_client.manager import (  # type: ignore[import-not-found, unused-ignore]  # optional
        start_new_kernel,
    )

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    manager, kernel = start_new_kernel(startup_timeout=60, env=env)
    outputs: list[str] = []
    errors: list[str] = []

    def collect(message: dict[str, Any]) -> None:
        content = message["content"]
        if message["msg_type"] == "stream":
            outputs.append(content["text"])
        elif message["msg_type"] == "error":
            errors.append("\n".join(content["traceback"]))

    try:
        code = textwrap.dedent(
            _CELL.format(auth_id=emu.auth_id, auth_token=emu.auth_token, base_url=emu.base_url)
        )
        reply = kernel.execute_interactive(code, timeout=60, output_hook=collect)
    finally:
        kernel.stop_channels()
        manager.shutdown_kernel(now=True)
    assert errors == []
    assert reply["content"]["status"] == "ok"
    text = "".join(outputs)
    assert f"TOTAL {OWNED}" in text
    assert f"ITERATED {OWNED}" in text
