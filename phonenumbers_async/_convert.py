"""The one cattrs converter that turns decoded JSON into models and back.

Built once at import (``make_converter``) and reused: structuring hooks are
generated code, so building them per call would dominate the decode cost.
The hot path trusts the server's types (no detailed validation) and converts
only what needs it: money to Decimal, timestamps to aware datetimes.
"""

from __future__ import annotations

import linecache
import re
import types
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._models import (
    EMPTY_EXTRA,
    Balance,
    Capabilities,
    CreatedSubAccount,
    ExtraFields,
    HealthSnapshot,
    HealthSummary,
    NumberHealth,
    NumberStatus,
    PhoneNumber,
    Release,
    ReleaseCancellation,
    SubAccount,
    Transaction,
)

__all__ = [
    "converter",
    "json_converter",
    "make_converter",
    "structure_as",
    "structure_checked",
    "structure_number",
    "structure_subaccount",
]

M = TypeVar("M")


class _Memoized:
    """A conversion whose results are remembered: for values that repeat across items.

    Fees, statuses and capability sets take a handful of distinct values in a
    listing of thousands, and the results are immutable, so one object per
    value is shared. ``key_source`` is the key as Python source over ``value``,
    so the generated hot-path hook can look the cache up without a call.
    """

    __slots__ = ("cache", "convert", "key", "key_source", "limit")

    def __init__(
        self,
        convert: Callable[[Any, Any], Any],
        key_source: str,
        *,
        limit: int = 4096,
    ) -> None:
        self.convert = convert
        self.key_source = key_source
        self.key: Callable[[Any], Any] = eval(
            f"lambda value: {key_source}"
        )  # our own constant text
        self.cache: dict[Any, Any] = {}
        self.limit = limit

    def __call__(self, value: Any, type_: Any) -> Any:
        try:
            key = self.key(value)
            found = self.cache.get(key)
        except TypeError:  # an unhashable value (a nested object): nothing to share
            return self.convert(value, type_)
        if found is None:
            found = self.convert(value, type_)
            if len(self.cache) < self.limit:
                # setdefault: when two threads convert the same new value at
                # once, both hand out the object stored first.
                found = self.cache.setdefault(key, found)
        return found


#: Money at or beyond 10**15 (or finer than 10**-12) is not an amount this API
#: sends: such a value is refused when read, never left to fail in arithmetic.
_MONEY_DIGITS_ABOVE_POINT = 15
_MONEY_DIGITS_BELOW_POINT = 12


def _decimal(value: Any, _: Any) -> Decimal:
    if value.__class__ is float:
        # repr() of a float is its shortest round-trip text, so 1.1 becomes
        # Decimal("1.1") rather than the binary expansion of the float. Both
        # decoders read money this way, so they agree on every digit.
        result = Decimal(repr(value))
    elif isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"money must be a number, not {value!r}")
    else:
        result = Decimal(value)
    exponent = result.as_tuple().exponent
    if (
        not isinstance(exponent, int)  # NaN or infinity
        or result.adjusted() >= _MONEY_DIGITS_ABOVE_POINT
        or exponent < -_MONEY_DIGITS_BELOW_POINT
    ):
        raise ValueError(f"{str(value)[:40]!r} is not an amount of money this SDK can represent")
    return result


# Keyed with the class: 1, 1.0 and True are equal as keys, but are read differently
# (Decimal("1"), Decimal("1.0"), refused).
_to_decimal = _Memoized(_decimal, "(value.__class__, value)")


def _decimal_to_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def money_text(value: Decimal) -> str:
    """Money as JSON-safe text: fixed-point, with the exact digits (the models' ``to_dict``)."""
    # Fixed-point, every digit kept: Decimal("1.50") is "1.50", never "1.5" or 1.5.
    return format(value, "f")


# The longest documented timestamp, "2025-06-09T14:23:00.123456Z", has 27
# characters; only a longer one can carry more than six fractional digits.
_LONGEST_PLAIN_TIMESTAMP = 27
_LONG_FRACTION = re.compile(r"(.+[Tt ]\d\d:\d\d:\d\d)\.(\d{7,})(.*)", re.DOTALL)


