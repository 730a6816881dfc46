"""A small seeded fuzz over every route of the route table: never a 5xx.

Bounded: a fixed number of requests (and a time cap), on one emulator.
Faults are never switched on (no value in the pool is a rate in (0, 1]),
so a 5xx can only be a bug.
"""

from __future__ import annotations

import json
import random
import re
import time
from typing import Any

from support.wire import quote_e164

from phonenumbers_async.emulator._app import API_ROUTES, CONTROL_ROUTES

from ._helpers import Api

REQUESTS = 1500
TIME_CAP_SECONDS = 60.0
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    10**30,
    -(10**400),
    "",
    "x" * 300,
    "\u0000\ud7ff\U0001f4de",
    [],
    {},
    {"a": 1},
    "SA_X",
    "+919876543210",
    "2031-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    3e11,
]
KEYS = [
    "e164",
    "currency",
    "sub_account_id",
    "advance_seconds",
    "count",
    "owner",
    "country",
    "at",
    "balance",
    "is_admin",
    "enabled",
    "name",
    "auth_id",
    "parent_auth_id",
    "latency_ms",
    "seed",
    "owner_key",
    "",
]
PARAMS = ["page", "per_page", "limit", "offset", "include_subaccounts", "country", "search"]
PARAMS += ["size", "active_only", "force", "x"]
PARAM_VALUES = ["1", "0", "-3", "abc", "true", "", "IN", "+91", "9" * 30, "\u00e9", "%FF"]
CHARSETS = [None, "utf-8", "bogus", "rot13", "base64", "utf-16", ""]


def _raw_body(rng: random.Random) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:
        body = {rng.choice(KEYS): rng.choice(VALUES) for _ in range(rng.randrange(4))}
        return json.dumps(body).encode()
    if kind == 1:
        return rng.choice([b"{", b"[1]", b"null", b"\xff\xfe", b'{"a": NaN}', b"[" * 5000])
    if kind == 2:
        return b""
    if kind == 3:
        return json.dumps(rng.choice(VALUES)).encode()
    return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))


async def test_random_requests_over_every_route_never_get_a_5xx(api: Api) -> None:
    """1,500 seeded junk requests over every route (API and control) all answer below 500.

    Path parameters, query parameters, bodies, charsets and credentials are
    drawn from pools of valid and hostile values; every error answer is JSON
    with an ``error`` key.
    """
    rng = random.Random(20260601)
    owned = await api.buy()
    routes = [(route.method, route.path) for route in (*API_ROUTES, *CONTROL_ROUTES)]
    routes += [(r.method, alias) for r in API_ROUTES for alias in r.aliases]
    fill = {
        "auth_id": [api.info.auth_id, api.sub[0], "MA_NOPE", "x", "%00", "SA_" + "9" * 70],
        "e164": [quote_e164(owned["e164"]), owned["e164"][1:], "abc", "%2B0", "1" * 20, "%FF"],
        "sub_auth_id": [api.sub[0], api.sub2[0], "SA_NOPE", "%00"],
        "currency": ["INR", "USD", "inr", "x", "%00"],
    }
    root = api.info.root_url
    seen_routes: set[str] = set()
    started = time.monotonic()
    for index in range(REQUESTS):
        if time.monotonic() - started > TIME_CAP_SECONDS:
            break
        method, template = (
            routes[index % len(routes)] if index < len(routes) else rng.choice(routes)
        )
        seen_routes.add(f"{method} {template}")
        path = re.sub(r"\{(\w+)\}", lambda m: rng.choice(fill[m.group(1)]), template)
        params = {rng.choice(PARAMS): rng.choice(PARAM_VALUES) for _ in range(rng.randrange(3))}
        headers: dict[str, str] = {}
        auth = rng.choice([api.master, api.sub, (api.info.auth_id, "bad"), None])
        if auth is not None:
            headers = {"X-Auth-ID": auth[0], "X-Auth-Token": auth[1]}
        data = None
        if method in ("POST", "PATCH", "PUT") or rng.random() < 0.1:
            data = _raw_body(rng)
            charset = rng.choice(CHARSETS)
            headers["Content-Type"] = "application/json" + (
                f"; charset={charset}" if charset is not None else ""
            )
        async with api.session.request(
            method, root + path, params=params, data=data, headers=headers
        ) as response:
            body = await response.read()
            context = (method, path, params, data and data[:80], response.status, body[:300])
            assert response.status < 500, context
            assert response.headers["X-Request-ID"].startswith("req_"), context
            if response.status >= 400 and body:
                assert "error" in json.loads(body), context
    assert len(seen_routes) == len(routes)
