"""The extractor behind the docs tests reads fences and directives as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._blocks import cli_commands, extract_blocks


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text, encoding="utf-8")
    return page


def test_kinds_follow_info_strings_and_directives(tmp_path: Path) -> None:
    """python and bash run, other languages are shown, directives skip or run as pytest."""
    page = _page(
        tmp_path,
        "```python\nprint(1)\n```\n\n"
        "```bash\nphonenumbers-async account balance\n```\n\n"
        "```console\n$ anything\n```\n\n"
        "<!-- docs-test: skip installation -->\n\n```bash\npip install x\n```\n\n"
        "<!-- docs-test: pytest -->\n```python\ndef test_x() -> None: ...\n```\n\n"
        '```python\n--8<-- "examples/bulk_provision.py"\n```\n',
    )

    blocks = extract_blocks(page)

    assert [block.kind for block in blocks] == [
        "python",
        "bash",
        "shown",
        "skip",
        "pytest",
        "snippet",
    ]
    assert blocks[3].reason == "installation"
    assert blocks[0].source == "print(1)\n"
    assert blocks[0].line == 1
    assert blocks[5].snippet_paths() == ["examples/bulk_provision.py"]


def test_a_directive_applies_only_to_the_next_fence(tmp_path: Path) -> None:
    """Text between the comment and the fence cancels it: the block runs."""
    page = _page(tmp_path, "<!-- docs-test: skip reason -->\nsome text\n```python\npass\n```\n")

    (block,) = extract_blocks(page)

    assert block.kind == "python"


def test_indented_fences_lose_their_indentation(tmp_path: Path) -> None:
    """A block inside a list item or an admonition is dedented by its fence's indent."""
    page = _page(tmp_path, "- item\n\n    ```python\n    if True:\n        pass\n    ```\n")

    (block,) = extract_blocks(page)

    assert block.source == "if True:\n    pass\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```python\nprint(1)\n", "unclosed code fence"),
        ("<!-- docs-test: skipp x -->\n```python\npass\n```\n", "unknown docs-test directive"),
        ("<!-- docs-test: skip -->\n```python\npass\n```\n", "needs a reason"),
    ],
)
def test_mistakes_in_a_page_are_errors(tmp_path: Path, text: str, message: str) -> None:
    """An unclosed fence, a misspelt directive or a skip without reason cannot pass silently."""
    with pytest.raises(ValueError, match=message):
        extract_blocks(_page(tmp_path, text))


def test_cli_commands_split_like_a_shell() -> None:
    """Comments, blank lines and continuations are handled; quoting is kept."""
    source = (
        "# a comment\n\nphonenumbers-async inventory list --country IN  # trailing\n"
        "phonenumbers-async numbers list \\\n  --search '80 1'\n"
    )

    assert cli_commands(source) == [
        ["inventory", "list", "--country", "IN"],
        ["numbers", "list", "--search", "80 1"],
    ]


def test_cli_blocks_hold_only_the_command_line() -> None:
    """Any other command in a bash block is refused (mark it skip instead)."""
    with pytest.raises(ValueError, match="not a phonenumbers-async command"):
        cli_commands("phonenumbers-async account balance\ncurl http://example.invalid\n")
