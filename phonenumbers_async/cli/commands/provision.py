"""``numbers provision``: an order by criteria, planned and priced, then carried out per number
(buy, hand to a sub-account, route) as one journaled, resumable job."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs
import click

from phonenumbers_async import (
    AsyncClient,
    FileJournal,
    JobIdentity,
    JournalError,
    PlanLine,
    ProvisionOrder,
    PurchasePlan,
    ValidationError,
)
from phonenumbers_async._bulk._jobs import journaled_purchases
from phonenumbers_async.cli._bulk import (
    AMOUNT,
    PLAN_COLUMNS,
    check_plan,
    confirm,
    default_results_path,
    plan_json,
    plan_rows,
    plan_summary,
    run_job,
    spent_and_left,
    summarize,
)
from phonenumbers_async.cli._common import EXIT_CODES_HELP, EXIT_OK, EXIT_USAGE, CliError
from phonenumbers_async.cli._context import Settings, run_async
from phonenumbers_async.cli._output import cell

__all__ = ["numbers_provision", "read_plan", "write_plan"]

PLAN_MARK = "# phonenumbers-async provision plan: "
PLAN_FIELDS = ("e164", "setup_fee", "monthly_fee", "currency")

PROVISION_HELP = """\b
Example: 5 Mumbai voice numbers for a sub-account, routed to a trunk:
  numbers provision --country IN --region Mumbai --capability voice --count 5 \\
      --subaccount SA_... --trunk 0b6f...
The plan (numbers, cost, balance) is printed first; --plan-out FILE writes it
and stops, --plan FILE applies a written plan later. Each number is bought,
handed to the sub-account, then routed; every step is journaled, so a rerun of
the same command finishes an interrupted job without buying anything twice. A
number someone else buys first is replaced from inventory, up to --count."""


def write_plan(path: Path, plan: PurchasePlan) -> None:
    """The plan as a CSV, its order in the first (comment) line."""
    if plan.order is None:
        raise ValueError("only a provisioning plan has an order to write")
    # Imported here to keep this change inside write_plan (the module's imports are shared).
    from phonenumbers_async.cli._output import csv_cell

    buffer = io.StringIO()
    buffer.write(PLAN_MARK + json.dumps(dict(plan.order.parameters())) + "\n")
    writer = csv.DictWriter(buffer, fieldnames=PLAN_FIELDS, lineterminator="\n")
    writer.writeheader()
    for line in plan.to_buy:
        # The number and the currency are the server's text: no formula, no control.
        row = {
            "e164": line.e164,
            "setup_fee": cell(line.setup_fee),
            "monthly_fee": cell(line.monthly_fee),
            "currency": line.currency or plan.currency,
        }
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    try:
        path.write_text(buffer.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write plan {path}: {exc.strerror or exc}", EXIT_USAGE) from None


def _amount(text: str, where: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise CliError(f"{where}: {text!r} is not an amount", EXIT_USAGE) from None


def read_plan(path: Path) -> tuple[ProvisionOrder, list[PlanLine]]:
    """A plan written by :func:`write_plan`: its order and its numbers."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"cannot read plan {path}: no such file", EXIT_USAGE) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read plan {path}: {exc}", EXIT_USAGE) from None
    first, _, rest = text.partition("\n")
    if not first.startswith(PLAN_MARK):
        raise CliError(f"{path} is not a provisioning plan (written by --plan-out)", EXIT_USAGE)
    try:
        parameters = json.loads(first[len(PLAN_MARK) :])
        if not isinstance(parameters, dict) or not all(
            isinstance(value, str) for value in parameters.values()
        ):
            raise ValueError("not an object of strings")
        order = ProvisionOrder.from_parameters(parameters)
    except (ValueError, ValidationError, InvalidOperation) as exc:
        raise CliError(
            f"{path}, line 1: the plan's order cannot be read ({exc})", EXIT_USAGE
        ) from None
    lines: list[PlanLine] = []
    reader = csv.DictReader(io.StringIO(rest))
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CliError(
                f"{path}, line {reader.line_num + 1}: not a plan's CSV ({exc})", EXIT_USAGE
            ) from None
        where = f"{path}, line {reader.line_num + 1}"
        e164 = (row.get("e164") or "").strip()
        if not e164:
            raise CliError(f"{where}: no number in the e164 column", EXIT_USAGE)
        lines.append(
            PlanLine(
                e164=e164,
                setup_fee=_amount(row.get("setup_fee") or "", where),
                monthly_fee=_amount(row.get("monthly_fee") or "", where),
                currency=(row.get("currency") or "").strip() or None,
            )
        )
    return order, lines


