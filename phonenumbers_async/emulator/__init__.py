"""A stateful local emulator of the Phone Numbers API (aiohttp + SQLite).

Start it from Python (``run_emulator`` or ``EmulatorThread``), from pytest
(the ``emulator`` and ``emulator_factory`` fixtures, installed with the
package) or from the command line (``python -m phonenumbers_async.emulator``).
Its ``/api`` routes are described by an OpenAPI 3.1 document served at
``GET /_emulator/openapi.json``.

The emulator does not import the SDK: it depends on aiohttp and the standard
library only (orjson speeds up its answers when installed), and shares one
rule with the SDK, the loopback test in ``phonenumbers_async._net``.
``tests/emulator/test_independence.py`` checks both, statically and by
importing it with the SDK core blocked.
"""

from ._app import create_app
from ._clock import Clock
from ._control import EmulatorControl, EmulatorControlError
from ._faults import Faults
from ._options import EmulatorOptions
from ._server import EmulatorInfo, EmulatorThread, run_emulator, start_emulator_thread
from ._store import Store

__all__ = [
    "Clock",
    "EmulatorControl",
    "EmulatorControlError",
    "EmulatorInfo",
    "EmulatorOptions",
    "EmulatorThread",
    "Faults",
    "Store",
    "create_app",
    "run_emulator",
    "start_emulator_thread",
]
