"""The emulator's SQLite store (standard library ``sqlite3``).

Every mutating operation is one synchronous method that runs in one
transaction and never awaits, so it is atomic under asyncio: of fifty
concurrent purchases of one number exactly one succeeds and debits once.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ._auth import Actor
from ._clock import add_month, format_ts, parse_ts

__all__ = [
    "COOLDOWN",
    "COOL_OFF",
    "QUARANTINE",
    "STAMP_COLUMNS",
    "AccountExists",
    "AccountNotFound",
    "BalanceNotFound",
    "BalanceTooLow",
    "CancelAccessDenied",
    "CancelNumberNotFound",
    "CoolOffActive",
    "NotPendingRelease",
    "NumberAlreadyAssigned",
    "NumberNotAssigned",
    "NumberNotFound",
    "NumberNotInInventory",
    "NumberNotOwned",
    "NumberNotRouted",
    "RoutingNumberNotFound",
    "RoutingRefused",
    "Store",
    "StoreError",
    "SubAccountNotFound",
    "SubAccountOfAnotherMaster",
    "available_of",
    "cool_off_until",
    "fixed_ts",
    "number_row_out",
]

COOL_OFF = timedelta(days=15)
# The current API's release: 24 hours pending (cancellable), then 45 days in quarantine.
COOLDOWN = timedelta(hours=24)
QUARANTINE = timedelta(days=45)
_TARGET_NAMESPACE = uuid.UUID("5b0f3a9e-2d6c-4e61-9a57-0c1d8e7f6a42")
# 2: numbers.family (the owner's master) lets a master's listing use one index range.
SCHEMA_VERSION = "2"
# What identifies a version of a number's wire form: every store method that
# changes a field the API shows also sets updated_at (owner and status are here
# as well, for writes from elsewhere that forget it).
STAMP_COLUMNS = ("id", "owner", "status", "updated_at")
_STAMP = ", ".join(STAMP_COLUMNS)
# Listings whose totals and page cursors are cached at once (a new one clears them).
_MAX_LISTINGS = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    auth_id TEXT PRIMARY KEY,
    auth_token TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    parent_auth_id TEXT REFERENCES accounts(auth_id),
    balance TEXT NOT NULL,
    currency TEXT NOT NULL,
    name TEXT,
    email TEXT,
    phone TEXT,
    description TEXT,
    permissions TEXT,
    rate_limit INTEGER NOT NULL DEFAULT 1000,
    numeric_id TEXT NOT NULL,
    api_id TEXT NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_used TEXT
);
CREATE INDEX IF NOT EXISTS accounts_parent ON accounts(parent_auth_id);
CREATE TABLE IF NOT EXISTS numbers (
    id TEXT PRIMARY KEY,
    e164 TEXT NOT NULL UNIQUE,
    owner TEXT REFERENCES accounts(auth_id),
    country TEXT NOT NULL,
    region TEXT,
    capabilities TEXT,
    status TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT '',
    provider_ref TEXT NOT NULL DEFAULT '',
    setup_fee TEXT NOT NULL,
    monthly_fee TEXT NOT NULL,
    currency TEXT NOT NULL,
    application_id TEXT,
    trunk_group_id TEXT,
    voice_enabled INTEGER,
    is_blocked INTEGER,
    is_trial_number INTEGER,
    aadhaar_verification_required INTEGER,
    aadhaar_verified INTEGER,
    tags TEXT,
    source TEXT,
    minimum_commitment_months INTEGER,
    purchased_at TEXT,
    released_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_billing_date TEXT,
    next_billing_date TEXT,
    last_call_at TEXT,
    family TEXT
);
CREATE INDEX IF NOT EXISTS numbers_owner ON numbers(owner, e164);
CREATE INDEX IF NOT EXISTS numbers_inventory ON numbers(owner, status, country, e164);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    auth_id TEXT NOT NULL,
    e164 TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS routing_targets (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    auth_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS routing_targets_owner ON routing_targets(auth_id, kind);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    e164 TEXT NOT NULL,
    at TEXT NOT NULL,
    answered INTEGER NOT NULL,
    duration_seconds INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_number ON calls(e164, at);
CREATE TABLE IF NOT EXISTS did_assignment_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    e164 TEXT NOT NULL,
    number_id TEXT NOT NULL,
    from_auth_id TEXT,
    to_auth_id TEXT,
    actor_auth_id TEXT NOT NULL,
    forced INTEGER NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""

NUMBER_COLUMNS = (
    "id",
    "e164",
    "owner",
    "country",
    "region",
    "capabilities",
    "status",
    "provider",
    "provider_ref",
    "setup_fee",
    "monthly_fee",
    "currency",
    "application_id",
    "trunk_group_id",
    "voice_enabled",
    "is_blocked",
    "is_trial_number",
    "aadhaar_verification_required",
    "aadhaar_verified",
    "tags",
    "source",
    "minimum_commitment_months",
    "purchased_at",
    "released_at",
    "created_at",
    "updated_at",
    "last_billing_date",
    "next_billing_date",
    "last_call_at",
)
_NUMBER_BOOLS = (
    "voice_enabled",
    "is_blocked",
    "is_trial_number",
    "aadhaar_verification_required",
    "aadhaar_verified",
)
_NUMBER_JSON = ("capabilities", "tags")
_NUMBER_MONEY = ("setup_fee", "monthly_fee")
_ACCOUNT_BOOLS = ("is_admin", "email_verified", "enabled", "is_active")
# The sub-account fields the API's update may change (beside ``enabled``).
_PROFILE_FIELDS = frozenset({"name", "email", "phone", "description", "permissions", "rate_limit"})


def target_id(kind: str, seed: str) -> str:
    """A reproducible id for an account's first trunk group (a UUID) or application."""
    value = uuid.uuid5(_TARGET_NAMESPACE, f"{kind}:{seed}")
    return str(value) if kind == "trunk" else str(value.int % 10**17).rjust(17, "1")


class StoreError(Exception):
    """A refused store operation; ``_http.ERRORS`` maps each subclass to an answer."""


class AccountNotFound(StoreError):
    """No account with that Auth ID."""


class AccountExists(StoreError):
    """An account with that Auth ID already exists."""


