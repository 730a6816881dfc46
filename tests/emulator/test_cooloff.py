"""Assign/unassign and the 15-day cool-off table of wire-api.md, on the emulator's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.samples import load_sample
from support.wire import quote_e164

from ._helpers import Api, assert_flat

DAY = 86400


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def emulator_now(api: Api) -> datetime:
    return parse_iso((await api.ok("GET", "/clock"))["now"])


async def assigned_number(api: Api) -> tuple[str, str]:
    """Buy a number as the master and assign it to the first sub-account; (e164, path)."""
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    reply = await api.call("POST", path, json_body={"sub_account_id": api.sub[0]})
    assert reply.status == 200, reply.text
    return bought["e164"], path


async def record_call(api: Api, e164: str, at: datetime | None = None) -> None:
    body = {} if at is None else {"at": iso(at)}
    await api.ok("POST", f"/numbers/{quote_e164(e164)}/calls", body)


async def test_never_used_number_is_unassigned_at_once(api: Api) -> None:
    """last_call_at null: unassign succeeds and both moves are audited, not forced."""
    e164, path = await assigned_number(api)
    assert (await api.raw_number(e164))["last_call_at"] is None
    reply = await api.call("DELETE", path)
    assert reply.status == 200
    assert (await api.raw_number(e164))["owner"] == api.info.auth_id
    audit = (await api.ok("GET", "/audit"))["items"]
    assert [(row["from_auth_id"], row["to_auth_id"], row["forced"]) for row in audit] == [
        (api.info.auth_id, api.sub[0], False),
        (api.sub[0], api.info.auth_id, False),
    ]


async def test_last_call_sixteen_days_ago_is_unassigned_at_once(api: Api) -> None:
    """A last call more than 15 days ago does not block unassign."""
    e164, path = await assigned_number(api)
    await record_call(api, e164, await emulator_now(api) - timedelta(days=16))
    reply = await api.call("DELETE", path)
    assert reply.status == 200
    assert (await api.raw_number(e164))["owner"] == api.info.auth_id


async def test_last_call_one_day_ago_is_409_until_the_cool_off_ends(api: Api) -> None:
    """Call 1 day ago: 409, cool_off_until = call + 15 days; once the clock passes it, 200."""
    e164, path = await assigned_number(api)
    call_at = (await emulator_now(api) - timedelta(days=1)).replace(microsecond=0)
    await record_call(api, e164, call_at)
    reply = await api.call("DELETE", path)
    assert reply.status == 409
    body = reply.body
    assert set(body) == set(load_sample("error.cool-off.json"))
    assert body["error"] == "did_cool_off_in_effect"
    until = call_at + timedelta(days=15)
    assert body["cool_off_until"] == iso(until)
    remaining = body["cool_off_remaining_seconds"]
    assert isinstance(remaining, int)
    expected = (until - await emulator_now(api)).total_seconds()
    assert abs(remaining - expected) <= 2
    assert 14 * DAY - 5 <= remaining <= 14 * DAY
    assert (await api.raw_number(e164))["owner"] == api.sub[0]
    # Still blocked shortly before the end ...
    await api.ok("POST", "/clock", {"advance_seconds": remaining - 120})
    still = await api.call("DELETE", path)
    assert still.status == 409
    assert 1 <= still.body["cool_off_remaining_seconds"] <= 121
    assert still.body["cool_off_until"] == iso(until)
    # ... and free once the emulator's clock is past it.
    await api.ok("POST", "/clock", {"advance_seconds": 180})
    done = await api.call("DELETE", path)
    assert done.status == 200
    assert (await api.raw_number(e164))["owner"] == api.info.auth_id


async def test_call_recorded_now_blocks_for_fifteen_days(api: Api) -> None:
    """A call recorded without "at" uses the emulator's now: about 15 days remain."""
    e164, path = await assigned_number(api)
    await record_call(api, e164)
    row = await api.raw_number(e164)
    assert row["last_call_at"] is not None
    reply = await api.call("DELETE", path)
    assert reply.status == 409
    assert 15 * DAY - 5 <= reply.body["cool_off_remaining_seconds"] <= 15 * DAY


async def test_force_by_an_admin_unassigns_and_writes_a_forced_audit_row(api: Api) -> None:
    """force=true from the (admin) master unassigns during the cool-off and is audited as forced."""
    e164, path = await assigned_number(api)
    await record_call(api, e164)
    reply = await api.call("DELETE", path, params={"force": "true"})
    assert reply.status == 200
    assert (await api.raw_number(e164))["owner"] == api.info.auth_id
    audit = (await api.ok("GET", "/audit"))["items"]
    forced = [row for row in audit if row["forced"]]
    assert len(forced) == 1
    row = forced[0]
    assert (row["e164"], row["from_auth_id"], row["to_auth_id"], row["actor_auth_id"]) == (
        e164,
        api.sub[0],
        api.info.auth_id,
        api.info.auth_id,
    )
    assert row["at"].endswith("Z")
    assert row["reason"]


async def test_force_by_a_non_admin_is_403(api: Api) -> None:
    """force=true from a non-admin is refused with 403 and changes nothing."""
    e164, _ = await assigned_number(api)
    await record_call(api, e164)
    sub_path = f"/v1/account/{api.sub[0]}/numbers/{quote_e164(e164)}/assign-subaccount"
    reply = await api.call("DELETE", sub_path, auth=api.sub, params={"force": "true"})
    assert_flat(reply, 403, "forbidden")
    await api.ok("PATCH", f"/accounts/{api.info.auth_id}", {"is_admin": False})
    master_path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(e164)}/assign-subaccount"
    refused = await api.call("DELETE", master_path, params={"force": "true"})
    assert_flat(refused, 403, "forbidden")
    assert (await api.raw_number(e164))["owner"] == api.sub[0]
    assert not any(row["forced"] for row in (await api.ok("GET", "/audit"))["items"])


async def test_force_false_behaves_like_no_force(api: Api) -> None:
    """force=false still honours the cool-off."""
    e164, path = await assigned_number(api)
    await record_call(api, e164)
    reply = await api.call("DELETE", path, params={"force": "false"})
    assert reply.status == 409


async def test_sub_account_unassigns_its_own_number(api: Api) -> None:
    """A sub-account may give its (cooled-off) number back to the master on its own path."""
    e164, _ = await assigned_number(api)
    sub_path = f"/v1/account/{api.sub[0]}/numbers/{quote_e164(e164)}/assign-subaccount"
    reply = await api.call("DELETE", sub_path, auth=api.sub)
    assert reply.status == 200
    assert (await api.raw_number(e164))["owner"] == api.info.auth_id


async def test_clock_endpoints(api: Api) -> None:
    """GET /_emulator/clock reports now; POST advances it by advance_seconds."""
    before = await emulator_now(api)
    assert abs((before - datetime.now(UTC)).total_seconds()) < 5
    moved = await api.ok("POST", "/clock", {"advance_seconds": 3 * DAY})
    after = parse_iso(moved["now"])
    assert 3 * DAY <= (after - before).total_seconds() <= 3 * DAY + 5
    assert abs((await emulator_now(api) - after).total_seconds()) < 5
