"""``subaccounts``: sub-accounts, and handing numbers to them and back."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from phonenumbers_async import (
    CoolOffInEffect,
    FileJournal,
)
from phonenumbers_async.cli._bulk import (
    default_results_path,
    read_pairs_file,
    run_job,
    summarize,
)
from phonenumbers_async.cli._common import (
    EXIT_CODES_HELP,
    EXIT_COOL_OFF,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    describe_error,
)
from phonenumbers_async.cli._context import Settings, call, run_async
from phonenumbers_async.cli._options import (
    CONTEXT,
    E164,
    SUB_ACCOUNT_ID,
    check_paging,
    file_job_options,
    paging_options,
    show_listing,
)
from phonenumbers_async.cli._output import (
    SUBACCOUNT_COLUMNS,
    subaccount_json,
    subaccount_row,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


__all__ = ["subaccounts"]


@click.group(context_settings=CONTEXT)
def subaccounts() -> None:
    """Sub-accounts, and handing numbers to them and back."""


@subaccounts.command("list")
@paging_options
@click.option("--active-only", is_flag=True, help="Only active sub-accounts.")
@click.pass_obj
def subaccounts_list(
    settings: Settings,
    all_pages: bool,
    page: int,
    per_page: int | None,
    active_only: bool,
) -> int:
    """List the master account's sub-accounts (one page, or --all)."""
    check_paging(all_pages, page)
    client = settings.client()
    active = True if active_only else None
    show_listing(
        settings.output(),
        client,
        all_pages=all_pages,
        per_page=per_page,
        iterate=lambda size: client.subaccounts.iter(per_page=size, active_only=active),
        one_page=lambda size: client.subaccounts.list(page=page, per_page=size, active_only=active),
        noun="sub-account",
        row=subaccount_row,
        columns=SUBACCOUNT_COLUMNS,
        as_json=subaccount_json,
    )
    return EXIT_OK


@subaccounts.command("assign", epilog=EXIT_CODES_HELP)
@click.argument("e164", type=E164, required=False, metavar="E164")
@click.argument("sub_account", metavar="SA_…", type=SUB_ACCOUNT_ID, required=False)
@file_job_options(
    "CSV with columns e164,sub_account_id: hand each number to its sub-account.", "assign"
)
@click.pass_obj
def subaccounts_assign(
    settings: Settings,
    e164: str | None,
    sub_account: str | None,
    source: Path | None,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
) -> int:
    """Move a number from the master's pool to a sub-account (or many: --from FILE)."""
    out = settings.output()
    if source is not None:
        if e164 is not None or sub_account is not None:
            raise click.UsageError(
                "--from FILE names the numbers and sub-accounts; give nothing else"
            )
        return _assign_file(settings, source, concurrency, results_path, journal_path)
    if e164 is None or sub_account is None:
        raise click.UsageError("give a number and a sub-account (E164 SA_…), or --from FILE")
    client = settings.client()
    number, target = e164, sub_account

    async def go() -> None:
        async with client:
            await client.subaccounts.assign_number(number, target)

    try:
        run_async(go())
    except CoolOffInEffect as exc:
        raise CliError(f"cannot assign {e164}: {describe_error(exc)}", EXIT_COOL_OFF) from None
    out.record(
        f"assigned {e164} to {sub_account}",
        {"e164": e164, "sub_account_id": sub_account, "outcome": "assigned"},
    )
    return EXIT_OK


def _assign_file(
    settings: Settings,
    source: Path,
    concurrency: int,
    results_path: Path | None,
    journal_path: Path | None,
) -> int:
    out = settings.output()
    _, pairs, bad, notes = read_pairs_file(source, ("sub_account_id",))
    for line in bad:
        out.warn(line.describe(str(source)))
    for note in notes:
        out.info(f"note: {note}")
    if not pairs:
        raise CliError("no valid rows to assign", EXIT_USAGE)
    assignments = [(item.e164, value) for item, value in pairs]
    journal_path = journal_path or source.with_name(f"{source.name}.assign-journal.jsonl")
    results_path = results_path or default_results_path("assign", Path.cwd())
    journal = FileJournal(journal_path)
    run = run_job(
        settings.client(max_concurrency=concurrency),
        out,
        "Assigning",
        len(assignments),
        lambda client: client.subaccounts.assign_many(
            assignments, concurrency=concurrency, journal=journal
        ),
        results_path,
        journal,
        order=[item for item, _ in pairs],
        bad=bad,
    )
    return summarize(out, "assign", run, results_path=results_path, journal_path=journal_path)


