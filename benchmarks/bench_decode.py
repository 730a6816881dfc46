"""Decode cost per item: the SDK's page decoders against ``orjson.loads`` alone.

``decode_number_page`` as shipped uses msgspec when the ``speedups`` extra is
installed; ``decode_number_page_general`` is what it does without msgspec
(and for a page msgspec cannot represent exactly): orjson, then the tuned
cattrs converter.

The page is 100 realistic numbers (every field of the documented listing
example, with varied values: see ``_data``). Each figure is the best of
several rounds of many calls (the functions taking turns in each round),
with the garbage collector paused as ``timeit`` does.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import cattrs
import orjson

from phonenumbers_async._convert import structure_number
from phonenumbers_async._fastdecode import decode_number_page_fast
from phonenumbers_async._models import PhoneNumber
from phonenumbers_async._sansio import decode_number_page, decode_number_page_general

from ._data import MASTER, make_numbers, number_page_bytes
from ._harness import Row, best_per_call, fmt_ratio

__all__ = ["decode_rows", "generic_converter", "sample_page"]

ITEMS = 100


def sample_page() -> bytes:
    return number_page_bytes(make_numbers(MASTER, 0, ITEMS), 1, ITEMS, 10 * ITEMS)


def generic_converter() -> cattrs.Converter:
    """``cattrs.Converter()`` as it comes, plus the two hooks it has no default for."""
    conv = cattrs.Converter()
    conv.register_structure_hook(Decimal, lambda value, _: Decimal(str(value)))
    conv.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    return conv


def decode_rows(repetitions: int = 15, number: int = 60) -> list[Row]:
    body = sample_page()
    dicts: list[dict[str, Any]] = orjson.loads(body)["items"]
    generic = generic_converter()

    def generic_structure() -> None:
        for item in dicts:
            generic.structure(item, PhoneNumber)

    def tuned_structure() -> None:
        for item in dicts:
            structure_number(item, None)

    # All give the same numbers (the generic path leaves ``extra`` empty too).
    shipped = decode_number_page(body, 1, ITEMS)
    assert [generic.structure(item, PhoneNumber) for item in dicts] == list(shipped.items)
    assert decode_number_page_general(body, 1, ITEMS) == shipped
    fast = decode_number_page_fast is not None
    if fast:
        assert decode_number_page_fast is not None
        assert decode_number_page_fast(body) is not None, "the benchmark page takes the fast path"

    seconds = best_per_call(
        {
            "loads": (lambda: orjson.loads(body), number),
            "stdlib": (lambda: json.loads(body), number),
            "decode": (lambda: decode_number_page(body, 1, ITEMS), number),
            "general": (lambda: decode_number_page_general(body, 1, ITEMS), number),
            "tuned": (tuned_structure, number),
            "generic": (generic_structure, max(5, number // 3)),
        },
        repetitions,
    )
    loads, stdlib, decode, general, tuned, generic_only = (
        seconds[name] / ITEMS * 1e6
        for name in ("loads", "stdlib", "decode", "general", "tuned", "generic")
    )
    ratio = decode / loads
    shipped_label = (
        "SDK `decode_number_page(body)` as shipped (msgspec, the speedups extra)"
        if fast
        else "SDK `decode_number_page(body)` as shipped (msgspec not installed: general path)"
    )
    return [
        Row(
            f"2. Decode cost per item: one page of {ITEMS} realistic numbers "
            f"({len(body):,} bytes), best of {repetitions}",
            "",
            section=True,
        ),
        Row("`orjson.loads(body)` alone", f"{loads:.2f} µs/item"),
        Row("`json.loads(body)` alone (stdlib, for reference)", f"{stdlib:.2f} µs/item"),
        Row(shipped_label, f"{decode:.2f} µs/item"),
        Row("`decode_number_page` ÷ `orjson.loads`", fmt_ratio(ratio), "<= 4x", ratio <= 4),
        Row(
            "SDK `decode_number_page_general(body)` (orjson + tuned cattrs converter)",
            f"{general:.2f} µs/item",
        ),
        Row(
            "  of which structuring (`structure_number` on the parsed dicts)",
            f"{tuned:.2f} µs/item",
        ),
        Row(
            "`decode_number_page_general` ÷ `orjson.loads`",
            fmt_ratio(general / loads),
            "<= 4x",
            general / loads <= 4,
        ),
        Row(
            "generic `cattrs.Converter()` (+ Decimal/datetime hooks): orjson + structure",
            f"{loads + generic_only:.2f} µs/item ({generic_only:.2f} structuring)",
        ),
        Row(
            "what the tuning bought, generic ÷ SDK: general path; as shipped",
            f"{fmt_ratio((loads + generic_only) / general)}; "
            f"{fmt_ratio((loads + generic_only) / decode)}",
        ),
    ]
