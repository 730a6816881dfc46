"""``client.subaccounts`` on the wire: the plural path, ``size``, assign and unassign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aioresponses import aioresponses
from support.samples import load_sample, sample_bytes
from support.wire import AUTH_ID, AUTH_TOKEN, BASE_URL, sent

from phonenumbers_async import (
    AsyncClient,
    Conflict,
    CoolOffInEffect,
    NotFound,
    PermissionDenied,
    SubAccount,
)

SUBACCOUNTS = f"{BASE_URL}/v1/accounts/{AUTH_ID}/sub-accounts/"
E164 = "+919876543210"
ASSIGN = f"{BASE_URL}/v1/account/{AUTH_ID}/numbers/%2B919876543210/assign-subaccount"
ASSIGN_PATH = f"/api/v1/account/{AUTH_ID}/numbers/%2B919876543210/assign-subaccount"


async def test_list_uses_the_plural_path_with_a_trailing_slash_and_size(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """Sub-accounts are listed at ``/v1/accounts/{id}/sub-accounts/`` with ``page``/``size``."""
    mock_api.get(
        f"{SUBACCOUNTS}?page=1&size=10&active_only=true", body=sample_bytes("sub-accounts.json")
    )

    page = await client.subaccounts.list(per_page=10, active_only=True)

    (request,) = sent(mock_api)
    assert request.method == "GET"
    assert request.url.raw_path == f"/api/v1/accounts/{AUTH_ID}/sub-accounts/"
    assert request.params == {"page": "1", "size": "10", "active_only": "true"}
    assert request.headers["X-Auth-ID"] == AUTH_ID
    assert request.headers["X-Auth-Token"] == AUTH_TOKEN
    assert "Content-Type" not in request.headers
    assert [sub.auth_id for sub in page.items] == ["SA_XXXXXXXX", "SA_YYYYYYYY"]
    assert (page.page, page.per_page, page.total) == (1, 10, 2)


async def test_list_reads_the_sub_account_example(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """Every documented sub-account field decodes; undocumented ones are kept in ``extra``."""
    mock_api.get(f"{SUBACCOUNTS}?page=1&size=25", body=sample_bytes("sub-accounts.json"))

    page = await client.subaccounts.list()

    acme, john = page.items
    assert isinstance(acme, SubAccount)
    assert acme.name == "Acme Corp"
    assert acme.id == "500001"
    assert acme.parent_auth_id == "MA_XXXXXXXX"
    assert acme.permissions is None
    assert acme.rate_limit == 1000
    assert acme.enabled is True
    assert acme.is_active is True
    assert acme.last_used is None
    assert acme.created_at == datetime(2026, 3, 25, 8, 33, 24, 700542, tzinfo=UTC)
    assert acme.extra == {
        "created": "2026-03-25",
        "modified": "2026-03-25",
        "account": "/v1/Account/MA_XXXXXXXX/",
        "resource_uri": "/v1/Account/MA_XXXXXXXX/Subaccount/SA_XXXXXXXX/",
    }
    assert john.email == "john@example.com"
    assert john.permissions == {"cdr": True, "calls": True}


async def test_iter_reads_every_sub_account(mock_api: aioresponses, client: AsyncClient) -> None:
    """``iter`` yields the sub-accounts of a short first page and asks nothing more."""
    mock_api.get(f"{SUBACCOUNTS}?page=1&size=100", body=sample_bytes("sub-accounts.json"))

    ids = [sub.auth_id async for sub in client.subaccounts.iter()]

    assert ids == ["SA_XXXXXXXX", "SA_YYYYYYYY"]
    assert len(sent(mock_api)) == 1


async def test_get_reads_one_sub_account_without_a_trailing_slash(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """``get`` fetches ``/v1/accounts/{id}/sub-accounts/{sub}`` and decodes it."""
    raw = load_sample("sub-accounts.json")["sub_accounts"][1]
    mock_api.get(f"{SUBACCOUNTS}SA_YYYYYYYY", payload=raw)

    sub = await client.subaccounts.get("SA_YYYYYYYY")

    (request,) = sent(mock_api)
    assert request.url.raw_path == f"/api/v1/accounts/{AUTH_ID}/sub-accounts/SA_YYYYYYYY"
    assert sub.auth_id == "SA_YYYYYYYY"
    assert sub.auth_token == "<redacted>"


@pytest.mark.parametrize(("status", "body"), [(200, b'{"message": "assigned"}'), (204, b"")])
async def test_assign_posts_the_sub_account_id(
    mock_api: aioresponses, client: AsyncClient, status: int, body: bytes
) -> None:
    """Assign POSTs ``{"sub_account_id": …}`` to ``…/numbers/%2B…/assign-subaccount``."""
    mock_api.post(ASSIGN, status=status, body=body)

    # Annotated to return None; the assert checks it does (mypy flags the use).
    assert await client.subaccounts.assign_number(E164, "SA_YYYYYYYY") is None  # type: ignore[func-returns-value]

    (request,) = sent(mock_api)
    assert request.method == "POST"
    assert request.url.raw_path == ASSIGN_PATH
    assert request.params == {}
    assert request.body == b'{"sub_account_id":"SA_YYYYYYYY"}'
    assert request.headers["Content-Type"] == "application/json"


async def test_assign_conflict_is_raised(mock_api: aioresponses, client: AsyncClient) -> None:
    """A 409 to a first assign attempt is a plain ``Conflict``."""
    mock_api.post(
        ASSIGN, status=409, payload={"error": "already_assigned", "message": "already assigned"}
    )

    with pytest.raises(Conflict) as caught:
        await client.subaccounts.assign_number(E164, "SA_YYYYYYYY")

    assert type(caught.value) is Conflict
    assert caught.value.code == "already_assigned"


@pytest.mark.parametrize(("status", "body"), [(200, b'{"message": "unassigned"}'), (204, b"")])
async def test_unassign_deletes_without_force_by_default(
    mock_api: aioresponses, client: AsyncClient, status: int, body: bytes
) -> None:
    """Unassign is a body-less DELETE with no query string unless ``force`` is asked."""
    mock_api.delete(ASSIGN, status=status, body=body)

    # Annotated to return None; the assert checks it does (mypy flags the use).
    assert await client.subaccounts.unassign_number(E164) is None  # type: ignore[func-returns-value]

    (request,) = sent(mock_api)
    assert request.method == "DELETE"
    assert request.url.raw_path == ASSIGN_PATH
    assert request.params == {}
    assert request.body is None
    assert "Content-Type" not in request.headers


async def test_unassign_with_force_sends_force_true(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """``force=True`` adds ``?force=true``."""
    mock_api.delete(f"{ASSIGN}?force=true", status=204)

    await client.subaccounts.unassign_number(E164, force=True)

    (request,) = sent(mock_api)
    assert request.url.raw_query_string == "force=true"


async def test_unassign_in_cool_off_raises_cool_off_in_effect(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """The cool-off example is a ``CoolOffInEffect`` with an aware end time and a timedelta."""
    mock_api.delete(ASSIGN, status=409, body=sample_bytes("error.cool-off.json"))

    with pytest.raises(CoolOffInEffect) as caught:
        await client.subaccounts.unassign_number(E164)

    error = caught.value
    assert isinstance(error, Conflict)
    assert error.status == 409
    assert error.code == "did_cool_off_in_effect"
    assert error.cool_off_until == datetime(2025, 6, 9, 14, 23, tzinfo=UTC)
    assert error.cool_off_until.tzinfo is not None
    assert error.cool_off_remaining == timedelta(days=13)
    assert "2025-06-09" in error.message
    assert error.request_id is None
    assert len(sent(mock_api)) == 1


async def test_unassign_force_by_a_non_admin_is_permission_denied(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """The gateway's 403 to ``force=true`` surfaces as ``PermissionDenied``."""
    mock_api.delete(
        f"{ASSIGN}?force=true",
        status=403,
        payload={"error": "forbidden", "message": "force requires an admin"},
    )

    with pytest.raises(PermissionDenied):
        await client.subaccounts.unassign_number(E164, force=True)


async def test_get_of_an_unknown_sub_account_is_not_found(
    mock_api: aioresponses, client: AsyncClient
) -> None:
    """A 404 without a body is ``NotFound`` with a readable message."""
    mock_api.get(f"{SUBACCOUNTS}SA_NOPE", status=404, body=b"")

    with pytest.raises(NotFound) as caught:
        await client.subaccounts.get("SA_NOPE")

    assert caught.value.message
    assert caught.value.body is None
