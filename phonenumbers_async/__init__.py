"""Async-first client for the Vobiz Phone Numbers API.

``AsyncClient`` is the client; ``Client`` is the same client for synchronous
code. Models, errors and the retry policy are re-exported here.
"""

__version__ = "0.1.0"

from . import errors
from ._client import AsyncClient
from ._config import ClientConfig
from ._convert import converter
from ._facade import Client
from ._models import Capabilities, NumberStatus, Page, PhoneNumber, SubAccount
from ._retry import RetryPolicy
from ._sansio import Response
from ._transport import AiohttpTransport, Timeouts, Transport
from .errors import (
    APIError,
    AuthenticationFailed,
    BadRequest,
    ClientClosedError,
    ConfigurationError,
    Conflict,
    CoolOffInEffect,
    EventLoopError,
    FanOutError,
    InsufficientBalance,
    NotFound,
    PermissionDenied,
    PhoneNumbersError,
    PurchaseOutcomeUnknown,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    Unprocessable,
    ValidationError,
)

__all__ = [
    "APIError",
    "AiohttpTransport",
    "AsyncClient",
    "AuthenticationFailed",
    "BadRequest",
    "Capabilities",
    "Client",
    "ClientClosedError",
    "ClientConfig",
    "ConfigurationError",
    "Conflict",
    "CoolOffInEffect",
    "EventLoopError",
    "FanOutError",
    "InsufficientBalance",
    "NotFound",
    "NumberStatus",
    "Page",
    "PermissionDenied",
    "PhoneNumber",
    "PhoneNumbersError",
    "PurchaseOutcomeUnknown",
    "RateLimited",
    "RequestTimeout",
    "Response",
    "RetryPolicy",
    "ServerError",
    "SubAccount",
    "Timeouts",
    "Transport",
    "TransportError",
    "Unprocessable",
    "ValidationError",
    "__version__",
    "converter",
    "errors",
]
