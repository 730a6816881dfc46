"""Models serialise: ``to_dict``/``to_json`` are JSON-safe with exact money, and
``from_dict``/``from_json`` read them back into equal models; reprs stay short."""

from __future__ import annotations

import json
import types
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phonenumbers_async import (
    Balance,
    Capabilities,
    CreatedSubAccount,
    HealthSnapshot,
    HealthSummary,
    NumberHealth,
    NumberStatus,
    Page,
    PhoneNumber,
    Release,
    ReleaseCancellation,
    SubAccount,
    Transaction,
    ValidationError,
)
from phonenumbers_async._models import ExtraFields, Serializable

FIXTURES = Path("/work/shared/fixtures")
MODELS: list[type[Serializable]] = [
    Capabilities,
    PhoneNumber,
    SubAccount,
    Release,
    ReleaseCancellation,
    HealthSummary,
    HealthSnapshot,
    NumberHealth,
    Balance,
    Transaction,
    CreatedSubAccount,
]

_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
_json_scalar = st.one_of(st.none(), _text, st.lists(_text, max_size=3))
_money = st.integers(0, 12).flatmap(
    lambda places: st.decimals(
        min_value=-(10**12), max_value=10**12, places=places, allow_nan=False, allow_infinity=False
    )
)
_zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=4))]
)
_times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=_zones
)
_statuses = st.one_of(
    st.sampled_from(list(NumberStatus)),
    st.from_regex(r"[a-z_]{3,12}", fullmatch=True).map(NumberStatus),
)
# Keys no model knows (nor any alias): they land in ``extra``.
_extra = st.dictionaries(st.from_regex(r"x_[a-z]{1,8}", fullmatch=True), _json_scalar, max_size=3)


def _strategy(type_: Any) -> st.SearchStrategy[Any]:
    """Values of one field's type, as the API could send them."""
    if isinstance(type_, types.UnionType):
        inner = [arg for arg in type_.__args__ if arg is not type(None)]
        assert len(inner) == 1
        return st.none() | _strategy(inner[0])
    origin = getattr(type_, "__origin__", None)
    if origin is tuple:
        return st.lists(_strategy(type_.__args__[0]), max_size=3).map(tuple)
    if attrs.has(type_):
        return _model(type_)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: _text,
        int: st.integers(-(10**9), 10**9),
        bool: st.booleans(),
        float: st.floats(allow_nan=False, allow_infinity=False),
        Decimal: _money,
        datetime: _times,
        NumberStatus: _statuses,
    }
    if type_ in simple:
        return simple[type_]
    # Mapping[str, Any]: a JSON object (permissions, tokens).
    return st.dictionaries(_text, _json_scalar, max_size=3)


def _model(cls: type[Any]) -> st.SearchStrategy[Any]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(attrs.resolve_types(cls)):
        if field.name == "extra":
            fields["extra"] = _extra.map(ExtraFields)
        else:
            fields[field.name] = _strategy(field.type)
    return st.builds(cls, **fields)


def _money_fields(model: Any) -> list[tuple[str, Decimal]]:
    return [
        (field.name, getattr(model, field.name))
        for field in attrs.fields(type(model))
        if isinstance(getattr(model, field.name), Decimal)
    ]


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trips_are_exact(cls: type[Serializable], data: st.DataObject) -> None:
    """Any model survives to_dict → JSON → from_dict (and to_json → from_json) unchanged,
    its money as strings with the very digits it had."""
    model = data.draw(_model(cls))
    as_dict = model.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict  # JSON types only
    assert cls.from_dict(as_dict) == model
    again = cls.from_json(model.to_json())
    assert again == model
    for name, amount in _money_fields(model):
        assert as_dict[name] == format(amount, "f")
        assert getattr(again, name).as_tuple() == amount.as_tuple()


def test_to_dict_writes_money_times_enums_and_extra_as_documented() -> None:
    """Money is exact text, times ISO 8601 with Z for UTC, a status its value, and unknown
    fields are written back at the top level."""
    number = PhoneNumber(
        e164="+919876543210",
        monthly_fee=Decimal("1.50"),
        setup_fee=Decimal("0.10"),
        status=NumberStatus.ACTIVE,
        purchased_at=datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
        tags=("a", "b"),
        capabilities=Capabilities(voice=True),
        extra=ExtraFields({"porting": {"state": "none"}}),
    )
    out = number.to_dict()
    assert out["monthly_fee"] == "1.50"
    assert out["setup_fee"] == "0.10"
    assert out["status"] == "active"
    assert out["purchased_at"] == "2026-01-02T03:04:05.600000Z"
    assert out["tags"] == ["a", "b"]
    assert out["capabilities"] == {"voice": True, "sms": False, "mms": False, "fax": False}
    assert out["porting"] == {"state": "none"}
    assert json.loads(number.to_json(indent=2)) == out


