"""Bad input gets a documented 4xx, never a 500; an unexpected error becomes a 500 envelope."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from support.wire import quote_e164

from phonenumbers_async.emulator import EmulatorOptions, Store, create_app
from phonenumbers_async.emulator._seed import prepare_store

from ._helpers import Api, assert_envelope, assert_flat

PURCHASE = "/v1/account/{auth_id}/numbers/purchase-from-inventory"


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b"   ",
        b'{"e164": "+919876543210"',
        b"\xff\xfe\x00garbage",
        b'{"e164": NaN}',
        b"[" * 50_000 + b"]" * 50_000,
    ],
)
async def test_malformed_json_is_400_envelope(api: Api, raw: bytes) -> None:
    """A body that is not JSON gives 400 INVALID_JSON in the envelope."""
    reply = await api.call("POST", PURCHASE.format(auth_id=api.info.auth_id), data=raw)
    assert_envelope(reply, 400, "INVALID_JSON")


@pytest.mark.parametrize(
    "body",
    [
        [],
        "a string",
        42,
        {"e164": 919876543210},
        {"e164": None},
        {"e164": ["+919876543210"]},
        {"e164": True},
        {"e164": "+919876543210", "currency": 5},
        {"e164": "+919876543210", "currency": "rupees"},
        {"e164": "+919876543210", "extra": 1},
        {"number": "+919876543210"},
        {},
        {"e164": "+0919876543210"},
        {"e164": "+91abc"},
        {"e164": "+1234567890123456"},
    ],
)
async def test_invalid_purchase_body_is_422_envelope(api: Api, body: object) -> None:
    """Wrong types, unknown or missing fields, a malformed number: 422 VALIDATION_ERROR."""
    reply = await api.call("POST", PURCHASE.format(auth_id=api.info.auth_id), json_body=body)
    assert_envelope(reply, 422, "VALIDATION_ERROR")
    assert (await api.ok("GET", "/ledger"))["items"] == []


async def test_unknown_field_is_named_in_the_details(api: Api) -> None:
    """The 422 for an unknown field says which field."""
    number = await api.any_inventory_number()
    reply = await api.call(
        "POST",
        PURCHASE.format(auth_id=api.info.auth_id),
        json_body={"e164": number["e164"], "quantity": 2},
    )
    error = assert_envelope(reply, 422)
    assert error["details"]["unknown_fields"] == ["quantity"]


@pytest.mark.parametrize(
    "body",
    [{}, {"sub_account_id": 7}, {"sub_account_id": "MA_X"}, {"sub_account_id": "SA_1", "x": 1}],
)
async def test_invalid_assign_body_is_422(api: Api, body: object) -> None:
    """Assign with a missing, mistyped or malformed sub_account_id gives 422."""
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    reply = await api.call("POST", path, json_body=body)
    assert_envelope(reply, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "1000"},
        {"per_page": "101"},
        {"per_page": "abc"},
        {"per_page": "0"},
        {"per_page": "-5"},
        {"per_page": "2.5"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "one"},
        {"page": "9" * 40},
        {"limit": "1000"},
        {"limit": "0"},
        {"offset": "-1"},
        {"include_subaccounts": "maybe"},
    ],
)
async def test_bad_listing_parameters_are_400(api: Api, params: dict[str, str]) -> None:
    """Out-of-range or non-integer paging parameters give 400 INVALID_PARAMETER."""
    reply = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers", params=params)
    error = assert_envelope(reply, 400, "INVALID_PARAMETER")
    assert error["details"]["parameter"] in params


@pytest.mark.parametrize(
    "params",
    [{"country": "India"}, {"country": "1N"}, {"search": "abc"}, {"search": "9" * 20}],
)
async def test_bad_inventory_filters_are_400(api: Api, params: dict[str, str]) -> None:
    """A country that is not two letters, or a search that is not digits, gives 400."""
    reply = await api.call(
        "GET", f"/v1/account/{api.info.auth_id}/inventory/numbers", params=params
    )
    assert_envelope(reply, 400, "INVALID_PARAMETER")


@pytest.mark.parametrize(
    "params", [{"size": "1000"}, {"size": "0"}, {"page": "x"}, {"active_only": "perhaps"}]
)
async def test_bad_sub_account_parameters_are_400(api: Api, params: dict[str, str]) -> None:
    """Bad size/page/active_only on the sub-account list gives 400."""
    reply = await api.call("GET", f"/v1/accounts/{api.info.auth_id}/sub-accounts/", params=params)
    assert_envelope(reply, 400, "INVALID_PARAMETER")


@pytest.mark.parametrize(
    "segment",
    [
        "abc",
        "%2B91abc0000000",
        "%2B" + "1" * 16,
        "1" * 16,
        "%2B0123456789",
        "0123456789",
        "%2B",
        "%2B%2B919876543210",
        "%20",
        "%2B12",
        "91987654321%00",
        "%E2%98%8E",
    ],
)
async def test_malformed_e164_in_path_is_400(api: Api, segment: str) -> None:
    """Letters, too many digits, a leading zero or junk in the path number: 400, never 500."""
    for method, suffix in (
        ("DELETE", ""),
        ("POST", "/assign-subaccount"),
        ("DELETE", "/assign-subaccount"),
    ):
        path = f"/v1/account/{api.info.auth_id}/numbers/{segment}{suffix}"
        body = {"sub_account_id": api.sub[0]} if method == "POST" else None
        reply = await api.call(method, path, json_body=body)
        assert_envelope(reply, 400, "INVALID_NUMBER")


async def test_bad_force_value_is_400(api: Api) -> None:
    """force must be a boolean."""
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    reply = await api.call("DELETE", path, params={"force": "definitely"})
    assert_envelope(reply, 400, "INVALID_PARAMETER")


async def test_wrong_method_is_a_4xx(api: Api) -> None:
    """A method a route does not have gives 405 in the flat shape, not a 500."""
    reply = await api.call("PUT", f"/v1/account/{api.info.auth_id}/numbers")
    assert_flat(reply, 405, "method_not_allowed")


async def test_oversized_body_is_413_envelope(api: Api) -> None:
    """A body over the server's limit gives a 413 envelope."""
    reply = await api.call(
        "POST",
        PURCHASE.format(auth_id=api.info.auth_id),
        data=io.BytesIO(b'"' + b"x" * 3_000_000 + b'"'),
    )
    assert_envelope(reply, 413)


