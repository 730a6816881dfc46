"""Who may act on which number: the sub-account authorisation matrix on every state change.

The wire spec (end of "Sub-account lifecycle"): a sub-account acts on its own
numbers only. The expected answers below are written out by hand, case by
case, rather than computed by a rule, so they cannot share a mistake with
the emulator's ``_auth``.
"""

from __future__ import annotations

import pytest
from support.wire import quote_e164

from ._helpers import Api

# Numbers, named by their owner: the master M, its sub-accounts A and B, and
# O, another master (outside the family).
OWNERS = ("M", "A", "B", "O")
# The path account of the request, and who calls.
PATHS = ("M", "A", "B")
CALLERS = ("M", "A", "B")

# (route, path) -> {number owner: (status, owner afterwards)}; "-" = unchanged.
EXPECTED: dict[tuple[str, str], dict[str, tuple[int, str]]] = {
    # release: a master path covers the family; a sub's path its own numbers.
    ("release", "M"): {"M": (204, "inv"), "A": (204, "inv"), "B": (204, "inv"), "O": (403, "-")},
    ("release", "A"): {"M": (403, "-"), "A": (204, "inv"), "B": (403, "-"), "O": (403, "-")},
    ("release", "B"): {"M": (403, "-"), "A": (403, "-"), "B": (204, "inv"), "O": (403, "-")},
    # assign (to the path's sub-account, or to A on the master's path)
    ("assign", "M"): {"M": (200, "A"), "A": (409, "-"), "B": (409, "-"), "O": (403, "-")},
    ("assign", "A"): {"M": (403, "-"), "A": (409, "-"), "B": (403, "-"), "O": (403, "-")},
    ("assign", "B"): {"M": (403, "-"), "A": (403, "-"), "B": (409, "-"), "O": (403, "-")},
    # unassign: back to the master
    ("unassign", "M"): {"M": (409, "-"), "A": (200, "M"), "B": (200, "M"), "O": (404, "-")},
    ("unassign", "A"): {"M": (403, "-"), "A": (200, "M"), "B": (403, "-"), "O": (404, "-")},
    ("unassign", "B"): {"M": (403, "-"), "A": (403, "-"), "B": (200, "M"), "O": (404, "-")},
}


async def _family(api: Api) -> dict[str, tuple[str, str]]:
    """Auth ID and token of M, A, B and of a second master O."""
    other = await api.ok("POST", "/accounts", {"parent_auth_id": None})
    return {
        "M": api.master,
        "A": api.sub,
        "B": api.sub2,
        "O": (other["auth_id"], other["auth_token"]),
    }


async def _number_owned_by(api: Api, auth_id: str) -> str:
    created = await api.ok("POST", "/numbers", {"count": 1, "owner": auth_id})
    e164: str = created["numbers"][0]
    return e164


async def _act(
    api: Api, route: str, path_id: str, e164: str, auth: tuple[str, str], target: str
) -> int:
    base = f"/v1/account/{path_id}/numbers/{quote_e164(e164)}"
    if route == "release":
        reply = await api.call("DELETE", base, auth=auth)
    elif route == "assign":
        reply = await api.call(
            "POST", base + "/assign-subaccount", auth=auth, json_body={"sub_account_id": target}
        )
    else:
        reply = await api.call("DELETE", base + "/assign-subaccount", auth=auth)
    assert reply.status < 500, reply.text
    if reply.status >= 400:
        assert set(reply.body) >= {"error"}, reply.text
    return reply.status


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("route", ["release", "assign", "unassign"])
async def test_state_changes_follow_the_matrix(
    api: Api, route: str, path: str, caller: str
) -> None:
    """Every (caller, path, number owner) gives the documented answer and the right owner.

    A master may use its own path and its sub-accounts'; a sub-account only
    its own, where it reaches its own numbers only: the master's and a
    sibling's are 403 (before the fix, a sub assigned its master's number to
    itself and then released it). A refused request changes nothing.
    """
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    family = await _family(api)
    ids = {name: pair[0] for name, pair in family.items()}
    path_allowed = caller == path or caller == "M"
    target = ids["A"] if path == "M" else ids[path]
    for owner in OWNERS:
        e164 = await _number_owned_by(api, ids[owner])
        audit_before = len((await api.ok("GET", "/audit"))["items"])
        status = await _act(api, route, ids[path], e164, family[caller], target)
        expected_status, expected_owner = (
            EXPECTED[(route, path)][owner] if path_allowed else (403, "-")
        )
        row = await api.raw_number(e164)
        after = {"inv": None, "-": ids[owner]}.get(expected_owner, ids.get(expected_owner))
        assert (status, row["owner"]) == (expected_status, after), (route, path, caller, owner)
        audit_after = len((await api.ok("GET", "/audit"))["items"])
        changed_assignment = route != "release" and expected_status < 300
        assert audit_after == audit_before + int(changed_assignment)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", PATHS)
async def test_purchase_on_each_path(api: Api, path: str, caller: str) -> None:
    """A purchase is allowed on the caller's own path (a master's: any of its family's too).

    The path account owns what is bought and the master pays; a refused
    purchase (403) leaves the number in inventory and debits nothing.
    """
    family = await _family(api)
    ids = {name: pair[0] for name, pair in family.items()}
    number = await api.any_inventory_number()
    reply = await api.purchase_on(ids[path], number["e164"], auth=family[caller])
    ledger = (await api.ok("GET", "/ledger"))["items"]
    row = await api.raw_number(number["e164"])
    if caller == path or caller == "M":
        assert reply.status == 200, reply.text
        assert row["owner"] == ids[path]
        assert [entry["auth_id"] for entry in ledger] == [ids["M"]]
    else:
        assert reply.status == 403, reply.text
        assert row["owner"] is None
        assert ledger == []


async def test_force_unassign_is_admin_only_on_every_path(api: Api) -> None:
    """force=true is refused (403) for a non-admin sub-account even on its own number."""
    e164 = await _number_owned_by(api, api.sub[0])
    path = f"/v1/account/{api.sub[0]}/numbers/{quote_e164(e164)}/assign-subaccount"
    reply = await api.call("DELETE", path, auth=api.sub, params={"force": "true"})
    assert reply.status == 403
    assert (await api.raw_number(e164))["owner"] == api.sub[0]
    by_master = await api.call("DELETE", path, params={"force": "true"})
    assert by_master.status == 200
    assert (await api.raw_number(e164))["owner"] == api.info.auth_id
