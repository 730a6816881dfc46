"""aiohttp's hidden resend of a DELETE on a dropped connection is off; our policy decides.

The loopback server here drops the connection of a DELETE without answering,
the way a gateway that loses the response would, either after releasing the
number or before acting on it. A resent DELETE of a number already released is
answered 403 "not owned", as the real API does. aiohttp 3.x would resend the
DELETE once on its own and show only that 403; the SDK must count its own
attempts, look the number up and then decide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from support.server import EMPTY_PAGE, Loopback, Seen, answer, drop, serve
from support.wire import AUTH_ID, AUTH_TOKEN, no_sleep_policy, quote_e164
from yarl import URL

from phonenumbers_async import AsyncClient, PermissionDenied

E164 = "+919876543210"
NUMBER = {
    "e164": E164,
    "country": "IN",
    "status": "active",
    "monthly_fee": "1.00",
    "setup_fee": "0.00",
    "currency": "INR",
}
NOT_OWNED = {"error": "forbidden", "message": "account does not own this number"}


@dataclass
class Shop:
    """One number, owned at first; the first DELETE drops its connection.

    ``release_before_drop``: the dropped DELETE released the number first (the
    answer was lost); otherwise it was dropped before it was done.
    """

    release_before_drop: bool = True
    owned: bool = True
    deletes: int = 0
    inventory_checks: int = 0
    seen: list[Seen] = field(default_factory=list)

    @property
    def methods(self) -> list[str]:
        return [request.method for request in self.seen]

    async def handle(self, request: web.Request, server: Loopback) -> web.StreamResponse:
        self.seen.append(server.seen[-1])
        if request.method == "DELETE":
            self.deletes += 1
            if self.deletes == 1:
                self.owned = not self.release_before_drop
                return drop(request)
            if not self.owned:
                return answer(403, NOT_OWNED)
            self.owned = False
            return answer(200, {"message": "number returned to inventory"})
        if request.path.endswith("/inventory/numbers"):
            self.inventory_checks += 1
            items = [] if self.owned else [NUMBER]
            return answer(200, {"items": items, "page": 1, "per_page": 100, "total": len(items)})
        items = [NUMBER | {"account_id": AUTH_ID}] if self.owned else []
        return answer(200, EMPTY_PAGE | {"items": items, "total": len(items)})


def release_path() -> str:
    return f"/api/v1/account/{AUTH_ID}/numbers/{quote_e164(E164)}"


async def test_plain_aiohttp_resends_the_dropped_delete_by_itself() -> None:
    """The premise: a bare aiohttp session sends this DELETE twice and shows only the 403."""
    shop = Shop()
    async with serve(shop.handle) as server, aiohttp.ClientSession() as session:
        async with session.get(f"{server.base_url}/v1/account/{AUTH_ID}/numbers") as warm:
            await warm.read()
        async with session.delete(URL(server.root + release_path(), encoded=True)) as reply:
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
    lookup that follows the drop, a search for the number, shows it released."""
    shop = Shop()
    async with (
        serve(shop.handle) as server,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, max_retries=0) as client,
    ):
        await _release_after_listing(client)
    assert shop.deletes == 1
    # The listing, the DELETE, then the lookup: gone from the account, back in inventory.
    assert shop.methods == ["GET", "DELETE", "GET", "GET"]
    assert shop.seen[2].query["search"] == E164
    assert shop.owned is False


async def test_aiohttps_retry_forced_back_on_hides_the_success_behind_not_owned() -> None:
    """Control: with aiohttp's switch forced back on, the client sees only the resend's 403."""
    shop = Shop()
    async with serve(shop.handle) as server, aiohttp.ClientSession() as session:
        client = AsyncClient(
            AUTH_ID, AUTH_TOKEN, base_url=server.base_url, session=session, max_retries=0
        )
        session._retry_connection = True  # undo what the client did
        async with client:
            with pytest.raises(PermissionDenied):
                await _release_after_listing(client)
    assert shop.methods == ["GET", "DELETE", "DELETE"]


async def test_with_retries_a_dropped_release_is_looked_up_not_resent() -> None:
    """Dropped after it was done: the lookup shows the number released, so one DELETE."""
    shop = Shop()
    policy, delays = no_sleep_policy(max_retries=3)
    async with (
        serve(shop.handle) as server,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, retry_policy=policy) as client,
    ):
        await _release_after_listing(client)
    assert shop.deletes == 1
    assert shop.inventory_checks == 1
    assert delays == []
    assert shop.owned is False


async def test_a_dropped_delete_still_owned_is_resent_after_the_lookup() -> None:
    """Dropped before it was done: the lookup shows it still owned, so it is resent, and works."""
    shop = Shop(release_before_drop=False)
    policy, delays = no_sleep_policy(max_retries=3)
    async with (
        serve(shop.handle) as server,
        AsyncClient(AUTH_ID, AUTH_TOKEN, base_url=server.base_url, retry_policy=policy) as client,
    ):
        await _release_after_listing(client)
    assert shop.methods == ["GET", "DELETE", "GET", "DELETE"]
    assert shop.seen[1].path == release_path()
    assert shop.seen[3].path == release_path()
    assert len(delays) == 1
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

        shop.owned, shop.deletes = True, 0
        policy, _ = no_sleep_policy(max_retries=3)
        async with AsyncClient(
            AUTH_ID, AUTH_TOKEN, base_url=server.base_url, session=session, retry_policy=policy
        ) as retrying:
            await _release_after_listing(retrying)
        assert shop.deletes == 1
        assert shop.owned is False
        assert not session.closed
