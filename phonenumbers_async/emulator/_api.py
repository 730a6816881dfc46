"""The ``/api`` handlers: read the request, ask ``_auth`` who acts, call the store.

A refusal is raised (store, authorisation, input errors) and answered by the
table in ``_http``; a handler only builds its success answer. The routes and
their OpenAPI description are in ``_app.API_ROUTES``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from ._auth import Actor, check_credentials, path_actor
from ._http import (
    InvalidInput,
    json_response,
    path_e164,
    query_bool,
    query_paging,
    read_object,
    server_error,
)
from ._state import state_of
from ._store import SubAccountNotFound
from ._wire import normalize_e164, number_page, number_to_wire, subaccount_to_wire

__all__ = [
    "assign",
    "authorize",
    "get_subaccount",
    "list_inventory",
    "list_numbers",
    "list_subaccounts",
    "purchase",
    "release",
    "unassign",
]

_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_SEARCH = re.compile(r"\+?[0-9]{1,15}")
_SUB_ACCOUNT_ID = re.compile(r"SA_[A-Za-z0-9]{1,64}")
_BEFORE = ("no_commit_then_500",)
_AFTER = ("commit_then_500", "commit_then_drop")
_JSON = "application/json"


def authorize(request: web.Request) -> Actor:
    """The authenticated caller acting on the path account (401/403 otherwise)."""
    store = state_of(request).store
    headers = request.headers
    caller = check_credentials(
        headers.get("X-Auth-ID", ""), headers.get("X-Auth-Token", ""), store.get_account
    )
    return path_actor(caller, request.match_info["auth_id"], store.get_account)


def _after_commit(request: web.Request, operation: str) -> web.StreamResponse | None:
    """Apply a ``commit_then_500``/``commit_then_drop`` fault to a committed operation."""
    state = state_of(request)
    fault = state.faults.take_fault(operation, _AFTER)
    if fault == "commit_then_500":
        return server_error(request, 500)
    if fault == "commit_then_drop":
        state.stats.statuses["dropped"] += 1
        if request.transport is not None:
            request.transport.close()
        # The connection is gone: aiohttp quietly discards this response.
        return web.Response(status=500)
    return None


def _listing_page(
    request: web.Request,
    key: tuple[object, ...],
    read: Callable[[], tuple[list[tuple[Any, ...]], int]],
    *,
    page: int,
    per_page: int,
    inventory: bool,
) -> web.Response:
    """A listing page: the cached answer while the store is unchanged, else ``read`` rendered."""
    state = state_of(request)
    owner_key = state.faults.config.owner_key
    key = (*key, owner_key)
    version = state.store.version()
    body = state.answers.get(key, version)
    if body is None:
        stamps, total = read()
        body = number_page(
            stamps,
            rows=state.store.numbers_by_id,
            fragments=state.fragments,
            page=page,
            per_page=per_page,
            total=total,
            owner_key=owner_key,
            inventory=inventory,
        )
        state.answers.put(key, version, body)
    return web.Response(body=body, content_type=_JSON)


def _query_search(request: web.Request) -> str | None:
    """The ``search`` filter of a listing: a part of a number, digits after an optional ``+``."""
    search = request.query.get("search") or None
    if search is not None and search.startswith(" "):
        # An unencoded "+" in a query string arrives as a space.
        search = "+" + search.strip()
    if search is not None and not _SEARCH.fullmatch(search):
        raise InvalidInput(
            "search must be digits of an E.164 number",
            code="INVALID_PARAMETER",
            details={"parameter": "search", "value": search[:64]},
        )
    return search


async def list_numbers(request: web.Request) -> web.Response:
    """GET /v1/account/{auth_id}/numbers"""
    state = state_of(request)
    actor = authorize(request)
    page, per_page = query_paging(request)
    with_subaccounts = query_bool(request, "include_subaccounts", actor.on_master_path)
    with_subaccounts = with_subaccounts and actor.on_master_path
    search = _query_search(request)
    return _listing_page(
        request,
        ("numbers", actor.account, with_subaccounts, search, page, per_page),
        lambda: state.store.list_numbers(
            actor.account,
            with_subaccounts=with_subaccounts,
            search=search,
            page=page,
            per_page=per_page,
        ),
        page=page,
        per_page=per_page,
        inventory=False,
    )


async def list_inventory(request: web.Request) -> web.Response:
    """GET /v1/account/{auth_id}/inventory/numbers"""
    state = state_of(request)
    authorize(request)
    page, per_page = query_paging(request)
    country = request.query.get("country") or None
    if country is not None and not _COUNTRY.fullmatch(country):
        raise InvalidInput(
            "country must be a two-letter ISO code",
            code="INVALID_PARAMETER",
            details={"parameter": "country", "value": country[:64]},
        )
    search = _query_search(request)
    return _listing_page(
        request,
        ("inventory", country and country.upper(), search, page, per_page),
        lambda: state.store.list_inventory(
            country=country, search=search, page=page, per_page=per_page
        ),
        page=page,
        per_page=per_page,
        inventory=True,
    )


async def purchase(request: web.Request) -> web.StreamResponse:
    """POST /v1/account/{auth_id}/numbers/purchase-from-inventory"""
    state = state_of(request)
    actor = authorize(request)
    body = await read_object(request, {"e164": str}, {"currency": str})
    e164 = normalize_e164(body["e164"])
    if e164 is None:
        raise InvalidInput(
            "e164 is not a valid E.164 number",
            status=422,
            details={"field": "e164", "reason": "malformed"},
        )
    currency = body.get("currency")
    if currency is not None and not _CURRENCY.fullmatch(currency):
        raise InvalidInput(
            "currency must be a three-letter ISO code",
            status=422,
            details={"field": "currency", "reason": "malformed"},
        )
    faults = state.faults
    if faults.take_fault("purchase", _BEFORE) is not None:
        return server_error(request, 500)
    number = state.store.purchase(e164, actor=actor, now=state.clock.now())
    state.stats.purchases_committed += 1
    faulted = _after_commit(request, "purchase")
    if faulted is not None:
        return faulted
    wire = number_to_wire(number, owner_key=faults.config.owner_key)
    data: dict[str, object] = {"message": "purchased from inventory", "number": wire}
    if faults.config.purchase_items:
        data["items"] = [wire]
    return json_response(data)


async def release(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/account/{auth_id}/numbers/{e164}"""
    state = state_of(request)
    actor = authorize(request)
    e164 = path_e164(request)
    if state.faults.take_fault("release", _BEFORE) is not None:
        return server_error(request, 500)
    state.store.release(e164, actor=actor, now=state.clock.now())
    faulted = _after_commit(request, "release")
    if faulted is not None:
        return faulted
    if state.faults.config.release_status == 200:
        return json_response({"message": "number returned to inventory"})
    return web.Response(status=204)


