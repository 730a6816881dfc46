"""The OpenAPI 3.1 document of the ``/api`` routes, built from the route table.

Each ``/api`` route in ``_app.API_ROUTES`` carries an :class:`Operation`;
:func:`build_document` turns the table into the document served at
``GET /_emulator/openapi.json``, so the document lists exactly the routes the
server has. The schemas below are the wire shapes of ``wire-api.md``,
every documented variant included (both owner keys, release 204 or 200,
purchase with or without ``items``, the three error shapes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

__all__ = ["COMPONENTS", "Answer", "Operation", "build_document"]


@dataclasses.dataclass(frozen=True)
class Answer:
    """One documented response: a description and its JSON schemas (none: no body)."""

    description: str
    schemas: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Operation:
    """What the document says of one route."""

    operation_id: str
    summary: str
    answers: Mapping[str, Answer]
    parameters: tuple[str, ...] = ()
    body: str | None = None


class DocumentedRoute(Protocol):
    """What the builder reads of a route (``_app.Route``)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...
    @property
    def operation(self) -> Operation | None: ...


API_PREFIX = "/api"
# The document's own version: raise it when a route or schema changes.
DOCUMENT_VERSION = "1.2.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _page_schema(items: str, item: str, size: str) -> dict[str, Any]:
    """A page envelope: its items, the page number, the page size and the total."""
    return {
        "type": "object",
        "required": [items, "page", size, "total"],
        "properties": {
            items: {"type": "array", "items": _ref(item)},
            "page": {"type": "integer", "minimum": 1},
            size: {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
        },
    }


_TIMESTAMP = {"type": "string", "format": "date-time"}
_MONEY = {"type": "number", "description": "money: an integer or a decimal (100, 1.0)"}
_E164 = {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"}
_KYC_MODE = {"type": ["string", "null"], "enum": ["personal_use", "customer_use", None]}

# The optional fields of a sub-account, as creation and update take them.
_SUB_ACCOUNT_FIELDS: dict[str, Any] = {
    "email": {"type": ["string", "null"]},
    "password": {"type": ["string", "null"]},
    "kyc_mode": _KYC_MODE,
    "business_type": {"type": ["string", "null"]},
    "enabled": {"type": ["boolean", "null"]},
    "phone": {"type": ["string", "null"]},
    "description": {"type": ["string", "null"]},
    "rate_limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000000},
    "permissions": {"type": ["object", "null"]},
}

SCHEMAS: dict[str, Any] = {
    "Capabilities": {
        "type": "object",
        "properties": {k: {"type": "boolean"} for k in ("voice", "sms", "mms", "fax")},
    },
    "PhoneNumber": {
        "type": "object",
        "description": (
            "The owner is named account_id or auth_id (both documented; the emulator's "
            "owner_key fault setting chooses). Inventory items are null-owned and shorter."
        ),
        "required": [
            "id",
            "e164",
            "country",
            "status",
            "setup_fee",
            "monthly_fee",
            "currency",
            "created_at",
            "updated_at",
        ],
        "anyOf": [{"required": ["account_id"]}, {"required": ["auth_id"]}],
        "properties": {
            "id": {"type": "string"},
            "account_id": _nullable("string"),
            "auth_id": _nullable("string"),
            "e164": _E164,
            "country": {"type": "string"},
            "region": _nullable("string"),
            "capabilities": _ref("Capabilities"),
            "status": {
                "type": "string",
                "enum": ["active", "pending_purchase", "pending_release", "released", "blocked"],
            },
            "provider": {"type": "string"},
            "provider_ref": {"type": "string"},
            "setup_fee": _MONEY,
            "monthly_fee": _MONEY,
            "currency": {"type": "string"},
            "application_id": _nullable("string"),
            "trunk_group_id": _nullable("string"),
            "voice_enabled": _nullable("boolean"),
            "is_blocked": _nullable("boolean"),
            "is_trial_number": _nullable("boolean"),
            "aadhaar_verification_required": _nullable("boolean"),
            "aadhaar_verified": _nullable("boolean"),
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "source": _nullable("string"),
            "minimum_commitment_months": _nullable("integer"),
            **{
                name: {"type": ["string", "null"], "format": "date-time"}
                for name in (
                    "purchased_at",
                    "released_at",
                    "last_billing_date",
                    "next_billing_date",
                )
            },
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "NumberPage": _page_schema("items", "PhoneNumber", "per_page"),
    "SubAccountUpdateRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 200},
            **_SUB_ACCOUNT_FIELDS,
        },
    },
    "PurchaseRequest": {
        "type": "object",
        "required": ["e164"],
        "additionalProperties": False,
        "properties": {
            "e164": {
                "type": "string",
                "pattern": r"^\+?[1-9][0-9]{6,14}$",
                "description": "E.164, the + literal in JSON",
            },
            "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$"},
        },
    },
    "PurchaseResult": {
        "type": "object",
        "description": "Some documented examples add items (the purchase_items variant).",
        "required": ["message", "number"],
        "properties": {
            "message": {"type": "string"},
            "number": _ref("PhoneNumber"),
            "items": {"type": "array", "items": _ref("PhoneNumber")},
        },
    },
    "Message": {
        "type": "object",
        "required": ["message"],
        "properties": {"message": {"type": "string"}},
    },
    "AssignRequest": {
        "type": "object",
        "required": ["sub_account_id"],
        "additionalProperties": False,
        "properties": {"sub_account_id": {"type": "string", "pattern": "^SA_[A-Za-z0-9]{1,64}$"}},
    },
    "AssignResult": {
        "type": "object",
        "required": ["message", "number"],
        "properties": {"message": {"type": "string"}, "number": _ref("PhoneNumber")},
    },
    "SubAccount": {
        "type": "object",
        "required": ["auth_id", "id", "name", "parent_auth_id", "enabled", "is_active"],
        "properties": {
            "auth_id": {"type": "string"},
            "id": {"type": "string"},
            "name": _nullable("string"),
            "email": _nullable("string"),
            "phone": _nullable("string"),
            "description": _nullable("string"),
            "permissions": {"type": ["object", "null"]},
            "rate_limit": {"type": "integer"},
            "parent_account_id": _nullable("string"),
            "parent_auth_id": _nullable("string"),
            "auth_token": {"type": "string"},
            "api_id": {"type": "string"},
            "email_verified": {"type": "boolean"},
            "enabled": {"type": "boolean"},
            "is_active": {"type": "boolean"},
            "created": {"type": "string"},
            "modified": {"type": "string"},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
            "last_used": {"type": ["string", "null"], "format": "date-time"},
            "account": {"type": "string"},
            "resource_uri": {"type": "string"},
        },
    },
    "SubAccountPage": _page_schema("sub_accounts", "SubAccount", "size"),
    "ErrorEnvelope": {
        "type": "object",
        "description": "Error shape 1 (envelope).",
        "required": ["status", "error", "timestamp", "requestId"],
        "properties": {
            "status": {"const": "error"},
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"type": "object"},
                },
            },
            "timestamp": _TIMESTAMP,
            "requestId": {"type": "string"},
        },
    },
    "ErrorFlat": {
        "type": "object",
        "description": "Error shape 2 (flat).",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    },
    "ErrorOnly": {
        "type": "object",
        "description": 'The cancel-release errors: {"error": …} alone.',
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
    },
    "ReleaseResult": {
        "type": "object",
        "description": "The current API's release answer (immediate=true: status released).",
        "required": ["status", "message", "cooldown_ends_at", "release_fee", "cancel_url"],
        "properties": {
            "status": {"type": "string", "enum": ["pending_release", "released"]},
            "message": {"type": "string"},
            "cooldown_ends_at": _TIMESTAMP,
            "release_fee": _MONEY,
            "cancel_url": {"type": "string"},
            "note": {"type": "string"},
        },
    },
    "ReleaseCancellation": {
        "type": "object",
        "required": ["message", "status"],
        "properties": {
            "message": {"type": "string"},
            "status": {"const": "active"},
            "currency": {"type": "string"},
            "refund_amount": _MONEY,
            "refund_status": {"type": "string", "enum": ["success", "failed"]},
            "refund_error": {"type": "string"},
        },
    },
    "TrunkAssignRequest": {
        "type": "object",
        "required": ["trunk_group_id"],
        "additionalProperties": False,
        "properties": {
            "trunk_group_id": {
                "type": "string",
                "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                "-[0-9a-fA-F]{12}$",
            }
        },
    },
    "ApplicationAttachRequest": {
        "type": "object",
        "required": ["application_id"],
        "additionalProperties": False,
        "properties": {"application_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"}},
    },
    "HealthSummary": {
        "type": "object",
        "required": [
            "period_days",
            "total_calls",
            "answered_calls",
            "answer_rate",
            "total_minutes",
            "avg_duration",
        ],
        "properties": {
            "period_days": {"type": "integer", "minimum": 1, "maximum": 365},
            "total_calls": {"type": "integer", "minimum": 0},
            "answered_calls": {"type": "integer", "minimum": 0},
            "answer_rate": {"type": "number", "description": "percent"},
            "total_minutes": {"type": "number"},
            "avg_duration": {"type": "number", "description": "seconds per answered call"},
        },
    },
    "HealthSnapshot": {
        "type": "object",
        "required": [
            "id",
            "ts",
            "total_calls",
            "answered_calls",
            "failed_calls",
            "answer_rate",
            "total_duration",
            "avg_duration",
            "total_minutes",
        ],
        "properties": {
            "id": {"type": "string"},
            "ts": _TIMESTAMP,
            "total_calls": {"type": "integer", "minimum": 0},
            "answered_calls": {"type": "integer", "minimum": 0},
            "failed_calls": {"type": "integer", "minimum": 0},
            "answer_rate": {"type": "number"},
            "total_duration": {"type": "integer", "minimum": 0},
            "avg_duration": {"type": "number"},
            "total_minutes": {"type": "number"},
        },
    },
    "NumberHealth": {
        "type": "object",
        "required": [
            "e164",
            "status",
            "usage_status",
            "is_spam",
            "granularity",
            "summary",
            "snapshots",
        ],
        "properties": {
            "e164": _E164,
            "status": {"type": "string"},
            "usage_status": {"type": "string"},
            "is_spam": {"type": "boolean"},
            "granularity": {"type": "string", "enum": ["daily", "hourly"]},
            "summary": _ref("HealthSummary"),
            "snapshots": {"type": "array", "items": _ref("HealthSnapshot")},
        },
    },
    "Balance": {
        "type": "object",
        "required": [
            "id",
            "account_id",
            "currency",
            "balance",
            "reserved_funds",
            "promotional_balance",
            "promotional_reserved_balance",
            "available_balance",
            "credit_limit",
            "is_postpaid",
            "credit_limit_type",
            "low_balance_threshold",
            "status",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "id": {"type": "string"},
            "account_id": {"type": "string"},
            "currency": {"type": "string"},
            **{
                name: _MONEY
                for name in (
                    "balance",
                    "reserved_funds",
                    "promotional_balance",
                    "promotional_reserved_balance",
                    "available_balance",
                    "credit_limit",
                    "low_balance_threshold",
                )
            },
            "is_postpaid": {"type": "boolean"},
            "credit_limit_type": {"type": "string", "enum": ["soft", "hard"]},
            "status": {"type": "string"},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "Transaction": {
        "type": "object",
        "description": "The owner is auth_id (the current example) or account_id (older).",
        "required": [
            "id",
            "balance_id",
            "type",
            "amount",
            "currency",
            "description",
            "reference",
            "status",
            "processed_at",
            "created_at",
            "updated_at",
        ],
        "anyOf": [{"required": ["auth_id"]}, {"required": ["account_id"]}],
        "properties": {
            "id": {"type": "string"},
            "auth_id": {"type": "string"},
            "account_id": {"type": "string"},
            "balance_id": {"type": "string"},
            "type": {"type": "string", "enum": ["debit", "credit"]},
            "amount": _MONEY,
            "currency": {"type": "string"},
            "description": {"type": "string"},
            "reference": {"type": "string"},
            "reference_type": {
                "type": "string",
                "enum": ["cdr", "did_rental", "manual_adjustment", "payment", "refund"],
            },
            "status": {"type": "string"},
            "processed_at": _TIMESTAMP,
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "TransactionPage": {
        "type": "object",
        "required": [
            "auth_id",
            "total",
            "page",
            "per_page",
            "total_pages",
            "transactions",
            "summary",
        ],
        "properties": {
            "auth_id": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total_pages": {"type": "integer", "minimum": 0},
            "transactions": {"type": "array", "items": _ref("Transaction")},
            "summary": {
                "type": "object",
                "required": ["total_transactions", "total_debit", "total_credit", "net_amount"],
                "properties": {
                    "total_transactions": {"type": "integer"},
                    "total_debit": _MONEY,
                    "total_credit": _MONEY,
                    "net_amount": _MONEY,
                    "by_reference_type": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    },
    "TransactionPageOlder": {
        "type": "object",
        "description": "The older envelope (the transactions_envelope=older variant).",
        "required": ["account_id", "count", "limit", "offset", "transactions"],
        "properties": {
            "account_id": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1},
            "offset": {"type": "integer", "minimum": 0},
            "transactions": {"type": "array", "items": _ref("Transaction")},
        },
    },
    "SubAccountCreateRequest": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            **_SUB_ACCOUNT_FIELDS,
        },
    },
    "CreatedSubAccount": {
        "type": "object",
        "required": ["message", "sub_account", "auth_credentials", "tokens"],
        "properties": {
            "message": {"type": "string"},
            "sub_account": _ref("SubAccount"),
            "auth_credentials": {
                "type": "object",
                "required": ["auth_id", "auth_token"],
                "properties": {"auth_id": {"type": "string"}, "auth_token": {"type": "string"}},
            },
            "tokens": {
                "type": "object",
                "required": ["access_token", "refresh_token", "token_type", "expires_in"],
                "properties": {
                    "access_token": {"type": "string"},
                    "refresh_token": {"type": "string"},
                    "token_type": {"type": "string"},
                    "expires_in": {"type": "integer"},
                },
            },
        },
    },
    "ErrorCoolOff": {
        "type": "object",
        "description": "Error shape 3 (the 15-day cool-off).",
        "required": ["error", "cool_off_until", "cool_off_remaining_seconds"],
        "properties": {
            "error": {"const": "did_cool_off_in_effect"},
            "cool_off_until": _TIMESTAMP,
            "cool_off_remaining_seconds": {"type": "integer", "minimum": 1},
        },
    },
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_PAGE = {"type": "integer", "minimum": 1, "maximum": 10**9}
_SIZE = {"type": "integer", "minimum": 1, "maximum": 100}
_BOOL = {"type": "boolean"}

PARAMETERS: dict[str, Any] = {
    "auth_id": {
        "name": "auth_id",
        "in": "path",
        "required": True,
        "description": "The caller's Auth ID, or (for a master) one of its sub-accounts'.",
        "schema": {"type": "string", "pattern": "^(MA|SA)_[A-Za-z0-9]{1,64}$"},
    },
    "sub_auth_id": {
        "name": "sub_auth_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^SA_[A-Za-z0-9]{1,64}$"},
    },
    "e164": {
        "name": "e164",
        "in": "path",
        "required": True,
        "description": "The number: %2B-encoded, raw +, or without the + (all three accepted).",
        "schema": {"type": "string", "pattern": r"^\+?[1-9][0-9]{6,14}$"},
    },
    "page": _query("page", _PAGE, "page number, from 1"),
    "per_page": _query("per_page", _SIZE, "page size (25)"),
    "limit": _query("limit", _SIZE, "the limit/offset variant of per_page"),
    "offset": _query("offset", {"type": "integer", "minimum": 0}, "the limit/offset variant"),
    "include_subaccounts": _query("include_subaccounts", _BOOL, "default true for MA_"),
    "country": _query("country", {"type": "string", "pattern": "^[A-Za-z]{2}$"}, "ISO code"),
    "search": _query("search", {"type": "string", "pattern": r"^\+?[0-9]{1,15}$"}, "substring"),
    "force": _query("force", _BOOL, "admin only: unassign during the cool-off"),
    "immediate": _query("immediate", _BOOL, "skip the 24-hour cancellable window"),
    "exclude": {
        **_query(
            "exclude",
            {"type": "array", "items": {"type": "string", "pattern": r"^\+?[0-9]{1,15}$"}},
            "E.164 prefixes to leave out (comma-separated and/or repeated)",
        ),
        "style": "form",
        "explode": True,
    },
    "granularity": _query(
        "granularity", {"type": "string", "enum": ["daily", "hourly"]}, "snapshot width (daily)"
    ),
    "days": _query("days", {"type": "integer", "minimum": 1, "maximum": 365}, "period (30)"),
    "currency": {
        "name": "currency",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
    },
    "size": _query("size", _SIZE, "page size (25)"),
    "active_only": _query("active_only", _BOOL, "only enabled, active sub-accounts"),
}

COMPONENTS = {"schemas": SCHEMAS}

# Every /api route can answer these; routes with a body also 413, 415 and 422.
_COMMON = {
    "400": Answer("malformed parameter, path number or JSON", ("ErrorEnvelope",)),
    "401": Answer("missing or invalid credentials", ("ErrorEnvelope",)),
    "403": Answer("the caller may not act on this path account or number", ("ErrorFlat",)),
    "404": Answer("not found (or no such route)", ("ErrorFlat",)),
    "405": Answer("method not allowed", ("ErrorFlat",)),
    "429": Answer("rate limited (fault injection); Retry-After says when", ("ErrorEnvelope",)),
}
_WITH_BODY = {
    "408": Answer("the body did not arrive within the body timeout", ("ErrorEnvelope",)),
    "413": Answer("body too large", ("ErrorEnvelope",)),
    "415": Answer("the body's charset is not UTF-8", ("ErrorEnvelope",)),
    "422": Answer("the body has a missing, unknown or mistyped field", ("ErrorEnvelope",)),
}
_SERVER_ERROR = {
    "description": (
        "server error (fault injection only): an envelope, an HTML page or an empty body"
    ),
    "content": {
        "application/json": {"schema": _ref("ErrorEnvelope")},
        "text/html": {"schema": {"type": "string"}},
    },
}


def _response(answer: Answer) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    if answer.schemas:
        schemas = [_ref(name) for name in answer.schemas]
        schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _operation(route: DocumentedRoute, operation: Operation) -> dict[str, Any]:
    answers = dict(_COMMON)
    if operation.body is not None:
        answers.update(_WITH_BODY)
    answers.update(operation.answers)
    out: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "parameters": [PARAMETERS[name] for name in operation.parameters],
        "responses": {
            **{status: _response(answers[status]) for status in sorted(answers)},
            "5XX": _SERVER_ERROR,
        },
    }
    if operation.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(operation.body)}},
        }
    if route.aliases:
        out["x-aliases"] = [alias.removeprefix(API_PREFIX) for alias in route.aliases]
    return out


def build_document(routes: Iterable[DocumentedRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every documented route in ``routes``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if route.operation is None:
            continue
        if not route.path.startswith(API_PREFIX + "/"):
            raise ValueError(f"documented route outside {API_PREFIX}: {route.path}")
        path = route.path.removeprefix(API_PREFIX)
        item = paths.setdefault(path, {})
        if route.method.lower() in item:
            raise ValueError(f"{route.method} {route.path} is in the route table twice")
        item[route.method.lower()] = _operation(route, route.operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Vobiz Phone Numbers API (phonenumbers_async emulator)",
            "version": DOCUMENT_VERSION,
            "description": (
                "The /api routes the local emulator serves, generated from its route "
                "table. Every request carries X-Auth-ID and X-Auth-Token. x-aliases "
                "lists other spellings of a path the emulator also accepts."
            ),
        },
        "servers": [{"url": API_PREFIX}],
        "security": [{"AuthId": [], "AuthToken": []}],
        "paths": paths,
        "components": {
            **COMPONENTS,
            "securitySchemes": {
                "AuthId": {"type": "apiKey", "in": "header", "name": "X-Auth-ID"},
                "AuthToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
            },
        },
    }
