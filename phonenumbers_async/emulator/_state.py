"""What every handler shares: the store, the clock, faults, counters, options."""

from __future__ import annotations

import collections
import random
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._clock import Clock
from ._connections import ConnectionGuard
from ._faults import Faults
from ._store import Store
from ._wire import Fragments

__all__ = ["STATE_KEY", "AnswerCache", "EmulatorState", "Stats", "state_of"]


@dataclass
class Stats:
    """What the server saw: requests per (method, route), statuses, purchases."""

    requests: collections.Counter[str] = field(default_factory=collections.Counter)
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)
    purchases_committed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests_total": sum(self.requests.values()),
            "requests": dict(sorted(self.requests.items())),
            "statuses": dict(sorted(self.statuses.items())),
            "purchases_committed": self.purchases_committed,
        }


class AnswerCache:
    """Rendered answers of read-only requests, valid while the store's version holds.

    A listing page costs a dictionary lookup until the next write; then it is
    rendered again (from cached number fragments).
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._answers: dict[Hashable, tuple[Hashable, bytes]] = {}

    def get(self, key: Hashable, version: Hashable) -> bytes | None:
        found = self._answers.get(key)
        if found is None or found[0] != version:
            return None
        return found[1]

    def put(self, key: Hashable, version: Hashable, body: bytes) -> None:
        if len(self._answers) >= self._size:
            self._answers.clear()
        self._answers[key] = (version, body)


@dataclass
class EmulatorState:
    """Everything the handlers share."""

    store: Store
    clock: Clock
    faults: Faults
    rng: random.Random
    openapi: bytes = b""
    guard: ConnectionGuard | None = None
    body_timeout: float = 30.0
    stats: Stats = field(default_factory=Stats)
    answers: AnswerCache = field(default_factory=AnswerCache)
    fragments: Fragments = field(default_factory=dict)


STATE_KEY = web.AppKey("phonenumbers_async_emulator_state", EmulatorState)


def state_of(request: web.Request) -> EmulatorState:
    """The state of the application serving ``request``."""
    return request.app[STATE_KEY]
