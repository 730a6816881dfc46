"""Recorded payloads: copies of the provider's documented examples in ``tests/samples``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def load_sample(name: str) -> Any:
    """The decoded JSON of ``tests/samples/<name>``."""
    with (SAMPLES / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def sample_bytes(name: str) -> bytes:
    """The raw bytes of ``tests/samples/<name>``."""
    return (SAMPLES / name).read_bytes()
