"""Fault injection: latency, 5xx, 429, the purchase faults, seeding, response variants."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import aiohttp
import pytest
from support.wire import quote_e164

from ._helpers import Api, assert_envelope, assert_flat


async def test_latency_is_measurable(api: Api) -> None:
    """latency_ms delays every /api request by at least that long; clearing removes it."""
    path = f"/v1/account/{api.info.auth_id}/numbers"
    await api.ok("POST", "/faults", {"latency_ms": 150})
    start = time.perf_counter()
    assert (await api.call("GET", path)).status == 200
    slow = time.perf_counter() - start
    assert slow >= 0.15
    await api.ok("DELETE", "/faults")
    start = time.perf_counter()
    assert (await api.call("GET", path)).status == 200
    assert time.perf_counter() - start < slow


async def test_jitter_adds_a_bounded_random_delay(api: Api) -> None:
    """jitter_ms adds between 0 and jitter_ms on top of latency_ms."""
    await api.ok("POST", "/faults", {"latency_ms": 20, "jitter_ms": 60, "seed": 3})
    path = f"/v1/account/{api.info.auth_id}/numbers"
    durations = []
    for _ in range(4):
        start = time.perf_counter()
        await api.call("GET", path)
        durations.append(time.perf_counter() - start)
    assert all(d >= 0.02 for d in durations)
    assert max(durations) < 1.0


async def test_control_api_is_not_delayed(api: Api) -> None:
    """Faults apply to /api only: the control API stays fast and never fails."""
    await api.ok("POST", "/faults", {"latency_ms": 2000, "error_rate": 1, "rate_limit_rate": 1})
    start = time.perf_counter()
    assert (await api.ok("GET", "/ledger"))["items"] == []
    assert time.perf_counter() - start < 1.0
    await api.ok("DELETE", "/faults")


async def test_error_rate_one_gives_5xx_without_side_effects(api: Api) -> None:
    """error_rate=1: every /api request gets a 5xx envelope and nothing is purchased."""
    number = await api.any_inventory_number()
    before = await api.balance()
    await api.ok("POST", "/faults", {"error_rate": 1})
    statuses = set()
    for _ in range(12):
        reply = await api.purchase(number["e164"])
        assert reply.status in (500, 502, 503, 504)
        assert_envelope(reply, reply.status)
        statuses.add(reply.status)
    assert len(statuses) > 1, "the 5xx status should vary"
    assert await api.balance() == before
    assert (await api.ok("GET", "/ledger"))["items"] == []
    assert (await api.raw_number(number["e164"]))["owner"] is None
    stats = await api.ok("GET", "/stats")
    assert stats["purchases_committed"] == 0
    await api.ok("DELETE", "/faults")
    assert (await api.purchase(number["e164"])).status == 200


@pytest.mark.parametrize(("error_body", "content_type"), [("html", "text/html"), ("empty", None)])
async def test_error_body_variants(api: Api, error_body: str, content_type: str | None) -> None:
    """error_body=html/empty makes injected 5xx look like a gateway page or an empty body."""
    await api.ok("POST", "/faults", {"error_rate": 1, "error_body": error_body})
    reply = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers")
    assert reply.status >= 500
    if content_type is None:
        assert reply.text == ""
    else:
        assert reply.headers["Content-Type"].startswith(content_type)
        assert "<html>" in reply.text


async def test_rate_limit_gives_429_with_retry_after(api: Api) -> None:
    """rate_limit_rate=1: 429 envelope RATE_LIMITED with Retry-After: <retry_after>."""
    number = await api.any_inventory_number()
    await api.ok("POST", "/faults", {"rate_limit_rate": 1, "retry_after": 3})
    reply = await api.purchase(number["e164"])
    error = assert_envelope(reply, 429, "RATE_LIMITED")
    assert reply.headers["Retry-After"] == "3"
    assert error["details"] == {"retry_after": 3}
    assert (await api.raw_number(number["e164"]))["owner"] is None
    await api.ok("POST", "/faults", {"retry_after": 0})
    zero = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers")
    assert zero.headers["Retry-After"] == "0"


async def test_default_retry_after_is_one_second(api: Api) -> None:
    """Without retry_after, Retry-After is 1."""
    await api.ok("POST", "/faults", {"rate_limit_rate": 1})
    reply = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "1"


async def test_commit_then_500_commits_and_answers_500(api: Api) -> None:
    """commit_then_500: the client sees 500, but the number is bought and debited once."""
    await api.ok("POST", "/faults", {"purchase_fault": "commit_then_500"})
    number = await api.any_inventory_number()
    before = await api.balance()
    reply = await api.purchase(number["e164"])
    assert_envelope(reply, 500)
    assert (await api.raw_number(number["e164"]))["owner"] == api.info.auth_id
    ledger = (await api.ok("GET", "/ledger"))["items"]
    assert [row["e164"] for row in ledger] == [number["e164"]]
    cost = Decimal(number["setup_fee"]) + Decimal(number["monthly_fee"])
    assert before - await api.balance() == cost
    # A blind retry is told 404 although this account bought the number.
    assert (await api.purchase(number["e164"])).status == 404
    assert (await api.ok("GET", "/stats"))["purchases_committed"] == 1


async def test_no_commit_then_500_changes_nothing(api: Api) -> None:
    """no_commit_then_500: the client sees 500 and the number is still in inventory."""
    await api.ok("POST", "/faults", {"purchase_fault": "no_commit_then_500"})
    number = await api.any_inventory_number()
    before = await api.balance()
    reply = await api.purchase(number["e164"])
    assert_envelope(reply, 500)
    assert (await api.raw_number(number["e164"]))["owner"] is None
    assert (await api.ok("GET", "/ledger"))["items"] == []
    assert await api.balance() == before


async def test_commit_then_drop_commits_and_drops_the_connection(api: Api) -> None:
    """commit_then_drop: the client gets a connection error, yet the purchase committed."""
    await api.ok("POST", "/faults", {"purchase_fault": "commit_then_drop"})
    number = await api.any_inventory_number()
    with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)):
        await api.purchase(number["e164"])
    assert (await api.raw_number(number["e164"]))["owner"] == api.info.auth_id
    ledger = (await api.ok("GET", "/ledger"))["items"]
    assert [row["e164"] for row in ledger] == [number["e164"]]
    stats = await api.ok("GET", "/stats")
    assert stats["purchases_committed"] == 1
    assert stats["statuses"]["dropped"] == 1


async def test_purchase_fault_count_limits_the_faults(api: Api) -> None:
    """purchase_fault_count=1 faults one purchase; the next one answers normally."""
    await api.ok(
        "POST", "/faults", {"purchase_fault": "commit_then_500", "purchase_fault_count": 1}
    )
    first, second = (await api.inventory())[:2]
    assert (await api.purchase(first["e164"])).status == 500
    assert (await api.purchase(second["e164"])).status == 200
    faults = await api.ok("GET", "/faults")
    assert faults["purchase_faults_applied"] == 1
    assert len((await api.ok("GET", "/ledger"))["items"]) == 2


async def test_purchase_fault_is_not_spent_on_a_failed_purchase(api: Api) -> None:
    """A commit_then_* fault applies to a purchase that commits, not to a 404."""
    await api.ok(
        "POST", "/faults", {"purchase_fault": "commit_then_500", "purchase_fault_count": 1}
    )
    assert (await api.purchase("+15550000002")).status == 404
    number = await api.any_inventory_number()
    assert (await api.purchase(number["e164"])).status == 500


async def test_purchase_fault_rate(api: Api) -> None:
    """purchase_fault_rate=0 never faults; the fault applies only when drawn."""
    await api.ok(
        "POST", "/faults", {"purchase_fault": "no_commit_then_500", "purchase_fault_rate": 0}
    )
    assert (await api.buy())["account_id"] == api.info.auth_id


async def _status_sequence(api: Api, seed: int) -> list[int]:
    await api.ok("POST", "/faults", {"error_rate": 0.4, "rate_limit_rate": 0.2, "seed": seed})
    path = f"/v1/account/{api.info.auth_id}/numbers"
    return [(await api.call("GET", path)).status for _ in range(30)]


async def test_seed_makes_random_faults_reproducible(api: Api) -> None:
    """The same seed gives the same sequence of statuses; another seed a different one."""
    first = await _status_sequence(api, 42)
    second = await _status_sequence(api, 42)
    assert first == second
    assert 200 in first
    assert 429 in first
    assert any(status >= 500 for status in first)
    other = await _status_sequence(api, 43)
    assert other != first


async def test_get_and_delete_faults(api: Api) -> None:
    """GET shows the merged configuration; DELETE restores the defaults."""
    defaults = await api.ok("GET", "/faults")
    assert defaults["error_rate"] == 0
    assert defaults["purchase_fault"] is None
    await api.ok("POST", "/faults", {"latency_ms": 5})
    merged = await api.ok("POST", "/faults", {"error_rate": 0.25, "owner_key": "auth_id"})
    assert merged["latency_ms"] == 5
    assert merged["error_rate"] == Decimal("0.25")
    assert merged["owner_key"] == "auth_id"
    assert (await api.ok("GET", "/faults")) == merged
    cleared = await api.ok("DELETE", "/faults")
    assert cleared == defaults


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 2},
        {"error_rate": -0.1},
        {"error_rate": "0.5"},
        {"latency_ms": True},
        {"latency_ms": -1},
        {"purchase_fault": "explode"},
        {"purchase_fault_count": -1},
        {"purchase_fault_count": 1.5},
        {"retry_after": "soon"},
        {"owner_key": "owner"},
        {"release_status": 201},
        {"unassign_status": 500},
        {"purchase_items": "yes"},
        {"seed": "abc"},
        {"no_such_knob": 1},
    ],
)
async def test_invalid_fault_settings_are_400(api: Api, body: dict[str, object]) -> None:
    """An invalid or unknown fault setting is refused with 400 and changes nothing."""
    before = await api.ok("GET", "/faults")
    reply = await api.control("POST", "/faults", {"latency_ms": 7, **body})
    assert reply.status == 400
    assert set(reply.body) == {"error", "message"}
    assert await api.ok("GET", "/faults") == before


async def test_faulted_requests_are_counted(api: Api) -> None:
    """Stats count every /api request the server saw, faulted or not."""
    await api.ok("DELETE", "/stats")
    await api.ok("POST", "/faults", {"error_rate": 1})
    path = f"/v1/account/{api.info.auth_id}/numbers"
    for _ in range(3):
        await api.call("GET", path)
    await api.ok("DELETE", "/faults")
    await api.call("GET", path)
    stats = await api.ok("GET", "/stats")
    assert stats["requests"] == {"GET /api/v1/account/{auth_id}/numbers": 4}
    assert stats["requests_total"] == 4
    assert stats["statuses"]["200"] == 1
    assert sum(v for k, v in stats["statuses"].items() if k.startswith("5")) == 3


async def test_release_commit_then_drop_sends_no_response(api: Api) -> None:
    """release_fault=commit_then_drop: the server closes the socket without a byte of response."""
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    bought = await api.buy()
    await api.ok("POST", "/faults", {"release_fault": "commit_then_drop"})
    path = f"/api/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}"
    reader, writer = await asyncio.open_connection("127.0.0.1", api.info.port)
    try:
        writer.write(
            f"DELETE {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-Auth-ID: {api.info.auth_id}\r\nX-Auth-Token: {api.info.auth_token}\r\n"
            "Content-Length: 0\r\n\r\n".encode()
        )
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 10) == b""
    finally:
        writer.close()
        await writer.wait_closed()
    assert (await api.raw_number(bought["e164"]))["owner"] is None
    assert (await api.ok("GET", "/faults"))["release_faults_applied"] == 1


async def test_release_drop_shows_aiohttps_hidden_retry(api: Api) -> None:
    """After a dropped DELETE aiohttp silently resends it: the client sees only the 403."""
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    bought = await api.buy()
    await api.ok("DELETE", "/stats")
    await api.ok("POST", "/faults", {"release_fault": "commit_then_drop", "release_fault_count": 1})
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}"
    reply = await api.call("DELETE", path)
    assert_flat(reply, 403, "forbidden")
    stats = await api.ok("GET", "/stats")
    assert stats["requests"]["DELETE /api/v1/account/{auth_id}/numbers/{e164}"] == 2
    assert (await api.raw_number(bought["e164"]))["owner"] is None


@pytest.mark.parametrize(
    ("fault", "status", "moved"),
    [("commit_then_500", 500, True), ("no_commit_then_500", 500, False)],
)
async def test_unassign_faults(api: Api, fault: str, status: int, moved: bool) -> None:
    """unassign_fault: commit_then_500 moves the number and answers 500; no_commit does not."""
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    assert (await api.call("POST", path, json_body={"sub_account_id": api.sub[0]})).status == 200
    await api.ok("POST", "/faults", {"unassign_fault": fault})
    reply = await api.call("DELETE", path)
    assert_envelope(reply, status)
    owner = (await api.raw_number(bought["e164"]))["owner"]
    assert owner == (api.info.auth_id if moved else api.sub[0])


async def test_release_no_commit_then_500_keeps_the_number(api: Api) -> None:
    """release_fault=no_commit_then_500 answers 500 and the account still owns the number."""
    bought = await api.buy()
    await api.ok("POST", "/faults", {"release_fault": "no_commit_then_500"})
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}"
    assert_envelope(await api.call("DELETE", path), 500)
    assert (await api.raw_number(bought["e164"]))["owner"] == api.info.auth_id
