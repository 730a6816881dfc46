"""A small async client for the emulator's control API (``/_emulator/``)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import aiohttp

from ._wire import dumps, loads

__all__ = ["EmulatorControl", "EmulatorControlError"]


class EmulatorControlError(RuntimeError):
    """The control API refused a request."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"emulator control API answered {status}: {body!r}")
        self.status = status
        self.body = body


class EmulatorControl:
    """Drive a running emulator from a test: clock, calls, faults, accounts, ledger.

    ::

        async with EmulatorControl(emu.root_url) as control:
            await control.record_call("+919876543210")
            await control.advance_clock(16 * 86400)

    Money comes back as ``Decimal``.
    """

    def __init__(self, root_url: str, *, session: aiohttp.ClientSession | None = None) -> None:
        self._url = root_url.rstrip("/") + "/_emulator"
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> EmulatorControl:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session this object opened (not one it was given)."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """One control API call; returns the parsed JSON body."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        data = None if body is None else dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else None
        async with self._session.request(
            method, self._url + path, data=data, headers=headers
        ) as response:
            text = await response.text()
            parsed = loads(text) if text else None
            if response.status >= 400:
                raise EmulatorControlError(response.status, parsed)
            return parsed

    async def record_call(
        self,
        e164: str,
        at: str | None = None,
        *,
        answered: bool | None = None,
        duration_seconds: int | None = None,
    ) -> dict[str, Any]:
        """Record a call on a number (``at``: ISO 8601; default the emulator's now).

        ``answered`` (default true) and ``duration_seconds`` (default 60) feed
        the number's health dashboard.
        """
        quoted = e164.replace("+", "%2B")
        fields = {"at": at, "answered": answered, "duration_seconds": duration_seconds}
        body = {key: value for key, value in fields.items() if value is not None}
        result: dict[str, Any] = await self.request("POST", f"/numbers/{quoted}/calls", body)
        return result

    async def create_trunk(self, auth_id: str) -> str:
        """A new SIP trunk group for ``auth_id``; returns its id (a UUID)."""
        result = await self.request("POST", "/trunks", {"auth_id": auth_id})
        return str(result["trunk_group_id"])

    async def create_application(self, auth_id: str) -> str:
        """A new application for ``auth_id``; returns its id."""
        result = await self.request("POST", "/applications", {"auth_id": auth_id})
        return str(result["application_id"])

    async def advance_clock(self, seconds: float) -> str:
        """Move the emulator's clock forward; returns the new now (ISO 8601)."""
        result = await self.request("POST", "/clock", {"advance_seconds": seconds})
        return str(result["now"])

    async def now(self) -> str:
        """The emulator's current time (ISO 8601)."""
        result = await self.request("GET", "/clock")
        return str(result["now"])

    async def accounts(self) -> list[dict[str, Any]]:
        """Every account with its real token, balance and admin flag."""
        result = await self.request("GET", "/accounts")
        return list(result["items"])

    async def account(self, auth_id: str) -> dict[str, Any]:
        """One account."""
        result: dict[str, Any] = await self.request("GET", f"/accounts/{auth_id}")
        return result

    async def update_account(self, auth_id: str, **changes: Any) -> dict[str, Any]:
        """Set ``balance``, ``credit_limit``, ``credit_limit_type``, ``reserved_funds``,
        ``release_fee``, ``is_admin`` and/or ``enabled`` of an account."""
        result: dict[str, Any] = await self.request("PATCH", f"/accounts/{auth_id}", changes)
        return result

    async def create_account(self, **fields: Any) -> dict[str, Any]:
        """Create a sub-account of the seeded master (or per ``parent_auth_id``)."""
        result: dict[str, Any] = await self.request("POST", "/accounts", fields)
        return result

    async def ledger(self) -> list[dict[str, Any]]:
        """One row per debit or refund: ``auth_id``, ``e164``, ``amount``, ``at``, ``type``
        (``debit``/``refund``), ``reference_type``, ``description``."""
        result = await self.request("GET", "/ledger")
        return list(result["items"])

    async def audit(self) -> list[dict[str, Any]]:
        """The ``did_assignment_audit`` rows."""
        result = await self.request("GET", "/audit")
        return list(result["items"])

    async def set_faults(self, **knobs: Any) -> dict[str, Any]:
        """Merge fault knobs (``latency_ms``, ``error_rate``, ``purchase_fault``…)."""
        result: dict[str, Any] = await self.request("POST", "/faults", knobs)
        return result

    async def clear_faults(self) -> dict[str, Any]:
        """Back to no faults and the default response variants."""
        result: dict[str, Any] = await self.request("DELETE", "/faults")
        return result

    async def create_numbers(
        self, count: int, *, owner: str | None = None, country: str | None = None
    ) -> list[str]:
        """Bulk-create numbers (owned by ``owner``, else in inventory); returns their E.164s."""
        body = {"count": count, "owner": owner, "country": country}
        result = await self.request("POST", "/numbers", body)
        return list(result["numbers"])

    async def number(self, e164: str) -> dict[str, Any]:
        """The raw stored row of a number (owner, ``last_call_at``, ``released_at``…)."""
        result: dict[str, Any] = await self.request("GET", "/numbers/" + e164.replace("+", "%2B"))
        return result

    async def take_number(self, e164: str, auth_id: str) -> dict[str, Any]:
        """Another buyer, account ``auth_id``, gets ``e164`` from inventory now.

        For "someone else bought it mid-job" at a chosen moment; the fault
        knobs ``purchase_taken_by`` / ``purchase_taken_count`` do it on the
        next purchases instead.
        """
        quoted = e164.replace("+", "%2B")
        result: dict[str, Any] = await self.request(
            "POST", f"/numbers/{quoted}/take", {"auth_id": auth_id}
        )
        return result

    async def stats(self) -> dict[str, Any]:
        """Request counters per (method, route) and purchases committed."""
        result: dict[str, Any] = await self.request("GET", "/stats")
        return result

    async def reset_stats(self) -> None:
        """Zero the counters."""
        await self.request("DELETE", "/stats")
