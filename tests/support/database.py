"""The emulator's SQLite file, opened directly by a test (as another process would)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def open_database(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A connection to ``path``, committed (rolled back on error) and closed at the end.

    ``with sqlite3.connect(path)`` alone commits but never closes the connection,
    which Python 3.13 reports as a ResourceWarning (an error in this suite).
    """
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()
