"""A Griffe extension: the package's reStructuredText docstring markup, read as Markdown.

The docstrings use two reST habits that Markdown shows literally: roles
(``:class:`Name```, ``:meth:`name```) and the ``::`` that introduces a
literal block. Roles become code spans; a paragraph ending in ``::`` ends in
``:`` (a ``::`` alone on its line is dropped), and the indented block after
it is already a Markdown code block. The docstrings themselves are left as
they are, so ``help()`` and editors keep showing them unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|exc|data|mod|obj):`~?\.?([^`]+)`")
_LITERAL_INTRO = re.compile(r"::[ \t]*$", re.MULTILINE)
_LONE_INTRO = re.compile(r"^[ \t]*::[ \t]*\n", re.MULTILINE)


def to_markdown(text: str) -> str:
    """The docstring with reST roles and literal-block markers turned into Markdown."""
    text = _ROLE.sub(lambda match: f"`{match.group(1)}`", text)
    text = _LONE_INTRO.sub("", text)
    return _LITERAL_INTRO.sub(":", text)


class RstMarkup(griffe.Extension):
    """Rewrite each docstring's reST markup as it is loaded (see the module docstring)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
