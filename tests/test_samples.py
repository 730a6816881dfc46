"""The recorded payloads in tests/samples are the provider's examples, unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.samples import SAMPLES

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared fixtures are not beside this checkout")
def test_samples_match_the_shared_fixtures() -> None:
    """Every shared fixture is copied byte for byte, so tests cover all of them."""
    shared = {path.name: path.read_bytes() for path in SHARED.glob("*.json")}
    copied = {
        path.name: path.read_bytes() for path in SAMPLES.glob("*.json") if path.name in shared
    }
    assert shared, "no shared fixtures found"
    assert copied == shared
