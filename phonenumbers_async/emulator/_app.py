"""The route table and ``create_app``.

Adding an endpoint means a handler (``_api``) and a line here; its
``Operation`` puts it in the OpenAPI document (``_openapi``), which is built
from this same table and so cannot drift from it.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Awaitable, Callable

from aiohttp import web

from . import _api as api
from . import _control_api as control
from ._clock import Clock
from ._connections import ConnectionGuard
from ._faults import Faults
from ._middleware import MIDDLEWARES
from ._openapi import Answer, Operation, build_document
from ._state import STATE_KEY, EmulatorState
from ._store import Store
from ._wire import dump_bytes

__all__ = ["API_ROUTES", "CONTROL_ROUTES", "STATE_KEY", "EmulatorState", "Route", "create_app"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclasses.dataclass(frozen=True)
class Route:
    """One route: method, canonical path, handler, other spellings, its OpenAPI operation."""

    method: str
    path: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    operation: Operation | None = None


def _account(suffix: str) -> tuple[str, tuple[str, ...]]:
    """``/api/v1/account/{auth_id}…`` and its capitalised spelling."""
    return f"/api/v1/account/{{auth_id}}{suffix}", (f"/api/v1/Account/{{auth_id}}{suffix}",)


def _accounts(suffix: str, *, slash: bool) -> tuple[str, tuple[str, ...]]:
    """``/api/v1/accounts/{auth_id}/sub-accounts…``: capitalised, with and without the slash."""
    other = suffix.removesuffix("/") if slash else suffix + "/"
    path = f"/api/v1/accounts/{{auth_id}}/sub-accounts{suffix}"
    aliases = tuple(
        f"/api/v1/{spelling}/{{auth_id}}/sub-accounts{tail}"
        for spelling, tail in (("accounts", other), ("Accounts", suffix), ("Accounts", other))
    )
    return path, aliases


def _api_route(
    method: str, where: tuple[str, tuple[str, ...]], handler: Handler, operation: Operation
) -> Route:
    path, aliases = where
    return Route(method, path, handler, aliases, operation)


_PAGING = ("page", "per_page", "limit", "offset")
_NUMBER_PATH = ("auth_id", "e164")

_OLDER_ROUTES = (
    _api_route(
        "GET",
        _account("/numbers"),
        api.list_numbers,
        Operation(
            "listAccountNumbers",
            "List the numbers of the path account (and, for a master, of its sub-accounts)",
            {"200": Answer("a page of numbers", ("NumberPage",))},
            ("auth_id", *_PAGING, "include_subaccounts", "search"),
        ),
    ),
    _api_route(
        "GET",
        _account("/inventory/numbers"),
        api.list_inventory,
        Operation(
            "listInventoryNumbers",
            "List numbers in inventory",
            {"200": Answer("a page of inventory numbers (no owner)", ("NumberPage",))},
            ("auth_id", *_PAGING, "country", "search", "exclude"),
        ),
    ),
    _api_route(
        "POST",
        _account("/numbers/purchase-from-inventory"),
        api.purchase,
        Operation(
            "purchaseFromInventory",
            "Buy a number from inventory (the master pays)",
            {
                "200": Answer("bought; some variants add items", ("PurchaseResult",)),
                "402": Answer("insufficient balance", ("ErrorEnvelope",)),
                "404": Answer("not in inventory (or no such route)", ("ErrorFlat",)),
            },
            ("auth_id",),
            body="PurchaseRequest",
        ),
    ),
    _api_route(
        "DELETE",
        _account("/numbers/{e164}"),
        api.release,
        Operation(
            "releaseNumber",
            "Release a number: pending_release for 24 h (cancellable), then 45 days quarantine",
            {
                "200": Answer(
                    "release initiated (or, the older 200 variant, a message)",
                    ("ReleaseResult", "Message"),
                ),
                "204": Answer("released (the older 204 variant)"),
                "400": Answer(
                    "already pending release, or a malformed parameter",
                    ("ErrorFlat", "ErrorEnvelope"),
                ),
                "402": Answer("the release fee exceeds the available balance", ("ErrorEnvelope",)),
            },
            (*_NUMBER_PATH, "immediate"),
        ),
    ),
    _api_route(
        "POST",
        _account("/numbers/{e164}/assign-subaccount"),
        api.assign,
        Operation(
            "assignSubaccount",
            "Move a master's number to one of its sub-accounts",
            {
                "200": Answer("assigned", ("AssignResult",)),
                "204": Answer("assigned (the 204 variant)"),
                "409": Answer("already assigned", ("ErrorFlat",)),
            },
            _NUMBER_PATH,
            body="AssignRequest",
        ),
    ),
    _api_route(
        "DELETE",
        _account("/numbers/{e164}/assign-subaccount"),
        api.unassign,
        Operation(
            "unassignSubaccount",
            "Move a number back from its sub-account (15-day cool-off; force=true for admins)",
            {
                "200": Answer("unassigned", ("Message",)),
                "204": Answer("unassigned (the 204 variant)"),
                "409": Answer("not assigned, or in its cool-off", ("ErrorFlat", "ErrorCoolOff")),
            },
            (*_NUMBER_PATH, "force"),
        ),
    ),
    _api_route(
        "GET",
        _accounts("/", slash=True),
        api.list_subaccounts,
        Operation(
            "listSubaccounts",
            "List the path account's sub-accounts",
            {"200": Answer("a page of sub-accounts", ("SubAccountPage",))},
            ("auth_id", "page", "size", "active_only"),
        ),
    ),
    _api_route(
        "GET",
        _accounts("/{sub_auth_id}", slash=False),
        api.get_subaccount,
        Operation(
            "getSubaccount",
            "Retrieve one sub-account",
            {"200": Answer("the sub-account (token redacted)", ("SubAccount",))},
            ("auth_id", "sub_auth_id"),
        ),
    ),
)

_ROUTED = {
    "204": Answer("done"),
    "400": Answer(
        "already on a trunk, on a trunk (an application), not active, or an unknown "
        "trunk/application; or a malformed parameter",
        ("ErrorFlat", "ErrorEnvelope"),
    ),
    "404": Answer("not a number of this account, or not routed", ("ErrorFlat",)),
}

API_ROUTES = (
    *_OLDER_ROUTES,
    _api_route(
        "POST",
        _account("/numbers/{e164}/cancel-release"),
        api.cancel_release,
        Operation(
            "cancelNumberRelease",
            "Put a pending_release number back to active (the release fee refunded)",
            {
                "200": Answer("cancelled", ("ReleaseCancellation",)),
                "400": Answer(
                    "not pending release, or a malformed path", ("ErrorOnly", "ErrorEnvelope")
                ),
                "403": Answer("another account's number (or path)", ("ErrorOnly", "ErrorFlat")),
                "404": Answer("number not found (or no such route)", ("ErrorOnly", "ErrorFlat")),
            },
            _NUMBER_PATH,
        ),
    ),
    _api_route(
        "POST",
        _account("/numbers/{e164}/assign"),
        api.assign_trunk,
        Operation(
            "assignNumberToTrunk",
            "Route a number to one of the family's SIP trunk groups",
            _ROUTED,
            _NUMBER_PATH,
            body="TrunkAssignRequest",
        ),
    ),
    _api_route(
        "DELETE",
        _account("/numbers/{e164}/assign"),
        api.unassign_trunk,
        Operation(
            "unassignNumberFromTrunk",
            "Take a number off its SIP trunk group",
            _ROUTED,
            _NUMBER_PATH,
        ),
    ),
    _api_route(
        "POST",
        _account("/numbers/{e164}/application"),
        api.attach_application,
        Operation(
            "attachNumberToApplication",
            "Route a number to one of the family's applications (not while on a trunk)",
            {**_ROUTED, "200": Answer("attached", ("Message",))},
            _NUMBER_PATH,
            body="ApplicationAttachRequest",
        ),
    ),
    _api_route(
        "DELETE",
        _account("/numbers/{e164}/application"),
        api.detach_application,
        Operation(
            "detachNumberFromApplication",
            "Take a number off its application",
            {**_ROUTED, "200": Answer("detached", ("Message",))},
            _NUMBER_PATH,
        ),
    ),
    _api_route(
        "GET",
        _account("/numbers/{e164}/health"),
        api.health,
        Operation(
            "getNumberHealth",
            "A number's health dashboard, built from its recorded calls",
            {"200": Answer("the dashboard", ("NumberHealth",))},
            (*_NUMBER_PATH, "granularity", "days"),
        ),
    ),
    _api_route(
        "GET",
        _account("/balance/{currency}"),
        api.balance,
        Operation(
            "getBalance",
            "The path account's balance in a currency",
            {"200": Answer("the balance", ("Balance",))},
            ("auth_id", "currency"),
        ),
    ),
    _api_route(
        "GET",
        _account("/transactions"),
        api.transactions,
        Operation(
            "listTransactions",
            "The path account's ledger, newest first (did_rental debits, refunds)",
            {"200": Answer("a page of transactions", ("TransactionPage", "TransactionPageOlder"))},
            ("auth_id", *_PAGING),
        ),
    ),
    _api_route(
        "POST",
        _accounts("/", slash=True),
        api.create_subaccount,
        Operation(
            "createSubaccount",
            "Create a sub-account (its token is shown only in this answer)",
            {"201": Answer("created", ("CreatedSubAccount",))},
            ("auth_id",),
            body="SubAccountCreateRequest",
        ),
    ),
    _api_route(
        "PUT",
        _accounts("/{sub_auth_id}", slash=False),
        api.update_subaccount,
        Operation(
            "updateSubaccount",
            "Change a sub-account",
            {"200": Answer("the sub-account (token redacted)", ("SubAccount",))},
            ("auth_id", "sub_auth_id"),
            body="SubAccountUpdateRequest",
        ),
    ),
    _api_route(
        "DELETE",
        _accounts("/{sub_auth_id}", slash=False),
        api.delete_subaccount,
        Operation(
            "deleteSubaccount",
            "Delete a sub-account (its numbers go back to the master, unrouted from its trunks)",
            {"200": Answer("deleted", ("Message",))},
            ("auth_id", "sub_auth_id"),
        ),
    ),
)

_CONTROL = "/_emulator"
CONTROL_ROUTES = tuple(
    Route(method, _CONTROL + path, handler)
    for method, path, handler in (
        ("POST", "/numbers/{e164}/calls", control.control_record_call),
        ("POST", "/numbers", control.control_create_numbers),
        ("GET", "/numbers/{e164}", control.control_get_number),
        ("POST", "/numbers/{e164}/take", control.control_take_number),
        ("GET", "/clock", control.control_get_clock),
        ("POST", "/clock", control.control_advance_clock),
        ("GET", "/accounts", control.control_accounts),
        ("POST", "/accounts", control.control_create_account),
        ("GET", "/accounts/{auth_id}", control.control_account),
        ("PATCH", "/accounts/{auth_id}", control.control_update_account),
        ("POST", "/trunks", control.control_create_trunk),
        ("POST", "/applications", control.control_create_application),
        ("GET", "/ledger", control.control_ledger),
        ("GET", "/audit", control.control_audit),
        ("GET", "/faults", control.control_get_faults),
        ("POST", "/faults", control.control_set_faults),
        ("DELETE", "/faults", control.control_clear_faults),
        ("GET", "/stats", control.control_stats),
        ("DELETE", "/stats", control.control_reset_stats),
        ("GET", "/openapi.json", control.control_openapi),
    )
)


def create_app(
    store: Store,
    *,
    clock: Clock | None = None,
    faults: Faults | None = None,
    seed: int | None = None,
    guard: ConnectionGuard | None = None,
    body_timeout: float = 30.0,
) -> web.Application:
    """The emulator as an ``aiohttp.web.Application`` over ``store``.

    The clock resumes from the offset stored in ``store`` unless one is given.
    ``guard`` (see ``_connections``) is told when each request's headers are in;
    a body that takes longer than ``body_timeout`` seconds to arrive is a 408.
    """
    if clock is None:
        stored = store.get_meta("clock_offset_seconds")
        clock = Clock(float(stored) if stored else 0.0)
    app = web.Application(middlewares=MIDDLEWARES)
    app[STATE_KEY] = EmulatorState(
        store=store,
        clock=clock,
        faults=faults or Faults(),
        rng=random.Random(seed),
        openapi=dump_bytes(build_document(API_ROUTES)),
        guard=guard,
        body_timeout=body_timeout,
    )
    for route in (*API_ROUTES, *CONTROL_ROUTES):
        for path in (route.path, *route.aliases):
            if route.method == "GET":
                app.router.add_get(path, route.handler)  # and HEAD
            else:
                app.router.add_route(route.method, path, route.handler)
    return app
