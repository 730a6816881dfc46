"""Helpers for the facade's tests: a sync view of the emulator's control API, and one
calling convention over both clients."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from phonenumbers_async import AsyncClient, Client
from phonenumbers_async.emulator import EmulatorInfo

PORTAL_THREAD_PREFIX = "phonenumbers-async-portal-"


def portal_threads() -> list[threading.Thread]:
    """Every live thread a sync Client started for its event loop."""
    return [t for t in threading.enumerate() if t.name.startswith(PORTAL_THREAD_PREFIX)]


class Control:
    """The emulator's control API over plain blocking HTTP (no event loop involved)."""

    def __init__(self, info: EmulatorInfo) -> None:
        self.info = info

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.info.control_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def create_numbers(self, count: int, owner: str | None = None) -> list[str]:
        return list(self.request("POST", "/numbers", {"count": count, "owner": owner})["numbers"])

    def record_call(self, e164: str) -> None:
        self.request("POST", "/numbers/" + e164.replace("+", "%2B") + "/calls", {})

    def set_faults(self, **knobs: Any) -> None:
        self.request("POST", "/faults", knobs)

    def requests(self, method: str, route_suffix: str) -> int:
        """How many API requests the server has seen to routes ending in ``route_suffix``."""
        counters = self.request("GET", "/stats")["requests"]
        return sum(
            count
            for key, count in counters.items()
            if key.startswith(method + " ") and key.endswith(route_suffix)
        )

    def owned_listing_requests(self) -> int:
        """Listing requests for an account's own numbers (``GET …/{auth_id}/numbers``)."""
        return self.requests("GET", "{auth_id}/numbers")


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
