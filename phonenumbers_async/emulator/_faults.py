"""Fault injection for the emulator: configuration plus a seeded random source."""

from __future__ import annotations

import dataclasses
import math
import random
from decimal import Decimal
from typing import Any, Literal

__all__ = ["FAULT_OPERATIONS", "OPERATION_FAULTS", "FaultConfig", "FaultError", "Faults"]

OPERATION_FAULTS = ("commit_then_500", "commit_then_drop", "no_commit_then_500")
# The state-changing operations that can be given a fault of their own.
FAULT_OPERATIONS = ("purchase", "release", "unassign")
SERVER_ERROR_STATUSES = (500, 502, 503, 504)

ErrorBody = Literal["envelope", "html", "empty"]


class FaultError(ValueError):
    """An invalid fault configuration (answered with 400 by the control API)."""


@dataclasses.dataclass
class FaultConfig:
    """Every knob of ``POST /_emulator/faults``; the defaults inject nothing."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: float = 1.0
    purchase_fault: str | None = None
    purchase_fault_rate: float = 1.0
    purchase_fault_count: int | None = None
    release_fault: str | None = None
    release_fault_rate: float = 1.0
    release_fault_count: int | None = None
    unassign_fault: str | None = None
    unassign_fault_rate: float = 1.0
    unassign_fault_count: int | None = None
    # "Someone else buys it first": the next purchase_taken_count purchases find
    # their number just bought by account purchase_taken_by (None: every one).
    purchase_taken_by: str | None = None
    purchase_taken_count: int | None = None
    error_body: ErrorBody = "envelope"
    seed: int | None = None
    # Response variants documented by the provider, selectable for SDK tests.
    owner_key: str = "account_id"
    # None: the current API's cooldown release (200 with its body); 204 or 200:
    # the older answers, the number back in inventory at once.
    release_status: int | None = None
    purchase_items: bool = False
    fractional_fees: bool = False
    missing_capabilities: bool = False
    provider_ref: bool = False
    inventory_owner: str | None = ""
    transactions_envelope: str = "current"
    assign_status: int = 200
    unassign_status: int = 200


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FaultError(f"{name} must be a number")
    # Compare before converting: float() of a huge integer overflows.
    if not low <= value <= high:
        raise FaultError(f"{name} must be between {low:g} and {high:g}")
    result = float(value)
    if not math.isfinite(result):
        raise FaultError(f"{name} must be a finite number")
    return result


def _choice(name: str, value: Any, allowed: tuple[Any, ...]) -> Any:
    if isinstance(value, bool) or value not in allowed:
        shown = ", ".join("null" if a is None else repr(a) for a in allowed)
        raise FaultError(f"{name} must be one of {shown}")
    return value


def _optional_int(name: str, value: Any, low: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise FaultError(f"{name} must be an integer >= {low} or null")
    return value


def _validated(config: FaultConfig, body: dict[str, Any]) -> FaultConfig:
    known = {f.name for f in dataclasses.fields(FaultConfig)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise FaultError(f"unknown fault setting(s): {', '.join(unknown)}")
    new = dataclasses.replace(config)
    for key, value in body.items():
        if key in ("latency_ms", "jitter_ms"):
            setattr(new, key, _number(key, value, 0, 600_000))
        elif key in ("error_rate", "rate_limit_rate") or key.endswith("_fault_rate"):
            setattr(new, key, _number(key, value, 0, 1))
        elif key == "retry_after":
            new.retry_after = _number(key, value, 0, 86_400)
        elif key.endswith("_fault"):
            setattr(new, key, _choice(key, value, (*OPERATION_FAULTS, None)))
        elif key == "purchase_taken_by":
            if value is not None and not isinstance(value, str):
                raise FaultError("purchase_taken_by must be an account's auth_id or null")
            new.purchase_taken_by = value
        elif key.endswith("_fault_count") or key == "purchase_taken_count":
            setattr(new, key, _optional_int(key, value, 0))
        elif key == "seed":
            new.seed = _optional_int(key, value, -(2**63))
        elif key == "error_body":
            new.error_body = _choice(key, value, ("envelope", "html", "empty"))
        elif key == "owner_key":
            new.owner_key = _choice(key, value, ("account_id", "auth_id"))
        elif key == "release_status":
            new.release_status = _choice(key, value, (None, 204, 200))
        elif key == "inventory_owner":
            new.inventory_owner = _choice(key, value, ("", None))
        elif key == "transactions_envelope":
            new.transactions_envelope = _choice(key, value, ("current", "older"))
        elif key in ("assign_status", "unassign_status"):
            setattr(new, key, _choice(key, value, (200, 204)))
        elif key in ("purchase_items", "fractional_fees", "missing_capabilities", "provider_ref"):
            if not isinstance(value, bool):
                raise FaultError(f"{key} must be a boolean")
            setattr(new, key, value)
    return new


def _json_number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


class Faults:
    """The current fault configuration and the random source that drives it."""

    def __init__(self, seed: int | None = None) -> None:
        self._initial_seed = seed
        self.config = FaultConfig(seed=seed)
        self.rng = random.Random(seed)
        self.applied = dict.fromkeys(FAULT_OPERATIONS, 0)
        self.taken = 0

    def update(self, body: dict[str, Any]) -> None:
        """Merge ``body`` into the configuration (all or nothing).

        Raises ``FaultError`` for an unknown key or an invalid value.
        """
        new = _validated(self.config, body)
        self.config = new
        if "seed" in body:
            self.rng.seed(new.seed)
        for operation in FAULT_OPERATIONS:
            if f"{operation}_fault" in body or f"{operation}_fault_count" in body:
                self.applied[operation] = 0
        if "purchase_taken_by" in body or "purchase_taken_count" in body:
            self.taken = 0

    def reset(self) -> None:
        """Back to the defaults: no latency, no errors, default response variants.

        The random source is reseeded with the seed the emulator started with.
        """
        self.config = FaultConfig(seed=self._initial_seed)
        self.rng.seed(self._initial_seed)
        self.applied = dict.fromkeys(FAULT_OPERATIONS, 0)
        self.taken = 0

    def as_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready data."""
        data = dataclasses.asdict(self.config)
        for key in ("latency_ms", "jitter_ms", "retry_after"):
            data[key] = _json_number(data[key])
        for operation in FAULT_OPERATIONS:
            data[f"{operation}_faults_applied"] = self.applied[operation]
        data["purchases_taken"] = self.taken
        return data

    # Decisions, drawn in a fixed order so a seed reproduces them.

    def delay_seconds(self) -> float:
        """How long to hold an /api request before handling it."""
        cfg = self.config
        delay = cfg.latency_ms
        if cfg.jitter_ms > 0:
            delay += self.rng.uniform(0, cfg.jitter_ms)
        return delay / 1000.0

    def roll_server_error(self) -> int | None:
        """A 5xx status to answer with instead of handling, or None."""
        rate = self.config.error_rate
        if rate > 0 and self.rng.random() < rate:
            return self.rng.choice(SERVER_ERROR_STATUSES)
        return None

    def roll_rate_limit(self) -> bool:
        """Whether to answer 429 instead of handling."""
        rate = self.config.rate_limit_rate
        return rate > 0 and self.rng.random() < rate

    def retry_after_json(self) -> int | float:
        """``retry_after`` as a JSON number (an integer when whole)."""
        return _json_number(self.config.retry_after)

    def retry_after_header(self) -> str:
        """The ``Retry-After`` value for a 429."""
        value = self.config.retry_after
        return str(int(value)) if value.is_integer() else f"{value:g}"

    def take_buyer(self) -> str | None:
        """The account that buys this purchase's number first, if one should (and count it)."""
        cfg = self.config
        if cfg.purchase_taken_by is None:
            return None
        if cfg.purchase_taken_count is not None and self.taken >= cfg.purchase_taken_count:
            return None
        self.taken += 1
        return cfg.purchase_taken_by

    def take_fault(self, operation: str, kinds: tuple[str, ...]) -> str | None:
        """The fault to apply to ``operation`` now, if it is one of ``kinds`` (and count it).

        ``operation`` is ``purchase``, ``release`` or ``unassign``.
        ``no_commit_then_500`` is taken before the operation runs, the
        ``commit_then_*`` faults after it committed, so a refused operation
        (404, 402…) does not use one up.
        """
        fault: str | None = getattr(self.config, f"{operation}_fault")
        if fault is None or fault not in kinds:
            return None
        count: int | None = getattr(self.config, f"{operation}_fault_count")
        if count is not None and self.applied[operation] >= count:
            return None
        rate: float = getattr(self.config, f"{operation}_fault_rate")
        if rate < 1.0 and self.rng.random() >= rate:
            return None
        self.applied[operation] += 1
        return fault
