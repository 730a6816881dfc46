"""The emulator stays independent of the SDK core, so a shared mistake cannot hide."""

from __future__ import annotations

import ast
from pathlib import Path

import phonenumbers_async.emulator as emulator_package

# orjson is optional (imported under try/except) and is not part of the SDK core.
ALLOWED_TOP_LEVEL = {"aiohttp", "pytest", "orjson"}
# Modules of the package that import nothing of the client (see their docstrings).
SHARED = {"_net"}


def test_emulator_imports_only_aiohttp_and_the_standard_library() -> None:
    """No emulator module imports phonenumbers_async's core (or anything but aiohttp/stdlib)."""
    import sys

    package_dir = Path(emulator_package.__file__).parent
    files = sorted(package_dir.glob("*.py"))
    assert len(files) >= 10
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative: inside the emulator, or the shared loopback rule
                    assert node.level == 1 or (node.level == 2 and node.module in SHARED), (
                        f"{path.name}: relative import leaves the emulator"
                    )
                    continue
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top != "phonenumbers_async", f"{path.name} imports {name}"
                assert top in sys.stdlib_module_names or top in ALLOWED_TOP_LEVEL, (
                    f"{path.name} imports {name}"
                )


# Modules of the SDK core (and its dependencies) that the emulator must never load.
# attrs is not here: aiohttp itself imports it.
BLOCKED = [
    "phonenumbers_async._client",
    "phonenumbers_async._facade",
    "phonenumbers_async._convert",
    "phonenumbers_async._sansio",
    "phonenumbers_async._models",
    "phonenumbers_async._transport",
    "phonenumbers_async._retry",
    "phonenumbers_async._config",
    "phonenumbers_async._fastdecode",
    "phonenumbers_async._resources",
    "phonenumbers_async.errors",
    "phonenumbers_async.cli",
    "anyio",
    "cattrs",
    "msgspec",
    "click",
    "rich",
]

_BLOCKED_RUN = """
import importlib.abc, json, sys, urllib.request

BLOCKED = set(sys.argv[1].split(","))

class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError(f"blocked for this test: {name}")
        return None

sys.meta_path.insert(0, Blocker())

import phonenumbers_async.emulator as emulator
import phonenumbers_async.emulator.pytest_plugin
from phonenumbers_async.emulator import EmulatorOptions, EmulatorThread

with EmulatorThread(EmulatorOptions(seed_inventory=3, subaccounts=1, seed=5)) as info:
    request = urllib.request.Request(
        info.base_url + "/v1/account/" + info.auth_id + "/inventory/numbers",
        headers={"X-Auth-ID": info.auth_id, "X-Auth-Token": info.auth_token},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        page = json.loads(response.read())
    with urllib.request.urlopen(info.control_url + "/openapi.json", timeout=10) as response:
        document = json.loads(response.read())
loaded = sorted(name for name in sys.modules if name.startswith("phonenumbers_async"))
print(json.dumps({"total": page["total"], "openapi": document["openapi"], "loaded": loaded}))
"""


def test_the_emulator_runs_with_the_sdk_core_blocked() -> None:
    """With the SDK core, anyio, cattrs and msgspec made unimportable, the emulator and its
    pytest plugin import, start, and answer an API request and a control request."""
    import json
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-c", _BLOCKED_RUN, ",".join(BLOCKED)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["total"] == 3
    assert result["openapi"] == "3.1.0"
    core = {"phonenumbers_async", "phonenumbers_async._net", "phonenumbers_async._version"}
    assert {n for n in result["loaded"] if not n.startswith("phonenumbers_async.emulator")} == core


def test_the_blocker_really_blocks() -> None:
    """The same blocker makes the SDK client unimportable (so the test above can fail)."""
    import subprocess
    import sys

    script = _BLOCKED_RUN.split("import phonenumbers_async.emulator as emulator")[0]
    script += "import phonenumbers_async\nphonenumbers_async.AsyncClient\n"
    completed = subprocess.run(
        [sys.executable, "-c", script, ",".join(BLOCKED)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode != 0
    assert "blocked for this test" in completed.stderr
