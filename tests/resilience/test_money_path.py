"""The money path against an independent stub of the provider: exact outcomes under faults.

The stub here is not the emulator: a small in-memory account whose purchase
commits and then fails, and whose listing loses other numbers while a
reconciliation pages through it, so that a mistake shared by the SDK and the
emulator cannot hide.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from support.samples import load_sample
from support.server import Loopback, serve
from support.wire import AUTH_ID, AUTH_TOKEN, fast_policy

from phonenumbers_async import (
    AsyncClient,
    MockTransport,
    NumberTaken,
    PhoneNumber,
    PurchaseOutcomeUnknown,
    Response,
)
from phonenumbers_async._transport import HTTPRequest

PER_PAGE_MAX = 100


def _numbers(start: int, count: int) -> Iterator[str]:
    return (f"+9180{n:08d}" for n in range(start, start + count))


@dataclass
class StubAccount:
    """One master account and an inventory, over plain aiohttp.

    Every purchase commits and then answers 500 (the ambiguous failure). When
    ``shifting``, each listing request releases ``shift`` other numbers of the
    account first, so items move between pages while a client pages through.
    ``honours_search=False`` stands for a server that ignores the filter.
    """

    inventory: set[str]
    owned: list[str] = field(default_factory=list)
    honours_search: bool = True
    shift: int = 0
    listing_requests: int = 0
    purchases: int = 0
    bought: set[str] = field(default_factory=set)

    def _item(self, e164: str, owner: str | None) -> dict[str, Any]:
        return {
            "id": e164[1:],
            "account_id": owner,
            "e164": e164,
            "country": "IN",
            "status": "active",
            "setup_fee": 0,
            "monthly_fee": 100,
            "currency": "INR",
        }

    def _page(self, request: web.Request, numbers: list[str], owner: str | None) -> web.Response:
        search = request.query.get("search")
        if search and self.honours_search:
            numbers = [n for n in numbers if search.lstrip("+") in n]
        page = int(request.query.get("page", "1"))
        size = min(int(request.query.get("per_page", "25")), PER_PAGE_MAX)
        chosen = numbers[(page - 1) * size : page * size]
        body = {
            "items": [self._item(n, owner) for n in chosen],
            "page": page,
            "per_page": size,
            "total": len(numbers),
        }
        return web.json_response(body)

    async def handle(self, request: web.Request, server: Loopback) -> web.StreamResponse:
        tail = request.path.removeprefix(f"/api/v1/account/{AUTH_ID}")
        if request.method == "POST" and tail == "/numbers/purchase-from-inventory":
            e164 = json.loads(await request.read())["e164"]
            if e164 not in self.inventory:
                return web.json_response({"error": "not_found"}, status=404)
            self.inventory.discard(e164)
            self.owned.append(e164)
            self.owned.sort()
            self.bought.add(e164)
            self.purchases += 1
            return web.json_response({"error": "internal"}, status=500)
        if request.method == "GET" and tail == "/inventory/numbers":
            return self._page(request, sorted(self.inventory), None)
        if request.method == "GET" and tail == "/numbers":
            self.listing_requests += 1
            # Other numbers leave the account meanwhile (released by another job).
            for _ in range(self.shift):
                others = [n for n in self.owned[:50] if n not in self.bought]
                if others:
                    self.owned.remove(others[0])
            return self._page(request, self.owned, AUTH_ID)
        return web.json_response({"error": "no_route"}, status=404)


def _client(server: Loopback) -> AsyncClient:
    return AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, retry_policy=fast_policy())


async def test_a_bought_number_is_found_while_other_numbers_leave_the_listing() -> None:
    """Commit-then-500 on every purchase while the listing shifts: each bought number comes back.

    One search finds it however the listing moves, and each reconciliation
    costs two lookups (inventory, then the account's own numbers).
    """
    stub = StubAccount(
        inventory=set(_numbers(900_000, 60)), owned=sorted(_numbers(0, 400)), shift=5
    )
    async with serve(stub.handle) as server, _client(server) as client:
        bought = [await client.numbers.purchase(e164) for e164 in sorted(stub.inventory)]
    assert all(isinstance(number, PhoneNumber) for number in bought)
    assert [number.account_id for number in bought] == [AUTH_ID] * 60
    assert stub.purchases == 60
    assert server.count("POST") == 60
    assert server.count("GET") == 2 * 60


async def test_a_server_ignoring_search_never_makes_an_owned_number_taken() -> None:
    """Search ignored and the listing shifting: the client scans, and a miss is unknown, not taken.

    Every purchase here was committed, so ``NumberTaken`` would be a lie; the
    number itself or ``PurchaseOutcomeUnknown`` are the only honest answers.
    """
    stub = StubAccount(
        inventory=set(_numbers(900_000, 20)),
        owned=sorted(_numbers(0, 400)),
        honours_search=False,
        shift=5,
    )
    outcomes: list[object] = []
    async with serve(stub.handle) as server, _client(server) as client:
        for e164 in sorted(stub.inventory):
            try:
                outcomes.append(await client.numbers.purchase(e164))
            except (NumberTaken, PurchaseOutcomeUnknown) as exc:
                outcomes.append(exc)
    assert stub.purchases == 20
    assert not [outcome for outcome in outcomes if isinstance(outcome, NumberTaken)]
    assert all(isinstance(o, PhoneNumber | PurchaseOutcomeUnknown) for o in outcomes)


# -- a 2xx purchase whose body is malformed -------------------------------------

E164 = "+919876543210"
_PURCHASE = load_sample("purchase.json")
_NUMBER = _PURCHASE["number"]
_WRONG_VALUES: list[Any] = ["text", 7, 1.5, True, None, [], {}, [1, 2], {"a": 1}, "9" * 5000]


def _malformed_bodies() -> Iterator[tuple[str, bytes]]:
    for key in sorted(_NUMBER):
        for value in _WRONG_VALUES:
            body = {**_PURCHASE, "number": {**_NUMBER, key: value}}
            yield f"number.{key}={str(value)[:12]}", json.dumps(body).encode()
    text = json.dumps(_PURCHASE).encode()
    for cut in (1, len(text) // 3, len(text) // 2, len(text) - 1):
        yield f"truncated at {cut}", text[:cut]
    yield "html", b"<html><body>OK</body></html>"
    yield "not utf-8", b'{"number": {"e164": "\xff\xfe"}}'
    yield "number is a list", json.dumps({"number": [_NUMBER]}).encode()
    yield "number is text", json.dumps({"number": E164}).encode()
    yield "empty", b""
    yield "null", b"null"
    yield "deeply nested", b"[" * 100_000 + b"]" * 100_000


MALFORMED = dict(_malformed_bodies())


@pytest.mark.parametrize("lookups_work", [True, False], ids=["lookup ok", "lookup fails"])
async def test_a_malformed_successful_purchase_is_a_purchase(lookups_work: bool) -> None:
    """A 2xx purchase with any malformed body: the number (looked up, or minimal), never a crash.

    Every field of the recorded answer in turn gets each wrong value; then
    truncated, HTML, non-UTF-8, nested-too-deep and empty bodies. One client
    runs them all (a test each would spend its time setting up).
    """
    owned_page = json.dumps(
        {"items": [{**_NUMBER, "e164": E164, "account_id": AUTH_ID}], "page": 1, "total": 1}
    ).encode()
    body = b""

    def handler(request: HTTPRequest) -> Response:
        if request.method == "POST":
            return Response(200, {"Content-Type": "application/json"}, body)
        if lookups_work:
            return Response(200, {}, owned_page)
        return Response(500, {}, b"<html>down</html>")

    outcomes: dict[str, str] = {}
    async with AsyncClient(
        AUTH_ID, AUTH_TOKEN, transport=MockTransport(handler), max_retries=0
    ) as client:
        for variant, body in MALFORMED.items():  # noqa: B007  # read by handler
            try:
                number = await client.numbers.purchase(E164)
            except PurchaseOutcomeUnknown:
                outcomes[variant] = "unknown"
                continue
            assert number.e164 == E164, variant
            # The server's word on the owner when it gave a readable one, else this account.
            assert isinstance(number.account_id, str), variant
            outcomes[variant] = "number"
    assert len(outcomes) == len(MALFORMED) > 100


async def test_many_concurrent_ambiguous_purchases_keep_exact_accounts() -> None:
    """Concurrent commit-then-500 purchases while the listing shifts: every number is returned."""
    stub = StubAccount(
        inventory=set(_numbers(900_000, 40)), owned=sorted(_numbers(0, 300)), shift=2
    )
    async with serve(stub.handle) as server, _client(server) as client:
        bought = await asyncio.gather(*(client.numbers.purchase(e) for e in sorted(stub.inventory)))
    assert sorted(number.e164 for number in bought) == sorted(_numbers(900_000, 40))
    assert server.count("POST") == 40


async def test_a_successful_purchase_with_an_oversized_answer_is_never_resent() -> None:
    """200 with a body over ``max_response_bytes``: bought, one POST, even while inventory lags."""
    on_sale = json.dumps({"items": [{"e164": E164}], "page": 1, "per_page": 100, "total": 1})

    def handler(request: HTTPRequest) -> Response:
        if request.method == "POST":
            return Response(
                200,
                {},
                b'{"number": {"e164": "' + E164.encode() + b'"}, "x": "' + b"a" * 4096 + b'"}',
            )
        if "inventory" in request.url:
            return Response(200, {}, on_sale.encode())
        return Response(200, {}, b'{"items": [], "page": 1, "per_page": 100, "total": 0}')

    transport = MockTransport(handler)
    async with AsyncClient(
        AUTH_ID, AUTH_TOKEN, transport=transport, max_response_bytes=1024
    ) as client:
        number = await client.numbers.purchase(E164)
    assert number.e164 == E164
    assert [request.method for request in transport.requests].count("POST") == 1
