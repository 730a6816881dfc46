"""``inventory``: numbers on sale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from phonenumbers_async.cli._common import (
    EXIT_OK,
)
from phonenumbers_async.cli._context import Settings
from phonenumbers_async.cli._options import (
    CONTEXT,
    check_paging,
    paging_options,
    show_listing,
)
from phonenumbers_async.cli._output import (
    INVENTORY_COLUMNS,
    number_json,
    number_row,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


__all__ = ["inventory"]


@click.group(context_settings=CONTEXT)
def inventory() -> None:
    """Numbers on sale."""


@inventory.command("list")
@click.option("--country", metavar="CC", help="Two-letter country code, such as IN or US.")
@click.option("--search", metavar="DIGITS", help="Digits the number contains, such as 9180.")
@click.option(
    "--exclude",
    metavar="PREFIX",
    multiple=True,
    help="Leave out numbers starting with PREFIX (repeat it, or separate with commas).",
)
@paging_options
@click.pass_obj
def inventory_list(
    settings: Settings,
    country: str | None,
    search: str | None,
    exclude: tuple[str, ...],
    all_pages: bool,
    page: int,
    per_page: int | None,
) -> int:
    """List numbers on sale (one page, or --all), optionally filtered."""
    check_paging(all_pages, page)
    client = settings.client()
    show_listing(
        settings.output(),
        client,
        all_pages=all_pages,
        per_page=per_page,
        iterate=lambda size: client.inventory.iter(
            country=country, search=search, exclude=exclude, per_page=size
        ),
        one_page=lambda size: client.inventory.list(
            country=country, search=search, exclude=exclude, page=page, per_page=size
        ),
        noun="number",
        row=number_row,
        columns=INVENTORY_COLUMNS,
        as_json=number_json,
    )
    return EXIT_OK
