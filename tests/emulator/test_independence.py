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
