"""Starting and stopping the emulator: an async context manager and a thread."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from aiohttp import web

from ._app import create_app
from ._connections import ConnectionGuard, GuardedTCPSite
from ._faults import Faults
from ._options import EmulatorOptions
from ._seed import prepare_store
from ._store import Store

__all__ = [
    "EmulatorInfo",
    "EmulatorOptions",
    "EmulatorThread",
    "prepare_store",
    "run_emulator",
    "start_emulator_thread",
]

log = logging.getLogger("phonenumbers_async.emulator")


@dataclasses.dataclass(frozen=True)
class EmulatorInfo:
    """Where a running emulator listens and the credentials it was seeded with."""

    base_url: str
    """The API base URL, ``http://127.0.0.1:PORT/api`` (give it to the SDK)."""
    root_url: str
    """The server root, ``http://127.0.0.1:PORT`` (the control API is under ``/_emulator/``)."""
    auth_id: str
    """The master account's Auth ID (``MA_…``); an admin."""
    auth_token: str = dataclasses.field(repr=False)
    """The master account's Auth Token."""
    subaccounts: tuple[tuple[str, str], ...] = dataclasses.field(repr=False)
    """``(auth_id, auth_token)`` of each sub-account (``SA_…``), oldest first."""
    db_path: str | None = None
    """The SQLite file, or None for an in-memory store."""

    @property
    def control_url(self) -> str:
        """``root_url + "/_emulator"``."""
        return self.root_url + "/_emulator"

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self.root_url.rsplit(":", 1)[1])

    def startup_line(self) -> str:
        """The one line the command line prints on start (scripts parse it)."""
        subs = ",".join(f"{auth_id}:{token}" for auth_id, token in self.subaccounts)
        return (
            f"EMULATOR base_url={self.base_url} auth_id={self.auth_id} "
            f"auth_token={self.auth_token} subaccounts={subs}"
        )


def _url_host(host: str) -> str:
    """The host to put in URLs: a wildcard bind is reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


@asynccontextmanager
async def run_emulator(
    options: EmulatorOptions | None = None, /, **changes: Any
) -> AsyncIterator[EmulatorInfo]:
    """Run the emulator while the block runs; ``changes`` are :class:`EmulatorOptions` fields.

    ::

        async with run_emulator(seed_inventory=100) as emu:
            async with AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url):
                ...

    With ``db_path`` the state lives in that SQLite file and survives a
    restart (an existing file is reused, not re-seeded); otherwise in memory.
    Port 0 (the default) picks a free port. Raises ``ValueError`` for an
    invalid option.
    """
    settings = EmulatorOptions.of(options, changes)
    store = Store(settings.db_path, busy_timeout=settings.db_busy_timeout)
    try:
        credentials = prepare_store(store, settings)
        guard = ConnectionGuard(settings.header_timeout, settings.max_half_open)
        seed = settings.seed
        app = create_app(
            store,
            faults=Faults(seed),
            seed=None if seed is None else seed + 1,
            guard=guard,
            body_timeout=settings.body_timeout,
        )
        runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=log if settings.access_log else None,
            shutdown_timeout=2.0,
        )
        await runner.setup()
        try:
            site = GuardedTCPSite(runner, settings.host, settings.port, guard)
            await site.start()
            root = f"http://{_url_host(settings.host)}:{site.port}"
            yield EmulatorInfo(
                base_url=root + "/api",
                root_url=root,
                auth_id=credentials.auth_id,
                auth_token=credentials.auth_token,
                subaccounts=credentials.subaccounts,
                db_path=settings.db_path,
            )
        finally:
            await runner.cleanup()
    finally:
        store.close()


class EmulatorThread:
    """The emulator on its own event loop in a background thread.

    For sync code, subprocess-based tests and async tests on another loop::

        with EmulatorThread(seed_inventory=100) as emu:
            ...  # emu is an EmulatorInfo

    ``stop()`` (or leaving the ``with`` block) shuts the server down and joins
    the thread.
    """

    def __init__(
        self,
        options: EmulatorOptions | None = None,
        /,
        *,
        startup_timeout: float = 30.0,
        **changes: Any,
    ) -> None:
        self._options = EmulatorOptions.of(options, changes)
        self._timeout = startup_timeout
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._info: EmulatorInfo | None = None
        self._error: BaseException | None = None

    @property
    def info(self) -> EmulatorInfo:
        """The running emulator's URLs and credentials."""
        if self._info is None:
            raise RuntimeError("the emulator is not running")
        return self._info

    def start(self) -> EmulatorInfo:
        """Start the server thread and wait until it listens."""
        if self._thread is not None:
            raise RuntimeError("this EmulatorThread was already started")
        self._thread = threading.Thread(
            target=self._run, name="phonenumbers-async-emulator", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(self._timeout):
            self.stop()
            raise TimeoutError("the emulator did not start in time")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self.info

    def stop(self) -> None:
        """Stop the server and join its thread (idempotent)."""
        thread = self._thread
        if thread is None:
            return
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(stop.set)
        thread.join(self._timeout)
        self._info = None

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            if not self._ready.is_set():
                self._error = exc
            else:  # pragma: no cover - a failure while shutting down
                log.exception("emulator thread failed")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with run_emulator(self._options) as info:
            self._info = info
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> EmulatorInfo:
        if self._thread is None:
            return self.start()
        return self.info

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator_thread(
    options: EmulatorOptions | None = None, /, **changes: Any
) -> EmulatorThread:
    """Start an :class:`EmulatorThread` and return it (running); ``.info`` has the URLs.

    Use it as a context manager to stop it: ``with start_emulator_thread() as emu: ...``.
    """
    thread = EmulatorThread(options, **changes)
    thread.start()
    return thread