async def _plan_rest(
    client: AsyncClient, order: ProvisionOrder, lines: list[PlanLine], bought: set[str]
) -> PurchasePlan:
    """The order's plan for the numbers still to buy, priced today.

    ``bought`` (the journal's purchases) are not priced again. A written
    plan's numbers come first; for those no longer on sale, replacements are
    picked from inventory and priced too, so that ``--max-cost`` and the
    balance check cover everything the job may buy.
    """
    need = max(0, order.count - len(bought))
    if need == 0:
        return PurchasePlan(lines=(), currency="INR", available_balance=None, order=order)
    wanted = [line.e164 for line in lines if line.e164 not in bought]
    if wanted:
        priced = await client.numbers.plan_purchase(wanted)
    else:
        priced = PurchasePlan(lines=(), currency="INR", available_balance=None)
    on_sale = list(priced.to_buy)[:need]
    missing = need - len(on_sale)
    extra: tuple[PlanLine, ...] = ()
    balance = priced.available_balance
    currency = priced.currency
    if missing > 0 or not wanted:
        taken = {line.e164 for line in lines} | bought
        fresh = await client.numbers.plan_provision(attrs.evolve(order, count=need + len(lines)))
        extra = tuple(line for line in fresh.to_buy if line.e164 not in taken)[:missing]
        balance, currency = fresh.available_balance, (priced.currency if wanted else fresh.currency)
    gone = tuple(line for line in priced.lines if not line.on_sale)
    return PurchasePlan(
        lines=(*on_sale, *extra, *gone), currency=currency, available_balance=balance, order=order
    )


