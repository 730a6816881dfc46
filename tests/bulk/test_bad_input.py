"""Bad input to the bulk methods is a ValidationError at the call, never a traceback from
deep inside the run, and an order's fields are checked when it is made."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pytest

from phonenumbers_async import AsyncClient, Client, PlanLine, ProvisionOrder, ValidationError
from phonenumbers_async.emulator import EmulatorThread


def test_the_sync_bulk_methods_check_their_arguments_at_the_call() -> None:
    """Client.numbers.purchase_many("+1…") (one string) and provision(42) raise at the
    call, before any next()."""
    with (
        EmulatorThread(seed_inventory=2, subaccounts=0, seed=3) as emu,
        Client(emu.auth_id, emu.auth_token, base_url=emu.base_url) as sync,
    ):
        numbers = cast(Any, sync.numbers)
        with pytest.raises(ValidationError, match="not one string"):
            numbers.purchase_many("+14155550100")
        with pytest.raises(ValidationError, match="ProvisionOrder"):
            numbers.provision(42)
        with pytest.raises(ValidationError):
            numbers.release_many(["not-a-number"])


async def test_the_async_bulk_methods_check_their_arguments_at_the_call(
    client: AsyncClient,
) -> None:
    """The async methods raise when called, not on the first anext(); route_many and
    assign_many of bare strings are a ValidationError, not a ValueError from unpacking."""
    with pytest.raises(ValidationError):
        client.numbers.purchase_many(["nope"])
    with pytest.raises(ValidationError, match="pairs"):
        client.numbers.route_many(cast(Any, ["+14155550100"]))
    with pytest.raises(ValidationError, match="pairs"):
        client.subaccounts.assign_many(cast(Any, ["+14155550100"]))
    with pytest.raises(ValidationError):
        client.numbers.purchase_many(["+14155550100"], concurrency=0)


def test_an_orders_fields_are_checked_when_it_is_made() -> None:
    """A NaN fee and a region that is not text are ValidationErrors; one exclude string is
    one prefix, not its characters."""
    with pytest.raises(ValidationError, match="max_monthly_fee"):
        ProvisionOrder(count=1, max_monthly_fee=Decimal("NaN"))
    with pytest.raises(ValidationError, match="region"):
        ProvisionOrder(count=1, region=cast(Any, 5))
    order = ProvisionOrder(count=1, exclude=cast(Any, "91"))
    assert order.exclude == ("91",)
    assert dict(order.parameters())["exclude"] == "91"


def test_a_plan_line_without_fees_has_an_unknown_cost() -> None:
    """A number on sale whose fees inventory did not show: cost None (unknown), not 0."""
    assert PlanLine(e164="+14155550100").cost is None
    assert PlanLine(e164="+14155550100", setup_fee=Decimal(2)).cost == Decimal(2)
