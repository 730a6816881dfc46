"""The same behaviour through ``Client`` and ``AsyncClient``, over the emulator.

Every test taking ``api`` runs twice: once with the sync facade, once with the
async client, and asserts the same results and the same errors.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from phonenumbers_async import (
    AsyncClient,
    Client,
    ClientClosedError,
    CoolOffInEffect,
    NotFound,
    Page,
    PermissionDenied,
    PhoneNumber,
    SubAccount,
    TransportError,
    ValidationError,
)
from phonenumbers_async.emulator import EmulatorInfo

from ._helpers import OWNED, Api, Control, async_api, sync_api


def _inventory(api: Api) -> list[str]:
    return [number.e164 for number in api.inventory.iter(per_page=100)]


def test_list_returns_one_page_with_total(api: Api) -> None:
    """``numbers.list`` gives one Page of PhoneNumbers with the listing's total."""
    page = api.numbers.list(page=2, per_page=20)
    assert isinstance(page, Page)
    assert (page.page, page.per_page, page.total, len(page.items)) == (2, 20, OWNED, 20)
    assert all(isinstance(number, PhoneNumber) for number in page.items)


def test_iter_yields_every_number_once_in_page_order(api: Api) -> None:
    """``numbers.iter`` yields every owned number once, in the order of the pages."""
    by_pages = [n.e164 for p in range(1, 9) for n in api.numbers.list(page=p, per_page=7).items]
    streamed = [number.e164 for number in api.numbers.iter(per_page=7)]
    assert streamed == by_pages
    assert len(set(streamed)) == OWNED


def test_iter_pages_yields_pages(api: Api, emu: EmulatorInfo) -> None:
    """``iter_pages`` yields Page objects covering the listing."""
    pages = api.inventory.iter_pages(per_page=8)
    assert [len(page) for page in pages] == [8, 8, 8, 6]
    assert all(isinstance(page, Page) for page in pages)


def test_purchase_then_release(api: Api, emu: EmulatorInfo) -> None:
    """A purchase returns the owned number; a release (the older variant) puts it back in
    inventory."""
    Control(emu).set_faults(release_status=204)
    e164 = _inventory(api)[0]
    bought = api.numbers.purchase(e164)
    assert isinstance(bought, PhoneNumber)
    assert (bought.e164, bought.account_id) == (e164, emu.auth_id)
    assert not api.inventory.contains(e164)
    found = api.numbers.find(e164)
    assert found is not None
    assert found.account_id == emu.auth_id
    assert api.numbers.release(e164).status.value in ("released", "pending_release")
    assert api.inventory.contains(e164)
    assert api.numbers.find(e164) is None


def test_purchase_of_a_number_not_in_inventory_raises_not_found(api: Api) -> None:
    """Buying an owned number raises NotFound (404), not a generic error."""
    owned = api.numbers.list(per_page=1).items[0].e164
    with pytest.raises(NotFound) as caught:
        api.numbers.purchase(owned)
    assert caught.value.status == 404


def test_release_of_a_number_not_owned_raises_permission_denied(api: Api) -> None:
    """Releasing a number in inventory raises PermissionDenied (403) with the server's code."""
    with pytest.raises(PermissionDenied) as caught:
        api.numbers.release(_inventory(api)[0])
    assert (caught.value.status, caught.value.code) == (403, "forbidden")


def test_assign_and_unassign(api: Api, emu: EmulatorInfo) -> None:
    """Assign lists the number under the sub-account; unassign gives it back to the master."""
    sub = emu.subaccounts[0][0]
    e164 = api.numbers.list(per_page=1).items[0].e164
    assert api.subaccounts.assign_number(e164, sub) is None
    assert api.numbers.find(e164, auth_id=sub) is not None
    assert api.subaccounts.unassign_number(e164) is None
    assert api.numbers.find(e164, auth_id=sub) is None


def test_unassign_within_cool_off_raises_cool_off_in_effect(
    api: Api, emu: EmulatorInfo, control: Control
) -> None:
    """A number used within 15 days cannot be unassigned: CoolOffInEffect with when it ends."""
    sub = emu.subaccounts[0][0]
    e164 = api.numbers.list(per_page=1).items[0].e164
    api.subaccounts.assign_number(e164, sub)
    control.record_call(e164)
    with pytest.raises(CoolOffInEffect) as caught:
        api.subaccounts.unassign_number(e164)
    error = caught.value
    assert (error.status, error.code) == (409, "did_cool_off_in_effect")
    assert error.cool_off_until is not None
    assert error.cool_off_remaining is not None
    assert error.cool_off_until.tzinfo is not None
    assert timedelta(days=14) < error.cool_off_remaining <= timedelta(days=15)
    assert error.cool_off_until > datetime.now(UTC) + timedelta(days=14)
    # An admin may force it.
    assert api.subaccounts.unassign_number(e164, force=True) is None


