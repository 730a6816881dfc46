"""The ``/api`` handlers: read the request, ask ``_auth`` who acts, call the store.

A refusal is raised (store, authorisation, input errors) and answered by the
table in ``_http``; a handler only builds its success answer. The routes and
their OpenAPI description are in ``_app.API_ROUTES``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from ._auth import Actor, PathNotPermitted, check_credentials, path_actor
from ._clock import format_ts
from ._faults import FaultConfig
from ._http import (
    InvalidInput,
    json_response,
    path_e164,
    query_bool,
    query_int,
    query_paging,
    read_object,
    server_error,
)
from ._seed import make_auth_id, make_token, make_uuid
from ._state import state_of
from ._store import BalanceNotFound, StoreError, SubAccountNotFound
from ._wire import (
    Shape,
    balance_to_wire,
    build_health,
    dumps,
    normalize_e164,
    number_page,
    number_to_wire,
    subaccount_to_wire,
    transaction_to_wire,
)

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
    # X-Auth-ID/X-Auth-Token decide; an Authorization header (the generated
    # SDKs send a bearer token too) is ignored.
    caller = check_credentials(
        headers.get("X-Auth-ID", ""), headers.get("X-Auth-Token", ""), store.get_account
    )
    actor = path_actor(caller, request.match_info["auth_id"], store.get_account)
    # The release clock is evaluated lazily: due cooldowns and quarantines end now.
    store.settle(state_of(request).clock.now())
    return actor


def shape_of(config: FaultConfig) -> Shape:
    """The number rendering the fault control's response variants ask for."""
    return Shape(
        owner_key=config.owner_key,
        fractional_fees=config.fractional_fees,
        missing_capabilities=config.missing_capabilities,
        provider_ref=config.provider_ref,
        inventory_owner=config.inventory_owner,
    )


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
    shape = shape_of(state.faults.config)
    key = (*key, shape)
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
            shape=shape,
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


_EXCLUDE = re.compile(r"\+?[0-9]{1,15}")
_MAX_EXCLUDES = 100


