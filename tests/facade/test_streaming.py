"""Sync iteration streams page by page, and stopping early stops the listing."""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from phonenumbers_async import Client, NotFound, Page, PhoneNumber, _facade
from phonenumbers_async._facade import _Runner
from phonenumbers_async._resources.inventory import Inventory

from ._helpers import Control
from .conftest import OWNED

PER_PAGE = 10  # OWNED numbers make 5 pages
PAGES = OWNED // PER_PAGE


async def _other_tasks() -> list[str]:
    current = asyncio.current_task()
    return sorted(
        getattr(task.get_coro(), "__qualname__", "?")
        for task in asyncio.all_tasks()
        if task is not current
    )


def _loop_tasks(client: Client) -> list[str]:
    """The tasks alive in the client's event loop, besides the one asking."""
    return client._runner.call(_other_tasks)


@pytest.mark.parametrize("max_concurrency", [1, 2])
def test_first_item_arrives_without_waiting_for_later_pages(
    client: Client, control: Control, max_concurrency: int
) -> None:
    """The first item of ``iter()`` comes with page 1 and the prefetch window, not all five."""
    numbers = client.numbers.iter(per_page=PER_PAGE, max_concurrency=max_concurrency)
    first = next(numbers)
    assert isinstance(first, PhoneNumber)
    assert control.owned_listing_requests() <= 1 + max_concurrency < PAGES
    rest = list(numbers)
    assert 1 + len(rest) == OWNED
    assert control.owned_listing_requests() >= PAGES


def test_iteration_crosses_into_the_loop_once_per_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """50 numbers in pages of 10 take at most 7 loop round trips (start, 5 pages, end), not 50."""
    calls: list[str] = []
    original = _Runner.call

    def counting(self: _Runner, func: Callable[..., Any], *args: Any) -> Any:
        calls.append(func.__name__)
        return original(self, func, *args)

    client.inventory.list()  # starts the loop, outside the count
    monkeypatch.setattr(_Runner, "call", counting)
    assert len(list(client.numbers.iter(per_page=PER_PAGE))) == OWNED
    assert calls[0] == "_invoke"
    # The first trip brings page 1 alone; later ones bring every page already fetched.
    assert calls[1:] == ["_next_batch"] * (len(calls) - 1)
    assert 3 <= len(calls) <= 1 + PAGES + 1


def _stop_by_break(numbers: Iterator[PhoneNumber], skip: int) -> None:
    for index, _ in enumerate(numbers):
        if index == skip:
            break


def _stop_by_close(numbers: Iterator[PhoneNumber], skip: int) -> None:
    for _ in range(skip + 1):
        next(numbers)
    numbers.close()  # type: ignore[attr-defined]


class _Stop(Exception):
    pass


def _consume_then_raise(numbers: Iterator[PhoneNumber], skip: int) -> None:
    for index, _ in enumerate(numbers):
        if index == skip:
            raise _Stop


def _stop_by_exception(numbers: Iterator[PhoneNumber], skip: int) -> None:
    with pytest.raises(_Stop):
        _consume_then_raise(numbers, skip)


def _stop_by_garbage_collection(numbers: Iterator[PhoneNumber], skip: int) -> None:
    for _ in range(skip + 1):
        next(numbers)
    del numbers
    gc.collect()


@pytest.mark.parametrize(
    "stop",
    [_stop_by_break, _stop_by_close, _stop_by_exception, _stop_by_garbage_collection],
    ids=["break", "close", "exception", "gc"],
)
def test_stopping_early_closes_the_listing(
    client: Client, control: Control, stop: Callable[[Iterator[PhoneNumber], int], None]
) -> None:
    """Stopping mid-listing cancels the prefetch in flight; no request starts afterwards."""
    per_page, concurrency = 5, 2  # 10 pages
    # Slow answers keep the prefetched pages in flight when the consumer stops.
    control.set_faults(latency_ms=150)
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter(per_page=per_page, max_concurrency=concurrency)
    stop(numbers, 2 * per_page)  # at the first item of page 3
    del numbers
    assert _loop_tasks(client) == baseline
    served = control.owned_listing_requests()
    # Pages 1-3, at most `concurrency` prefetched, and one step started early.
    assert 3 <= served <= 3 + concurrency + 1
    control.set_faults(latency_ms=0)
    # A later call runs the loop on; the stopped listing asks for nothing more.
    client.subaccounts.list()
    assert control.owned_listing_requests() == served < OWNED // per_page


