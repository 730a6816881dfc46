"""Nothing a client sends gives a 500: charsets, header bytes, control-API values.

And a 500 that does escape (a bug) is JSON and leaves the server serving.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from support.database import open_database
from support.wire import quote_e164

from phonenumbers_async.emulator import EmulatorInfo, run_emulator

from ._helpers import Api, assert_envelope, assert_flat

CHARSETS = ["bogus", "rot13", "base64", "utf-16", "latin-1", '"', ""]


def _body_routes(api: Api, e164: str) -> list[tuple[str, str, object]]:
    """Every route that takes a body: (method, full URL, a valid body)."""
    base = api.info.base_url + f"/v1/account/{api.info.auth_id}/numbers"
    control = api.info.control_url
    return [
        ("POST", base + "/purchase-from-inventory", {"e164": e164}),
        ("POST", base + f"/{quote_e164(e164)}/assign-subaccount", {"sub_account_id": api.sub[0]}),
        ("POST", control + "/clock", {"advance_seconds": 1}),
        ("POST", control + "/numbers", {"count": 1}),
        ("POST", control + f"/numbers/{quote_e164(e164)}/calls", {}),
        ("POST", control + "/accounts", {"name": "x"}),
        ("PATCH", control + f"/accounts/{api.info.auth_id}", {"balance": 5}),
        ("POST", control + "/faults", {"latency_ms": 0}),
    ]


@pytest.mark.parametrize("charset", CHARSETS)
async def test_a_charset_that_is_not_utf8_is_a_4xx_on_every_route_with_a_body(
    api: Api, charset: str
) -> None:
    """``Content-Type: application/json; charset=bogus`` (rot13, base64…) is 415, never a 500.

    An empty ``charset=`` parameter is no charset at all and reads as UTF-8.
    """
    bought = await api.buy()
    for method, url, body in _body_routes(api, bought["e164"]):
        headers = {
            "X-Auth-ID": api.info.auth_id,
            "X-Auth-Token": api.info.auth_token,
            "Content-Type": f"application/json; charset={charset}",
        }
        async with api.session.request(
            method, url, data=json.dumps(body).encode(), headers=headers
        ) as response:
            text = await response.text(encoding="utf-8")
            assert response.status < 500, (url, text)
            assert response.content_type == "application/json"
            if charset:
                assert response.status == 415, (url, text)
                assert "UTF-8" in text


async def test_utf8_charset_labels_are_accepted(api: Api) -> None:
    """``charset=utf-8`` (any case) and ``us-ascii`` are UTF-8: the purchase goes through."""
    for label in ("UTF-8", "utf8", "us-ascii"):
        number = await api.any_inventory_number()
        async with api.session.post(
            api.info.base_url + f"/v1/account/{api.info.auth_id}/numbers/purchase-from-inventory",
            data=json.dumps({"e164": number["e164"]}).encode(),
            headers={
                "X-Auth-ID": api.info.auth_id,
                "X-Auth-Token": api.info.auth_token,
                "Content-Type": f"application/json; charset={label}",
            },
        ) as response:
            assert response.status == 200, await response.text()


async def _raw_request(info: EmulatorInfo, head: bytes) -> tuple[int, bytes]:
    """Send raw request bytes on a socket; the status and body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", info.port)
    try:
        writer.write(head)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
        await writer.wait_closed()
    status_line, _, rest = answer.partition(b"\r\n")
    body = rest.partition(b"\r\n\r\n")[2]
    return int(status_line.split()[1]), body