class SubAccountNotFound(StoreError):
    """The sub-account to assign to does not exist."""


class SubAccountOfAnotherMaster(StoreError):
    """The sub-account to assign to belongs to another master."""


class NumberNotFound(StoreError):
    """The store has no such number (or not where the caller may look)."""


class NumberNotInInventory(StoreError):
    """The number cannot be bought: owned, not active, or never stocked."""


class NumberNotOwned(StoreError):
    """The path account does not own the number (outside its family)."""


class NumberAlreadyAssigned(StoreError):
    """The number is already assigned to a sub-account."""


class NumberNotAssigned(StoreError):
    """The number is not assigned to a sub-account."""


class BalanceTooLow(StoreError):
    """The paying account cannot cover the purchase."""

    def __init__(self, required: Decimal, available: Decimal, currency: str) -> None:
        super().__init__("Account balance too low to complete this operation")
        self.required = required
        self.available = available
        self.currency = currency


class RoutingRefused(StoreError):
    """A routing change the number's state does not allow (400 ``invalid request``)."""


class RoutingNumberNotFound(StoreError):
    """Routing a number the path account does not have (404 ``Number not found``)."""


class NumberNotRouted(StoreError):
    """Unrouting a number that is not on a trunk (or an application)."""


class NotPendingRelease(StoreError):
    """Cancelling the release of a number that is not ``pending_release``."""


class CancelAccessDenied(StoreError):
    """Cancelling the release of another account's number (403 ``access denied``)."""


class CancelNumberNotFound(StoreError):
    """Cancelling the release of an unknown number (404 ``number not found``)."""


class BalanceNotFound(StoreError):
    """The account has no balance in that currency."""


class CoolOffActive(StoreError):
    """The number had a call within the cool-off period."""

    def __init__(self, until: datetime, remaining_seconds: int) -> None:
        super().__init__("did_cool_off_in_effect")
        self.until = until
        self.remaining_seconds = remaining_seconds


def number_row_out(row: sqlite3.Row) -> dict[str, Any]:
    """A raw number row as Python values (bools, JSON columns, Decimal money)."""
    data = dict(row)
    data.pop("family", None)
    for key in _NUMBER_BOOLS:
        if data[key] is not None:
            data[key] = bool(data[key])
    for key in _NUMBER_JSON:
        if data[key] is not None:
            data[key] = json.loads(data[key])
    for key in _NUMBER_MONEY:
        data[key] = Decimal(data[key])
    return data


def _to_json(value: Any) -> str:
    if not value:
        return "[]" if isinstance(value, list) else json.dumps(value)
    if isinstance(value, dict) and len(value) <= 4:
        key = tuple(value.items())
        cached = _JSON_CACHE.get(key)
        if cached is None:
            cached = _JSON_CACHE[key] = json.dumps(value)
        return cached
    return json.dumps(value)


_JSON_CACHE: dict[tuple[Any, ...], str] = {}


def _number_in(row: dict[str, Any]) -> tuple[Any, ...]:
    values: list[Any] = []
    for key in NUMBER_COLUMNS:
        value = row.get(key)
        if value is None:
            pass
        elif key in _NUMBER_BOOLS:
            value = int(bool(value))
        elif key in _NUMBER_JSON:
            value = _to_json(value)
        elif key in _NUMBER_MONEY:
            value = str(value)
        values.append(value)
    return tuple(values)


_ACCOUNT_MONEY = (
    "balance",
    "credit_limit",
    "reserved_funds",
    "release_fee",
    "low_balance_threshold",
)