def test_an_unstarted_iterator_needs_no_closing(client: Client, control: Control) -> None:
    """An iterator created and dropped unstarted sends nothing and leaves nothing behind."""
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter()
    del numbers
    gc.collect()
    assert control.owned_listing_requests() == 0
    assert _loop_tasks(client) == baseline


def test_page_iterators_are_sync_generators_of_pages(client: Client, control: Control) -> None:
    """``iter_pages`` streams Page objects, fetching no more than one page ahead (at 1)."""
    pages = client.numbers.iter_pages(per_page=PER_PAGE, max_concurrency=1)
    first = next(pages)
    assert (first.page, len(first.items), first.total) == (1, PER_PAGE, OWNED)
    assert control.owned_listing_requests() <= 2
    assert next(pages).page == 2
    pages.close()  # type: ignore[attr-defined]
    # Page 2, and page 3 at most (asked for early, then cancelled by close()).
    assert 2 <= control.owned_listing_requests() <= 3


def test_fanout_streams_and_closes(client: Client, control: Control) -> None:
    """``iter_fanout`` runs through the page-level twin and closes its workers on early stop."""
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter_fanout(per_page=PER_PAGE, concurrency=2)
    assert isinstance(next(numbers), PhoneNumber)
    numbers.close()  # type: ignore[attr-defined]
    assert _loop_tasks(client) == baseline
    assert len(list(client.numbers.iter_fanout(per_page=PER_PAGE))) == OWNED


def _interrupt_main_once_served(control: Control, before: int) -> None:
    # Waits for the server to see the request, so the signal lands while the
    # main thread is blocked on the answer (held back by the latency fault).
    while control.owned_listing_requests() == before:
        threading.Event().wait(0.005)
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="needs the main thread"
)
def test_ctrl_c_while_waiting_cancels_the_request_in_the_loop(
    client: Client, control: Control
) -> None:
    """KeyboardInterrupt during a blocking call cancels that call's task; the client goes on."""
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter(per_page=PER_PAGE, max_concurrency=1)
    next(numbers)
    control.set_faults(latency_ms=300)
    before = control.owned_listing_requests()
    interrupter = threading.Thread(target=_interrupt_main_once_served, args=(control, before))
    interrupter.start()
    with pytest.raises(KeyboardInterrupt):
        list(numbers)
    interrupter.join()
    assert _loop_tasks(client) == baseline
    control.set_faults(latency_ms=0)
    assert client.numbers.list(per_page=5).total == OWNED


def _ready_pages(
    self: Inventory, *, pages: int = 20, fail: bool = False
) -> AsyncIterator[Page[int]]:
    async def generate() -> AsyncIterator[Page[int]]:
        for number in range(1, pages + 1):
            yield Page(items=(2 * number - 1, 2 * number), page=number, per_page=2)
        if fail:
            raise NotFound("gone", status=404)

    return generate()


def _ready_items(self: Inventory, *, pages: int = 20, fail: bool = False) -> AsyncIterator[int]:
    raise AssertionError("the facade drives the page-level twin")


@pytest.fixture
def ready_listing(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``inventory.ready`` (and ``ready_pages``): pages that need no waiting; returns the
    sizes of the batches handed over."""
    monkeypatch.setattr(Inventory, "ready_pages", _ready_pages, raising=False)
    monkeypatch.setattr(Inventory, "ready", _ready_items, raising=False)
    sizes: list[int] = []
    original = _facade._next_batch

    async def recording(iterator: AsyncIterator[Any], step: Any) -> list[Any]:
        batch = await original(iterator, step)
        sizes.append(len(batch))
        return batch

    monkeypatch.setattr(_facade, "_next_batch", recording)
    return sizes


def test_ready_pages_cross_together_in_order(client: Client, ready_listing: list[int]) -> None:
    """Pages already available come back several per round trip (at most 8), in order."""
    inventory: Any = client.inventory
    assert list(inventory.ready(pages=20)) == list(range(1, 41))
    assert ready_listing[0] == 1  # the first round trip brings the first page only
    assert max(ready_listing) == 8
    assert len(ready_listing) < 20


def test_an_error_comes_after_the_pages_before_it(client: Client, ready_listing: list[int]) -> None:
    """A listing failing after some pages delivers every earlier item, then raises."""
    inventory: Any = client.inventory
    seen: list[int] = []
    with pytest.raises(NotFound):
        seen.extend(inventory.ready(pages=3, fail=True))  # keeps what came before the error
    assert seen == [1, 2, 3, 4, 5, 6]