async def test_control_api_bad_input_is_400(api: Api) -> None:
    """The control API answers bad input with 400/404 in the flat shape."""
    cases = [
        ("POST", "/clock", {"advance_seconds": "lots"}),
        ("POST", "/clock", {"advance_seconds": -5}),
        ("POST", "/clock", {}),
        ("POST", "/numbers", {"count": -1}),
        ("POST", "/numbers", {"count": 1, "country": "XX"}),
        ("POST", "/numbers", {"count": 1, "owner": "MA_NOBODY"}),
        ("POST", "/numbers/abc/calls", {}),
        ("POST", "/numbers/%2B919876543210/calls", {"at": "yesterday"}),
        ("PATCH", f"/accounts/{api.info.auth_id}", {"balance": "lots"}),
        ("PATCH", f"/accounts/{api.info.auth_id}", {"balance": -1}),
        ("PATCH", f"/accounts/{api.info.auth_id}", {"is_admin": "yes"}),
    ]
    for method, path, body in cases:
        reply = await api.control(method, path, body)
        assert reply.status in (400, 404), (path, body, reply.text)
        assert set(reply.body) == {"error", "message"}
    for junk in (b"{nope", b"\xff\xfe", b"[1, 2]"):
        async with api.session.post(api.info.control_url + "/clock", data=junk) as raw:
            assert raw.status == 400
    missing = await api.control("POST", "/numbers/%2B15550000009/calls", {})
    assert_flat(missing, 404, "not_found")