def _query_exclude(request: web.Request) -> tuple[str, ...]:
    """``exclude``: E.164 prefixes, comma-separated and/or repeated, ``+`` optional."""
    prefixes: set[str] = set()
    for raw in request.query.getall("exclude", []):
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            if not _EXCLUDE.fullmatch(part):
                raise InvalidInput(
                    "exclude must be E.164 prefixes: digits after an optional +",
                    code="INVALID_PARAMETER",
                    details={"parameter": "exclude", "value": part[:64]},
                )
            prefixes.add(part if part.startswith("+") else "+" + part)
    if len(prefixes) > _MAX_EXCLUDES:
        raise InvalidInput(
            f"at most {_MAX_EXCLUDES} exclude prefixes",
            code="INVALID_PARAMETER",
            details={"parameter": "exclude"},
        )
    return tuple(sorted(prefixes))


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
    exclude = _query_exclude(request)
    return _listing_page(
        request,
        ("inventory", country and country.upper(), search, exclude, page, per_page),
        lambda: state.store.list_inventory(
            country=country, search=search, page=page, per_page=per_page, exclude=exclude
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
    buyer = faults.take_buyer()
    if buyer is not None:
        # Someone else got there first: the purchase below finds it gone.
        with contextlib.suppress(StoreError):
            state.store.take(e164, owner=buyer, now=state.clock.now())
    number = state.store.purchase(e164, actor=actor, now=state.clock.now())
    state.stats.purchases_committed += 1
    faulted = _after_commit(request, "purchase")
    if faulted is not None:
        return faulted
    wire = number_to_wire(number, shape=shape_of(faults.config))
    data: dict[str, object] = {"message": "purchased from inventory", "number": wire}
    if faults.config.purchase_items:
        data["items"] = [wire]
    return json_response(data)


async def release(request: web.Request) -> web.StreamResponse:
    """DELETE /v1/account/{auth_id}/numbers/{e164}"""
    state = state_of(request)
    actor = authorize(request)
    e164 = path_e164(request)
    immediate = query_bool(request, "immediate", False)
    variant = state.faults.config.release_status
    if state.faults.take_fault("release", _BEFORE) is not None:
        return server_error(request, 500)
    mode = "inventory" if variant is not None else "immediate" if immediate else "cooldown"
    now = state.clock.now()
    done = state.store.release(e164, actor=actor, now=now, mode=mode)
    faulted = _after_commit(request, "release")
    if faulted is not None:
        return faulted
    if variant == 200:
        return json_response({"message": "number returned to inventory"})
    if variant == 204:
        return web.Response(status=204)
    ends = done["cooldown_ends_at"]
    if immediate:
        note = (
            "Immediate release: the number is quarantined for 45 days before becoming "
            "available; it cannot be cancelled."
        )
    else:
        note = (
            "Number will be in pending_release for 24 hours (cancellable), then "
            "quarantined for 45 days before becoming available."
        )
    return json_response(
        {
            "status": "released" if immediate else "pending_release",
            "message": "number released" if immediate else "number release initiated",
            "cooldown_ends_at": format_ts(ends),
            "release_fee": _money(done["release_fee"]),
            "cancel_url": f"/api/v1/account/{actor.account}/numbers/{e164}/cancel-release",
            "note": note,
        }
    )


def _money(value: Decimal) -> Decimal | int:
    """An amount as a JSON number: an integer when it is whole."""
    return int(value) if value == value.to_integral_value() else value


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
    wire = number_to_wire(number, shape=shape_of(state.faults.config))
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


# -- the current API: cancel-release, routing, health, money, sub-account lifecycle


async def cancel_release(request: web.Request) -> web.Response:
    """POST /v1/account/{auth_id}/numbers/{e164}/cancel-release"""
    state = state_of(request)
    actor = authorize(request)
    e164 = path_e164(request)
    done = state.store.cancel_release(e164, actor=actor, now=state.clock.now())
    return json_response(
        {
            "message": "number release cancelled",
            "status": "active",
            "currency": done["currency"],
            "refund_amount": _money(done["refund_amount"]),
            "refund_status": "success",
        }
    )


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_APPLICATION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


async def assign_trunk(request: web.Request) -> web.Response:
    """POST /v1/Account/{auth_id}/numbers/{e164}/assign {"trunk_group_id"}"""
    state = state_of(request)
    actor = authorize(request)
    e164 = path_e164(request)
    body = await read_object(request, {"trunk_group_id": str})
    trunk = body["trunk_group_id"]
    if not _UUID.fullmatch(trunk):
        raise InvalidInput(
            "trunk_group_id must be a UUID",
            status=422,
            details={"field": "trunk_group_id", "reason": "malformed"},
        )
    state.store.route(e164, actor=actor, now=state.clock.now(), trunk=trunk.lower())
    return web.Response(status=204)


async def unassign_trunk(request: web.Request) -> web.Response:
    """DELETE /v1/Account/{auth_id}/numbers/{e164}/assign"""
    state = state_of(request)
    actor = authorize(request)
    state.store.route(path_e164(request), actor=actor, now=state.clock.now(), unroute="trunk")
    return web.Response(status=204)


async def attach_application(request: web.Request) -> web.Response:
    """POST /v1/Account/{auth_id}/numbers/{e164}/application {"application_id"}"""
    state = state_of(request)
    actor = authorize(request)
    e164 = path_e164(request)
    body = await read_object(request, {"application_id": str})
    application = body["application_id"]
    if not _APPLICATION_ID.fullmatch(application):
        raise InvalidInput(
            "application_id must be 1-64 letters, digits or ._:-",
            status=422,
            details={"field": "application_id", "reason": "malformed"},
        )
    state.store.route(e164, actor=actor, now=state.clock.now(), application=application)
    return json_response({"message": "application attached", "application_id": application})


async def detach_application(request: web.Request) -> web.Response:
    """DELETE /v1/Account/{auth_id}/numbers/{e164}/application"""
    state = state_of(request)
    actor = authorize(request)
    state.store.route(path_e164(request), actor=actor, now=state.clock.now(), unroute="application")
    return json_response({"message": "application detached"})


async def health(request: web.Request) -> web.Response:
    """GET /v1/account/{auth_id}/numbers/{e164}/health?granularity=daily|hourly&days=30"""
    state = state_of(request)
    actor = authorize(request)
    e164 = path_e164(request)
    granularity = request.query.get("granularity", "daily")
    if granularity not in ("daily", "hourly"):
        raise InvalidInput(
            "granularity must be daily or hourly",
            code="INVALID_PARAMETER",
            details={"parameter": "granularity", "value": granularity[:64]},
        )
    days = query_int(request, "days", 30, 1, 365)
    number = state.store.reachable_number(e164, actor=actor)
    now = state.clock.now()
    return json_response(
        build_health(number, state.store.calls, now=now, granularity=granularity, days=days)
    )


async def balance(request: web.Request) -> web.Response:
    """GET /v1/Account/{auth_id}/balance/{currency}"""
    state = state_of(request)
    actor = authorize(request)
    currency = request.match_info["currency"]
    account = state.store.get_account(actor.account)
    if account is None or currency.upper() != account["currency"]:
        raise BalanceNotFound(f"no balance in {currency[:8]} for this account")
    return json_response(balance_to_wire(account))


async def transactions(request: web.Request) -> web.Response:
    """GET /v1/account/{auth_id}/transactions?limit=50&offset=0 (or page/per_page)"""
    state = state_of(request)
    actor = authorize(request)
    page, per_page = query_paging(request)
    offset = (page - 1) * per_page
    account = state.store.get_account(actor.account)
    assert account is not None
    rows, total = state.store.transactions(actor.account, limit=per_page, offset=offset)
    older = state.faults.config.transactions_envelope == "older"
    items = [transaction_to_wire(row, account, older=older) for row in rows]
    if older:
        return json_response(
            {
                "account_id": actor.account,
                "count": total,
                "limit": per_page,
                "offset": offset,
                "transactions": items,
            }
        )
    summary = state.store.ledger_summary(actor.account)
    debit = sum((entry["debit"] for entry in summary), Decimal(0))
    credit = sum((entry["credit"] for entry in summary), Decimal(0))
    return json_response(
        {
            "auth_id": actor.account,
            "total": total,
            "page": page,
            "per_page": per_page,
            "total_pages": -(-total // per_page),
            "transactions": items,
            "summary": {
                "total_transactions": total,
                "total_debit": _money(debit),
                "total_credit": _money(credit),
                "net_amount": _money(credit - debit),
                "by_reference_type": [
                    {
                        "reference_type": entry["reference_type"],
                        "total_debit": _money(entry["debit"]),
                        "total_credit": _money(entry["credit"]),
                        "count": entry["count"],
                    }
                    for entry in summary
                ],
            },
        }
    )


_KYC_MODES = ("personal_use", "customer_use")
_MAX_TEXT = 200
_PROFILE_TYPES: dict[str, type | tuple[type, ...]] = {
    "email": str,
    "password": str,
    "kyc_mode": str,
    "business_type": str,
    "enabled": bool,
    "phone": str,
    "description": str,
    "rate_limit": int,
    "permissions": dict,
}


def _check_profile(body: dict[str, Any]) -> dict[str, Any]:
    """The sub-account fields of a create/update body, checked (422 otherwise)."""

    def bad(field: str, message: str) -> InvalidInput:
        return InvalidInput(message, status=422, details={"field": field, "reason": "invalid"})

    for name in ("name", "email", "phone", "description", "password", "business_type"):
        value = body.get(name)
        if value is not None and not 0 < len(value) <= _MAX_TEXT:
            raise bad(name, f"{name} must be 1-{_MAX_TEXT} characters")
    email = body.get("email")
    if email is not None and not _EMAIL.fullmatch(email):
        raise bad("email", "email is not an email address")
    kyc_mode = body.get("kyc_mode")
    if kyc_mode is not None and kyc_mode not in _KYC_MODES:
        raise bad("kyc_mode", "kyc_mode must be personal_use or customer_use")
    rate_limit = body.get("rate_limit")
    if rate_limit is not None and not 1 <= rate_limit <= 1_000_000:
        raise bad("rate_limit", "rate_limit must be between 1 and 1000000")
    permissions = body.get("permissions")
    if permissions is not None:
        text = dumps(permissions)
        if len(text) > 4096:
            raise bad("permissions", "permissions is too large")
        body = {**body, "permissions": json.loads(text)}  # plain JSON values for the store
    return {
        key: body[key]
        for key in ("name", "email", "phone", "description", "rate_limit", "permissions")
        if key in body and (body[key] is not None or key == "permissions")
    }


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}")


def _master_path(actor: Actor) -> None:
    if not actor.on_master_path:
        raise PathNotPermitted("only a master account manages sub-accounts")


async def create_subaccount(request: web.Request) -> web.Response:
    """POST /v1/accounts/{auth_id}/sub-accounts/"""
    state = state_of(request)
    actor = authorize(request)
    _master_path(actor)
    body = await read_object(request, {"name": str}, _PROFILE_TYPES)
    profile = _check_profile(body)
    if body.get("kyc_mode") == "customer_use" and not body.get("email"):
        raise InvalidInput(
            "email is required when kyc_mode is customer_use",
            status=422,
            details={"field": "email", "reason": "missing"},
        )
    master = state.store.get_account(actor.master)
    assert master is not None
    rng = state.rng
    sub = state.store.add_account(
        auth_id=make_auth_id(rng, "SA_"),
        auth_token=make_token(rng),
        is_admin=False,
        parent_auth_id=actor.master,
        balance=Decimal(0),
        currency=master["currency"],
        api_id=make_uuid(rng),
        now=state.clock.now(),
        name=profile["name"],
        email=profile.get("email"),
        phone=profile.get("phone"),
        description=profile.get("description"),
        permissions=profile.get("permissions"),
        rate_limit=profile.get("rate_limit") or 1000,
        enabled=body.get("enabled") is not False,
    )
    return json_response(
        {
            "message": "sub-account created",
            "sub_account": subaccount_to_wire(sub, master, show_token=True),
            "auth_credentials": {"auth_id": sub["auth_id"], "auth_token": sub["auth_token"]},
            "tokens": {
                "access_token": "eat_" + make_token(rng),
                "refresh_token": "ert_" + make_token(rng),
                "token_type": "Bearer",
                "expires_in": 3600,
            },
        },
        status=201,
    )


def _own_subaccount(request: web.Request, actor: Actor) -> dict[str, Any]:
    sub = state_of(request).store.get_account(request.match_info["sub_auth_id"])
    if sub is None or sub["parent_auth_id"] != actor.account:
        raise SubAccountNotFound("sub-account not found")
    return sub


async def update_subaccount(request: web.Request) -> web.Response:
    """PUT /v1/accounts/{auth_id}/sub-accounts/{sub_auth_id}"""
    state = state_of(request)
    actor = authorize(request)
    _master_path(actor)
    sub = _own_subaccount(request, actor)
    body = await read_object(request, {}, {"name": str, **_PROFILE_TYPES})
    profile = _check_profile(body)
    updated = state.store.update_account(
        sub["auth_id"], now=state.clock.now(), enabled=body.get("enabled"), profile=profile
    )
    return json_response(subaccount_to_wire(updated, state.store.get_account(actor.account)))


async def delete_subaccount(request: web.Request) -> web.Response:
    """DELETE /v1/accounts/{auth_id}/sub-accounts/{sub_auth_id}: its numbers go to the master."""
    state = state_of(request)
    actor = authorize(request)
    _master_path(actor)
    sub = _own_subaccount(request, actor)
    state.store.delete_subaccount(sub["auth_id"], master=actor.master, now=state.clock.now())
    return json_response({"message": "sub-account deleted"})
