"""One implementation: the sync surface is the async one, found generically and typed by a
generated file that must stay current."""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from phonenumbers_async import AsyncClient, Client, Page
from phonenumbers_async._resources._base import Resource
from phonenumbers_async._resources.inventory import Inventory

from ._helpers import Control
from .conftest import OWNED

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "tools" / "gen_facade_types.py"
GENERATED = ROOT / "phonenumbers_async" / "_facade_types.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_facade_types", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _resources(client: AsyncClient) -> dict[str, Resource]:
    return {name: value for name, value in vars(client).items() if isinstance(value, Resource)}


def _public_methods(resource: object) -> list[str]:
    return sorted(
        name
        for name in dir(resource)
        if not name.startswith("_") and callable(getattr(resource, name))
    )


def test_generated_types_are_current() -> None:
    """``_facade_types.py`` is what ``tools/gen_facade_types.py`` writes for today's resources."""
    expected = _generator().render()
    assert GENERATED.read_text(encoding="utf-8") == expected, (
        "phonenumbers_async/_facade_types.py is stale: run python tools/gen_facade_types.py"
    )


def test_generated_protocols_declare_every_async_method() -> None:
    """Each generated protocol has exactly the public methods of its async resource."""
    from phonenumbers_async import _facade_types

    resources = _resources(AsyncClient("MA_SURFACE", "token"))
    assert set(_facade_types.SyncResources.__annotations__) == set(resources)
    for resource in resources.values():
        protocol = getattr(_facade_types, "Sync" + type(resource).__name__)
        declared = sorted(name for name in vars(protocol) if not name.startswith("_"))
        assert declared == _public_methods(resource)


def test_sync_resources_expose_every_async_method_with_its_signature() -> None:
    """``client.numbers`` & co. have the async resources' methods, with the same parameters."""
    client = Client("MA_SURFACE", "token")
    for name, resource in _resources(AsyncClient("MA_SURFACE", "token")).items():
        sync_resource = getattr(client, name)
        assert dir(sync_resource) == _public_methods(resource)
        for method in _public_methods(resource):
            sync_method = getattr(sync_resource, method)
            async_method = getattr(resource, method)
            assert sync_method.__doc__ == async_method.__doc__
            assert inspect.signature(sync_method).parameters == (
                inspect.signature(async_method).parameters
            )
    client.close()


async def _count(self: Inventory) -> int | None:
    return (await self.list(per_page=1)).total


def _e164_pages(self: Inventory, *, per_page: int = 10) -> AsyncIterator[Page[str]]:
    async def pages() -> AsyncIterator[Page[str]]:
        async for page in self.iter_pages(per_page=per_page):
            yield Page(items=tuple(n.e164 for n in page.items), page=page.page, per_page=per_page)

    return pages()


def _e164s(self: Inventory, *, per_page: int = 10) -> AsyncIterator[str]:
    raise AssertionError("the facade drives the page-level twin, not this")


async def _countdown(self: Inventory, start: int) -> AsyncIterator[int]:
    for value in range(start, 0, -1):
        yield value


def test_a_method_added_to_an_async_resource_appears_on_the_sync_side(
    client: Client, control: Control, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New coroutine, page-twinned and plain async-generator methods work with no facade code."""
    monkeypatch.setattr(Inventory, "count", _count, raising=False)
    monkeypatch.setattr(Inventory, "e164s_pages", _e164_pages, raising=False)
    monkeypatch.setattr(Inventory, "e164s", _e164s, raising=False)
    monkeypatch.setattr(Inventory, "countdown", _countdown, raising=False)
    inventory: Any = client.inventory
    assert inventory.count() == 30
    e164s = inventory.e164s(per_page=7)
    assert isinstance(next(e164s), str)
    assert len(list(e164s)) == 29
    assert [page.items[0][0] for page in inventory.e164s_pages()] == ["+", "+", "+"]
    assert list(inventory.countdown(3)) == [3, 2, 1]
    assert len(list(client.numbers.iter())) == OWNED
