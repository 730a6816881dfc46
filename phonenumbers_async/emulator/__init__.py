"""A stateful local emulator of the Phone Numbers API (aiohttp + SQLite).

Start it from Python (``run_emulator`` or ``EmulatorThread``), from pytest
(the ``emulator`` and ``emulator_factory`` fixtures, installed with the
package) or from the command line (``python -m phonenumbers_async.emulator``).
The emulator does not import the SDK: it depends on aiohttp and the standard
library only.
"""

from ._app import create_app
from ._clock import Clock
from ._control import EmulatorControl, EmulatorControlError
from ._faults import Faults
from ._server import (
    EmulatorInfo,
    EmulatorOptions,
    EmulatorThread,
    run_emulator,
    start_emulator_thread,
)
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
