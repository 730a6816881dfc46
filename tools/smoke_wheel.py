"""The package as users get it: build, check, install the wheel away from this tree, use it.

    python tools/smoke_wheel.py [--python /path/to/python3.11] [--keep]

1. ``python -m build`` writes the sdist and the wheel to ``build/dist``;
2. ``twine check`` reads their metadata (the README renders on the index);
3. a fresh venv in a temporary folder outside the source tree gets the wheel
   with its ``cli`` extra (and pytest, for step 5), and nothing of this checkout;
4. there it checks what must ship: ``py.typed``, the emulator, the command line
   (``phonenumbers-async --version``, then the whole ``phonenumbers-async demo``)
   and the pytest plugin's entry point; and that no ``tests`` package leaks in;
5. a throwaway test project (one test file, no conftest) uses the ``emulator``
   fixture the installed wheel registers, and its pytest run must pass.

Any failure ends the script with a non-zero status and the failing step's output.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "build" / "dist"
DISTRIBUTION = "phonenumbers_async"

# Run inside the smoke venv: what the installed wheel must contain.
SHIPPED_CHECK = """
import importlib.metadata as metadata
import importlib.resources as resources
import importlib.util
import sys
from pathlib import Path

root = Path(sys.argv[1])
package = resources.files("phonenumbers_async")
where = Path(str(package))
assert root not in where.parents, f"imported from the source tree: {where}"
assert (package / "py.typed").is_file(), "py.typed is missing"
for module in ("phonenumbers_async.emulator", "phonenumbers_async.cli",
               "phonenumbers_async.emulator.pytest_plugin"):
    assert importlib.util.find_spec(module) is not None, f"{module} is missing"
plugins = {entry.name: entry.value for entry in metadata.entry_points(group="pytest11")}
plugin = plugins.get("phonenumbers_async_emulator")
assert plugin == "phonenumbers_async.emulator.pytest_plugin", plugins
scripts = {entry.name for entry in metadata.entry_points(group="console_scripts")}
assert "phonenumbers-async" in scripts, scripts
assert importlib.util.find_spec("tests") is None, "a top-level tests package was installed"
print(f"ships: py.typed, emulator, cli, pytest plugin ({where})")
"""

# The throwaway project's only file: a user's test against the installed emulator fixture.
USER_TEST = '''
"""A user's own test, relying on nothing but the installed wheel."""

import asyncio

from phonenumbers_async import AsyncClient
from phonenumbers_async.emulator import EmulatorInfo


def test_buying_a_number_from_the_emulator_fixture(emulator: EmulatorInfo) -> None:
    """The fixture's emulator sells a number, which the account then owns."""

    async def buy() -> tuple[str, list[str]]:
        async with AsyncClient(
            emulator.auth_id, emulator.auth_token, base_url=emulator.base_url
        ) as client:
            offer = (await client.inventory.list(per_page=1)).items[0]
            bought = await client.numbers.purchase(offer.e164)
            owned = [number.e164 for number in (await client.numbers.list()).items]
            return bought.e164, owned

    bought, owned = asyncio.run(buy())
    assert bought in owned
'''


def step(title: str) -> None:
    print(f"-- {title}", flush=True)


def run(command: Sequence[str | Path], *, cwd: Path, quiet: bool = False) -> str:
    """Run ``command``; fail the smoke test with its output if it fails."""
    shown = " ".join(str(part) for part in command)
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(f"FAILED ({result.returncode}): {shown}\n{result.stdout}{result.stderr}")
        raise SystemExit(1)
    if not quiet:
        print(result.stdout, end="")
    return result.stdout


def build() -> tuple[Path, Path]:
    """The sdist and the wheel, freshly built."""
    step("build the sdist and the wheel")
    shutil.rmtree(DIST, ignore_errors=True)
    run([sys.executable, "-m", "build", "--outdir", DIST, ROOT], cwd=ROOT, quiet=True)
    (sdist,) = DIST.glob("*.tar.gz")
    (wheel,) = DIST.glob("*.whl")
    print(f"built {sdist.name} and {wheel.name}")
    step("twine check")
    run([sys.executable, "-m", "twine", "check", "--strict", sdist, wheel], cwd=ROOT)
    return sdist, wheel


def smoke(wheel: Path, python: str, place: Path) -> None:
    """Install ``wheel`` in a venv in ``place`` and use it there as a user would."""
    step(f"install the wheel with its cli extra in a fresh venv ({place})")
    venv = place / "venv"
    run([python, "-m", "venv", venv], cwd=place)
    bin_dir = venv / "bin"
    run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", f"{wheel}[cli]", "pytest"],
        cwd=place,
    )
    step("check what ships")
    run([bin_dir / "python", "-c", SHIPPED_CHECK, ROOT], cwd=place)
    step("phonenumbers-async --version")
    run([bin_dir / "phonenumbers-async", "--version"], cwd=place)
    step("phonenumbers-async demo")
    demo = run([bin_dir / "phonenumbers-async", "demo"], cwd=place, quiet=True)
    lines = demo.splitlines()
    print("\n".join([*lines[:8], f"... ({len(lines)} lines)"]))
    step("a throwaway project's test using the installed emulator fixture")
    project = place / "user_project"
    project.mkdir()
    (project / "test_user.py").write_text(textwrap.dedent(USER_TEST).lstrip(), encoding="utf-8")
    run([bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter of the fresh venv"
    )
    parser.add_argument(
        "--keep", action="store_true", help="leave the temporary venv and project in place"
    )
    args = parser.parse_args(argv)
    _, wheel = build()
    place = Path(tempfile.mkdtemp(prefix="phonenumbers-async-smoke-"))
    try:
        smoke(wheel, args.python, place)
    finally:
        if args.keep:
            print(f"kept {place}")
        else:
            shutil.rmtree(place, ignore_errors=True)
    print("wheel smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
