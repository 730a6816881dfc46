"""Fenced code blocks of Markdown files, and how the docs tests treat each one.

A block is run according to its info string:

- ``python``: a complete script, executed as ``__main__`` against a fresh emulator;
- ``bash`` / ``sh``: every command must be a ``phonenumbers-async …`` invocation,
  run in-process through ``phonenumbers_async.cli._app.run`` (exit code 0 expected);
- anything else (``console``, ``text``, ``toml``…): shown, never run (output, trees).

An HTML comment on the last non-blank line before a fence changes that:

- ``<!-- docs-test: skip REASON -->`` shows the block without running it (for
  installation commands, ``make`` targets and the like; the reason is required);
- ``<!-- docs-test: pytest -->`` runs a ``python`` block as a pytest test module.

A block that only includes a file (``--8<-- "examples/x.py"``, the snippets
extension) is the file itself: it is run by ``tests/docs/test_examples.py``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "REPO",
    "Block",
    "cli_commands",
    "documentation_files",
    "extract_blocks",
]

REPO = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\s`]*)[^`]*$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<what>\w+)\s*(?P<reason>.*?)\s*-->\s*$")
_SNIPPET = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+)"\s*$')

RUN_LANGUAGES = {"python": "python", "py": "python", "bash": "bash", "sh": "bash"}


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its text and how to treat it."""

    path: Path
    line: int
    """1-based line of the opening fence."""
    language: str
    source: str
    directive: str | None = None
    """``skip`` or ``pytest`` when an HTML comment before the fence says so."""
    reason: str = ""

    @property
    def where(self) -> str:
        """``docs/page.md:12``, relative to the repository (a test id and a file name)."""
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def kind(self) -> str:
        """``python``, ``pytest``, ``bash``, ``snippet``, ``skip`` or ``shown``."""
        if self.directive == "skip":
            return "skip"
        if self.snippet_paths():
            return "snippet"
        language = RUN_LANGUAGES.get(self.language)
        if language is None:
            return "shown"
        if self.directive == "pytest":
            return "pytest"
        return language

    def snippet_paths(self) -> list[str]:
        """The files a snippet-only block includes (empty for an ordinary block)."""
        lines = [line for line in self.source.splitlines() if line.strip()]
        matches = [_SNIPPET.match(line) for line in lines]
        if not lines or not all(matches):
            return []
        return [match.group("path") for match in matches if match]


def documentation_files() -> list[Path]:
    """``README.md`` and every Markdown page under ``docs/``."""
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def extract_blocks(path: Path) -> list[Block]:
    """Every fenced code block of a Markdown file, in order.

    Raises ``ValueError`` for an unclosed fence or an unknown directive, so a
    typo cannot silently turn a block off.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and not _closes(lines[index], fence):
            line = lines[index]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            index += 1
        if index == len(lines):
            raise ValueError(f"{path}:{start + 1}: unclosed code fence")
        directive, reason = _directive_before(lines, start, path)
        blocks.append(
            Block(
                path=path,
                line=start + 1,
                language=opening.group("info").lower(),
                source="\n".join(body) + "\n",
                directive=directive,
                reason=reason,
            )
        )
        index += 1
    return blocks


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def _directive_before(lines: list[str], fence_index: int, path: Path) -> tuple[str | None, str]:
    for line in reversed(lines[:fence_index]):
        if not line.strip():
            continue
        match = _DIRECTIVE.match(line)
        if match is None:
            return None, ""
        what, reason = match.group("what"), match.group("reason")
        if what not in ("skip", "pytest"):
            raise ValueError(f"{path}: unknown docs-test directive {what!r}")
        if what == "skip" and not reason:
            raise ValueError(f"{path}: 'docs-test: skip' needs a reason")
        return what, reason
    return None, ""


def cli_commands(source: str) -> list[list[str]]:
    """The argument lists of a ``bash`` block's ``phonenumbers-async`` commands.

    Comments and blank lines are ignored and ``\\`` continues a line; any other
    command raises ``ValueError`` (mark such a block ``docs-test: skip``).
    """
    commands: list[list[str]] = []
    for line in source.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] != "phonenumbers-async":
            raise ValueError(f"not a phonenumbers-async command: {line.strip()!r}")
        commands.append(words[1:])
    return commands