def _parse_long_timestamp(value: str) -> datetime:
    """A timestamp that may have more than six fractional digits, rounded half up to 6.

    ``datetime.fromisoformat`` cuts the extra digits off, msgspec rounds them
    (half up on the seventh digit); the two decoders must agree, so this one
    rounds the same way.
    """
    match = _LONG_FRACTION.fullmatch(value)
    if match is None:
        parsed = datetime.fromisoformat(value)
    else:
        head, digits, tail = match.groups()
        parsed = datetime.fromisoformat(f"{head}.{digits[:6]}{tail}")
        if digits[6] >= "5":
            parsed += timedelta(microseconds=1)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _to_datetime(value: Any, _: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif len(value) > _LONGEST_PLAIN_TIMESTAMP:
        return _parse_long_timestamp(value)
    else:
        parsed = datetime.fromisoformat(value)
    # A timestamp without an offset is UTC on this API; never hand out a naive one.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def time_text(value: datetime) -> str:
    """A time as ISO 8601 text, UTC as ``Z`` (the models' ``to_dict``)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _status(value: Any, _: Any) -> NumberStatus:
    return NumberStatus(value)


_to_status = _Memoized(_status, "value", limit=256)
_to_status.cache.update((member.value, member) for member in NumberStatus)


def _to_tuple(value: Any, _: Any) -> tuple[Any, ...]:
    if value.__class__ is tuple:  # the default, already a tuple
        return value
    if value.__class__ is not list or any(item.__class__ is not str for item in value):
        raise TypeError(f"expected a list of strings, not {str(value)[:40]!r}")
    return tuple(value)


class _Exact:
    """A JSON scalar taken as it is, once its type is the one the model declares.

    JSON already gives these types, so nothing is converted; a value of
    another type (``"capabilities": "voice"``, ``"e164": 7``) is refused here
    rather than stored, so every unreadable answer is caught when read.
    """

    __slots__ = ("type",)

    def __init__(self, type_: type) -> None:
        self.type = type_

    def __call__(self, value: Any, _: Any) -> Any:
        if value.__class__ is not self.type:
            raise TypeError(f"expected {self.type.__name__}, not {str(value)[:40]!r}")
        return value


def _to_float(value: Any, _: Any) -> float:
    # A JSON number: an integer (0) or a float (0.5); never a boolean.
    if value.__class__ is float:
        return value
    if value.__class__ is int:
        return float(value)
    raise TypeError(f"expected a number, not {str(value)[:40]!r}")


def _mapping(value: Any, _: Any) -> Any:
    if value.__class__ is not dict:
        raise TypeError(f"expected an object, not {str(value)[:40]!r}")
    return value


def _or_none(hook: Callable[[Any, Any], M]) -> Callable[[Any, Any], M | None]:
    def optional(value: Any, type_: Any) -> M | None:
        return None if value is None else hook(value, type_)

    return optional


_optional_text = _or_none(_Exact(str))


def _register_exact(conv: cattrs.Converter, type_: Any, hook: Callable[[Any, Any], Any]) -> None:
    conv.register_structure_hook_func(lambda candidate: candidate == type_, hook)


def _wire_names(cls: type) -> frozenset[str]:
    return frozenset(field.name for field in attrs.fields(cls) if field.name != "extra")


def _register_with_extra(
    conv: cattrs.Converter,
    cls: type[M],
    *,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Structure ``cls`` keeping unknown keys in ``extra``; unstructure writes them back.

    ``aliases`` maps another wire name to an attribute (read when the
    attribute's own key is absent).
    """
    known = _wire_names(cls) | frozenset(aliases or ())
    alias_items = tuple((aliases or {}).items())
    base_structure = make_dict_structure_fn(
        cls,
        conv,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=False,
        extra=override(omit=True),
    )

    def structure(data: Mapping[str, Any], _: Any) -> M:
        obj = base_structure(data, cls)
        for alias, attribute in alias_items:
            if attribute not in data and alias in data:
                # Every alias names an owner: text or null, checked like the field.
                object.__setattr__(obj, attribute, _optional_text(data[alias], None))
        unknown = data.keys() - known
        if unknown:
            # Set once, during construction, before anyone else sees the object.
            object.__setattr__(obj, "extra", ExtraFields({key: data[key] for key in unknown}))
        return obj

    conv.register_structure_hook(cls, structure)
    _register_unstructure_with_extra(conv, cls)


def _register_unstructure_with_extra(conv: cattrs.Converter, cls: type[M]) -> None:
    base_unstructure = make_dict_unstructure_fn(cls, conv, extra=override(omit=True))

    def unstructure(obj: M) -> dict[str, Any]:
        out: dict[str, Any] = base_unstructure(obj)
        for key, value in obj.extra.items():  # type: ignore[attr-defined]  # every registered class has extra
            out.setdefault(key, value)
        return out

    conv.register_unstructure_hook(cls, unstructure)


def _register_hot_path(
    conv: cattrs.Converter,
    cls: type[M],
    *,
    aliases: Mapping[str, str] | None = None,
    empty_means_none: tuple[str, ...] = (),
) -> None:
    """A structure hook for the listing hot path, generated once for a dict-backed class.

    The instance dict is filled from the wire dict in one step and only the
    fields whose type needs converting (money, timestamps, status, nested
    objects) go through a hook, each written out in the generated code (as
    cattrs does) rather than looped over; the result equals the generic
    hook's at a fraction of the cost (see ``benchmarks``). It bypasses
    ``__init__``, so the class must have no validators or converters; a test
    checks that the two hooks agree.
    """
    fields = attrs.fields(attrs.resolve_types(cls))  # type: ignore[type-var, arg-type]  # M is an attrs class
    defaults: dict[str, Any] = {}
    for field in fields:
        if field.validator is not None or field.converter is not None:
            raise TypeError(f"{cls.__name__}.{field.name} has a validator or converter")
        if field.name != "extra":
            default = field.default
            defaults[field.name] = (
                default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
            )
    namespace: dict[str, Any] = {
        "__cls": cls,
        "__defaults": defaults,
        "__known": frozenset(defaults) | frozenset(aliases or ()),
        "__nothing": attrs.NOTHING,
        "__new": object.__new__,
        "__set": object.__setattr__,
        "__fromiso": datetime.fromisoformat,
        "__long_timestamp": _parse_long_timestamp,
        "__utc": UTC,
        "__no_extra": EMPTY_EXTRA,
        "__extra": ExtraFields,
    }
    lines = [
        "def structure(data, _):",
        "    values = __defaults.copy()",
        "    values.update(data)",
        # Most items have no unknown fields: they share one empty, read-only mapping.
        "    extra = __no_extra",
        # More keys than fields: aliases, or fields this SDK does not know yet.
        f"    if len(values) != {len(defaults)}:",
    ]
    for alias, attribute in (aliases or {}).items():
        lines += [
            f"        if {alias!r} in values:",
            f"            alias_value = values.pop({alias!r})",
            f"            if {attribute!r} not in data:",
            f"                values[{attribute!r}] = alias_value",
        ]
    lines += [
        "        unknown = data.keys() - __known",
        "        if unknown:",
        "            extra = __extra({key: values.pop(key) for key in unknown})",
        "    values['extra'] = extra",
    ]
    for name in empty_means_none:
        # The strict inventory schema types the owner as a string: "" is no owner.
        lines += [f"    if values[{name!r}] == '':", f"        values[{name!r}] = None"]
    for field in fields:
        name = field.name
        if name == "extra":
            continue
        default = defaults[name]
        inner = _strip_optional(field.type)
        hook = conv.get_structure_hook(inner)
        if default is attrs.NOTHING:
            lines += [
                f"    if values[{name!r}] is __nothing or values[{name!r}] is None:",
                f"        raise KeyError('{cls.__name__} without {name}')",
            ]
        elif default is not None:
            # A null on the wire keeps the default (tags: ()).
            namespace[f"__default_{name}"] = default
            lines += [
                f"    if values[{name!r}] is None:",
                f"        values[{name!r}] = __default_{name}",
            ]
        lines.append(f"    value = values[{name!r}]")
        lines.append("    if value is not None:")
        if isinstance(hook, _Exact):
            # Inlined: the type check is all there is to do for most fields.
            namespace[f"__exact_{name}"] = hook
            namespace[f"__class_{name}"] = hook.type
            lines += [
                f"        if value.__class__ is not __class_{name}:",
                f"            __exact_{name}(value, None)",
            ]
        elif hook is _to_datetime:
            # Inlined: six timestamps an item make the call itself measurable.
            lines += [
                f"        if len(value) > {_LONGEST_PLAIN_TIMESTAMP}:",
                f"            values[{name!r}] = __long_timestamp(value)",
                "        else:",
                "            value = __fromiso(value)",
                f"            values[{name!r}] = value if value.tzinfo is not None"
                " else value.replace(tzinfo=__utc)",
            ]
        elif hook is _to_tuple:
            namespace["__to_tuple"] = _to_tuple
            lines.append(f"        values[{name!r}] = __to_tuple(value, None)")
        elif isinstance(hook, _Memoized):
            # The cache looked up inline; the hook runs (and fills it) on a miss.
            namespace[f"__hook_{name}"] = hook
            namespace[f"__type_{name}"] = inner
            namespace[f"__cache_{name}"] = hook.cache
            lines += [
                "        try:",
                f"            found = __cache_{name}.get({hook.key_source})",
                "        except TypeError:",
                "            found = None",
                f"        values[{name!r}] = found if found is not None"
                f" else __hook_{name}(value, __type_{name})",
            ]
        else:
            namespace[f"__hook_{name}"] = hook
            namespace[f"__type_{name}"] = inner
            lines.append(f"        values[{name!r}] = __hook_{name}(value, __type_{name})")
    lines += [
        "    obj = __new(__cls)",
        "    __set(obj, '__dict__', values)",
        "    return obj",
    ]
    source = "\n".join(lines) + "\n"
    filename = f"<phonenumbers_async generated structure {cls.__qualname__}>"
    # Registered with linecache so a traceback through it shows its source.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    conv.register_structure_hook(cls, namespace["structure"])
    _register_unstructure_with_extra(conv, cls)


def _strip_optional(type_: Any) -> Any:
    args = [arg for arg in getattr(type_, "__args__", ()) if arg is not type(None)]
    if isinstance(type_, types.UnionType) and len(args) == 1:
        return args[0]
    return type_


def make_converter(*, json_safe: bool = False) -> cattrs.Converter:
    """Build the converter with every hook the models need.

    ``json_safe`` unstructures to JSON types only and keeps money exact:
    amounts as fixed-point strings, tuples as lists (``Model.to_dict()``).
    The default writes money as JSON numbers, as the API sends them.
    """
    conv = cattrs.Converter(
        detailed_validation=False,
        forbid_extra_keys=False,
        unstruct_collection_overrides={tuple: list} if json_safe else {},
    )
    # JSON already gives these types: they are checked, never converted.
    for scalar in (str, bool, int):
        conv.register_structure_hook(scalar, _Exact(scalar))
        _register_exact(conv, scalar | None, _or_none(_Exact(scalar)))
    # Optional money and timestamps get one flat hook each instead of cattrs'
    # generic union dispatch, which costs more than the conversion itself.
    _register_exact(conv, Decimal | None, _or_none(_to_decimal))
    _register_exact(conv, datetime | None, _or_none(_to_datetime))
    _register_exact(conv, NumberStatus | None, _or_none(_to_status))
    conv.register_structure_hook(Decimal, _to_decimal)
    conv.register_unstructure_hook(Decimal, money_text if json_safe else _decimal_to_json)
    conv.register_structure_hook(datetime, _to_datetime)
    conv.register_unstructure_hook(datetime, time_text)
    conv.register_structure_hook(NumberStatus, _to_status)
    conv.register_unstructure_hook(NumberStatus, lambda status: status.value)
    _register_exact(conv, Mapping[str, Any] | None, _or_none(_mapping))
    _register_exact(conv, Mapping[str, Any], _mapping)
    _register_exact(conv, tuple[str, ...], _to_tuple)
    _register_with_extra(conv, Capabilities)
    # Capabilities take few shapes: one shared object per shape. The values' types are in
    # the key: 1 == 1.0 == True, but only True is a capability and each is its own extra.
    conv.register_structure_hook(
        Capabilities,
        _Memoized(
            conv.get_structure_hook(Capabilities),
            "(*value, *value.values(), *[item.__class__ for item in value.values()])",
            limit=256,
        ),
    )
    _register_hot_path(
        conv, PhoneNumber, aliases={"auth_id": "account_id"}, empty_means_none=("account_id",)
    )
    _register_with_extra(conv, SubAccount)
    _register_with_extra(conv, CreatedSubAccount)
    conv.register_structure_hook(float, _to_float)
    _register_exact(conv, float | None, _or_none(_to_float))
    for model in (Release, ReleaseCancellation, HealthSummary, HealthSnapshot, Balance):
        _register_with_extra(conv, model)
    # Its snapshots are a list on the wire; each is read as a HealthSnapshot.
    _register_exact(
        conv,
        tuple[HealthSnapshot, ...],
        lambda value, _: tuple(conv.structure(item, HealthSnapshot) for item in _list(value)),
    )
    _register_exact(conv, HealthSummary | None, _or_none(conv.get_structure_hook(HealthSummary)))
    _register_with_extra(conv, NumberHealth)
    # The current example names the owner auth_id, the generated models account_id.
    _register_with_extra(conv, Transaction, aliases={"auth_id": "account_id"})
    return conv


def _list(value: Any) -> list[Any]:
    if value.__class__ is not list:
        raise TypeError(f"expected a list, not {str(value)[:40]!r}")
    return value


converter = make_converter()
#: Unstructures models to JSON types with exact money (``to_dict()``); structures as ``converter``.
json_converter = make_converter(json_safe=True)

structure_number: Callable[[Any, Any], PhoneNumber] = converter.get_structure_hook(PhoneNumber)
structure_subaccount: Callable[[Any, Any], SubAccount] = converter.get_structure_hook(SubAccount)


def structure_as(model: type[M]) -> Callable[[Any, Any], M]:
    """The converter's structure hook for ``model``."""
    hook: Callable[[Any, Any], M] = converter.get_structure_hook(model)
    return hook


def structure_checked(model: type[M], data: Any) -> M:
    """``data`` read as ``model`` (``Model.from_dict``); what is not one is a ValidationError."""
    from .errors import ValidationError

    if not isinstance(data, Mapping):
        raise ValidationError(
            f"{model.__name__}.from_dict takes a mapping of field names, not {type(data).__name__}"
        )
    try:
        return converter.structure(dict(data), model)
    except (TypeError, ValueError, KeyError, ArithmeticError, cattrs.BaseValidationError) as exc:
        raise ValidationError(f"cannot read a {model.__name__} from that data: {exc}") from None