def _recorded(name: str, *keys: str | int) -> Any:
    value: Any = json.loads((FIXTURES / name).read_text())
    for key in keys:
        value = value[key]
    return value


@pytest.mark.parametrize(
    ("cls", "raw"),
    [
        (Balance, _recorded("balance.json")),
        (PhoneNumber, _recorded("purchase.json", "number")),
        (Transaction, _recorded("transactions.json", "transactions", 0)),
    ],
    ids=["balance", "number", "transaction"],
)
def test_from_dict_reads_recorded_answers(cls: type[Serializable], raw: dict[str, Any]) -> None:
    """A recorded provider object reads into the model, and its dict form reads back equal."""
    model = cls.from_dict(raw)
    assert cls.from_dict(model.to_dict()) == model
    assert cls.from_json(model.to_json()) == model


@pytest.mark.parametrize(
    "data",
    [["not", "a", "mapping"], {"e164": 7}, {"status": "active"}, {"e164": "+1", "setup_fee": "x"}],
)
def test_data_that_is_not_a_model_raises_a_validation_error(data: Any) -> None:
    """from_dict refuses what no PhoneNumber looks like with a typed error, not a traceback."""
    with pytest.raises(ValidationError, match="PhoneNumber"):
        PhoneNumber.from_dict(data)


def test_from_json_refuses_text_that_is_not_json() -> None:
    """from_json of broken text is a ValidationError naming the model."""
    with pytest.raises(ValidationError, match="Balance"):
        Balance.from_json("{not json")


def test_reprs_show_the_key_fields_briefly_and_never_secrets() -> None:
    """A fully populated number's repr is one short line with its key fields; a
    sub-account's token never shows."""
    raw = json.loads((FIXTURES / "list-numbers.auth-id.json").read_text())["items"][0]
    number = PhoneNumber.from_dict(raw)
    text = repr(number)
    assert len(text) < 200, text
    assert text.startswith(f"PhoneNumber(e164={number.e164!r}")
    assert text.endswith("…)")
    sub = SubAccount(auth_id="SA_X1", name="Acme", auth_token="sk-live-TOP-SECRET")
    assert repr(sub) == "SubAccount(auth_id='SA_X1', name='Acme')"
    assert repr(Capabilities()) == "Capabilities(voice=False, sms=False, mms=False, fax=False)"


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_page_round_trips_with_its_item_type(data: st.DataObject) -> None:
    """A page of numbers survives to_json → from_json, and its repr counts rather than lists."""
    numbers = data.draw(st.lists(_model(PhoneNumber), max_size=4))
    page = Page(items=tuple(numbers), page=2, per_page=25, total=26 + len(numbers))
    assert Page.from_json(page.to_json(), PhoneNumber) == page
    assert Page.from_dict(page.to_dict(), PhoneNumber) == page
    assert repr(page).startswith(f"Page(page=2, per_page=25, total={page.total}, items=<")
    assert len(repr(page)) < 100


@pytest.mark.parametrize("data", [[], {"items": "x"}, {"items": [], "page": "1", "per_page": 2}])
def test_a_page_of_bad_data_raises_a_validation_error(data: Any) -> None:
    """Page.from_dict refuses what is not a page with a typed error."""
    with pytest.raises(ValidationError, match="Page"):
        Page.from_dict(data, PhoneNumber)


def test_capabilities_of_equal_values_of_other_types_are_not_shared() -> None:
    """The capabilities cache tells 1, 1.0 and True apart: each object keeps its own
    extra value's type, and a non-bool capability is refused even once True was cached."""
    first = PhoneNumber.from_dict({"e164": "+1", "capabilities": {"voice": True, "rcs15": True}})
    second = PhoneNumber.from_dict({"e164": "+1", "capabilities": {"voice": True, "rcs15": 1}})
    third = PhoneNumber.from_dict({"e164": "+1", "capabilities": {"voice": True, "rcs15": 1.0}})
    extras = [number.to_dict()["capabilities"]["rcs15"] for number in (first, second, third)]
    assert [type(value) for value in extras] == [bool, int, float]
    PhoneNumber.from_dict({"e164": "+1", "capabilities": {"fax": True, "tag15": "x"}})
    with pytest.raises(ValidationError):
        PhoneNumber.from_dict({"e164": "+1", "capabilities": {"fax": 1, "tag15": "x"}})


def test_created_subaccount_keeps_unknown_fields() -> None:
    """CreatedSubAccount reads unknown keys into ``extra`` and writes them back at the top
    level (no ``"extra"`` key), like every other model."""
    data = {"sub_account": {"auth_id": "SA_A", "zz": 1}, "unknown": 5}
    created = CreatedSubAccount.from_dict(data)
    assert created.extra == {"unknown": 5}
    out = created.to_dict()
    assert out["unknown"] == 5
    assert "extra" not in out
    assert out["sub_account"]["zz"] == 1
    assert CreatedSubAccount.from_dict(out) == created