def fixed_ts(value: datetime) -> str:
    """A UTC timestamp in one fixed width, so that SQLite compares them as text."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def available_of(account: dict[str, Any]) -> Decimal:
    """What an account may spend: balance less reservations, plus a soft credit limit."""
    available: Decimal = account["balance"] - account["reserved_funds"]
    if account["credit_limit_type"] == "soft":
        available += account["credit_limit"]
    return available


def _account_out(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    for key in _ACCOUNT_BOOLS:
        data[key] = bool(data[key])
    for key in _ACCOUNT_MONEY:
        data[key] = Decimal(data[key])
    if data["permissions"] is not None:
        data["permissions"] = json.loads(data["permissions"])
    return data


class Store:
    """All of the emulator's state, in one SQLite database (a file or memory).

    Several processes may open one file at once: the schema and the seed are
    written in ``BEGIN IMMEDIATE`` transactions that wait (``busy_timeout``)
    for one another, and a seeded store is recognised by its ``primary_auth_id``
    marker, so exactly one process seeds it.
    """

    def __init__(self, path: str | None = None, *, busy_timeout: float = 30.0) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self._generation = 0
        self._listings: dict[tuple[Any, ...], _Listing] = {}
        self._conn = sqlite3.connect(
            path or ":memory:",
            isolation_level=None,
            check_same_thread=False,
            timeout=busy_timeout,
        )
        try:
            self._open(busy_timeout)
        except BaseException:
            self._conn.close()
            raise

    def _open(self, busy_timeout: float) -> None:
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        self._conn.execute("PRAGMA foreign_keys = ON")
        if self.path:
            self._wait_for(lambda: self._conn.execute("PRAGMA journal_mode = WAL"), busy_timeout)
            self._conn.execute("PRAGMA synchronous = NORMAL")
        with self.transaction() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            version = self.get_meta("schema_version")
            if version is None:
                self.set_meta("schema_version", SCHEMA_VERSION)
            elif version == "1":
                _migrate_from_1(conn)
                self.set_meta("schema_version", SCHEMA_VERSION)
            elif version != SCHEMA_VERSION:
                raise RuntimeError(f"unsupported emulator database version {version!r}")
            conn.execute("CREATE INDEX IF NOT EXISTS numbers_family ON numbers(family, e164)")
            _add_columns(conn)

    @staticmethod
    def _wait_for(operation: Callable[[], object], seconds: float) -> None:
        # Switching a new file to WAL takes a lock that SQLite does not wait
        # for; another process doing the same gives "database is locked".
        deadline = time.monotonic() + seconds
        while True:
            try:
                operation()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``, rollback on error).

        Nested use joins the outer transaction, so a seed or a migration can
        call the store's own methods and still commit once.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
                self._generation += 1
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # meta

    def get_meta(self, key: str) -> str | None:
        """A value of the key-value ``meta`` table."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the ``meta`` table."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # accounts

    def add_account(
        self,
        *,
        auth_id: str,
        auth_token: str,
        is_admin: bool,
        parent_auth_id: str | None,
        balance: Decimal,
        currency: str,
        api_id: str,
        now: datetime,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        description: str | None = None,
        permissions: dict[str, Any] | None = None,
        rate_limit: int = 1000,
        enabled: bool = True,
    ) -> dict[str, Any]:
        """Create an account (a master when ``parent_auth_id`` is None).

        Raises ``AccountExists`` or ``AccountNotFound`` (no such parent master).
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM accounts WHERE auth_id = ?", (auth_id,)).fetchone():
                raise AccountExists("account already exists")
            if parent_auth_id is not None:
                parent = conn.execute(
                    "SELECT parent_auth_id FROM accounts WHERE auth_id = ?", (parent_auth_id,)
                ).fetchone()
                if parent is None or parent["parent_auth_id"] is not None:
                    raise AccountNotFound("parent_auth_id must be an existing master account")
            row = conn.execute(
                "SELECT MAX(CAST(numeric_id AS INTEGER)) AS top FROM accounts"
            ).fetchone()
            numeric_id = str(max(int(row["top"] or 0) + 1, 500000))
            conn.execute(
                "INSERT INTO accounts(auth_id, auth_token, is_admin, parent_auth_id, balance,"
                " currency, name, email, phone, description, permissions, rate_limit,"
                " numeric_id, api_id, email_verified, enabled, is_active, created_at,"
                " updated_at, last_used)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, NULL)",
                (
                    auth_id,
                    auth_token,
                    int(is_admin),
                    parent_auth_id,
                    str(balance),
                    currency,
                    name,
                    email,
                    phone,
                    description,
                    None if permissions is None else json.dumps(permissions),
                    rate_limit,
                    numeric_id,
                    api_id,
                    int(enabled),
                    int(enabled),
                    stamp,
                    stamp,
                ),
            )
            for kind in ("trunk", "application"):
                self.add_target(kind, auth_id, target_id(kind, api_id), now=now)
            account = self.get_account(auth_id)
        assert account is not None
        return account

    def get_account(self, auth_id: str) -> dict[str, Any] | None:
        """One account, or None."""
        rows = self._query("SELECT * FROM accounts WHERE auth_id = ?", (auth_id,))
        return _account_out(rows[0]) if rows else None

    def list_accounts(self) -> list[dict[str, Any]]:
        """Every account, masters first, then in creation order."""
        rows = self._query(
            "SELECT * FROM accounts ORDER BY parent_auth_id IS NOT NULL,"
            " CAST(numeric_id AS INTEGER)"
        )
        return [_account_out(row) for row in rows]

    def subaccounts(
        self, master: str, *, active_only: bool = False, limit: int = -1, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A master's sub-accounts (a page of them) and how many there are in all."""
        where = "parent_auth_id = ?" + (" AND is_active = 1 AND enabled = 1" if active_only else "")
        total = int(self._query(f"SELECT COUNT(*) FROM accounts WHERE {where}", (master,))[0][0])
        rows = self._query(
            f"SELECT * FROM accounts WHERE {where} ORDER BY CAST(numeric_id AS INTEGER)"
            " LIMIT ? OFFSET ?",
            (master, limit, offset),
        )
        return [_account_out(row) for row in rows], total

    def update_account(
        self,
        auth_id: str,
        *,
        now: datetime,
        balance: Decimal | None = None,
        is_admin: bool | None = None,
        enabled: bool | None = None,
        credit_limit: Decimal | None = None,
        credit_limit_type: str | None = None,
        reserved_funds: Decimal | None = None,
        release_fee: Decimal | None = None,
        profile: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Change an account's money settings, flags or (``profile``) sub-account fields.

        Raises ``AccountNotFound``.
        """
        sets: list[str] = []
        params: list[Any] = []
        for name, money in (
            ("balance", balance),
            ("credit_limit", credit_limit),
            ("reserved_funds", reserved_funds),
            ("release_fee", release_fee),
        ):
            if money is not None:
                sets.append(f"{name} = ?")
                params.append(str(money))
        if credit_limit_type is not None:
            sets.append("credit_limit_type = ?")
            params.append(credit_limit_type)
        if is_admin is not None:
            sets.append("is_admin = ?")
            params.append(int(is_admin))
        if enabled is not None:
            sets.append("enabled = ?, is_active = ?")
            params.extend([int(enabled), int(enabled)])
        for name, value in (profile or {}).items():
            assert name in _PROFILE_FIELDS, name
            sets.append(f"{name} = ?")
            params.append(
                json.dumps(value) if name == "permissions" and value is not None else value
            )
        sets.append("updated_at = ?")
        params.append(format_ts(now))
        with self.transaction() as conn:
            cursor = conn.execute(
                f"UPDATE accounts SET {', '.join(sets)} WHERE auth_id = ?", (*params, auth_id)
            )
            if cursor.rowcount == 0:
                raise AccountNotFound("account not found")
            account = self.get_account(auth_id)
        assert account is not None
        return account

    def delete_subaccount(self, sub_auth_id: str, *, master: str, now: datetime) -> None:
        """Delete a sub-account: its numbers go back to the master, unrouted from its
        trunks and applications (which go with it). Raises ``SubAccountNotFound``."""
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT parent_auth_id FROM accounts WHERE auth_id = ?", (sub_auth_id,)
            ).fetchone()
            if row is None or row["parent_auth_id"] != master:
                raise SubAccountNotFound("sub-account not found")
            targets = [
                str(t[0])
                for t in conn.execute(
                    "SELECT id FROM routing_targets WHERE auth_id = ?", (sub_auth_id,)
                )
            ]
            for column in ("trunk_group_id", "application_id"):
                for target in targets:
                    conn.execute(
                        f"UPDATE numbers SET {column} = NULL, updated_at = ? WHERE {column} = ?",
                        (stamp, target),
                    )
            conn.execute(
                "UPDATE numbers SET owner = ?, updated_at = ? WHERE owner = ?",
                (master, stamp, sub_auth_id),
            )
            conn.execute("DELETE FROM routing_targets WHERE auth_id = ?", (sub_auth_id,))
            conn.execute("DELETE FROM accounts WHERE auth_id = ?", (sub_auth_id,))

    # trunk groups and applications

    def add_target(self, kind: str, auth_id: str, target: str, *, now: datetime) -> str:
        """Give ``auth_id`` a trunk group or an application. Raises ``AccountNotFound``."""
        with self.transaction() as conn:
            if (
                conn.execute("SELECT 1 FROM accounts WHERE auth_id = ?", (auth_id,)).fetchone()
                is None
            ):
                raise AccountNotFound("account not found")
            conn.execute(
                "INSERT INTO routing_targets(id, kind, auth_id, created_at) VALUES (?, ?, ?, ?)",
                (target, kind, auth_id, format_ts(now)),
            )
        return target

    def targets(self, auth_id: str, kind: str) -> list[str]:
        """An account's trunk group ids (``kind`` ``trunk``) or application ids, oldest first."""
        rows = self._query(
            "SELECT id FROM routing_targets WHERE auth_id = ? AND kind = ? ORDER BY rowid",
            (auth_id, kind),
        )
        return [str(row[0]) for row in rows]

    # numbers

    def insert_numbers(self, rows: Iterable[dict[str, Any]]) -> int:
        """Bulk-insert number rows (one transaction); returns how many."""
        columns = (*NUMBER_COLUMNS, "family")
        placeholders = ", ".join("?" for _ in columns)
        with self.transaction() as conn:
            masters = {
                str(row[0]): str(row[1] or row[0])
                for row in conn.execute("SELECT auth_id, parent_auth_id FROM accounts")
            }
            values = [(*_number_in(row), masters.get(row.get("owner") or "")) for row in rows]
            conn.executemany(
                f"INSERT INTO numbers({', '.join(columns)}) VALUES ({placeholders})", values
            )
        return len(values)

    def all_e164(self) -> set[str]:
        """Every number the store knows."""
        return {str(row[0]) for row in self._query("SELECT e164 FROM numbers")}

    def get_number(self, e164: str) -> dict[str, Any] | None:
        """One number row (every column but the internal ``family``), or None."""
        rows = self._query("SELECT * FROM numbers WHERE e164 = ?", (e164,))
        return number_row_out(rows[0]) if rows else None

    def list_numbers(
        self,
        account: str,
        *,
        with_subaccounts: bool,
        search: str | None = None,
        page: int,
        per_page: int,
    ) -> tuple[list[tuple[Any, ...]], int]:
        """A page of the numbers ``account`` owns (and, with ``with_subaccounts``,
        those of its sub-accounts; containing ``search``), ordered by E.164, and the total.

        Items are row stamps (``STAMP_COLUMNS``, id first); ``_wire.number_page``
        renders them, reading full rows (``numbers_by_id``) only for stamps it
        has not rendered before.
        """
        where = "family = ?" if with_subaccounts else "owner = ?"
        params: tuple[Any, ...] = (account,)
        if search:
            where += " AND instr(e164, ?) > 0"
            params += (search,)
        return self._page(where, params, page, per_page)

    def list_inventory(
        self,
        *,
        country: str | None,
        search: str | None,
        page: int,
        per_page: int,
        exclude: tuple[str, ...] = (),
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Numbers in inventory (no owner, active), filtered, ordered by E.164 (stamps).

        ``exclude``: E.164 prefixes (``+`` and digits) left out.
        """
        where = ["owner IS NULL", "status = 'active'"]
        params: list[Any] = []
        for prefix in exclude:
            where.append("substr(e164, 1, ?) != ?")
            params.extend([len(prefix), prefix])
        if country:
            where.append("country = ?")
            params.append(country.upper())
        if search:
            where.append("instr(e164, ?) > 0")
            params.append(search)
        return self._page(" AND ".join(where), tuple(params), page, per_page)

    def _page(
        self, where: str, params: tuple[Any, ...], page: int, per_page: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Keyset paging behind a page/per_page API.

        Page ``n`` is ``e164 > cursor ORDER BY e164 LIMIT per_page`` on an
        index, where the cursor (the last E.164 of page ``n - 1``) is cached
        per offset until the next write: the rows read do not grow with depth.
        """
        with self._lock:
            listing = self._listing(where, params)
            offset = (page - 1) * per_page
            cursor = None
            if offset:
                if offset >= listing.total:
                    return [], listing.total
                cursor = listing.cursor(offset)
                if cursor is None:
                    return [], listing.total
            reader = self._conn.cursor()
            reader.row_factory = None  # plain tuples: the stamps are dictionary keys
            if cursor is None:
                sql = f"SELECT {_STAMP} FROM numbers WHERE {where} ORDER BY e164 LIMIT ?"
                stamps = reader.execute(sql, (*params, per_page)).fetchall()
            else:
                sql = (
                    f"SELECT {_STAMP} FROM numbers WHERE {where} AND e164 > ? ORDER BY e164 LIMIT ?"
                )
                stamps = reader.execute(sql, (*params, cursor, per_page)).fetchall()
            return stamps, listing.total

    def numbers_by_id(self, ids: Collection[str]) -> dict[str, sqlite3.Row]:
        """Full number rows by id (for the page stamps whose rendering is not cached)."""
        marks = ", ".join("?" for _ in ids)
        rows = self._query(f"SELECT * FROM numbers WHERE id IN ({marks})", ids)
        return {str(row["id"]): row for row in rows}

    def version(self) -> tuple[int, int]:
        """Changes whenever anything in the database may have changed.

        Our own writes bump a counter; ``PRAGMA data_version`` changes when
        another connection (another process on the same file) commits.
        """
        with self._lock:
            return self._generation, self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _listing(self, where: str, params: tuple[Any, ...]) -> _Listing:
        key = (where, params)
        version = self.version()
        listing = self._listings.get(key)
        if listing is None or listing.generation != version:
            if len(self._listings) > _MAX_LISTINGS:
                self._listings.clear()
            listing = _Listing(self._conn, where, params, version)
            self._listings[key] = listing
        return listing

    def _subaccounts_of(self, conn: sqlite3.Connection, master: str) -> set[str]:
        rows = conn.execute(
            "SELECT auth_id FROM accounts WHERE parent_auth_id = ?", (master,)
        ).fetchall()
        return {str(row[0]) for row in rows}

    def purchase(self, e164: str, *, actor: Actor, now: datetime) -> dict[str, Any]:
        """Buy a number from inventory for the path account, debiting its master.

        Raises ``NumberNotInInventory`` or ``BalanceTooLow``; in both cases
        nothing changes.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            self._settle(conn, now)
            row = conn.execute(
                "SELECT * FROM numbers WHERE e164 = ? AND owner IS NULL AND status = 'active'",
                (e164,),
            ).fetchone()
            if row is None:
                raise NumberNotInInventory("number not in inventory")
            found = conn.execute(
                "SELECT * FROM accounts WHERE auth_id = ?", (actor.master,)
            ).fetchone()
            if found is None:
                raise AccountNotFound("paying account not found")
            account = _account_out(found)
            cost = Decimal(row["setup_fee"]) + Decimal(row["monthly_fee"])
            balance: Decimal = account["balance"]
            available = available_of(account)
            if available < cost:
                raise BalanceTooLow(cost, available, str(account["currency"]))
            conn.execute(
                "UPDATE numbers SET owner = ?, family = ?, status = 'active',"
                " source = 'inventory', purchased_at = ?, released_at = NULL, updated_at = ?,"
                " last_billing_date = ?, next_billing_date = ? WHERE id = ?",
                (
                    actor.account,
                    actor.master,
                    stamp,
                    stamp,
                    stamp,
                    format_ts(add_month(now)),
                    row["id"],
                ),
            )
            conn.execute(
                "UPDATE accounts SET balance = ? WHERE auth_id = ?",
                (str(balance - cost), actor.master),
            )
            self._ledger(
                conn,
                actor.master,
                e164,
                cost,
                row["currency"],
                stamp,
                "debit",
                "did_rental",
                "number purchase (setup fee and first month)",
            )
            number = self.get_number(e164)
        assert number is not None
        return number

    def take(self, e164: str, *, owner: str, now: datetime) -> dict[str, Any]:
        """Another buyer, ``owner``, gets ``e164`` from inventory (no debit is modelled).

        Raises ``NumberNotInInventory`` or ``AccountNotFound``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            self._settle(conn, now)
            buyer = conn.execute(
                "SELECT auth_id, parent_auth_id FROM accounts WHERE auth_id = ?", (owner,)
            ).fetchone()
            if buyer is None:
                raise AccountNotFound("the buyer must be an existing account")
            found = conn.execute(
                "UPDATE numbers SET owner = ?, family = ?, source = 'inventory', purchased_at = ?,"
                " released_at = NULL, updated_at = ? WHERE e164 = ? AND owner IS NULL"
                " AND status = 'active'",
                (owner, buyer["parent_auth_id"] or owner, stamp, stamp, e164),
            )
            if found.rowcount == 0:
                raise NumberNotInInventory("number not in inventory")
        number = self.get_number(e164)
        assert number is not None
        return number

    def _ledger(
        self,
        conn: sqlite3.Connection,
        auth_id: str,
        e164: str,
        amount: Decimal,
        currency: str,
        stamp: str,
        kind: str,
        reference_type: str,
        description: str,
    ) -> None:
        conn.execute(
            "INSERT INTO ledger(auth_id, e164, amount, currency, at, kind, reference_type,"
            " description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (auth_id, e164, str(amount), currency, stamp, kind, reference_type, description),
        )

    def _owned_row(
        self, conn: sqlite3.Connection, e164: str, actor: Actor, outside: Exception
    ) -> sqlite3.Row:
        """The number, if the request may act on it (``outside`` or 403 otherwise)."""
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM numbers WHERE e164 = ?", (e164,)
        ).fetchone()
        if row is None:
            raise outside
        actor.check_number(row["owner"], self._subaccounts_of(conn, actor.master), outside)
        return row

    def release(
        self, e164: str, *, actor: Actor, now: datetime, mode: str = "inventory"
    ) -> dict[str, Any]:
        """Release a number; ``mode`` says how.

        ``inventory`` (the older API): back to inventory at once. ``cooldown``
        (the current API): ``pending_release`` on the account for 24 hours,
        cancellable, then 45 days in quarantine. ``immediate``: quarantined at
        once. The current API debits the paying master's ``release_fee``.
        Returns ``{"cooldown_ends_at", "release_fee", "currency"}``.

        Raises ``NumberNotFound`` (no such number), ``NumberNotOwned`` (outside
        the family), ``NumberOfAnotherAccount`` (see ``_auth``), ``RoutingRefused``
        (already pending release, without ``immediate``) or ``BalanceTooLow``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            self._settle(conn, now)
            row = conn.execute("SELECT * FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NumberNotFound("number not found")
            actor.check_number(
                row["owner"],
                self._subaccounts_of(conn, actor.master),
                NumberNotOwned("account does not own this number"),
            )
            fee = Decimal(0)
            currency = str(row["currency"])
            if mode == "inventory":
                conn.execute(
                    "UPDATE numbers SET owner = NULL, family = NULL, trunk_group_id = NULL,"
                    " application_id = NULL, status = 'active', released_at = ?, updated_at = ?,"
                    " last_billing_date = NULL, next_billing_date = NULL,"
                    " cooldown_ends_at = NULL, quarantine_ends_at = NULL,"
                    " release_fee_charged = NULL, release_payer = NULL WHERE id = ?",
                    (stamp, stamp, row["id"]),
                )
                return {"cooldown_ends_at": None, "release_fee": fee, "currency": currency}
            pending = row["status"] == "pending_release"
            if pending and mode != "immediate":
                raise RoutingRefused("number is already pending release")
            if not pending:
                payer = _account_out(
                    conn.execute(
                        "SELECT * FROM accounts WHERE auth_id = ?", (actor.master,)
                    ).fetchone()
                )
                fee = payer["release_fee"]
                currency = str(payer["currency"])
                if fee > 0:
                    available = available_of(payer)
                    if available < fee:
                        raise BalanceTooLow(fee, available, currency)
                    conn.execute(
                        "UPDATE accounts SET balance = ? WHERE auth_id = ?",
                        (str(payer["balance"] - fee), actor.master),
                    )
                    self._ledger(
                        conn,
                        actor.master,
                        e164,
                        fee,
                        currency,
                        stamp,
                        "debit",
                        "did_rental",
                        "number release fee",
                    )
            if mode == "immediate":
                ends = now
                conn.execute(
                    "UPDATE numbers SET owner = NULL, family = NULL, trunk_group_id = NULL,"
                    " application_id = NULL, status = 'released', released_at = ?, updated_at = ?,"
                    " last_billing_date = NULL, next_billing_date = NULL, cooldown_ends_at = NULL,"
                    " quarantine_ends_at = ?, release_fee_charged = NULL, release_payer = NULL"
                    " WHERE id = ?",
                    (stamp, stamp, fixed_ts(now + QUARANTINE), row["id"]),
                )
            else:
                ends = now + COOLDOWN
                conn.execute(
                    "UPDATE numbers SET trunk_group_id = NULL, application_id = NULL,"
                    " status = 'pending_release', released_at = ?, updated_at = ?,"
                    " cooldown_ends_at = ?, release_fee_charged = ?, release_payer = ?"
                    " WHERE id = ?",
                    (stamp, stamp, fixed_ts(ends), str(fee), actor.master, row["id"]),
                )
            return {"cooldown_ends_at": ends, "release_fee": fee, "currency": currency}

    def cancel_release(self, e164: str, *, actor: Actor, now: datetime) -> dict[str, Any]:
        """Put a ``pending_release`` number back to ``active``, refunding its release fee.

        Returns ``{"refund_amount", "currency"}``. Raises ``CancelNumberNotFound``,
        ``CancelAccessDenied`` (another account's number) or ``NotPendingRelease``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            self._settle(conn, now)
            row = conn.execute("SELECT * FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise CancelNumberNotFound("number not found")
            subaccounts = self._subaccounts_of(conn, actor.master)
            if not actor.may_act_on(row["owner"], subaccounts):
                if row["owner"] is None:
                    raise CancelNumberNotFound("number not found")
                raise CancelAccessDenied("access denied")
            if row["status"] != "pending_release":
                raise NotPendingRelease("number is not pending release")
            fee = Decimal(row["release_fee_charged"] or 0)
            payer = row["release_payer"] or actor.master
            currency = str(row["currency"])
            if fee > 0:
                account = conn.execute(
                    "SELECT balance, currency FROM accounts WHERE auth_id = ?", (payer,)
                ).fetchone()
                if account is not None:
                    currency = str(account["currency"])
                    conn.execute(
                        "UPDATE accounts SET balance = ? WHERE auth_id = ?",
                        (str(Decimal(account["balance"]) + fee), payer),
                    )
                    self._ledger(
                        conn,
                        payer,
                        e164,
                        fee,
                        currency,
                        stamp,
                        "refund",
                        "refund",
                        "number release fee refund (release cancelled)",
                    )
            conn.execute(
                "UPDATE numbers SET status = 'active', released_at = NULL, updated_at = ?,"
                " cooldown_ends_at = NULL, release_fee_charged = NULL, release_payer = NULL"
                " WHERE id = ?",
                (stamp, row["id"]),
            )
            return {"refund_amount": fee, "currency": currency}

    def settle(self, now: datetime) -> None:
        """Move every number whose cooldown or quarantine has ended on (the lazy clock).

        Two indexed look-ups when nothing is due, so every request may call it.
        """
        mark = fixed_ts(now)
        with self._lock:
            due = (
                self._conn.execute(
                    "SELECT 1 FROM numbers WHERE cooldown_ends_at <= ? LIMIT 1", (mark,)
                ).fetchone()
                or self._conn.execute(
                    "SELECT 1 FROM numbers WHERE quarantine_ends_at <= ? LIMIT 1", (mark,)
                ).fetchone()
            )
        if due:
            with self.transaction() as conn:
                self._settle(conn, now)

    def _settle(self, conn: sqlite3.Connection, now: datetime) -> None:
        mark = fixed_ts(now)
        for row in conn.execute(
            "SELECT id, cooldown_ends_at FROM numbers WHERE cooldown_ends_at <= ?", (mark,)
        ).fetchall():
            ended = parse_ts(str(row["cooldown_ends_at"]))
            conn.execute(
                "UPDATE numbers SET owner = NULL, family = NULL, status = 'released',"
                " updated_at = ?, last_billing_date = NULL, next_billing_date = NULL,"
                " cooldown_ends_at = NULL, quarantine_ends_at = ?, release_fee_charged = NULL,"
                " release_payer = NULL WHERE id = ?",
                (format_ts(ended), fixed_ts(ended + QUARANTINE), row["id"]),
            )
        for row in conn.execute(
            "SELECT id, quarantine_ends_at FROM numbers WHERE quarantine_ends_at <= ?", (mark,)
        ).fetchall():
            ended = parse_ts(str(row["quarantine_ends_at"]))
            conn.execute(
                "UPDATE numbers SET status = 'active', updated_at = ?, quarantine_ends_at = NULL"
                " WHERE id = ?",
                (format_ts(ended), row["id"]),
            )

    def route(
        self,
        e164: str,
        *,
        actor: Actor,
        now: datetime,
        trunk: str | None = None,
        application: str | None = None,
        unroute: str | None = None,
    ) -> None:
        """Assign a trunk, attach an application, or (``unroute`` ``trunk``/``application``)
        take one off.

        The trunk or application must belong to the account's family. Raises
        ``RoutingNumberNotFound``, ``NumberOfAnotherAccount``, ``RoutingRefused``
        (already on a trunk; an application while on a trunk; pending release;
        an unknown trunk or application) or ``NumberNotRouted``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            self._settle(conn, now)
            row = self._owned_row(
                conn, e164, actor, RoutingNumberNotFound("number not found on this account")
            )
            if unroute is not None:
                column = "trunk_group_id" if unroute == "trunk" else "application_id"
                if row[column] is None:
                    what = "a trunk" if unroute == "trunk" else "an application"
                    raise NumberNotRouted(f"number is not assigned to {what}")
                conn.execute(
                    f"UPDATE numbers SET {column} = NULL, updated_at = ? WHERE id = ?",
                    (stamp, row["id"]),
                )
                return
            if row["status"] != "active":
                raise RoutingRefused(f"number is {row['status']}")
            kind, target = ("trunk", trunk) if trunk is not None else ("application", application)
            family = {actor.master, *self._subaccounts_of(conn, actor.master)}
            found = conn.execute(
                "SELECT auth_id FROM routing_targets WHERE id = ? AND kind = ?", (target, kind)
            ).fetchone()
            if found is None or found["auth_id"] not in family:
                what = "trunk group" if kind == "trunk" else "application"
                raise RoutingRefused(f"{what} {target} not found on this account")
            if kind == "trunk":
                if row["trunk_group_id"] is not None:
                    raise RoutingRefused("This number is already assigned to a trunk.")
                column = "trunk_group_id"
            else:
                if row["trunk_group_id"] is not None:
                    raise RoutingRefused(
                        "This number is assigned to a trunk; unassign it from the trunk first."
                    )
                column = "application_id"
            conn.execute(
                f"UPDATE numbers SET {column} = ?, updated_at = ? WHERE id = ?",
                (target, stamp, row["id"]),
            )

    def reachable_number(self, e164: str, *, actor: Actor) -> dict[str, Any]:
        """A number the request may act on (``NumberNotFound`` or 403 otherwise)."""
        with self.transaction() as conn:
            row = self._owned_row(conn, e164, actor, NumberNotFound("number not found"))
        return number_row_out(row)

    def calls(self, e164: str, since: datetime) -> list[dict[str, Any]]:
        """The calls recorded for ``e164`` from ``since`` on, oldest first."""
        rows = self._query(
            "SELECT at, answered, duration_seconds FROM calls WHERE e164 = ? AND at >= ?"
            " ORDER BY at",
            (e164, fixed_ts(since)),
        )
        return [
            {"at": parse_ts(str(r[0])), "answered": bool(r[1]), "duration": int(r[2])} for r in rows
        ]

    def transactions(
        self, auth_id: str, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of ``auth_id``'s ledger rows (newest first), and their total."""
        total = int(self._query("SELECT COUNT(*) FROM ledger WHERE auth_id = ?", (auth_id,))[0][0])
        rows = self._query(
            "SELECT * FROM ledger WHERE auth_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (auth_id, limit, offset),
        )
        return [{**dict(row), "amount": Decimal(row["amount"])} for row in rows], total

    def ledger_summary(self, auth_id: str) -> list[dict[str, Any]]:
        """Per reference type: debits, refunds and how many rows (the transactions summary)."""
        rows = self._query(
            "SELECT reference_type, kind, amount FROM ledger WHERE auth_id = ?", (auth_id,)
        )
        out: dict[str, dict[str, Any]] = {}
        for row in rows:
            entry = out.setdefault(
                str(row[0]),
                {
                    "reference_type": str(row[0]),
                    "debit": Decimal(0),
                    "credit": Decimal(0),
                    "count": 0,
                },
            )
            entry["debit" if row[1] == "debit" else "credit"] += Decimal(row[2])
            entry["count"] += 1
        return list(out.values())

    def _audit(
        self,
        conn: sqlite3.Connection,
        *,
        number: sqlite3.Row,
        from_auth_id: str | None,
        to_auth_id: str | None,
        actor: str,
        forced: bool,
        reason: str,
        stamp: str,
    ) -> None:
        conn.execute(
            "INSERT INTO did_assignment_audit(e164, number_id, from_auth_id, to_auth_id,"
            " actor_auth_id, forced, at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number["e164"],
                number["id"],
                from_auth_id,
                to_auth_id,
                actor,
                int(forced),
                stamp,
                reason,
            ),
        )

    def assign(self, e164: str, *, actor: Actor, sub_account: str, now: datetime) -> dict[str, Any]:
        """Move a master's number to one of its sub-accounts.

        Raises ``SubAccountNotFound``, ``SubAccountOfAnotherMaster``,
        ``NumberNotFound``, ``NumberNotOwned`` (outside the family),
        ``NumberOfAnotherAccount`` or ``NumberAlreadyAssigned``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            sub = conn.execute(
                "SELECT parent_auth_id FROM accounts WHERE auth_id = ?", (sub_account,)
            ).fetchone()
            if sub is None or sub["parent_auth_id"] is None:
                raise SubAccountNotFound("sub-account not found")
            if sub["parent_auth_id"] != actor.master:
                raise SubAccountOfAnotherMaster("sub-account does not belong to this account")
            row = conn.execute("SELECT * FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NumberNotFound("number not found")
            subaccounts = self._subaccounts_of(conn, actor.master)
            actor.check_number(
                row["owner"], subaccounts, NumberNotOwned("account does not own this number")
            )
            if row["owner"] in subaccounts:
                raise NumberAlreadyAssigned(
                    f"number is already assigned to sub-account {row['owner']}"
                )
            conn.execute(
                "UPDATE numbers SET owner = ?, updated_at = ? WHERE id = ?",
                (sub_account, stamp, row["id"]),
            )
            self._audit(
                conn,
                number=row,
                from_auth_id=actor.master,
                to_auth_id=sub_account,
                actor=actor.caller,
                forced=False,
                reason="assign",
                stamp=stamp,
            )
            number = self.get_number(e164)
        assert number is not None
        return number

    def unassign(self, e164: str, *, actor: Actor, force: bool, now: datetime) -> dict[str, Any]:
        """Move a number from a sub-account back to its master, honouring the cool-off.

        Raises ``NumberNotFound`` (also for a number outside the family),
        ``NumberOfAnotherAccount``, ``NumberNotAssigned`` or ``CoolOffActive``.
        """
        stamp = format_ts(now)
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM numbers WHERE e164 = ?", (e164,)).fetchone()
            if row is None:
                raise NumberNotFound("number not found")
            owner = row["owner"]
            actor.check_number(
                owner,
                self._subaccounts_of(conn, actor.master),
                NumberNotFound("number not owned by this account"),
            )
            if owner == actor.master:
                raise NumberNotAssigned("number is not assigned to a sub-account")
            in_cool_off = False
            if row["last_call_at"] is not None:
                until = cool_off_until(row["last_call_at"])
                if now < until:
                    in_cool_off = True
                    if not force:
                        remaining = max(1, math.ceil((until - now).total_seconds()))
                        raise CoolOffActive(until, remaining)
            conn.execute(
                "UPDATE numbers SET owner = ?, updated_at = ? WHERE id = ?",
                (actor.master, stamp, row["id"]),
            )
            reason = "unassign"
            if force:
                reason = "force_unassign_during_cool_off" if in_cool_off else "force_unassign"
            self._audit(
                conn,
                number=row,
                from_auth_id=owner,
                to_auth_id=actor.master,
                actor=actor.caller,
                forced=force,
                reason=reason,
                stamp=stamp,
            )
            number = self.get_number(e164)
        assert number is not None
        return number

    def record_call(
        self, e164: str, at: datetime, *, answered: bool = True, duration_seconds: int = 60
    ) -> dict[str, Any]:
        """Record a call: the number's last call time and a row for its health.

        Raises ``NumberNotFound``.
        """
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE numbers SET last_call_at = ? WHERE e164 = ?", (format_ts(at), e164)
            )
            if cursor.rowcount == 0:
                raise NumberNotFound("number not found")
            conn.execute(
                "INSERT INTO calls(e164, at, answered, duration_seconds) VALUES (?, ?, ?, ?)",
                (e164, fixed_ts(at), int(answered), duration_seconds if answered else 0),
            )
            number = self.get_number(e164)
        assert number is not None
        return number

    # logs

    def ledger(self) -> list[dict[str, Any]]:
        """Every debit, oldest first."""
        rows = self._query("SELECT * FROM ledger ORDER BY id")
        return [{**_ledger_out(row), "amount": Decimal(row["amount"])} for row in rows]

    def audit(self) -> list[dict[str, Any]]:
        """Every ``did_assignment_audit`` row, oldest first."""
        rows = self._query("SELECT * FROM did_assignment_audit ORDER BY id")
        return [{**dict(row), "forced": bool(row["forced"])} for row in rows]


def _ledger_out(row: sqlite3.Row) -> dict[str, Any]:
    """A ledger row for the control API: ``type`` is ``debit`` or ``refund``."""
    data = dict(row)
    data["type"] = data.pop("kind")
    return data


def cool_off_until(last_call_at: str) -> datetime:
    """When the cool-off after a call at ``last_call_at`` ends (at the latest, ``datetime.max``).

    Timestamps are bounded where they are written, but a database from an
    older emulator may hold any date: the sum must not overflow.
    """
    try:
        return parse_ts(last_call_at) + COOL_OFF
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


class _Listing:
    """One filter's total and its page cursors, valid for one store version."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        where: str,
        params: tuple[Any, ...],
        generation: tuple[int, int],
    ) -> None:
        self._conn = conn
        self._where = where
        self._params = params
        self.generation = generation
        self.total = int(
            conn.execute(f"SELECT COUNT(*) FROM numbers WHERE {where}", params).fetchone()[0]
        )
        self._cursors: dict[int, str | None] = {}

    def cursor(self, offset: int) -> str | None:
        """The E.164 just before position ``offset`` (None: there is none, past the end).

        Found once per store version with ``LIMIT 1 OFFSET`` on a covering
        index (the E.164 is in it, no table row is read), then cached.
        """
        if offset not in self._cursors:
            row = self._conn.execute(
                f"SELECT e164 FROM numbers WHERE {self._where} ORDER BY e164 LIMIT 1 OFFSET ?",
                (*self._params, offset - 1),
            ).fetchone()
            self._cursors[offset] = None if row is None else str(row[0])
        return self._cursors[offset]


# Columns added after schema 2 (the current API: money settings, the release
# state machine, typed ledger rows). Added in place to an older database, so
# the schema version stays 2: every such column is nullable or has a default.
_ADDED_COLUMNS = {
    "accounts": (
        ("credit_limit", "TEXT NOT NULL DEFAULT '0'"),
        ("credit_limit_type", "TEXT NOT NULL DEFAULT 'hard'"),
        ("reserved_funds", "TEXT NOT NULL DEFAULT '0'"),
        ("release_fee", "TEXT NOT NULL DEFAULT '0'"),
        ("low_balance_threshold", "TEXT NOT NULL DEFAULT '50'"),
    ),
    "numbers": (
        ("cooldown_ends_at", "TEXT"),
        ("quarantine_ends_at", "TEXT"),
        ("release_fee_charged", "TEXT"),
        ("release_payer", "TEXT"),
    ),
    "ledger": (
        ("kind", "TEXT NOT NULL DEFAULT 'debit'"),
        ("reference_type", "TEXT NOT NULL DEFAULT 'did_rental'"),
        ("description", "TEXT NOT NULL DEFAULT 'number purchase'"),
    ),
}


def _add_columns(conn: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns:
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
    # Partial indexes: the lazy release clock finds due numbers without a scan.
    conn.execute(
        "CREATE INDEX IF NOT EXISTS numbers_cooldown ON numbers(cooldown_ends_at)"
        " WHERE cooldown_ends_at IS NOT NULL"
    )
    conn.execute(
        "CREATE INDEX IF NOT EXISTS numbers_quarantine ON numbers(quarantine_ends_at)"
        " WHERE quarantine_ends_at IS NOT NULL"
    )


def _migrate_from_1(conn: sqlite3.Connection) -> None:
    """Schema 1 had no ``family`` column: add it and fill it from the owners."""
    columns = {str(row[1]) for row in conn.execute("PRAGMA table_info(numbers)")}
    if "family" not in columns:
        conn.execute("ALTER TABLE numbers ADD COLUMN family TEXT")
    conn.execute(
        "UPDATE numbers SET family = (SELECT COALESCE(a.parent_auth_id, a.auth_id)"
        " FROM accounts AS a WHERE a.auth_id = numbers.owner)"
    )
