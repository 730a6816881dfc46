"""A canned-bytes loopback server for the benchmarks, run as its own process.

    python -m benchmarks._server --latency-ms 20 --items 10000 --subaccounts 0

prints the port it listens on (127.0.0.1) as its first line, then serves

* ``GET /api/v1/account/{auth_id}/numbers?page=&per_page=&include_subaccounts=``
  (the master ``MA_BENCHMARK``, or one of its sub-accounts ``SA_BENCH0001``...;
  for the master, ``include_subaccounts`` other than ``false`` adds every
  sub-account's numbers after its own, as the API does);
* ``GET /api/v1/accounts/{auth_id}/sub-accounts/?page=&size=``;
* for the bulk benchmark, canned answers of a purchase:
  ``GET /api/v1/account/{auth_id}/inventory/numbers`` (the master's pages),
  ``GET /api/v1/Account/{auth_id}/balance/{currency}`` and
  ``POST /api/v1/account/{auth_id}/numbers/purchase-from-inventory`` (the
  number asked for, with canned fees; nothing is stored);
* ``POST /_bench/latency`` with ``{"latency_ms": N}`` to change the latency;
* ``GET /_bench/stats`` (requests served so far) and ``POST /_bench/reset``.

Every account owns ``--items`` numbers. Page bodies are built once, before
the port is printed (per ``--per-page`` size; other sizes on first use), so a
request costs the server a dictionary lookup and a write: it is never the
bottleneck, and running it in a separate process keeps its CPU off the
client's core. Each API request sleeps the injected latency first. The server
exits when its stdin closes (the parent died or is done) or on SIGTERM.

It stays apart from the tests' stub server (``tests/support/server.py``) on
purpose: it runs as its own process with page bodies built ahead (the tests'
server answers per request on the test's loop, and records each request),
and ``python -m benchmarks`` must not depend on the test tree.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading

from aiohttp import web

from ._data import MASTER, make_numbers, number_page_bytes, subaccount_ids, subaccount_page_bytes

__all__ = ["CannedData", "main"]

JSON = "application/json"


class CannedData:
    """Page bodies by (account, include_subaccounts, page, per_page), built ahead."""

    def __init__(self, items: int, subaccounts: int, per_pages: list[int]) -> None:
        self.items = items
        self.subaccounts = subaccount_ids(subaccounts)
        self.accounts = [MASTER, *self.subaccounts]
        self._known = frozenset(self.accounts)
        self._pages: dict[tuple[str, bool, int, int], bytes] = {}
        self._subaccount_pages: dict[tuple[int, int], bytes] = {}
        for per_page in per_pages:
            for account in self.accounts:
                for page in range(1, max(1, -(-items // per_page)) + 1):
                    self.number_page(account, False, page, per_page)

    def owns(self, account: str) -> bool:
        return account in self._known

    def number_page(self, account: str, with_subaccounts: bool, page: int, per_page: int) -> bytes:
        # With no sub-accounts, the master's combined listing is its own one.
        with_subaccounts = with_subaccounts and account == MASTER and bool(self.subaccounts)
        key = (account, with_subaccounts, page, per_page)
        body = self._pages.get(key)
        if body is None:
            body = self._build(account, with_subaccounts, page, per_page)
            self._pages[key] = body
        return body

    def _build(self, account: str, with_subaccounts: bool, page: int, per_page: int) -> bytes:
        owners = self.accounts if with_subaccounts else [account]
        total = self.items * len(owners)
        start = (page - 1) * per_page
        stop = min(total, start + per_page)
        items = []
        position = start
        while position < stop:
            owner, index = divmod(position, self.items)
            count = min(stop - position, self.items - index)
            items += make_numbers(owners[owner], index, count)
            position += count
        return number_page_bytes(items, page, per_page, total)

    def subaccount_page(self, page: int, size: int) -> bytes:
        body = self._subaccount_pages.get((page, size))
        if body is None:
            body = subaccount_page_bytes(MASTER, self.subaccounts, page, size)
            self._subaccount_pages[(page, size)] = body
        return body


def _int(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be an integer") from None


def make_app(data: CannedData, latency_ms: float) -> web.Application:
    state = {"latency": latency_ms / 1000.0, "requests": 0}

    async def numbers(request: web.Request) -> web.Response:
        state["requests"] += 1
        if state["latency"]:
            await asyncio.sleep(state["latency"])
        account = request.match_info["auth_id"]
        if not data.owns(account):
            return web.json_response(
                {"error": "not_found", "message": "no such account"}, status=404
            )
        page = max(1, _int(request, "page", 1))
        per_page = min(100, max(1, _int(request, "per_page", 25)))
        include = request.query.get("include_subaccounts", "true").lower() != "false"
        body = data.number_page(account, include, page, per_page)
        return web.Response(body=body, content_type=JSON)

    async def subaccounts(request: web.Request) -> web.Response:
        state["requests"] += 1
        if state["latency"]:
            await asyncio.sleep(state["latency"])
        if request.match_info["auth_id"] != MASTER:
            return web.json_response(
                {"error": "not_found", "message": "no such account"}, status=404
            )
        page = max(1, _int(request, "page", 1))
        size = min(100, max(1, _int(request, "size", 25)))
        return web.Response(body=data.subaccount_page(page, size), content_type=JSON)

    async def inventory(request: web.Request) -> web.Response:
        state["requests"] += 1
        if state["latency"]:
            await asyncio.sleep(state["latency"])
        page = max(1, _int(request, "page", 1))
        per_page = min(100, max(1, _int(request, "per_page", 25)))
        return web.Response(body=data.number_page(MASTER, False, page, per_page), content_type=JSON)

    balance_body = json.dumps(
        {"balance": "1000000000", "available_balance": "1000000000", "currency": "INR"}
    ).encode()

    async def balance(request: web.Request) -> web.Response:
        state["requests"] += 1
        if state["latency"]:
            await asyncio.sleep(state["latency"])
        return web.Response(body=balance_body, content_type=JSON)

    sold = make_numbers(MASTER, 0, 1)[0]

    async def purchase(request: web.Request) -> web.Response:
        state["requests"] += 1
        if state["latency"]:
            await asyncio.sleep(state["latency"])
        payload = await request.json()
        number = {**sold, "e164": payload["e164"]}
        return web.json_response({"message": "purchased from inventory", "number": number})

    async def set_latency(request: web.Request) -> web.Response:
        payload = await request.json()
        state["latency"] = float(payload["latency_ms"]) / 1000.0
        return web.json_response({"latency_ms": state["latency"] * 1000.0})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"requests": state["requests"]})

    async def reset(request: web.Request) -> web.Response:
        state["requests"] = 0
        return web.json_response({"requests": 0})

    app = web.Application()
    app.router.add_get("/api/v1/account/{auth_id}/numbers", numbers)
    app.router.add_get("/api/v1/accounts/{auth_id}/sub-accounts/", subaccounts)
    app.router.add_get("/api/v1/account/{auth_id}/inventory/numbers", inventory)
    app.router.add_get("/api/v1/Account/{auth_id}/balance/{currency}", balance)
    app.router.add_post("/api/v1/account/{auth_id}/numbers/purchase-from-inventory", purchase)
    app.router.add_post("/_bench/latency", set_latency)
    app.router.add_get("/_bench/stats", stats)
    app.router.add_post("/_bench/reset", reset)
    return app


async def serve(args: argparse.Namespace) -> None:
    data = CannedData(args.items, args.subaccounts, args.per_page)
    runner = web.AppRunner(make_app(data, args.latency_ms), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(port, flush=True)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    def watch_stdin() -> None:
        # read() returns when the parent closes the pipe or exits.
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--items", type=int, default=10_000, help="numbers per account")
    parser.add_argument("--subaccounts", type=int, default=0)
    parser.add_argument("--per-page", type=int, action="append", help="sizes to build ahead")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    args.per_page = args.per_page or [100]
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
