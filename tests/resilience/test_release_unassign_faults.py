"""Release and unassign whose work is done but whose answer is lost or a 500."""

from __future__ import annotations

import pytest

from phonenumbers_async import AsyncClient, NumberStatus
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo
from phonenumbers_async.errors import PermissionDenied

RELEASE = "DELETE /api/v1/account/{auth_id}/numbers/{e164}"
UNASSIGN = "DELETE /api/v1/account/{auth_id}/numbers/{e164}/assign-subaccount"


@pytest.mark.parametrize("fault", ["commit_then_drop", "commit_then_500"])
async def test_release_whose_answer_is_lost_reports_success(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, fault: str
) -> None:
    """The emulator releases, then drops or 500s: the SDK reports success; released once."""
    [e164] = await control.create_numbers(1, owner=emu.auth_id)
    # The older release (back to inventory at once), selected explicitly.
    await control.set_faults(release_status=204, release_fault=fault, release_fault_count=1)
    await control.reset_stats()

    assert (await client.numbers.release(e164)).status is NumberStatus.RELEASED

    row = await control.number(e164)
    assert row["owner"] is None
    assert row["released_at"] is not None
    assert (await control.request("GET", "/faults"))["release_faults_applied"] == 1
    stats = await control.stats()
    # Neither a drop nor a 500 is resent before a lookup, which finds it done.
    assert stats["requests"][RELEASE] == 1
    assert await client.inventory.contains(e164)


@pytest.mark.parametrize("fault", ["commit_then_drop", "commit_then_500"])
async def test_unassign_whose_answer_is_lost_reports_success(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, fault: str
) -> None:
    """The emulator unassigns, then drops or 500s: the SDK reports success, one audit record."""
    sub_id, _ = emu.subaccounts[0]
    [e164] = await control.create_numbers(1, owner=emu.auth_id)
    await client.subaccounts.assign_number(e164, sub_id)
    await control.set_faults(unassign_fault=fault, unassign_fault_count=1)
    await control.reset_stats()

    # Annotated to return None; the assert checks it does (mypy flags the use).
    assert await client.subaccounts.unassign_number(e164) is None  # type: ignore[func-returns-value]

    assert (await control.number(e164))["owner"] == emu.auth_id
    moves = [row for row in await control.audit() if row["e164"] == e164]
    assert [(row["from_auth_id"], row["to_auth_id"]) for row in moves] == [
        (emu.auth_id, sub_id),
        (sub_id, emu.auth_id),
    ]
    stats = await control.stats()
    # Neither a drop nor a 500 is resent before a lookup, which finds it done.
    assert stats["requests"][UNASSIGN] == 1


async def test_release_refused_with_a_500_is_checked_then_resent(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """no_commit_then_500: a lookup shows nothing was released, so it is resent, and works."""
    [e164] = await control.create_numbers(1, owner=emu.auth_id)
    await control.set_faults(
        release_status=204, release_fault="no_commit_then_500", release_fault_count=1
    )  # the older release, selected explicitly
    await control.reset_stats()
    assert (await client.numbers.release(e164)).status is NumberStatus.RELEASED
    assert (await control.number(e164))["owner"] is None
    assert (await control.stats())["requests"][RELEASE] == 2


async def test_unassign_refused_with_a_500_is_checked_then_resent(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """no_commit_then_500: a lookup shows it still assigned, so it is resent, and works."""
    sub_id, _ = emu.subaccounts[0]
    [e164] = await control.create_numbers(1, owner=sub_id)
    await control.set_faults(unassign_fault="no_commit_then_500", unassign_fault_count=1)
    await client.subaccounts.unassign_number(e164)
    assert (await control.number(e164))["owner"] == emu.auth_id


async def test_release_of_a_number_never_owned_is_still_refused(
    client: AsyncClient, control: EmulatorControl
) -> None:
    """Without an earlier ambiguous attempt, 403 "not owned" is raised even though it is on sale."""
    [e164] = await control.create_numbers(1)
    with pytest.raises(PermissionDenied):
        await client.numbers.release(e164)


async def test_master_releasing_a_sub_accounts_number_after_a_500_is_checked_in_the_family(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """no_commit_then_500 on a sub-account's number: still listed for the master, so resent."""
    sub_id, _ = emu.subaccounts[0]
    [e164] = await control.create_numbers(1, owner=sub_id)
    await control.set_faults(
        release_status=204, release_fault="no_commit_then_500", release_fault_count=1
    )  # the older release, selected explicitly
    released = await client.numbers.release(e164)
    assert released.status is NumberStatus.RELEASED
    assert (await control.number(e164))["owner"] is None
