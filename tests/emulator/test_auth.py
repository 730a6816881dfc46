"""Authentication (401) and authorisation of the path account (403)."""

from __future__ import annotations

from ._helpers import Api, assert_envelope, assert_flat


async def test_missing_headers_are_401(api: Api) -> None:
    """No X-Auth-ID/X-Auth-Token gives a 401 envelope."""
    reply = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers", anonymous=True)
    assert_envelope(reply, 401, "UNAUTHORIZED")


async def test_wrong_token_is_401(api: Api) -> None:
    """A wrong token for a real Auth ID gives 401."""
    reply = await api.call(
        "GET", f"/v1/account/{api.info.auth_id}/numbers", auth=(api.info.auth_id, "nope")
    )
    assert_envelope(reply, 401, "UNAUTHORIZED")


async def test_unknown_auth_id_is_401(api: Api) -> None:
    """An Auth ID the emulator does not know gives 401."""
    reply = await api.call(
        "GET", "/v1/account/MA_UNKNOWN000/numbers", auth=("MA_UNKNOWN000", api.info.auth_token)
    )
    assert_envelope(reply, 401, "UNAUTHORIZED")


async def test_another_accounts_token_is_401(api: Api) -> None:
    """The master's Auth ID with a sub-account's token gives 401."""
    reply = await api.call(
        "GET", f"/v1/account/{api.info.auth_id}/numbers", auth=(api.info.auth_id, api.sub[1])
    )
    assert_envelope(reply, 401, "UNAUTHORIZED")


async def test_disabled_account_is_401(api: Api) -> None:
    """A disabled sub-account's credentials no longer authenticate."""
    await api.ok("PATCH", f"/accounts/{api.sub[0]}", {"enabled": False})
    reply = await api.call("GET", f"/v1/account/{api.sub[0]}/numbers", auth=api.sub)
    assert_envelope(reply, 401, "UNAUTHORIZED")


async def test_sub_account_on_its_masters_path_is_403(api: Api) -> None:
    """A sub-account may not act on its master's path."""
    reply = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers", auth=api.sub)
    assert_flat(reply, 403, "forbidden")


async def test_sub_account_on_a_siblings_path_is_403(api: Api) -> None:
    """A sub-account may not act on another sub-account's path."""
    reply = await api.call("GET", f"/v1/account/{api.sub2[0]}/numbers", auth=api.sub)
    assert_flat(reply, 403, "forbidden")


async def test_master_on_another_masters_path_is_403(api: Api) -> None:
    """A master may not act on another master's (or its sub-accounts') path."""
    other = await api.ok("POST", "/accounts", {"parent_auth_id": None})
    other_sub = await api.ok("POST", "/accounts", {"parent_auth_id": other["auth_id"]})
    for path_id in (other["auth_id"], other_sub["auth_id"], "garbage!"):
        reply = await api.call("GET", f"/v1/account/{path_id}/numbers")
        assert_flat(reply, 403, "forbidden")
    purchase = await api.call(
        "POST",
        f"/v1/account/{other['auth_id']}/numbers/purchase-from-inventory",
        json_body={"e164": (await api.any_inventory_number())["e164"]},
    )
    assert_flat(purchase, 403, "forbidden")
    subs = await api.call("GET", f"/v1/accounts/{other['auth_id']}/sub-accounts/")
    assert_flat(subs, 403, "forbidden")


async def test_master_may_act_on_its_sub_accounts_path(api: Api) -> None:
    """A master's own credentials work on its sub-account's path (the sub owns what it buys)."""
    number = await api.any_inventory_number()
    reply = await api.call(
        "POST",
        f"/v1/account/{api.sub[0]}/numbers/purchase-from-inventory",
        json_body={"e164": number["e164"]},
    )
    assert reply.status == 200
    assert reply.body["number"]["account_id"] == api.sub[0]
    listed = await api.call("GET", f"/v1/account/{api.sub[0]}/numbers")
    assert listed.status == 200
    assert [item["e164"] for item in listed.body["items"]] == [number["e164"]]


async def test_sub_account_with_its_own_credentials(api: Api) -> None:
    """A sub-account authenticates with its own token on its own path."""
    reply = await api.call("GET", f"/v1/account/{api.sub[0]}/numbers", auth=api.sub)
    assert reply.status == 200
    assert reply.body["total"] == 0
