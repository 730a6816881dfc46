"""Starting and stopping the emulator: an async context manager and a thread."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import random
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import TypedDict, Unpack

from aiohttp import web

from .._net import is_loopback_host
from ._app import create_app
from ._clock import Clock
from ._faults import Faults
from ._seed import (
    DEFAULT_BALANCE,
    SUBACCOUNT_PROFILES,
    generate_numbers,
    make_auth_id,
    make_token,
    make_uuid,
)
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


class EmulatorOptions(TypedDict, total=False):
    """Keyword options of :func:`run_emulator` (and of the thread and fixture)."""

    host: str
    port: int
    db_path: str | os.PathLike[str] | None
    seed_inventory: int
    subaccounts: int
    auth_id: str | None
    auth_token: str | None
    balance: Decimal | int | str | None
    currency: str
    seed: int | None
    allow_remote: bool
    access_log: bool


def _balance(value: Decimal | int | str | None) -> Decimal:
    if value is None:
        return DEFAULT_BALANCE
    if isinstance(value, bool):
        raise ValueError("balance must be a number")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"balance must be a number, not {value!r}") from None
    if not result.is_finite() or result < 0:
        raise ValueError("balance must be a finite number >= 0")
    return result


def prepare_store(
    store: Store,
    *,
    seed_inventory: int = 50,
    subaccounts: int = 2,
    auth_id: str | None = None,
    auth_token: str | None = None,
    balance: Decimal | int | str | None = None,
    currency: str = "INR",
    seed: int | None = None,
) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """Seed a new store (or check an existing one) and return its credentials.

    A store that already holds state (a ``--db`` file from an earlier run) is
    reused as it is: nothing is re-seeded. Returns ``(master auth_id,
    master auth_token, ((sub auth_id, sub auth_token), ...))``.
    """
    primary = store.get_meta("primary_auth_id")
    if primary is not None:
        master = store.get_account(primary)
        if master is None:
            raise RuntimeError("emulator database is inconsistent: the master account is missing")
        if auth_id is not None and auth_id != primary:
            raise ValueError(
                f"the database belongs to {primary}, not {auth_id}; use another --db file"
            )
        if auth_token is not None and auth_token != master["auth_token"]:
            raise ValueError("the database's master account has a different auth token")
        subs, _ = store.subaccounts(primary)
        return primary, master["auth_token"], tuple((s["auth_id"], s["auth_token"]) for s in subs)

    if seed_inventory < 0 or subaccounts < 0:
        raise ValueError("seed_inventory and subaccounts must be >= 0")
    rng = random.Random(seed)
    now = Clock().now()
    master_id = auth_id or make_auth_id(rng, "MA_")
    master_token = auth_token or make_token(rng)
    store.add_account(
        auth_id=master_id,
        auth_token=master_token,
        is_admin=True,
        parent_auth_id=None,
        balance=_balance(balance),
        currency=currency,
        api_id=make_uuid(rng),
        now=now,
        name="Master account",
    )
    created: list[tuple[str, str]] = []
    for index in range(subaccounts):
        profile = SUBACCOUNT_PROFILES[index % len(SUBACCOUNT_PROFILES)]
        sub_id = make_auth_id(rng, "SA_")
        sub_token = make_token(rng)
        suffix = "" if index < len(SUBACCOUNT_PROFILES) else f" {index + 1}"
        store.add_account(
            auth_id=sub_id,
            auth_token=sub_token,
            is_admin=False,
            parent_auth_id=master_id,
            balance=Decimal(0),
            currency=currency,
            api_id=make_uuid(rng),
            now=now,
            name=profile["name"] + suffix,
            email=profile["email"],
            permissions=profile["permissions"],
            rate_limit=profile["rate_limit"],
        )
        created.append((sub_id, sub_token))
    store.insert_numbers(
        generate_numbers(rng, seed_inventory, now=now, currency=currency, taken=set())
    )
    store.set_meta("primary_auth_id", master_id)
    return master_id, master_token, tuple(created)


def _url_host(host: str) -> str:
    """The host to put in URLs: a wildcard bind is reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


@asynccontextmanager
async def run_emulator(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    db_path: str | os.PathLike[str] | None = None,
    seed_inventory: int = 50,
    subaccounts: int = 2,
    auth_id: str | None = None,
    auth_token: str | None = None,
    balance: Decimal | int | str | None = None,
    currency: str = "INR",
    seed: int | None = None,
    allow_remote: bool = False,
    access_log: bool = False,
) -> AsyncIterator[EmulatorInfo]:
    """Run the emulator on ``host:port`` (port 0: a free one) while the block runs.

    ::

        async with run_emulator() as emu:
            async with AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url):
                ...

    With ``db_path`` the state lives in that SQLite file and survives a
    restart (an existing file is reused, not re-seeded); otherwise in memory.
    """
    if not is_loopback_host(host) and not allow_remote:
        raise ValueError(f"refusing to listen on non-loopback host {host!r} without allow_remote")
    path = os.fspath(db_path) if db_path is not None else None
    store = Store(path)
    try:
        master_id, master_token, subs = prepare_store(
            store,
            seed_inventory=seed_inventory,
            subaccounts=subaccounts,
            auth_id=auth_id,
            auth_token=auth_token,
            balance=balance,
            currency=currency,
            seed=seed,
        )
        app = create_app(
            store,
            faults=Faults(seed),
            seed=None if seed is None else seed + 1,
        )
        runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=log if access_log else None,
            shutdown_timeout=2.0,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound_port = int(runner.addresses[0][1])
            root = f"http://{_url_host(host)}:{bound_port}"
            yield EmulatorInfo(
                base_url=root + "/api",
                root_url=root,
                auth_id=master_id,
                auth_token=master_token,
                subaccounts=subs,
                db_path=path,
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
        self, *, startup_timeout: float = 30.0, **options: Unpack[EmulatorOptions]
    ) -> None:
        self._options = options
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
        async with run_emulator(**self._options) as info:
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


def start_emulator_thread(**options: Unpack[EmulatorOptions]) -> EmulatorThread:
    """Start an :class:`EmulatorThread` and return it (running); ``.info`` has the URLs.

    Use it as a context manager to stop it: ``with start_emulator_thread() as emu: ...``.
    """
    thread = EmulatorThread(**options)
    thread.start()
    return thread
