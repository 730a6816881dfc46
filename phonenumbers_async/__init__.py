"""Async-first client for the Vobiz Phone Numbers API.

``AsyncClient`` is the client; ``Client`` is the same client for synchronous
code. Models, errors and the retry policy are re-exported here.

The names are loaded on first use (PEP 562), so importing a part of the
package that does not need the client (``phonenumbers_async.emulator``) does
not load it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from . import errors
    from ._bulk import (
        BulkOutcome,
        FileJournal,
        JobIdentity,
        JournalEntry,
        JournalError,
        JournalMismatch,
        JournalReplay,
        JournalStore,
        MemoryJournal,
        Outcome,
        PlanLine,
        ProvisionOrder,
        PurchasePlan,
        RouteTarget,
    )
    from ._client import AsyncClient
    from ._config import CallOptions, ClientConfig, ClientOptions
    from ._convert import converter
    from ._models import (
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
    )
    from ._raw import RawResponse
    from ._resources.subaccounts import SubAccountChanges, SubAccountFields
    from ._retry import RetryPolicy
    from ._sansio import Response
    from ._sync._client import Client
    from ._transport import AiohttpTransport, HTTPRequest, MockTransport, Timeouts, Transport
    from .errors import (
        APIError,
        AuthenticationFailed,
        BadRequest,
        ClientClosedError,
        ConfigurationError,
        Conflict,
        CoolOffInEffect,
        DeadlineExceeded,
        EventLoopError,
        FanOutError,
        InsufficientBalance,
        NotFound,
        NumberTaken,
        OutcomeUnknown,
        PagingError,
        PermissionDenied,
        PhoneNumbersError,
        PurchaseOutcomeUnknown,
        RateLimited,
        RequestTimeout,
        ResponseTooLarge,
        ServerError,
        TransportError,
        UnexpectedResponse,
        Unprocessable,
        ValidationError,
    )

# Each public name and the module that defines it.
_HOMES: dict[str, str] = {
    "errors": ".errors",
    **{
        name: "._bulk"
        for name in (
            "BulkOutcome",
            "FileJournal",
            "JobIdentity",
            "JournalEntry",
            "JournalError",
            "JournalMismatch",
            "JournalReplay",
            "JournalStore",
            "MemoryJournal",
            "Outcome",
            "PlanLine",
            "ProvisionOrder",
            "PurchasePlan",
            "RouteTarget",
        )
    },
    "AsyncClient": "._client",
    "CallOptions": "._config",
    "ClientConfig": "._config",
    "ClientOptions": "._config",
    "converter": "._convert",
    "Client": "._sync._client",
    "RawResponse": "._raw",
    **{
        name: "._models"
        for name in (
            "Balance",
            "Capabilities",
            "CreatedSubAccount",
            "HealthSnapshot",
            "HealthSummary",
            "NumberHealth",
            "NumberStatus",
            "Page",
            "PhoneNumber",
            "Release",
            "ReleaseCancellation",
            "SubAccount",
            "Transaction",
        )
    },
    "RetryPolicy": "._retry",
    "SubAccountChanges": "._resources.subaccounts",
    "SubAccountFields": "._resources.subaccounts",
    "Response": "._sansio",
    "AiohttpTransport": "._transport",
    "HTTPRequest": "._transport",
    "MockTransport": "._transport",
    "Timeouts": "._transport",
    "Transport": "._transport",
    **{
        name: ".errors"
        for name in (
            "APIError",
            "AuthenticationFailed",
            "BadRequest",
            "ClientClosedError",
            "ConfigurationError",
            "Conflict",
            "CoolOffInEffect",
            "DeadlineExceeded",
            "EventLoopError",
            "FanOutError",
            "InsufficientBalance",
            "NotFound",
            "NumberTaken",
            "OutcomeUnknown",
            "PagingError",
            "PermissionDenied",
            "PhoneNumbersError",
            "PurchaseOutcomeUnknown",
            "RateLimited",
            "RequestTimeout",
            "ResponseTooLarge",
            "ServerError",
            "TransportError",
            "UnexpectedResponse",
            "Unprocessable",
            "ValidationError",
        )
    },
}

__all__ = [
    "APIError",
    "AiohttpTransport",
    "AsyncClient",
    "AuthenticationFailed",
    "BadRequest",
    "Balance",
    "BulkOutcome",
    "CallOptions",
    "Capabilities",
    "Client",
    "ClientClosedError",
    "ClientConfig",
    "ClientOptions",
    "ConfigurationError",
    "Conflict",
    "CoolOffInEffect",
    "CreatedSubAccount",
    "DeadlineExceeded",
    "EventLoopError",
    "FanOutError",
    "FileJournal",
    "HTTPRequest",
    "HealthSnapshot",
    "HealthSummary",
    "InsufficientBalance",
    "JobIdentity",
    "JournalEntry",
    "JournalError",
    "JournalMismatch",
    "JournalReplay",
    "JournalStore",
    "MemoryJournal",
    "MockTransport",
    "NotFound",
    "NumberHealth",
    "NumberStatus",
    "NumberTaken",
    "Outcome",
    "OutcomeUnknown",
    "Page",
    "PagingError",
    "PermissionDenied",
    "PhoneNumber",
    "PhoneNumbersError",
    "PlanLine",
    "ProvisionOrder",
    "PurchaseOutcomeUnknown",
    "PurchasePlan",
    "RateLimited",
    "RawResponse",
    "Release",
    "ReleaseCancellation",
    "RequestTimeout",
    "Response",
    "ResponseTooLarge",
    "RetryPolicy",
    "RouteTarget",
    "ServerError",
    "SubAccount",
    "SubAccountChanges",
    "SubAccountFields",
    "Timeouts",
    "Transaction",
    "Transport",
    "TransportError",
    "UnexpectedResponse",
    "Unprocessable",
    "ValidationError",
    "__version__",
    "converter",
    "errors",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(home, __name__)
    value = module if name == "errors" else getattr(module, name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