async def assign(request: web.Request) -> web.Response:
    """POST /v1/account/{auth_id}/numbers/{e164}/assign-subaccount"""
    state = state_of(request)
    actor = authorize(request)
    e164 = path_e164(request)
    body = await read_object(request, {"sub_account_id": str})
    sub_id = body["sub_account_id"]
    if not _SUB_ACCOUNT_ID.fullmatch(sub_id):
        raise InvalidInput(
            "sub_account_id must be a sub-account Auth ID (SA_…)",
            status=422,
            details={"field": "sub_account_id", "reason": "malformed"},
        )
    number = state.store.assign(e164, actor=actor, sub_account=sub_id, now=state.clock.now())
    if state.faults.config.assign_status == 204:
        return web.Response(status=204)
    wire = number_to_wire(number, owner_key=state.faults.config.owner_key)
    return json_response({"message": "number assigned to sub-account", "number": wire})


async def unassign(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/account/{auth_id}/numbers/{e164}/assign-subaccount"""
    state = state_of(request)
    actor = authorize(request)
    e164 = path_e164(request)
    force = query_bool(request, "force", False)
    actor.check_force(force)
    if state.faults.take_fault("unassign", _BEFORE) is not None:
        return server_error(request, 500)
    state.store.unassign(e164, actor=actor, force=force, now=state.clock.now())
    faulted = _after_commit(request, "unassign")
    if faulted is not None:
        return faulted
    if state.faults.config.unassign_status == 204:
        return web.Response(status=204)
    return json_response({"message": "number unassigned from sub-account"})


async def list_subaccounts(request: web.Request) -> web.Response:
    """GET /v1/accounts/{auth_id}/sub-accounts/"""
    state = state_of(request)
    actor = authorize(request)
    page, size = query_paging(request, size_name="size", limit_offset=False)
    active_only = query_bool(request, "active_only", False)
    account = state.store.get_account(actor.account)
    subs, total = state.store.subaccounts(
        actor.account, active_only=active_only, limit=size, offset=(page - 1) * size
    )
    items = [subaccount_to_wire(sub, account) for sub in subs]
    return json_response({"sub_accounts": items, "total": total, "page": page, "size": size})


async def get_subaccount(request: web.Request) -> web.Response:
    """GET /v1/accounts/{auth_id}/sub-accounts/{sub_auth_id}"""
    state = state_of(request)
    actor = authorize(request)
    sub = state.store.get_account(request.match_info["sub_auth_id"])
    if sub is None or sub["parent_auth_id"] != actor.account:
        raise SubAccountNotFound("sub-account not found")
    return json_response(subaccount_to_wire(sub, state.store.get_account(actor.account)))
