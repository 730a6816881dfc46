"""aiohttp's hidden resend of a DELETE on a dropped connection is off; our policy decides.

The loopback server here releases the number on the first DELETE and then
drops the connection without answering, the way a gateway that loses the
response would. A resent DELETE is answered 403 "not owned", as the real API
does. aiohttp 3.x would resend the DELETE once on its own and show only that
403; the SDK must count its own attempts and reconcile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from conftest import AUTH_ID, AUTH_TOKEN
from yarl import URL

from phonenumbers_async import AsyncClient

from ._helpers import EMPTY_PAGE, Loopback, answer, drop, recording_policy, serve

E164 = "+919876543210"
NUMBER = {
    "e164": E164,
    "country": "IN",
    "status": "active",
    "monthly_fee": "1.00",
    "setup_fee": "0.00",
    "currency": "INR",
}


@dataclass
class Shop:
    """One number, owned at first; a DELETE releases it and drops the connection."""

    owned: bool = True
    deletes: int = 0
    inventory_checks: int = 0
    requests: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request, server: Loopback) -> web.StreamResponse:
        self.requests.append(request.method)
        if request.method == "DELETE":
            self.deletes += 1
            if self.owned:
                self.owned = False
                return drop(request)
            return answer(
                403, {"error": "forbidden", "message": "account does not own this number"}
            )
        if request.path.endswith("/inventory/numbers"):
            self.inventory_checks += 1
            items = [] if self.owned else [NUMBER]
            return answer(200, {"items": items, "page": 1, "per_page": 100, "total": len(items)})
        items = [NUMBER | {"account_id": AUTH_ID}] if self.owned else []
        return answer(200, EMPTY_PAGE | {"items": items, "total": len(items)})


def release_url(server: Loopback) -> str:
    return f"{server.base_url}/v1/account/{AUTH_ID}/numbers/{E164.replace('+', '%2B')}"


async def test_plain_aiohttp_resends_the_dropped_delete_by_itself() -> None:
    """The premise: a bare aiohttp session sends this DELETE twice and shows only the 403."""
    shop = Shop()
    async with serve(shop.handle) as server, aiohttp.ClientSession() as session:
        async with session.get(f"{server.base_url}/v1/account/{AUTH_ID}/numbers") as warm:
            await warm.read()
        async with session.delete(URL(release_url(server), encoded=True)) as reply:
            body = json.loads(await reply.read())
    assert reply.status == 403
    assert body["error"] == "forbidden"
    assert shop.deletes == 2


async def _release_after_listing(client: AsyncClient) -> None:
    # A listing first, so the DELETE goes out on a kept-alive connection.
    await client.numbers.list()
    await client.numbers.release(E164)


async def test_without_retries_the_server_sees_one_delete_and_a_lookup_settles_it() -> None:
    """``max_retries=0``: one DELETE reaches the server (no hidden resend, so no 403), and the
    lookup that follows the drop shows the number released."""
    shop = Shop()
    async with (
        serve(shop.handle) as server,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, max_retries=0) as client,
    ):
        await _release_after_listing(client)
    assert shop.deletes == 1
    # The listing, the DELETE, then the lookup: gone from the account, back in inventory.
    assert shop.requests == ["GET", "DELETE", "GET", "GET"]
    assert shop.owned is False


async def test_with_retries_a_dropped_release_is_looked_up_not_resent() -> None:
    """Dropped: our policy looks the number up before resending; released, so one DELETE."""
    shop = Shop()
    policy, delays = recording_policy(max_retries=3)
    async with (
        serve(shop.handle) as server,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, retry_policy=policy) as client,
    ):
        await _release_after_listing(client)
    assert shop.deletes == 1
    assert shop.inventory_checks == 1
    assert delays == []
    assert shop.owned is False


async def test_a_callers_session_gets_the_hidden_retry_switched_off_too() -> None:
    """A session passed in loses aiohttp's resend: one DELETE per release, retries or not."""
    shop = Shop()
    async with serve(shop.handle) as server, aiohttp.ClientSession() as session:
        assert session._retry_connection is True
        client = AsyncClient(
            AUTH_ID, AUTH_TOKEN, base_url=server.base_url, session=session, max_retries=0
        )
        assert session._retry_connection is False
        async with client:
            await _release_after_listing(client)
        assert shop.deletes == 1
        assert not session.closed  # the caller's session outlives the client

        shop.owned = True
        policy, _ = recording_policy(max_retries=3)
        async with AsyncClient(
            AUTH_ID, AUTH_TOKEN, base_url=server.base_url, session=session, retry_policy=policy
        ) as retrying:
            await _release_after_listing(retrying)
        assert shop.deletes == 1 + 1
        assert shop.owned is False
        assert not session.closed
