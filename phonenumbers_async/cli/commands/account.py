"""``account``: the balance and the ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from phonenumbers_async import (
    converter,
)
from phonenumbers_async.cli._common import (
    EXIT_OK,
)
from phonenumbers_async.cli._context import Settings, call, run_async
from phonenumbers_async.cli._options import (
    CONTEXT,
    check_paging,
    one_page_or_all,
    output_options,
    paging_options,
    show,
)
from phonenumbers_async.cli._output import (
    Column,
    cell,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

TRANSACTION_COLUMNS = (
    Column("created_at", "When"),
    Column("type", "Type"),
    Column("amount", "Amount", numeric=True),
    Column("currency", "Currency"),
    Column("reference_type", "Kind"),
    Column("description", "Description"),
    Column("id", "Id", in_table=False),
)


__all__ = ["account"]


@click.group(context_settings=CONTEXT)
def account() -> None:
    """The account's money: balance and transactions."""


@account.command("balance")
@click.option("--currency", default="INR", show_default=True, help="Three-letter currency code.")
@output_options
@click.pass_obj
def account_balance(settings: Settings, currency: str) -> int:
    """The balance; available_balance is what purchases may spend."""
    balance = call(settings, lambda client: client.account.balance(currency))
    settings.output().record(
        f"available {cell(balance.available_balance)} {balance.currency or currency} "
        f"(balance {cell(balance.balance)}, reserved {cell(balance.reserved_funds)}, "
        f"credit limit {cell(balance.credit_limit)})",
        {
            "currency": cell(balance.currency),
            "balance": cell(balance.balance),
            "available_balance": cell(balance.available_balance),
            "reserved_funds": cell(balance.reserved_funds),
            "credit_limit": cell(balance.credit_limit),
        },
    )
    return EXIT_OK


@account.command("transactions")
@paging_options
@output_options
@click.pass_obj
def account_transactions(
    settings: Settings, all_pages: bool, page: int, per_page: int | None
) -> int:
    """The ledger: number rentals, calls, payments and refunds (one page, or --all)."""
    check_paging(all_pages, page)
    client = settings.client()
    items, one_page = run_async(
        one_page_or_all(
            client,
            all_pages,
            lambda size: client.account.iter_transactions(per_page=size),
            lambda size: client.account.list_transactions(page=page, per_page=size),
            per_page,
        )
    )
    show(
        settings.output(),
        items,
        one_page,
        "transaction",
        lambda entry: {
            column.key: cell(getattr(entry, column.key)) for column in TRANSACTION_COLUMNS
        },
        TRANSACTION_COLUMNS,
        converter.unstructure,
    )
    return EXIT_OK
