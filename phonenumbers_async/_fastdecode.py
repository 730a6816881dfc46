"""A faster decoder for pages of numbers, used when msgspec is installed.

msgspec parses a page straight into typed values in C: timestamps into aware
datetimes, tags into tuples; fees are JSON numbers turned into ``Decimal`` by
the general decoder's own (memoized) rule. The general decoder (orjson or
``json``, then the cattrs converter) does the same work in Python at about
one and a half times the cost per item (``python -m benchmarks`` prints both).

The fast path takes a page only when it can represent it exactly. A page
with a field this SDK does not know (kept in ``extra`` by the general
decoder), an envelope key beyond the documented ones, a timestamp without an
offset (read as UTC there), a null where a default applies, a capability it
does not know, a value of another type than documented, a value the models
cannot hold, or anything msgspec cannot read is refused as a whole, and the
general decoder reads it (or reports it as an ``UnexpectedResponse``).

Wherever both decoders accept a page they build identical objects, field for
field and type for type: ``tests/unit/test_decoder_agreement.py`` checks it
with generated pages (hypothesis). Outside the documented formats the fast
path accepts a little more (a lowercase ``t`` or ``z`` in a timestamp, valid
RFC 3339; more than six fractional digits of a second, rounded).
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import attrs

from ._convert import converter
from ._models import EMPTY_EXTRA, Capabilities, NumberStatus, PhoneNumber

__all__ = ["NumberPage", "decode_number_page_fast"]

# The decoded items and the envelope's paging fields (page, per_page, limit, total).
NumberPage = tuple[tuple[PhoneNumber, ...], Mapping[str, Any]]


def _build() -> Callable[[bytes], NumberPage | None]:
    import msgspec  # optional: ImportError means no fast path

    # An offset is required: a naive timestamp goes to the general decoder,
    # which reads it as UTC.
    Timestamp = Annotated[datetime, msgspec.Meta(tz=True)]  # a type alias

    WireCapabilities = msgspec.defstruct(
        "WireCapabilities",
        _wire_fields(Capabilities, {}),
        forbid_unknown_fields=True,
        gc=False,
    )
    # Field for field the attributes of PhoneNumber (read off the model, so
    # the two cannot drift apart), plus the other owner key. Structs are never
    # kept: each becomes a PhoneNumber at once.
    wire_types = {
        datetime | None: Timestamp | None,
        # Money is read as the JSON value it is and converted below by the
        # general decoder's own rule, so both decoders give the same Decimal.
        Decimal | None: int | float | str | None,
        NumberStatus | None: str | None,  # unknown statuses are kept: converted below
        Capabilities | None: WireCapabilities | None,
    }
    WireNumber = msgspec.defstruct(
        "WireNumber",
        [
            # UNSET tells an absent key from a null one, as the alias rule needs.
            ("account_id", str | msgspec.UnsetType | None, msgspec.UNSET)
            if field[0] == "account_id"
            else field
            for field in _wire_fields(PhoneNumber, wire_types)
        ]
        + [("auth_id", str | None, None)],
        forbid_unknown_fields=True,
        gc=False,
    )

    # The documented envelope keys only: another key may hold anything (text
    # that is not UTF-8, a number out of range) that the general decoder
    # would refuse, so a page with one goes there.
    class Envelope(msgspec.Struct, forbid_unknown_fields=True, gc=False):
        items: list[WireNumber]  # type: ignore[valid-type]  # a Struct made at run time
        page: Any = None
        per_page: Any = None
        limit: Any = None
        offset: Any = None
        total: Any = None

    decoder = msgspec.json.Decoder(Envelope)
    as_dict = msgspec.structs.asdict
    unset = msgspec.UNSET
    new = object.__new__
    set_dict = object.__setattr__
    # The general decoder's status cache: a status is one shared object
    # whichever path decoded it. Capability sets get a cache of their own.
    status_hook = converter.get_structure_hook(NumberStatus)
    money_hook = converter.get_structure_hook(Decimal)
    money: dict[Any, Decimal] = getattr(money_hook, "cache", {})
    statuses: dict[Any, NumberStatus] = getattr(status_hook, "cache", {})
    capability_sets: dict[tuple[Any, ...], Capabilities] = {}
    as_tuple = msgspec.structs.astuple
    capability_names = [name for name, *_ in _wire_fields(Capabilities, {})]

    def number(wire: Any) -> PhoneNumber:
        values = as_dict(wire)
        alias = values.pop("auth_id")
        if values["account_id"] is unset:
            values["account_id"] = alias
        if values["account_id"] == "":
            # The strict inventory schema types the owner as a string: "" is no owner.
            values["account_id"] = None
        for name in ("setup_fee", "monthly_fee"):
            fee = values[name]
            if fee is not None:
                found = money.get((fee.__class__, fee))
                values[name] = found if found is not None else money_hook(fee, Decimal)
        status = values["status"]
        if status is not None:
            values["status"] = statuses.get(status) or status_hook(status, NumberStatus)
        wire_capabilities = wire.capabilities
        if wire_capabilities is not None:
            key = as_tuple(wire_capabilities)
            capabilities = capability_sets.get(key)
            if capabilities is None:
                capabilities = Capabilities(**dict(zip(capability_names, key, strict=True)))
                if len(capability_sets) < 64:
                    capability_sets[key] = capabilities
            values["capabilities"] = capabilities
        values["extra"] = EMPTY_EXTRA
        # Like the general decoder: the instance dict filled in one step.
        result = new(PhoneNumber)
        set_dict(result, "__dict__", values)
        return result

    def decode(body: bytes) -> NumberPage | None:
        try:
            envelope = decoder.decode(body)
        except Exception:  # refused, not failed: see below
            # Not what this path represents exactly (a ValidationError), not
            # JSON (DecodeError), text that is not UTF-8 (UnicodeDecodeError),
            # nesting too deep (RecursionError)...: the general decoder reads
            # the page or reports it as an UnexpectedResponse.
            return None
        try:
            items = tuple(map(number, envelope.items))
        except Exception:  # a value the models cannot hold (money out of range…)
            return None
        return items, {
            "page": envelope.page,
            "per_page": envelope.per_page,
            "limit": envelope.limit,
            "total": envelope.total,
        }

    return decode


def _wire_fields(model: type, wire_types: dict[Any, Any]) -> list[tuple[Any, ...]]:
    """``(name, type[, default])`` for each attribute of ``model`` but ``extra``."""
    fields: list[tuple[Any, ...]] = []
    for field in attrs.fields(attrs.resolve_types(model)):
        if field.name == "extra":
            continue
        wire_type = wire_types.get(field.type, field.type)
        if field.default is attrs.NOTHING:
            fields.append((field.name, wire_type))
        else:
            fields.append((field.name, wire_type, field.default))
    return fields


decode_number_page_fast: Callable[[bytes], NumberPage | None] | None
"""Decode a page envelope of numbers, or None when the page needs the general decoder.

None itself when msgspec is not installed.
"""
try:
    decode_number_page_fast = _build()
except ImportError:  # pragma: no cover - exercised only without the speedups extra
    decode_number_page_fast = None