def test_subaccounts_list_iter_get(api: Api, emu: EmulatorInfo) -> None:
    """Sub-accounts are listed, iterated and fetched one by one, as SubAccount objects."""
    expected = [auth_id for auth_id, _ in emu.subaccounts]
    assert [sub.auth_id for sub in api.subaccounts.list().items] == expected
    assert [sub.auth_id for sub in api.subaccounts.iter()] == expected
    one = api.subaccounts.get(expected[1])
    assert isinstance(one, SubAccount)
    assert one.auth_id == expected[1]


def test_iter_fanout_covers_master_and_subaccounts(api: Api, emu: EmulatorInfo) -> None:
    """``iter_fanout`` yields the master's and each sub-account's numbers, owner stamped."""
    sub = emu.subaccounts[1][0]
    e164 = api.numbers.list(per_page=1).items[0].e164
    api.subaccounts.assign_number(e164, sub)
    owners = {number.e164: number.account_id for number in api.numbers.iter_fanout()}
    assert len(owners) == OWNED
    assert owners[e164] == sub
    assert sum(owner == emu.auth_id for owner in owners.values()) == OWNED - 1


def test_bad_input_raises_at_call_time_without_a_request(api: Api, control: Control) -> None:
    """A bad argument raises ValidationError from the call itself, before any request."""
    before = control.request("GET", "/stats")["requests_total"]
    with pytest.raises(ValidationError):
        api.numbers.iter(per_page=0)
    with pytest.raises(ValidationError):
        api.numbers.purchase("919876543210")
    assert control.request("GET", "/stats")["requests_total"] == before


def _failure(call: Callable[..., Any], *args: Any) -> Exception:
    try:
        call(*args)
    except Exception as error:
        return error
    raise AssertionError(f"{call} raised nothing")


def _comparable(error: BaseException) -> tuple[type[BaseException], dict[str, Any], str]:
    """The class, the attributes and the message, minus what differs per request."""
    attributes = dict(vars(error))
    attributes.pop("request_id", None)
    # Seconds left shrink between two requests; cool_off_until is compared exactly.
    attributes.pop("cool_off_remaining", None)
    body = attributes.pop("body", None)
    if isinstance(body, dict):
        attributes["body"] = {
            key: value
            for key, value in body.items()
            if key not in ("requestId", "timestamp", "cool_off_remaining_seconds")
        }
    return type(error), attributes, str(error).split(" (request id")[0]


def test_errors_are_identical_through_both_clients(emu: EmulatorInfo, control: Control) -> None:
    """The same failing calls raise the same class with the same attributes from both clients."""
    sub = emu.subaccounts[0][0]
    with (
        asyncio.Runner() as runner,
        Client(emu.auth_id, emu.auth_token, base_url=emu.base_url) as sync_client,
    ):
        async_client = AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url)
        try:
            apis = [sync_api(sync_client), async_api(async_client, runner)]
            owned = apis[0].numbers.list(per_page=1).items[0].e164
            in_inventory = _inventory(apis[0])[0]
            apis[0].subaccounts.assign_number(owned, sub)
            control.record_call(owned)
            calls = [
                lambda api: api.numbers.purchase(owned),
                lambda api: api.numbers.release(in_inventory),
                lambda api: api.subaccounts.unassign_number(owned),
                lambda api: api.subaccounts.get("SA_doesnotexist"),
                lambda api: api.inventory.list(per_page=101),
                lambda api: api.numbers.iter_fanout(on_error="ignore"),
            ]
            for call in calls:
                sync_error, async_error = (_failure(call, api) for api in apis)
                assert _comparable(sync_error) == _comparable(async_error)
        finally:
            runner.run(async_client.aclose())


def test_transport_errors_are_identical_through_both_clients() -> None:
    """A refused connection raises the same TransportError (not sent, one attempt) from both."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{probe.getsockname()[1]}/api"
    # The port is free again but nothing listens on it: connections are refused.
    options: dict[str, Any] = {"base_url": base_url, "max_retries": 0}
    with (
        asyncio.Runner() as runner,
        Client("MA_REFUSED", "token", **options) as sync_client,
    ):
        async_client = AsyncClient("MA_REFUSED", "token", **options)
        try:
            errors = [
                _failure(api.inventory.list)
                for api in (sync_api(sync_client), async_api(async_client, runner))
            ]
        finally:
            runner.run(async_client.aclose())
    assert isinstance(errors[0], TransportError)
    assert _comparable(errors[0]) == _comparable(errors[1])
    assert (errors[0].maybe_sent, errors[0].attempts) == (False, 1)


def test_use_after_close_fails_alike_through_both_clients(emu: EmulatorInfo) -> None:
    """After closing, both clients raise the same ClientClosedError for a call."""
    with asyncio.Runner() as runner:
        sync_client = Client(emu.auth_id, emu.auth_token, base_url=emu.base_url)
        async_client = AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url)
        apis = [sync_api(sync_client), async_api(async_client, runner)]
        for api in apis:
            assert api.numbers.list(per_page=1).total == OWNED
        sync_client.close()
        runner.run(async_client.aclose())
        errors = [_failure(api.numbers.list) for api in apis]
    assert isinstance(errors[0], ClientClosedError)
    assert _comparable(errors[0]) == _comparable(errors[1])
