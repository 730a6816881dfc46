"""Paging, include_subaccounts and the inventory filters."""

from __future__ import annotations

from yarl import URL

from ._helpers import Api


async def _pages(api: Api, path: str, per_page: int) -> list[str]:
    seen: list[str] = []
    page = 1
    while True:
        reply = await api.call("GET", path, params={"page": str(page), "per_page": str(per_page)})
        assert reply.status == 200
        body = reply.body
        assert (body["page"], body["per_page"]) == (page, per_page)
        if not body["items"]:
            break
        assert len(body["items"]) <= per_page
        seen += [item["e164"] for item in body["items"]]
        page += 1
    assert len(seen) == body["total"]
    return seen


async def test_total_counts_all_records_and_pages_cover_them_once(api: Api) -> None:
    """total counts every match; walking the pages yields each item once, in stable order."""
    await api.ok("POST", "/numbers", {"count": 53, "owner": api.info.auth_id})
    path = f"/v1/account/{api.info.auth_id}/numbers"
    seen = await _pages(api, path, 10)
    assert len(seen) == 53 == len(set(seen))
    assert seen == sorted(seen)
    again = await _pages(api, path, 7)
    assert again == seen


async def test_default_and_maximum_page_size(api: Api) -> None:
    """per_page defaults to 25 and may be 100."""
    await api.ok("POST", "/numbers", {"count": 120, "owner": api.info.auth_id})
    path = f"/v1/account/{api.info.auth_id}/numbers"
    default = await api.call("GET", path)
    assert (default.body["per_page"], len(default.body["items"]), default.body["total"]) == (
        25,
        25,
        120,
    )
    biggest = await api.call("GET", path, params={"per_page": "100"})
    assert len(biggest.body["items"]) == 100


async def test_page_past_the_end_is_empty_with_the_total(api: Api) -> None:
    """A page beyond the last one is empty but still reports the total."""
    reply = await api.call(
        "GET", f"/v1/account/{api.info.auth_id}/inventory/numbers", params={"page": "99"}
    )
    assert reply.status == 200
    assert reply.body["items"] == []
    assert reply.body["total"] == 30


async def test_limit_offset_variant(api: Api) -> None:
    """limit/offset is accepted and reported as page/per_page."""
    path = f"/v1/account/{api.info.auth_id}/inventory/numbers"
    everything = [item["e164"] for item in await api.inventory()]
    reply = await api.call("GET", path, params={"limit": "10", "offset": "20"})
    assert reply.status == 200
    body = reply.body
    assert (body["page"], body["per_page"], body["total"]) == (3, 10, 30)
    assert [item["e164"] for item in body["items"]] == everything[20:30]


async def test_include_subaccounts_defaults_to_true_for_a_master(api: Api) -> None:
    """A master's list includes its sub-accounts' numbers unless include_subaccounts=false."""
    await api.ok("POST", "/numbers", {"count": 3, "owner": api.info.auth_id})
    await api.ok("POST", "/numbers", {"count": 2, "owner": api.sub[0]})
    await api.ok("POST", "/numbers", {"count": 4, "owner": api.sub2[0]})
    path = f"/v1/account/{api.info.auth_id}/numbers"
    everything = await api.call("GET", path)
    assert everything.body["total"] == 9
    owners = {item["account_id"] for item in everything.body["items"]}
    assert owners == {api.info.auth_id, api.sub[0], api.sub2[0]}
    for value in ("false", "0"):
        own = await api.call("GET", path, params={"include_subaccounts": value})
        assert own.body["total"] == 3
        assert {item["account_id"] for item in own.body["items"]} == {api.info.auth_id}
    for value in ("true", "1"):
        explicit = await api.call("GET", path, params={"include_subaccounts": value})
        assert explicit.body["total"] == 9
    sub = await api.call("GET", f"/v1/account/{api.sub2[0]}/numbers", auth=api.sub2)
    assert sub.body["total"] == 4


async def test_inventory_country_filter(api: Api) -> None:
    """country=XX lists only that country's numbers, case-insensitively."""
    await api.ok("POST", "/numbers", {"count": 12, "country": "GB"})
    everything = await api.inventory()
    expected = sorted(item["e164"] for item in everything if item["country"] == "GB")
    assert len(expected) >= 12
    for code in ("GB", "gb"):
        items = await api.inventory(country=code)
        assert sorted(item["e164"] for item in items) == expected
    assert await api.inventory(country="ZZ") == []


async def test_inventory_search_with_and_without_plus(api: Api) -> None:
    """search matches a substring of the E.164, given with or without the +."""
    await api.ok("POST", "/numbers", {"count": 10, "country": "IN"})
    everything = await api.inventory()
    target = next(item["e164"] for item in everything if item["country"] == "IN")
    prefix = target[:6]  # "+91" and three more digits
    expected = sorted(item["e164"] for item in everything if item["e164"].startswith(prefix))
    with_plus = await api.inventory(search=prefix)
    assert sorted(item["e164"] for item in with_plus) == expected
    middle = target[5:10]
    without_plus = await api.inventory(search=middle)
    found = [item["e164"] for item in without_plus]
    assert target in found
    assert all(middle in e164 for e164 in found)
    assert await api.inventory(search="+0") == []
    # An unencoded "+" in the query string (it decodes to a space) still means "+".
    url = URL(
        f"{api.info.base_url}/v1/account/{api.info.auth_id}/inventory/numbers"
        f"?per_page=100&search=+{prefix[1:]}",
        encoded=True,
    )
    headers = {"X-Auth-ID": api.info.auth_id, "X-Auth-Token": api.info.auth_token}
    async with api.session.get(url, headers=headers) as response:
        assert response.status == 200
        raw_plus = (await response.json())["items"]
    assert sorted(item["e164"] for item in raw_plus) == expected


async def test_inventory_excludes_owned_numbers(api: Api) -> None:
    """A purchased number leaves inventory; total drops by one."""
    bought = await api.buy()
    items = await api.inventory()
    assert len(items) == 29
    assert bought["e164"] not in {item["e164"] for item in items}


async def test_own_numbers_can_be_searched(api: Api) -> None:
    """`search` filters the account's own numbers (a part of the E.164), and `total` follows it."""
    bought = [await api.buy(), await api.buy()]
    wanted = bought[0]["e164"]
    reply = await api.call(
        "GET",
        f"/v1/account/{api.info.auth_id}/numbers",
        params={"search": wanted, "include_subaccounts": "false"},
    )
    assert reply.status == 200, reply.text
    assert [item["e164"] for item in reply.body["items"]] == [wanted]
    assert reply.body["total"] == 1
