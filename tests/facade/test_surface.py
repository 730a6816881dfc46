"""One implementation, two surfaces: the sync client and resources are the async ones, generated
by a tool whose output must stay current, and they are compared whole here."""

from __future__ import annotations

import inspect
import os
import pydoc
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

import pytest

from phonenumbers_async import AsyncClient, Client, Page
from phonenumbers_async._resources._base import Resource
from phonenumbers_async._resources.inventory import Inventory
from phonenumbers_async._sync import _resources as generated

from ._helpers import GENERATOR, OWNED, ROOT, Control, generator, regenerated

if TYPE_CHECKING:  # only for the type checker: the generator must find it in the source
    from phonenumbers_async._models import Balance

RESOURCES = ["numbers", "inventory", "subaccounts", "account"]
# The one public difference between the clients: how they are closed.
ASYNC_ONLY = {"aclose"}
SYNC_ONLY = {"close"}


def _public(target: object) -> set[str]:
    return {name for name in dir(target) if not name.startswith("_")}


def _sync_text(text: str) -> str:
    """An async annotation or docstring as the sync side writes it."""
    text = re.sub(r"\bAsync(Iterator|Iterable|Generator)\b", "Iterator", text)
    return text.replace("``async for``", "``for``")


def _methods(resource_class: type[Any]) -> dict[str, Any]:
    return {
        name: getattr(resource_class, name)
        for name in dir(resource_class)
        if not name.startswith("_") and inspect.isfunction(getattr(resource_class, name))
    }


def _async_resources() -> dict[str, type[Resource]]:
    client = AsyncClient("MA_SURFACE", "token")
    return {name: type(getattr(client, name)) for name in RESOURCES}