@pytest.fixture
async def broken_server() -> AsyncIterator[tuple[str, str, str]]:
    """An emulator app with one extra route that raises, to exercise the catch-all."""
    store = Store()
    auth_id, token, _ = prepare_store(
        store, EmulatorOptions(seed_inventory=1, subaccounts=0, seed=1)
    )
    app = create_app(store)

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("boom: a bug in a handler")

    app.router.add_get("/api/v1/boom", boom)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", auth_id, token
    finally:
        await runner.cleanup()
        store.close()
        store.close()


async def test_unexpected_exception_becomes_a_500_envelope_and_is_logged(
    broken_server: tuple[str, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A handler bug answers a 500 envelope with a request id (no traceback) and logs it."""
    root, _, _ = broken_server
    with caplog.at_level(logging.ERROR, logger="phonenumbers_async.emulator"):
        async with aiohttp.ClientSession() as session, session.get(root + "/api/v1/boom") as resp:
            text = await resp.text()
            status, headers = resp.status, resp.headers
    reply_body = json.loads(text)
    assert status == 500
    assert reply_body["status"] == "error"
    assert reply_body["error"]["code"] == "INTERNAL_ERROR"
    assert reply_body["requestId"] == headers["X-Request-ID"]
    assert "Traceback" not in text
    assert "boom" not in text
    assert any("boom" in (record.exc_text or "") or record.exc_info for record in caplog.records)


async def test_randomised_junk_never_gives_a_500(api: Api) -> None:
    """300 seeded random junk requests over every route: always a 2xx/4xx, never a 5xx."""
    import random

    rng = random.Random(1234)
    owned = await api.buy()
    numbers = [owned["e164"], owned["e164"][1:], quote_e164(owned["e164"]), "abc", "%2B0", "1" * 20]
    values: list[object] = [None, True, 0, -1, 1.5, "", "x" * 300, [], {}, {"a": 1}, "SA_X", 10**30]
    keys = ["e164", "currency", "sub_account_id", "force", "extra", ""]
    templates = [
        ("GET", "/v1/account/{a}/numbers"),
        ("GET", "/v1/Account/{a}/inventory/numbers"),
        ("POST", "/v1/account/{a}/numbers/purchase-from-inventory"),
        ("DELETE", "/v1/account/{a}/numbers/{n}"),
        ("POST", "/v1/account/{a}/numbers/{n}/assign-subaccount"),
        ("DELETE", "/v1/account/{a}/numbers/{n}/assign-subaccount"),
        ("GET", "/v1/accounts/{a}/sub-accounts/"),
        ("GET", "/v1/accounts/{a}/sub-accounts/{s}"),
    ]
    params_pool = ["page", "per_page", "limit", "offset", "include_subaccounts", "country"]
    params_pool += ["search", "size", "active_only", "force"]
    for _ in range(300):
        method, template = rng.choice(templates)
        path = template.format(
            a=rng.choice([api.info.auth_id, api.sub[0], "MA_NOPE", "x"]),
            n=rng.choice(numbers),
            s=rng.choice([api.sub[0], "SA_NOPE", "%00"]),
        )
        params = {
            rng.choice(params_pool): rng.choice(["1", "0", "-3", "abc", "true", "", "IN", "+91"])
            for _ in range(rng.randrange(3))
        }
        body = None
        if method == "POST":
            body = {rng.choice(keys): rng.choice(values) for _ in range(rng.randrange(3))}
        auth = rng.choice([api.master, api.sub, (api.info.auth_id, "bad")])
        reply = await api.call(method, path, auth=auth, json_body=body, params=params)
        assert reply.status < 500, (method, path, params, body, reply.text)
        assert reply.headers["X-Request-ID"].startswith("req_")
        if reply.text:
            parsed = reply.body
            assert isinstance(parsed, dict)
            if reply.status >= 400:
                assert "error" in parsed
