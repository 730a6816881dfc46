"""Buy phone numbers from inventory in bulk, route them to a SIP trunk, hand them to a sub-account.

Usage::

    export VOBIZ_AUTH_ID=MA_… VOBIZ_AUTH_TOKEN=…          # VOBIZ_BASE_URL for an emulator
    python examples/bulk_provision.py --count 20 --country IN \\
        --trunk-group-id "$VOBIZ_TRUNK_GROUP_ID" --subaccount SA_… --results numbers.csv

Numbers are chosen from inventory, never typed in. Each purchase is
exactly-once (the SDK reconciles an ambiguous failure before it resends), so
the script only decides what to do with each outcome: a number someone else
bought is replaced by the next candidate; one whose outcome is unknown is
reported, never bought again. Exit status 0 when every number was provisioned.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from phonenumbers_async import (
    AsyncClient,
    NumberTaken,
    PhoneNumbersError,
    PurchaseOutcomeUnknown,
)

# How many more inventory candidates than wanted numbers to look at, so that
# numbers taken by other buyers meanwhile can be replaced.
SPARE_CANDIDATES = 2


@dataclass(frozen=True)
class Outcome:
    """What happened to one number."""

    e164: str
    outcome: str
    """``provisioned``, ``taken``, ``unknown`` (may or may not be ours) or ``failed``."""
    detail: str = ""
    cost: Decimal | None = None

    @property
    def provisioned(self) -> bool:
        return self.outcome == "provisioned"


async def candidates(
    client: AsyncClient, how_many: int, country: str | None, search: str | None
) -> list[str]:
    """The first ``how_many`` numbers on sale (leaving the loop cancels the prefetch)."""
    found: list[str] = []
    async for offer in client.inventory.iter(country=country, search=search):
        if len(found) == how_many:
            break
        found.append(offer.e164)
    return found


async def provision_one(
    client: AsyncClient, e164: str, trunk_group_id: str | None, subaccount: str | None
) -> Outcome:
    """Buy one number, then route it and hand it over; every failure becomes an outcome."""
    try:
        number = await client.numbers.purchase(e164)
    except NumberTaken:
        return Outcome(e164, "taken", "another buyer got it")
    except PurchaseOutcomeUnknown as exc:
        return Outcome(e164, "unknown", f"check the account before retrying: {exc}")
    except PhoneNumbersError as exc:
        return Outcome(e164, "failed", f"purchase: {type(exc).__name__}: {exc}")
    cost = (number.setup_fee or Decimal(0)) + (number.monthly_fee or Decimal(0))
    try:
        if trunk_group_id is not None:
            await client.numbers.assign_trunk(e164, trunk_group_id)
        if subaccount is not None:
            await client.subaccounts.assign_number(e164, subaccount)
    except PhoneNumbersError as exc:
        return Outcome(e164, "failed", f"bought, then {type(exc).__name__}: {exc}", cost)
    return Outcome(e164, "provisioned", "", cost)


async def provision(
    client: AsyncClient,
    *,
    count: int,
    country: str | None = None,
    search: str | None = None,
    trunk_group_id: str | None = None,
    subaccount: str | None = None,
    concurrency: int = 8,
) -> list[Outcome]:
    """Provision ``count`` numbers from inventory, ``concurrency`` at a time.

    Never buys more than ``count``: a slot is given back only when a number
    was certainly not bought (taken, or refused before it was bought).
    """
    pool = iter(await candidates(client, count * SPARE_CANDIDATES, country, search))
    outcomes: list[Outcome] = []
    slots = count

    async def worker() -> None:
        nonlocal slots
        while slots > 0:
            e164 = next(pool, None)
            if e164 is None:
                return
            slots -= 1
            outcome = await provision_one(client, e164, trunk_group_id, subaccount)
            outcomes.append(outcome)
            if outcome.outcome == "taken" or (outcome.outcome == "failed" and outcome.cost is None):
                slots += 1

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return outcomes


def write_results(path: str, outcomes: Sequence[Outcome]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["e164", "outcome", "detail", "cost"])
        for item in outcomes:
            writer.writerow([item.e164, item.outcome, item.detail, item.cost or ""])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, required=True, help="numbers to provision")
    parser.add_argument("--country", help="two-letter country code, such as IN")
    parser.add_argument("--search", help="digits the numbers should contain")
    parser.add_argument("--trunk-group-id", help="route every number to this SIP trunk group")
    parser.add_argument("--subaccount", help="hand every number to this sub-account (SA_…)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--results", default="provisioned.csv", help="results CSV to write")
    args = parser.parse_args(argv)
    if args.count < 1 or args.concurrency < 1:
        parser.error("--count and --concurrency must be at least 1")
    return args


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Credentials and base URL: VOBIZ_AUTH_ID, VOBIZ_AUTH_TOKEN, VOBIZ_BASE_URL.
    async with AsyncClient() as client:
        outcomes = await provision(
            client,
            count=args.count,
            country=args.country,
            search=args.search,
            trunk_group_id=args.trunk_group_id,
            subaccount=args.subaccount,
            concurrency=args.concurrency,
        )
    write_results(args.results, outcomes)
    done = [item for item in outcomes if item.provisioned]
    spent = sum((item.cost or Decimal(0) for item in outcomes), Decimal(0))
    for item in outcomes:
        if not item.provisioned:
            print(f"{item.e164}: {item.outcome}: {item.detail}", file=sys.stderr)
    print(f"provisioned {len(done)} of {args.count} numbers (spent {spent}); see {args.results}")
    return 0 if len(done) == args.count else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except PhoneNumbersError as exc:  # missing credentials, an unreachable server…
        sys.exit(f"error: {exc}")