@pytest.mark.parametrize(
    "token",
    [b"\xff\xfe\xfd", b"tok\xc3\x28en", b"\x80" * 40, "ü".encode("latin-1"), b"\xe2\x82"],
)
async def test_non_utf8_bytes_in_the_token_header_are_401(emu: EmulatorInfo, token: bytes) -> None:
    """An ``X-Auth-Token`` (or ``X-Auth-ID``) with non-UTF-8 bytes is a 401 envelope, not a 500."""
    for auth_id, secret in ((emu.auth_id.encode(), token), (token, emu.auth_token.encode())):
        head = (
            b"GET /api/v1/account/" + emu.auth_id.encode() + b"/numbers HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nX-Auth-ID: " + auth_id + b"\r\nX-Auth-Token: " + secret + b"\r\n"
            b"Connection: close\r\n\r\n"
        )
        status, body = await _raw_request(emu, head)
        assert status == 401, body
        assert json.loads(body)["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    "advance",
    [3e11, 10**400, "1e400", -1, True, None, [], {"n": 1}, 4e9],
)
async def test_clock_moves_are_bounded_and_a_refused_one_changes_nothing(
    api: Api, advance: object
) -> None:
    """``advance_seconds`` of 3e11 (huge, negative, non-numeric) is a 400; the clock still works."""
    before = await api.ok("GET", "/clock")
    reply = await api.control("POST", "/clock", {"advance_seconds": advance})
    assert_flat(reply, 400, "bad_request")
    after = await api.ok("GET", "/clock")
    assert after["offset_seconds"] == before["offset_seconds"]
    listing = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers")
    assert listing.status == 200, listing.text
    assert_envelope(await api.call("GET", "/v1/account/x/numbers", anonymous=True), 401)


@pytest.mark.parametrize("raw", [b'{"advance_seconds": NaN}', b'{"advance_seconds": Infinity}'])
async def test_nan_and_infinity_are_400(api: Api, raw: bytes) -> None:
    """JSON's non-standard NaN/Infinity constants are refused as invalid JSON (400)."""
    async with api.session.post(api.info.control_url + "/clock", data=raw) as response:
        assert response.status == 400


async def test_a_clock_move_past_the_latest_time_is_refused(api: Api) -> None:
    """Moves add up, but the clock never passes 9000-01-01: the move that would is a 400."""
    limit_hits = 0
    for _ in range(80):  # 80 moves of ~100 years reach past the year 9000
        reply = await api.control("POST", "/clock", {"advance_seconds": 3_000_000_000})
        if reply.status == 400:
            limit_hits += 1
            break
        assert reply.status == 200, reply.text
    assert limit_hits == 1
    now = (await api.ok("GET", "/clock"))["now"]
    assert now < "9000-01-01"
    bought = await api.buy()
    assert bought["purchased_at"] < "9000-02-01"


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1969-12-31"])
async def test_call_timestamps_are_bounded(api: Api, at: str) -> None:
    """A call recorded at 9999-12-31 (or before 1970) is a 400, and the number stays usable."""
    e164 = (await api.ok("POST", "/numbers", {"count": 1, "owner": api.sub[0]}))["numbers"][0]
    reply = await api.control("POST", f"/numbers/{quote_e164(e164)}/calls", {"at": at})
    assert_flat(reply, 400, "bad_request")
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(e164)}/assign-subaccount"
    assert (await api.call("DELETE", path)).status == 200


