"""Helpers for the facade's tests: a sync view of the emulator's control API, and one
calling convention over both clients."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from support.control import SyncControl

from phonenumbers_async import AsyncClient, Client
from phonenumbers_async.emulator import EmulatorInfo

PORTAL_THREAD_PREFIX = "phonenumbers-async-portal-"


def portal_threads() -> list[threading.Thread]:
    """Every live thread a sync Client started for its event loop."""
    return [t for t in threading.enumerate() if t.name.startswith(PORTAL_THREAD_PREFIX)]


class Control(SyncControl):
    """The package's control client, for sync tests, with the shortcuts these tests use."""

    def __init__(self, info: EmulatorInfo) -> None:
        super().__init__(info.root_url)
        self.info = info

    def create_numbers(self, count: int, owner: str | None = None) -> list[str]:
        return self(lambda control: control.create_numbers(count, owner=owner))

    def record_call(self, e164: str) -> None:
        self(lambda control: control.record_call(e164))

    def set_faults(self, **knobs: Any) -> None:
        self(lambda control: control.set_faults(**knobs))

    def requests(self, method: str, route_suffix: str) -> int:
        """How many API requests the server has seen to routes ending in ``route_suffix``."""
        counters = self(lambda control: control.stats())["requests"]
        return sum(
            count
            for key, count in counters.items()
            if key.startswith(method + " ") and key.endswith(route_suffix)
        )

    def owned_listing_requests(self) -> int:
        """Listing requests for an account's own numbers (``GET …/{auth_id}/numbers``)."""
        return self.requests("GET", "{auth_id}/numbers")


# How many numbers the facade tests' emulator seeds the master with.
OWNED = 50


class _ResourceCalls:
    def __init__(self, target: Any, run: Callable[[Callable[..., Any], Any, Any], Any]) -> None:
        self._target = target
        self._run = run

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._target, name)
        return lambda *args, **kwargs: self._run(method, args, kwargs)


class Api:
    """``api.numbers.list(...)`` blocks and returns the result; iterators come back as lists.

    The same test body then runs against ``Client`` and ``AsyncClient``.
    """

    def __init__(self, kind: str, client: Any, run: Callable[..., Any]) -> None:
        self.kind = kind
        self.client = client
        self._run = run

    def __getattr__(self, resource: str) -> _ResourceCalls:
        return _ResourceCalls(getattr(self.client, resource), self._run)


def sync_api(client: Client) -> Api:
    def run(method: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        return list(result) if isinstance(result, Iterator) else result

    return Api("sync", client, run)


def async_api(client: AsyncClient, runner: asyncio.Runner) -> Api:
    async def call(method: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        if isinstance(result, AsyncIterator):
            return [item async for item in result]
        return await result

    def run(method: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        return runner.run(call(method, args, kwargs))

    return Api("async", client, run)


ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "tools" / "gen_sync.py"


def generator() -> ModuleType:
    """``tools/gen_sync.py``, imported as a module."""
    spec = importlib.util.spec_from_file_location("gen_sync", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def regenerated_resources() -> ModuleType:
    """The sync resources as ``tools/gen_sync.py`` writes them now, loaded as a module.

    For tests that add a method to an async resource: rerunning the
    generator is all it takes for the sync side to have it.
    """
    source = generator().render()
    module = ModuleType("phonenumbers_async._sync._regenerated")
    module.__package__ = "phonenumbers_async._sync"
    exec(compile(source, "<regenerated sync resources>", "exec"), module.__dict__)
    return module


def regenerated(client: Client, class_name: str) -> Any:
    """The regenerated sync resource ``class_name`` (``SyncInventory``…) of ``client``."""
    return getattr(regenerated_resources(), class_name)(client)
