"""The bulk journal: an append-only JSON Lines file that makes a bulk job resumable.

The first line is a header naming the operation, the account and the API it
belongs to. Then, per number, a ``started`` record is made durable (write,
flush, fsync) *before* the request is sent, and a ``done`` or ``failed``
record after the answer. On a rerun, a number whose last record is ``done``
is skipped; a number left at ``started`` (or failed with an unknown outcome)
may have been acted on by the interrupted run, so it is reconciled against
the account before anything is sent again; one that failed clearly is simply
tried again.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ._common import EXIT_USAGE, CliError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["Journal", "JournalEntry"]

FORMAT_NAME = "phonenumbers-async-journal"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class JournalEntry:
    """What the journal says about one number: its last event and, when done, its outcome."""

    event: str
    outcome: str = ""
    cost: str = ""
    error: str = ""

    @property
    def done(self) -> bool:
        return self.event == "done"

    @property
    def unsettled(self) -> bool:
        """Sent without a clear answer (killed mid-request, or an ambiguous failure)."""
        return self.event == "started" or (self.event == "failed" and self.outcome == "unknown")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Journal:
    """One job's journal, open for appending; use :meth:`open` and close it (or ``with``)."""

    def __init__(self, path: Path, handle: IO[str], entries: dict[str, JournalEntry]) -> None:
        self.path = path
        self._handle = handle
        self._entries = entries
        self.ignored_lines = 0

    @classmethod
    def open(cls, path: Path, *, operation: str, auth_id: str, base_url: str) -> Journal:
        """Open (or create) the journal at ``path`` for this operation, account and API.

        Refuses a journal written for another operation, account or API, and
        one that another run holds open (so two runs never race on it).
        """
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "operation": operation,
            "auth_id": auth_id,
            "base_url": base_url,
        }
        try:
            existed = path.exists() and path.stat().st_size > 0
            handle = path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise CliError(
                f"cannot open journal {path}: {exc.strerror or exc}", EXIT_USAGE
            ) from None
        try:
            _lock(handle, path)
            handle.seek(0)
            text = handle.read()
            entries: dict[str, JournalEntry] = {}
            ignored = 0
            if existed:
                entries, ignored = _replay(text, path, header)
                # A run killed mid-write can leave a partial last line; start on a fresh one.
                if text and not text.endswith("\n"):
                    handle.write("\n")
            journal = cls(path, handle, entries)
            journal.ignored_lines = ignored
            if not existed:
                journal._append({**header, "created_at": _now()})
                _sync_directory(path)
            return journal
        except BaseException:
            handle.close()
            raise

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (and release the lock)."""
        self._handle.close()

    def get(self, e164: str) -> JournalEntry | None:
        """The last state the journal recorded for ``e164`` (None: never touched)."""
        return self._entries.get(e164)

    def __iter__(self) -> Iterator[tuple[str, JournalEntry]]:
        return iter(self._entries.items())

    def started(self, e164: str) -> None:
        """Record, durably, that a request for ``e164`` is about to be sent."""
        self._record(e164, JournalEntry("started"))

    def done(self, e164: str, outcome: str, cost: str = "") -> None:
        """Record that ``e164`` reached its goal (``outcome``: purchased, released…)."""
        self._record(e164, JournalEntry("done", outcome=outcome, cost=cost))

    def failed(self, e164: str, outcome: str, error: str) -> None:
        """Record that the attempt on ``e164`` failed (a rerun reconciles and retries it)."""
        self._record(e164, JournalEntry("failed", outcome=outcome, error=error))

    def _record(self, e164: str, entry: JournalEntry) -> None:
        record: dict[str, Any] = {"e164": e164, "event": entry.event, "at": _now()}
        if entry.outcome:
            record["outcome"] = entry.outcome
        if entry.cost:
            record["cost"] = entry.cost
        if entry.error:
            record["error"] = entry.error
        self._append(record)
        self._entries[e164] = entry

    def _append(self, record: dict[str, Any]) -> None:
        # One write per line, then flush and fsync: when this returns, the
        # record survives a SIGKILL or a power cut, which is the whole point.
        self._handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())


def _lock(handle: IO[str], path: Path) -> None:
    if fcntl is None:  # pragma: no cover - not POSIX
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise CliError(
            f"journal {path} is in use by another running job; wait for it to finish",
            EXIT_USAGE,
        ) from None


def _sync_directory(path: Path) -> None:
    # A new file's directory entry is only durable once the directory is synced.
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _replay(text: str, path: Path, expected: dict[str, Any]) -> tuple[dict[str, JournalEntry], int]:
    lines = text.splitlines()
    try:
        header = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise CliError(
            f"{path} is not a phonenumbers-async journal; pass another --journal path",
            EXIT_USAGE,
        )
    if header.get("version") != FORMAT_VERSION:
        raise CliError(
            f"journal {path} has version {header.get('version')!r}, this program writes "
            f"version {FORMAT_VERSION}",
            EXIT_USAGE,
        )
    describe = {
        "operation": "was written by a {} job",
        "auth_id": "belongs to account {}",
        "base_url": "belongs to the API at {}",
    }
    for key, template in describe.items():
        if header.get(key) != expected[key]:
            raise CliError(
                f"journal {path} {template.format(header.get(key))}, not {expected[key]}; "
                "pass another --journal path",
                EXIT_USAGE,
            )
    entries: dict[str, JournalEntry] = {}
    ignored = 0
    for line in lines[1:]:
        try:
            record = json.loads(line)
            e164 = record["e164"]
            event = record["event"]
        except (json.JSONDecodeError, KeyError, TypeError):
            # Only a torn final write can produce this; its number has no
            # outcome on record, so it is reconciled like any unfinished one.
            ignored += 1
            continue
        if not isinstance(e164, str) or event not in ("started", "done", "failed"):
            ignored += 1
            continue
        entries[e164] = JournalEntry(
            event,
            outcome=str(record.get("outcome", "")),
            cost=str(record.get("cost", "")),
            error=str(record.get("error", "")),
        )
    return entries, ignored