async def test_a_stored_far_future_call_does_not_break_unassign(tmp_path: Path) -> None:
    """A last call at 9999-12-31 already in the database (an older emulator wrote it): a 409."""
    db = tmp_path / "old.sqlite3"
    async with run_emulator(db_path=db, seed_inventory=0) as info, aiohttp.ClientSession() as s:
        api = Api(s, info)
        e164 = (await api.ok("POST", "/numbers", {"count": 1, "owner": api.sub[0]}))["numbers"][0]
        with open_database(db) as other_writer:
            other_writer.execute(
                "UPDATE numbers SET last_call_at = '9999-12-31T23:59:59Z' WHERE e164 = ?", (e164,)
            )
        path = f"/v1/account/{info.auth_id}/numbers/{quote_e164(e164)}/assign-subaccount"
        reply = await api.call("DELETE", path)
        assert reply.status == 409, reply.text
        assert reply.body["error"] == "did_cool_off_in_effect"
        forced = await api.call("DELETE", path, params={"force": "true"})
        assert forced.status == 200, forced.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/accounts/{master}", {"balance": 10**400}),
        ("PATCH", "/accounts/{master}", {"balance": "1e999999999"}),
        ("PATCH", "/accounts/{master}", {"balance": "NaN"}),
        ("PATCH", "/accounts/{master}", {"balance": "Infinity"}),
        ("PATCH", "/accounts/{master}", {"enabled": 1}),
        ("POST", "/accounts", {"balance": "-0.5"}),
        ("POST", "/accounts", {"name": "x" * 10_000}),
        ("POST", "/accounts", {"parent_auth_id": 5}),
        ("POST", "/accounts", {"currency": None, "auth_id": "SA_" + "x" * 100}),
        ("POST", "/numbers", {"count": 10**400}),
        ("POST", "/numbers", {"count": 1.5}),
        ("POST", "/numbers", {"count": True}),
        ("POST", "/numbers", {"count": 1, "owner": 7}),
        ("POST", "/faults", {"latency_ms": 10**400}),
        ("POST", "/faults", {"error_rate": "1e400"}),
        ("POST", "/faults", {"retry_after": 1e308}),
        ("POST", "/faults", {"purchase_fault_count": -(10**400)}),
        ("POST", "/faults", {"owner_key": ["account_id"]}),
        ("POST", "/faults", {"release_status": True}),
        ("POST", "/numbers/%2B919876543210/calls", {"at": 12}),
        ("POST", "/numbers/%2B919876543210/calls", {"at": "9" * 70}),
        ("POST", "/clock", [1]),
    ],
)
async def test_bad_control_values_are_400(api: Api, method: str, path: str, body: object) -> None:
    """Huge, non-finite or mistyped control-API values are a flat 400 (or 404), never a 500."""
    reply = await api.control(method, path.format(master=api.info.auth_id), body)
    assert reply.status in (400, 404), reply.text
    assert set(reply.body) == {"error", "message"}
    account = await api.ok("GET", f"/accounts/{api.info.auth_id}")
    assert len(str(account["balance"])) < 40


async def test_a_seed_beyond_64_bits_is_reported_back(api: Api) -> None:
    """A fault seed beyond 64 bits is accepted and echoed (the JSON writer handles any int)."""
    reply = await api.control("POST", "/faults", {"seed": 10**30})
    assert reply.status == 200, reply.text
    assert reply.body["seed"] == 10**30


async def test_an_escaped_500_is_json_and_the_server_keeps_serving(
    emu: EmulatorInfo, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the store (here: a raising clock) answers a JSON 500; the next request is fine."""
    from phonenumbers_async.emulator import _api

    calls = 0

    def broken(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        raise OverflowError("date value out of range")

    monkeypatch.setattr(_api, "number_page", broken)
    reply = await api.call("GET", f"/v1/account/{emu.auth_id}/numbers")
    assert calls == 1
    error = assert_envelope(reply, 500, "INTERNAL_ERROR")
    assert "out of range" not in error["message"]
    monkeypatch.undo()
    again = await api.call("GET", f"/v1/account/{emu.auth_id}/numbers")
    assert again.status == 200


async def test_cool_off_arithmetic_is_bounded(api: Api) -> None:
    """A call recorded at the latest allowed time still gives a clean cool-off answer."""
    e164 = (await api.ok("POST", "/numbers", {"count": 1, "owner": api.sub[0]}))["numbers"][0]
    await api.ok("POST", f"/numbers/{quote_e164(e164)}/calls", {"at": "9000-01-01T00:00:00Z"})
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(e164)}/assign-subaccount"
    reply = await api.call("DELETE", path)
    assert reply.status == 409
    assert reply.body["cool_off_until"].startswith("9000-01-16")
    assert reply.body["cool_off_remaining_seconds"] > timedelta(days=365).total_seconds()
