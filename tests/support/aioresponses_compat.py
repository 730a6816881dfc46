"""Make aioresponses 0.7.x work with aiohttp 3.14.

aiohttp 3.14 gave ``ClientResponse.__init__`` a required ``stream_writer``
argument that aioresponses does not pass yet. The mock builds its responses
from the module-global ``ClientResponse``; pointing that at a subclass that
supplies an inert writer is the smallest fix that keeps the library's real
response class everywhere else.
"""

from __future__ import annotations

import inspect
from typing import Any

import aioresponses.core
from aiohttp import ClientResponse


class _InertWriter:
    output_size = 0


class _CompatClientResponse(ClientResponse):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _InertWriter())
        super().__init__(*args, **kwargs)


def install() -> None:
    """Patch aioresponses only when this aiohttp needs it."""
    if "stream_writer" in inspect.signature(ClientResponse.__init__).parameters:
        # aioresponses.core imports aiohttp's class without re-exporting it: assigning the
        # module attribute is the point of the shim.
        aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[attr-defined]
