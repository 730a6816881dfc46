"""Sync iteration streams page by page, and stopping early stops the listing."""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from phonenumbers_async import Client, PhoneNumber
from phonenumbers_async._facade import _Runner

from ._helpers import Control
from .conftest import OWNED

PER_PAGE = 10  # OWNED numbers make 5 pages


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


@pytest.mark.parametrize("max_concurrency", [1, None])
def test_first_item_arrives_after_the_first_page_only(
    client: Client, control: Control, max_concurrency: int | None
) -> None:
    """When the first item of ``iter()`` arrives, the server has served one page of five."""
    numbers = client.numbers.iter(per_page=PER_PAGE, max_concurrency=max_concurrency)
    first = next(numbers)
    assert isinstance(first, PhoneNumber)
    assert control.owned_listing_requests() == 1
    rest = list(numbers)
    assert 1 + len(rest) == OWNED
    assert control.owned_listing_requests() >= OWNED // PER_PAGE


def test_iteration_crosses_into_the_loop_once_per_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """50 numbers in pages of 10 take 7 loop round trips (start, 5 pages, end), not 50."""
    calls: list[str] = []
    original = _Runner.call

    def counting(self: _Runner, func: Callable[..., Any], *args: Any) -> Any:
        calls.append(func.__name__)
        return original(self, func, *args)

    client.inventory.list()  # starts the loop, outside the count
    monkeypatch.setattr(_Runner, "call", counting)
    assert len(list(client.numbers.iter(per_page=PER_PAGE))) == OWNED
    assert calls == ["_invoke"] + ["_next"] * (OWNED // PER_PAGE + 1)


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
    # Slow answers keep the prefetched page in flight when the consumer stops.
    control.set_faults(latency_ms=150)
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter(per_page=PER_PAGE, max_concurrency=2)
    # Into page 3: pages 1-3 are served and page 4 has just been requested.
    stop(numbers, 2 * PER_PAGE)
    del numbers
    assert _loop_tasks(client) == baseline
    served = control.owned_listing_requests()
    assert 3 <= served <= 4
    control.set_faults(latency_ms=0)
    # A later call runs the loop on; the stopped listing asks for nothing more.
    client.subaccounts.list()
    assert control.owned_listing_requests() == served < OWNED // PER_PAGE


def test_an_unstarted_iterator_needs_no_closing(client: Client, control: Control) -> None:
    """An iterator created and dropped unstarted sends nothing and leaves nothing behind."""
    baseline = _loop_tasks(client)
    numbers = client.numbers.iter()
    del numbers
    gc.collect()
    assert control.owned_listing_requests() == 0
    assert _loop_tasks(client) == baseline


def test_page_iterators_are_sync_generators_of_pages(client: Client, control: Control) -> None:
    """``iter_pages`` streams Page objects; the second page is fetched only when asked for."""
    pages = client.numbers.iter_pages(per_page=PER_PAGE, max_concurrency=1)
    first = next(pages)
    assert (first.page, len(first.items), first.total) == (1, PER_PAGE, OWNED)
    assert control.owned_listing_requests() == 1
    assert next(pages).page == 2
    pages.close()  # type: ignore[attr-defined]
    assert control.owned_listing_requests() == 2


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
    numbers = client.numbers.iter(per_page=PER_PAGE, max_concurrency=1)
    next(numbers)
    baseline = _loop_tasks(client)
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