@subaccounts.command("unassign", epilog=EXIT_CODES_HELP)
@click.argument("e164", type=E164)
@click.option(
    "--force",
    is_flag=True,
    help="Unassign even within the 15-day cool-off (admin accounts only; audited).",
)
@click.pass_obj
def subaccounts_unassign(settings: Settings, e164: str, force: bool) -> int:
    """Move a number back from its sub-account to the master's pool.

    Within 15 days of the number's last call this is refused (exit 4) with the
    time the cool-off ends, unless --force.
    """
    out = settings.output()
    client = settings.client()

    async def go() -> None:
        async with client:
            await client.subaccounts.unassign_number(e164, force=force)

    try:
        run_async(go())
    except CoolOffInEffect as exc:
        raise CliError(
            f"cannot unassign {e164}: "
            + describe_error(exc, hint="retry after that, or use --force (admin accounts only)"),
            EXIT_COOL_OFF,
        ) from None
    how = " (forced)" if force else ""
    out.record(
        f"unassigned {e164}{how}; it is back in the master account's pool",
        {"e164": e164, "outcome": "unassigned", "forced": force},
    )
    return EXIT_OK


@subaccounts.command("create")
@click.argument("name")
@click.option("--email", help="Contact address (needed with --kyc-mode customer_use).")
@click.option("--kyc-mode", type=click.Choice(["personal_use", "customer_use"]))
@click.option("--description")
@click.option("--disabled", is_flag=True, help="Create it disabled.")
@click.pass_obj
def subaccounts_create(
    settings: Settings,
    name: str,
    email: str | None,
    kyc_mode: str | None,
    description: str | None,
    disabled: bool,
) -> int:
    """Create a sub-account; its Auth Token is printed this once: store it now."""
    created = call(
        settings,
        lambda client: client.subaccounts.create(
            name,
            email=email,
            kyc_mode=kyc_mode,  # type: ignore[arg-type]  # checked by click.Choice
            description=description,
            enabled=False if disabled else None,
        ),
    )
    out = settings.output()
    out.warn("the auth token below is shown only this once: store it in your secret manager now")
    token = created.auth_token or "(the server sent none: reset it before use)"
    out.record(
        f"created {created.auth_id} ({name}); auth token: {token}",
        {"auth_id": created.auth_id, "name": name, "auth_token": created.auth_token},
    )
    return EXIT_OK


@subaccounts.command("update")
@click.argument("sub_account", metavar="SA_…", type=SUB_ACCOUNT_ID)
@click.option("--name")
@click.option("--email")
@click.option("--description")
@click.option("--enable/--disable", "enabled", default=None)
@click.pass_obj
def subaccounts_update(
    settings: Settings,
    sub_account: str,
    name: str | None,
    email: str | None,
    description: str | None,
    enabled: bool | None,
) -> int:
    """Change a sub-account's name, email, description or enabled state."""
    sub = call(
        settings,
        lambda client: client.subaccounts.update(
            sub_account, name=name, email=email, description=description, enabled=enabled
        ),
    )
    settings.output().rows(
        [subaccount_row(sub)], SUBACCOUNT_COLUMNS, json_items=[subaccount_json(sub)]
    )
    return EXIT_OK


@subaccounts.command("delete", epilog=EXIT_CODES_HELP)
@click.argument("sub_account", metavar="SA_…", type=SUB_ACCOUNT_ID)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def subaccounts_delete(settings: Settings, sub_account: str, yes: bool) -> int:
    """Delete a sub-account (asks first unless --yes; refuses without a terminal)."""
    if not yes:
        if not sys.stdin.isatty():
            raise CliError(f"refusing to delete {sub_account} without --yes", EXIT_USAGE)
        click.confirm(f"Delete sub-account {sub_account}?", abort=True, err=True)
    call(settings, lambda client: client.subaccounts.delete(sub_account))
    settings.output().record(
        f"deleted {sub_account}", {"auth_id": sub_account, "outcome": "deleted"}
    )
    return EXIT_OK
