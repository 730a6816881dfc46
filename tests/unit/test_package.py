"""The package's public face: every name in ``__all__`` loads, and nothing else is promised."""

from __future__ import annotations

import pytest

import phonenumbers_async


def test_every_public_name_loads_from_its_home() -> None:
    """Each name of ``__all__`` resolves on first use; the table of homes lists exactly those."""
    homes = phonenumbers_async._HOMES
    assert set(phonenumbers_async.__all__) == set(homes) | {"__version__"}
    for name in phonenumbers_async.__all__:
        assert getattr(phonenumbers_async, name) is not None
    assert set(phonenumbers_async.__all__) <= set(dir(phonenumbers_async))


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A misspelt name fails the usual way."""
    with pytest.raises(AttributeError, match="AsyncClinet"):
        phonenumbers_async.AsyncClinet  # noqa: B018
