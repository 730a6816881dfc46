"""Helpers for the emulator's tests: raw aiohttp against a real server on loopback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
from support.samples import load_sample
from support.wire import quote_e164

from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo

SEED = 20240601


def parse(text: str) -> Any:
    """Parse JSON the way a careful client does: non-integers as Decimal."""
    return json.loads(text, parse_float=Decimal)


@dataclass
class Reply:
    status: int
    headers: Any
    text: str

    @property
    def body(self) -> Any:
        return parse(self.text) if self.text else None


@dataclass
class Api:
    """Raw HTTP against one emulator: the /api routes and the control API."""

    session: aiohttp.ClientSession
    info: EmulatorInfo

    @property
    def master(self) -> tuple[str, str]:
        return (self.info.auth_id, self.info.auth_token)

    @property
    def sub(self) -> tuple[str, str]:
        return self.info.subaccounts[0]

    @property
    def sub2(self) -> tuple[str, str]:
        return self.info.subaccounts[1]

    async def call(
        self,
        method: str,
        path: str,
        *,
        auth: tuple[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
        params: dict[str, str] | None = None,
        anonymous: bool = False,
    ) -> Reply:
        """``path`` is relative to the base URL (``/v1/...``); auth defaults to the master."""
        headers: dict[str, str] = {}
        if not anonymous:
            auth_id, token = auth or self.master
            headers = {"X-Auth-ID": auth_id, "X-Auth-Token": token}
        if json_body is not None:
            data = json.dumps(json_body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self.session.request(
            method, self.info.base_url + path, headers=headers, data=data, params=params
        ) as response:
            return Reply(response.status, response.headers, await response.text())

    async def control(self, method: str, path: str, body: Any = None) -> Reply:
        """Raw HTTP to the control API (``path`` under ``/_emulator``), for the tests of
        that API's own answers (statuses, error shapes); other calls go through ``ok``."""
        data = None if body is None else json.dumps(body)
        async with self.session.request(
            method, self.info.control_url + path, data=data
        ) as response:
            return Reply(response.status, response.headers, await response.text())

    async def ok(self, method: str, path: str, body: Any = None) -> Any:
        """A control API call that must succeed (the package's client); returns its JSON."""
        return await EmulatorControl(self.info.root_url, session=self.session).request(
            method, path, body
        )

    async def inventory(self, **params: str) -> list[dict[str, Any]]:
        reply = await self.call(
            "GET",
            f"/v1/account/{self.info.auth_id}/inventory/numbers",
            params={"per_page": "100", **params},
        )
        assert reply.status == 200, reply.text
        items: list[dict[str, Any]] = reply.body["items"]
        return items

    async def any_inventory_number(self) -> dict[str, Any]:
        items = await self.inventory()
        assert items, "the emulator has no inventory"
        return items[0]

    async def purchase(self, e164: str, *, auth: tuple[str, str] | None = None) -> Reply:
        return await self.purchase_on((auth or self.master)[0], e164, auth=auth)

    async def purchase_on(
        self, path_id: str, e164: str, *, auth: tuple[str, str] | None = None
    ) -> Reply:
        """Buy ``e164`` on ``path_id``'s path with ``auth``'s credentials."""
        return await self.call(
            "POST",
            f"/v1/account/{path_id}/numbers/purchase-from-inventory",
            auth=auth,
            json_body={"e164": e164},
        )

    async def buy(self, *, auth: tuple[str, str] | None = None) -> dict[str, Any]:
        """Buy some inventory number (must succeed); returns the purchased number."""
        number = await self.any_inventory_number()
        reply = await self.purchase(number["e164"], auth=auth)
        assert reply.status == 200, reply.text
        bought: dict[str, Any] = reply.body["number"]
        return bought

    async def balance(self, auth_id: str | None = None) -> Decimal:
        account = await self.ok("GET", f"/accounts/{auth_id or self.info.auth_id}")
        return Decimal(account["balance"])

    async def raw_number(self, e164: str) -> dict[str, Any]:
        row: dict[str, Any] = await self.ok("GET", "/numbers/" + quote_e164(e164))
        return row


def assert_envelope(reply: Reply, status: int, code: str | None = None) -> dict[str, Any]:
    """The reply is the documented envelope error with ``status`` (and ``code``)."""
    assert reply.status == status, reply.text
    body = reply.body
    assert set(body) == set(load_sample("error.envelope.json")), body
    assert body["status"] == "error"
    assert set(body["error"]) == {"code", "message", "details"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    assert body["requestId"] == reply.headers["X-Request-ID"]
    assert body["requestId"].startswith("req_")
    assert body["timestamp"].endswith("Z")
    if code is not None:
        assert body["error"]["code"] == code, body
    error: dict[str, Any] = body["error"]
    return error


def assert_flat(reply: Reply, status: int, error: str) -> str:
    """The reply is the documented flat error with ``status`` and ``error``."""
    assert reply.status == status, reply.text
    body = reply.body
    assert set(body) == set(load_sample("error.forbidden.json")), body
    assert body["error"] == error, body
    message: str = body["message"]
    assert message
    return message
