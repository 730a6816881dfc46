"""Every code block of README.md and docs/ runs as written against a fresh emulator;
the reference tables of the pages list what the code has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from phonenumbers_async.cli._app import cli, run
from phonenumbers_async.emulator._app import CONTROL_ROUTES

from ._blocks import REPO, Block, cli_commands, documentation_files, extract_blocks

BLOCKS = [block for path in documentation_files() for block in extract_blocks(path)]
RUN_KINDS = {"python", "pytest", "bash"}


def _blocks_of(*kinds: str) -> list[object]:
    return [pytest.param(block, id=block.where) for block in BLOCKS if block.kind in kinds]


@pytest.mark.parametrize("block", _blocks_of("python"))
def test_python_block_runs(block: Block, reader_env: dict[str, str]) -> None:
    """The block, a complete script, runs as ``__main__`` without an error or a warning."""
    code = compile(block.source, block.where, "exec")
    exec(code, {"__name__": "__main__", "__file__": block.where})


@pytest.mark.parametrize("block", _blocks_of("bash"))
def test_cli_block_runs(block: Block, reader_env: dict[str, str]) -> None:
    """Each ``phonenumbers-async`` command of the block exits with 0."""
    commands = cli_commands(block.source)
    assert commands, f"{block.where}: a bash block with no command"
    for argv in commands:
        assert run(argv) == 0, f"{block.where}: phonenumbers-async {' '.join(argv)}"


@pytest.mark.parametrize("block", _blocks_of("pytest"))
def test_pytest_block_passes(block: Block, reader_env: dict[str, str], tmp_path: Path) -> None:
    """The block, a test module, passes under pytest (in a subprocess, like a user's suite)."""
    module = tmp_path / "test_docs_block.py"
    module.write_text(block.source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        cwd=tmp_path,
        env=reader_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{block.where}:\n{result.stdout}\n{result.stderr}"
    assert " passed" in result.stdout


def test_docs_are_mostly_run() -> None:
    """The README and the pages are mostly run, not merely shown.

    Skipped blocks (installation, ``make``, servers that run until Ctrl-C)
    are at most a third as many as the blocks that run.
    """
    kinds = [block.kind for block in BLOCKS]
    runnable = sum(kind in RUN_KINDS for kind in kinds)
    assert runnable >= 20, kinds
    assert kinds.count("skip") * 3 <= runnable, kinds


def test_snippets_include_tested_examples() -> None:
    """A block that includes a file names an existing script of ``examples/``.

    Those are run by ``test_examples.py`` (every file of the folder), so the
    included text is tested once, where it lives.
    """
    for block in BLOCKS:
        for name in block.snippet_paths():
            assert name.startswith("examples/"), block.where
            assert (REPO / name).is_file(), block.where


def test_blocks_name_a_language() -> None:
    """Every fence says what it holds, so none escapes the run by accident."""
    unnamed = [block.where for block in BLOCKS if not block.language]
    assert unnamed == []


def test_the_emulator_page_lists_every_control_route() -> None:
    """Each route of the emulator's control API has its row on the emulator page."""
    page = (REPO / "docs" / "emulator.md").read_text(encoding="utf-8")
    missing = [
        f"{route.method} {route.path}"
        for route in CONTROL_ROUTES
        if f"| `{route.method} {route.path}` |" not in page
    ]
    assert missing == []


def test_the_cli_page_lists_every_command() -> None:
    """Each command of ``phonenumbers-async`` (and each subcommand) is in the CLI page's table."""
    page = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    names = []
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            names += [f"{name} {sub}" for sub in command.commands]
        else:
            names.append(name)
    assert [name for name in names if f"`{name}" not in page] == []


def test_the_api_reference_covers_every_public_name() -> None:
    """Each name of ``phonenumbers_async.__all__`` and ``phonenumbers_async.emulator.__all__``
    has its mkdocstrings entry under ``docs/reference/``; the error classes come with the
    ``errors`` module's entry."""
    import phonenumbers_async
    import phonenumbers_async.emulator
    from phonenumbers_async import errors

    reference = "".join(
        path.read_text(encoding="utf-8") for path in (REPO / "docs" / "reference").glob("*.md")
    )
    assert "::: phonenumbers_async.errors\n" in reference
    wanted = [
        f"phonenumbers_async.{name}"
        for name in phonenumbers_async.__all__
        if name != "__version__" and name not in errors.__all__
    ] + [f"phonenumbers_async.emulator.{name}" for name in phonenumbers_async.emulator.__all__]
    assert [name for name in wanted if f"::: {name}\n" not in reference] == []
