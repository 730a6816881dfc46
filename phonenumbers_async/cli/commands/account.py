"""``account``: the balance and the ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from phonenumbers_async.cli._common import (
    EXIT_OK,
)
from phonenumbers_async.cli._context import Settings, call
from phonenumbers_async.cli._options import (
    CONTEXT,
    check_paging,
    paging_options,
    show_listing,
)
from phonenumbers_async.cli._output import (
    Column,
    cell,
    json_value,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

TRANSACTION_COLUMNS = (
    Column("created_at", "When"),
    Column("type", "Type"),
    Column("amount", "Amount", numeric=True),
    Column("currency", "Currency"),
    Column("reference_type", "Kind", drop=1),
    Column("description", "Description"),
    Column("id", "Id", in_table=False),
)


__all__ = ["account"]


@click.group(context_settings=CONTEXT)
def account() -> None:
    """The account's money: balance and transactions."""


@account.command("balance")
@click.option("--currency", default="INR", show_default=True, help="Three-letter currency code.")
@click.pass_obj
def account_balance(settings: Settings, currency: str) -> int:
    """The balance; available_balance is what purchases may spend."""
    balance = call(settings, lambda client: client.account.balance(currency))
    settings.output().record(
        f"available {cell(balance.available_balance)} {balance.currency or currency} "
        f"(balance {cell(balance.balance)}, reserved {cell(balance.reserved_funds)}, "
        f"credit limit {cell(balance.credit_limit)})",
        {
            "currency": balance.currency,
            "balance": balance.balance,
            "available_balance": balance.available_balance,
            "reserved_funds": balance.reserved_funds,
            "credit_limit": balance.credit_limit,
        },
    )
    return EXIT_OK


@account.command("transactions")
@paging_options
@click.pass_obj
def account_transactions(
    settings: Settings, all_pages: bool, page: int, per_page: int | None
) -> int:
    """The ledger: number rentals, calls, payments and refunds (one page, or --all)."""
    check_paging(all_pages, page)
    client = settings.client()
    show_listing(
        settings.output(),
        client,
        all_pages=all_pages,
        per_page=per_page,
        iterate=lambda size: client.account.iter_transactions(per_page=size),
        one_page=lambda size: client.account.list_transactions(page=page, per_page=size),
        noun="transaction",
        row=lambda entry: {
            column.key: cell(getattr(entry, column.key)) for column in TRANSACTION_COLUMNS
        },
        columns=TRANSACTION_COLUMNS,
        as_json=json_value,
    )
    return EXIT_OK