def test_the_generated_sync_resources_are_current() -> None:
    """``python tools/gen_sync.py --check`` passes: the checked-in file is what it writes."""
    completed = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_check_fails_on_a_stale_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The staleness check is not a formality: a file that differs makes it exit 1."""
    tool = generator()
    monkeypatch.setattr(tool, "render", lambda: "# something else\n")
    assert tool.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out


def test_client_and_async_client_have_the_same_surface() -> None:
    """Same public names (``close`` for ``aclose``), same constructor, same ``with_options``."""
    assert _public(Client) - SYNC_ONLY == _public(AsyncClient) - ASYNC_ONLY
    assert inspect.signature(Client) == inspect.signature(AsyncClient)
    sync_options = inspect.signature(Client.with_options)
    async_options = inspect.signature(AsyncClient.with_options)
    assert sync_options.parameters == async_options.parameters
    assert (sync_options.return_annotation, async_options.return_annotation) == (
        "Client",
        "AsyncClient",
    )
    for name in ("auth_id", "base_url", "max_concurrency", "retry_policy", "deadline", "config"):
        assert isinstance(getattr(Client, name), property)
        assert getattr(Client, name).__doc__ == getattr(AsyncClient, name).__doc__


def test_every_sync_resource_matches_its_async_resource_whole() -> None:
    """Each resource: the same methods, parameters, defaults, annotations (async → sync) and
    docstrings; and ``with_raw_response`` has every coroutine method, returning RawResponse."""
    for attribute, async_class in _async_resources().items():
        sync_class = type(getattr(Client("MA_SURFACE", "token"), attribute))
        assert sync_class is getattr(generated, "Sync" + async_class.__name__)
        async_methods = _methods(async_class)
        sync_methods = _methods(sync_class)
        assert sorted(sync_methods) == sorted(async_methods)
        assert "with_raw_response" in _public(sync_class)
        assert "with_raw_response" in _public(async_class)
        raw_class = inspect.signature(sync_class.with_raw_response.fget).return_annotation
        raw_methods = _methods(getattr(generated, raw_class))
        coroutines = {n for n, f in async_methods.items() if inspect.iscoroutinefunction(f)}
        assert set(raw_methods) == coroutines
        for name, async_method in async_methods.items():
            async_signature = inspect.signature(async_method)
            sync_signature = inspect.signature(sync_methods[name])
            assert sync_signature.parameters == async_signature.parameters, name
            returns = async_signature.return_annotation
            assert sync_signature.return_annotation == _sync_text(returns), name
            assert sync_methods[name].__doc__ == _sync_text(async_method.__doc__ or ""), name
            if name in coroutines:
                raw_signature = inspect.signature(raw_methods[name])
                assert raw_signature.parameters == async_signature.parameters
                assert raw_signature.return_annotation == f"RawResponse[{returns}]"


def test_dir_and_help_list_the_resources() -> None:
    """``dir(Client())`` and ``help()`` of both clients show the four resources (tab
    completion finds them), and no option default shows as ``<object object at 0x…>``."""
    client = Client("MA_SURFACE", "token")
    assert set(RESOURCES) <= set(dir(client))
    assert set(RESOURCES) <= set(dir(AsyncClient("MA_SURFACE", "token")))
    for target in (Client, AsyncClient):
        text = pydoc.plain(pydoc.render_doc(target))
        for name in RESOURCES:
            assert re.search(rf"^ \|  {name}\b", text, re.MULTILINE), (target, name)
    for method in (AsyncClient.with_options, Client.with_options, AsyncClient, Client):
        assert "object at 0x" not in pydoc.plain(pydoc.render_doc(method))
    client.close()


def test_unknown_options_are_refused_like_a_signature_would() -> None:
    """``**options`` still refuses a misspelt option, with a TypeError naming it."""
    bad: dict[str, Any] = {"timeuot": 5}
    for make in (AsyncClient, Client):
        with pytest.raises(TypeError, match="timeuot"):
            make("MA_SURFACE", "token", **bad)


async def _count(self: Inventory) -> int | None:
    return (await self.list(per_page=1)).total


def _e164_pages(self: Inventory, *, per_page: int = 10) -> AsyncIterator[Page[str]]:
    async def pages() -> AsyncIterator[Page[str]]:
        async for page in self.iter_pages(per_page=per_page):
            yield Page(items=tuple(n.e164 for n in page.items), page=page.page, per_page=per_page)

    return pages()


def _e164s(self: Inventory, *, per_page: int = 10) -> AsyncIterator[str]:
    raise AssertionError("the sync side drives the page-level twin, not this")


async def _countdown(self: Inventory, start: int) -> AsyncIterator[int]:
    """Counts down from ``start``."""
    for value in range(start, 0, -1):
        yield value


async def _many(
    self: Inventory,
    numbers: Iterable[str],
    *,
    concurrency: int = 8,
    journal: str | os.PathLike[str] | None = None,
) -> AsyncIterator[Balance]:
    """One outcome per number, like the bulk methods."""
    from phonenumbers_async._models import Balance

    for number in numbers:
        yield Balance(currency=number)


def test_a_method_added_to_an_async_resource_appears_when_regenerated(
    client: Client, control: Control, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New coroutine, page-twinned and async-generator methods are written by the generator
    (with their signatures and docstrings) and work, with no hand-written sync code."""
    monkeypatch.setattr(Inventory, "count", _count, raising=False)
    monkeypatch.setattr(Inventory, "e164s_pages", _e164_pages, raising=False)
    monkeypatch.setattr(Inventory, "e164s", _e164s, raising=False)
    monkeypatch.setattr(Inventory, "countdown", _countdown, raising=False)
    monkeypatch.setattr(Inventory, "many", _many, raising=False)
    source = generator().render()
    assert "import os\n" in source
    assert "def countdown(self, start: int) -> Iterator[int]:" in source
    assert "return self._stream(Inventory.e164s_pages, per_page=per_page, _flatten=True)" in source
    inventory = regenerated(client, "SyncInventory")
    assert inventory.countdown.__doc__ == "Counts down from ``start``."
    assert inventory.count() == 30
    assert inventory.with_raw_response.count().parse() == 30
    e164s = inventory.e164s(per_page=7)
    assert isinstance(next(e164s), str)
    assert len(list(e164s)) == 29
    assert [page.items[0][0] for page in inventory.e164s_pages()] == ["+", "+", "+"]
    assert list(inventory.countdown(3)) == [3, 2, 1]
    assert [outcome.currency for outcome in inventory.many(["INR", "USD"], journal="j")] == [
        "INR",
        "USD",
    ]
    assert "many" not in dir(inventory.with_raw_response)  # it streams: no raw form
    assert len(list(client.numbers.iter())) == OWNED
