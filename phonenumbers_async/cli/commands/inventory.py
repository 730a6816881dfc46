"""``inventory``: numbers on sale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from phonenumbers_async.cli._common import (
    EXIT_OK,
)
from phonenumbers_async.cli._context import Settings, run_async
from phonenumbers_async.cli._options import (
    CONTEXT,
    check_paging,
    one_page_or_all,
    output_options,
    paging_options,
    show,
)
from phonenumbers_async.cli._output import (
    NUMBER_COLUMNS,
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
@output_options
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
    out = settings.output()
    client = settings.client()

    items, one_page = run_async(
        one_page_or_all(
            client,
            all_pages,
            lambda size: client.inventory.iter(
                country=country, search=search, exclude=exclude, per_page=size
            ),
            lambda size: client.inventory.list(
                country=country, search=search, exclude=exclude, page=page, per_page=size
            ),
            per_page,
        )
    )
    show(out, items, one_page, "number", number_row, NUMBER_COLUMNS, number_json)
    return EXIT_OK