def _split_list(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@click.command("provision", epilog=PROVISION_HELP + "\n\n" + EXIT_CODES_HELP)
@click.option("--country", metavar="CC", help="Two-letter country code, such as IN.")
@click.option("--region", help="Only numbers of this region (city), such as Mumbai.")
@click.option("--search", metavar="DIGITS", help="Only numbers containing these digits.")
@click.option("--exclude", metavar="PREFIX", multiple=True, help="Leave out these prefixes.")
@click.option(
    "--capability", "capabilities", metavar="LIST", multiple=True,
    help="Required capabilities, comma-separated: voice,sms,mms,fax.",
)  # fmt: skip
@click.option("--count", type=click.IntRange(1, 100_000), help="How many numbers to deliver.")
@click.option(
    "--max-monthly-fee", type=AMOUNT, metavar="AMOUNT", help="Dearer numbers are skipped."
)
@click.option("--subaccount", "sub_account", metavar="SA_…", help="Hand each number to it.")
@click.option("--trunk", "trunk_group_id", metavar="UUID", help="Route each number to it.")
@click.option("--application", "application_id", metavar="ID", help="Attach each to it.")
@click.option(
    "--plan-out", type=click.Path(path_type=Path, dir_okay=False),
    help="Write the plan to this CSV and stop (apply it later with --plan).",
)  # fmt: skip
@click.option(
    "--plan", "plan_path", type=click.Path(path_type=Path, dir_okay=False),
    help="Apply a plan written by --plan-out (its numbers first).",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Print the plan and its cost; buy nothing.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--max-cost", type=AMOUNT, metavar="AMOUNT", help="Refuse a dearer plan (exit 2).")
@click.option(
    "--concurrency", type=click.IntRange(1, 100), default=8, show_default=True,
    help="Numbers handled at once.",
)  # fmt: skip
@click.option(
    "--results", "results_path", type=click.Path(path_type=Path, dir_okay=False),
    help="Results CSV [default: provision-results-<time>.csv here].",
)  # fmt: skip
@click.option(
    "--journal", "journal_path", type=click.Path(path_type=Path, dir_okay=False),
    help="Journal that makes a rerun resume (default: derived from the order).",
)  # fmt: skip
@click.pass_obj
def numbers_provision(
    settings: Settings,
    country: str | None,
    region: str | None,
    search: str | None,
    exclude: tuple[str, ...],
    capabilities: tuple[str, ...],
    count: int | None,
    max_monthly_fee: Decimal | None,
    sub_account: str | None,
    trunk_group_id: str | None,
    application_id: str | None,
    plan_out: Path | None,
    plan_path: Path | None,
    dry_run: bool,
    yes: bool,
    max_cost: Decimal | None,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
) -> int:
    """Provision numbers by criteria: pick from inventory, price, buy, assign, route."""
    out = settings.output()
    criteria = (country, region, search, count, max_monthly_fee, sub_account, trunk_group_id,
                application_id)  # fmt: skip
    if plan_path is not None:
        if any(value is not None for value in criteria) or exclude or capabilities:
            raise click.UsageError("--plan FILE carries the order; give no criteria with it")
        order, lines = read_plan(plan_path)
    else:
        if count is None:
            raise click.UsageError("give --count N (or apply a plan with --plan FILE)")
        try:
            order = ProvisionOrder(
                count=count,
                country=country,
                region=region,
                search=search,
                exclude=_split_list(exclude),
                capabilities=_split_list(capabilities),
                max_monthly_fee=max_monthly_fee,
                sub_account=sub_account,
                trunk_group_id=trunk_group_id,
                application_id=application_id,
            )
        except ValidationError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
        lines = []

    if journal_path is None:
        if plan_path is not None:
            journal_path = plan_path.with_name(f"{plan_path.name}.provision-journal.jsonl")
        else:
            digest = hashlib.sha256(json.dumps(order.parameters()).encode()).hexdigest()[:12]
            journal_path = Path.cwd() / f"provision-journal-{digest}.jsonl"
    resuming = journal_path.exists() and journal_path.stat().st_size > 0
    known_path = journal_path

    async def make_plan() -> tuple[PurchasePlan, int]:
        """The plan priced for what is left to buy, and how many the journal has bought."""
        async with settings.client() as client:
            identity = JobIdentity.of(
                "provision", client.auth_id, client.base_url, dict(order.parameters())
            )
            try:
                replay = FileJournal(known_path).read(identity, datetime.now(UTC))
            except JournalError as exc:
                raise CliError(str(exc), EXIT_USAGE) from None
            bought = journaled_purchases(replay.entries)
            return await _plan_rest(client, order, lines, bought), len(bought)

    plan, bought = run_async(make_plan())
    need = max(0, order.count - bought)
    out.info(plan_summary(plan))
    if resuming:
        out.info(
            f"note: journal {journal_path} holds earlier runs of this order ({bought} of "
            f"{order.count} bought): those are verified on the account first, and only the "
            "rest are bought and priced"
        )
    if plan.count < need:
        out.warn(
            f"inventory has {plan.count} number(s) meeting the order, not {need}; "
            "the job delivers what it can"
        )
    if plan_out is not None:
        write_plan(plan_out, plan)
        out.info(f"plan written to {plan_out}; apply it with: numbers provision --plan {plan_out}")
        return EXIT_OK
    if dry_run:
        out.rows(plan_rows(plan), PLAN_COLUMNS, json_items=plan_json(plan))
        return EXIT_OK
    if need > 0:
        unpriced = [line.e164 for line in plan.to_buy if line.cost is None]
        if max_cost is not None and unpriced:
            raise CliError(
                f"inventory shows no fees for {len(unpriced)} number(s) of the plan (such as "
                f"{unpriced[0]}): their cost is unknown, so --max-cost cannot be checked; "
                "nothing was bought",
                EXIT_USAGE,
            )
        check_plan(plan, max_cost)
        steps = ["buy"]
        if order.sub_account:
            steps.append(f"hand to {order.sub_account}")
        if order.trunk_group_id or order.application_id:
            steps.append(f"route to {order.trunk_group_id or order.application_id}")
        confirm(
            f"Provision {need} number(s) ({', '.join(steps)}) for about "
            f"{cell(plan.total)} {plan.currency}?",
            yes=yes,
            refusal=f"provision {need} number(s)",
            declined="nothing bought",
        )
    results_path = results_path or default_results_path("provision", Path.cwd())
    journal = FileJournal(journal_path)
    run = run_job(
        settings.client(max_concurrency=concurrency),
        out,
        "Provisioning",
        order.count,
        lambda client: client.numbers.provision(plan, concurrency=concurrency, journal=journal),
        results_path,
        journal,
    )
    money = spent_and_left(settings, run.spent(), plan.currency)
    return summarize(
        out, "provision", run, results_path=results_path, journal_path=journal_path, money=money
    )
