"""``phonenumbers-async demo``: a walk-through of every operation against a local emulator."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from phonenumbers_async import AsyncClient, CoolOffInEffect, PhoneNumber
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo, run_emulator

from ._common import EXIT_OK, CliError, format_remaining, format_time
from ._output import cell, make_console, plural, sanitize

__all__ = ["run_demo"]

DEMO_COUNTRY = "IN"
CALL_AGE = timedelta(days=2, hours=21)


def _numbers_table(numbers: Sequence[PhoneNumber]) -> Table:
    table = Table(box=None, padding=(0, 2), show_edge=False)
    for header, numeric in (
        ("Number", False),
        ("Owner", False),
        ("Country", False),
        ("Region", False),
        ("Setup fee", True),
        ("Monthly fee", True),
    ):
        table.add_column(header, justify="right" if numeric else "left", no_wrap=True)
    for number in numbers:
        table.add_row(
            *(
                Text(sanitize(cell(value)))
                for value in (
                    number.e164,
                    number.account_id or "(inventory)",
                    number.country,
                    number.region,
                    number.setup_fee,
                    number.monthly_fee,
                )
            )
        )
    return table


class _Walk:
    def __init__(
        self, console: Console, client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
    ) -> None:
        self.console = console
        self.client = client
        self.control = control
        self.emu = emu
        self.step_number = 0

    def step(self, title: str) -> None:
        self.step_number += 1
        self.console.print()
        self.console.print(Text(f"{self.step_number}. {title}", style="bold"))

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(Text("   " + text, style=style or ""))

    async def balance(self) -> str:
        account = await self.control.account(self.emu.auth_id)
        return f"{cell(Decimal(str(account['balance'])))} {account['currency']}"

    async def run(self) -> None:
        client, control = self.client, self.control
        master = self.emu.auth_id

        self.step("Check the balance before spending")
        balance = await client.account.balance()
        self.say(
            f"client.account.balance(): available {cell(balance.available_balance)} "
            f"{balance.currency} (balance {cell(balance.balance)}, "
            f"reserved {cell(balance.reserved_funds)})"
        )

        self.step(f"Browse inventory: numbers on sale in {DEMO_COUNTRY}")
        page = await client.inventory.list(country=DEMO_COUNTRY, per_page=5)
        if not page.items:  # a tiny seed may have no Indian numbers; take any
            page = await client.inventory.list(per_page=5)
        if not page.items:
            raise CliError("the emulator's inventory is empty")
        self.say(f"client.inventory.list(country={DEMO_COUNTRY!r}, per_page=5): {page.total} match")
        self.console.print(_numbers_table(page.items))
        chosen = page.items[0].e164

        self.step(f"Purchase {chosen}")
        before = await self.balance()
        bought = await client.numbers.purchase(chosen)
        after = await self.balance()
        self.say(
            f"client.numbers.purchase({chosen!r}): now owned by {bought.account_id}, "
            f"debited {cell(bought.upfront_cost)} {bought.currency or ''} "
            f"(setup {cell(bought.setup_fee)} + first month {cell(bought.monthly_fee)})"
        )
        self.say(f"master balance: {before} -> {after}")

        trunks = (await control.account(master)).get("trunk_group_ids") or []
        if not trunks:
            raise CliError("the emulator has no trunk group for the master account")
        trunk = str(trunks[0])
        self.step(f"Route {chosen} to SIP trunk {trunk}")
        await client.numbers.assign_trunk(chosen, trunk)
        routed = await client.numbers.get(chosen)
        self.say(
            f"client.numbers.assign_trunk({chosen!r}, {trunk!r}): "
            f"trunk_group_id is now {routed.trunk_group_id}; calls to it reach the trunk"
        )

        self.step("List the master account's numbers, sub-accounts included")
        owned = [number async for number in client.numbers.iter(include_subaccounts=True)]
        self.say(f"client.numbers.iter(include_subaccounts=True): {plural(len(owned), 'number')}")
        self.console.print(_numbers_table(owned))

        subs = await client.subaccounts.list()
        if not subs.items:
            raise CliError("the emulator has no sub-accounts")
        sub = subs.items[0]
        self.step(f"Assign {chosen} to sub-account {sub.auth_id} ({sub.name})")
        await client.subaccounts.assign_number(chosen, sub.auth_id)
        moved = await client.numbers.find(chosen, auth_id=sub.auth_id)
        self.say(
            f"client.subaccounts.assign_number({chosen!r}, {sub.auth_id!r}): "
            f"owner is now {moved.account_id if moved else '?'}"
        )

        self.step(f"Record a call on {chosen} (emulator control API)")
        # A call some days back, so the cool-off shows a partly elapsed period.
        now = datetime.fromisoformat(await control.now())
        call = await control.record_call(chosen, at=format_time(now - CALL_AGE))
        self.say(
            f"POST /_emulator/numbers/{chosen.replace('+', '%2B')}/calls: "
            f"last call at {call['last_call_at']}; the 15-day cool-off runs from there"
        )

        self.step("Try to unassign it from the sub-account")
        try:
            await client.subaccounts.unassign_number(chosen)
        except CoolOffInEffect as exc:
            until = format_time(exc.cool_off_until) if exc.cool_off_until else "?"
            left = format_remaining(exc.cool_off_remaining) if exc.cool_off_remaining else "?"
            self.say(f"refused: in cool-off until {until} ({left})", style="yellow")
            self.say(f"{exc.status} {exc.code}, request id {exc.request_id}")
        else:
            raise CliError("the emulator allowed an unassign during the cool-off")

        self.step("Force the unassign as the admin master account")
        await client.subaccounts.unassign_number(chosen, force=True)
        audit = await control.audit()
        forced = [row for row in audit if row.get("e164") == chosen and row.get("forced")]
        self.say(f"client.subaccounts.unassign_number({chosen!r}, force=True): back with {master}")
        if forced:
            row = forced[-1]
            self.say(
                f"audit record: {row['from_auth_id']} -> {row['to_auth_id']} by "
                f"{row['actor_auth_id']}, forced, reason {row.get('reason')}"
            )

        self.step(f"Release {chosen} (the current API keeps it cancellable for 24 hours)")
        released = await client.numbers.release(chosen)
        self.say(
            f"client.numbers.release({chosen!r}): {released.status.value}"
            + (
                f", cancellable until {format_time(released.cooldown_ends_at)}"
                if released.cooldown_ends_at
                else ""
            )
            + f", fee {cell(released.release_fee) or '0'}"
        )

        if released.cancellable:
            self.step("Change of mind: cancel the release")
            cancelled = await client.numbers.cancel_release(chosen)
            again = await client.numbers.get(chosen)
            self.say(
                f"client.numbers.cancel_release({chosen!r}): {cancelled.message}; "
                f"status {again.status.value if again.status else '?'}, "
                f"refund {cell(cancelled.refund_amount) or '0'}"
            )

            self.step(f"Release {chosen} for good (immediate=True: no cancellable window)")
            final = await client.numbers.release(chosen, immediate=True)
            self.say(f"client.numbers.release({chosen!r}, immediate=True): {final.status.value}")


async def run_demo(*, seed: int | None = None) -> int:
    """Start an emulator, walk through the operations printing each, stop it; exit code 0."""
    console = make_console(sys.stdout)
    console.print(Text("phonenumbers-async demo", style="bold"))
    async with run_emulator(seed_inventory=40, subaccounts=2, seed=seed) as emu:
        subs = ", ".join(auth_id for auth_id, _ in emu.subaccounts)
        console.print(
            Text(
                f"Started a local emulator at {emu.base_url}: master {emu.auth_id} (admin), "
                f"sub-accounts {subs}"
            )
        )
        async with (
            AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url) as client,
            EmulatorControl(emu.root_url) as control,
        ):
            await _Walk(console, client, control, emu).run()
    console.print()
    console.print(Text("Stopped the emulator. Every step succeeded."))
    return EXIT_OK
