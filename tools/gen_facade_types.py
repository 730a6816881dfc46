"""Generate ``phonenumbers_async/_facade_types.py``: the sync facade's typed surface.

The facade (``phonenumbers_async/_facade.py``) wraps the async resources
generically at run time; this script gives the type checker the same surface
with sync return types, read off the async resources themselves: a coroutine
method ``async def f(...) -> R`` becomes ``def f(...) -> R``, and a method
returning ``AsyncIterator[X]`` becomes one returning ``Iterator[X]``.

    python tools/gen_facade_types.py           # rewrite the file
    python tools/gen_facade_types.py --check   # exit 1 if the file is stale

``tests/facade/test_surface.py`` fails when the checked-in file is stale.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import inspect
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "phonenumbers_async" / "_facade_types.py"
PACKAGE = "phonenumbers_async"
LINE_LENGTH = 100
INDENT = "    "

# Async iteration types and their sync counterparts.
_SYNC_NAMES = {
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterator",
    "AsyncGenerator": "Iterator",
}

HEADER = '''"""The sync facade's typed surface, generated from the async resources: do not edit.

Regenerate with ``python tools/gen_facade_types.py`` after changing a resource
(``tests/facade/test_surface.py`` fails while this file is stale). At run
time ``Client`` wraps the async resources generically; these protocols only
tell the type checker what that wrapping returns.
"""
'''


def _resources() -> list[tuple[str, type[Any]]]:
    """(attribute name, resource class) of every resource an AsyncClient has, in order."""
    from phonenumbers_async import AsyncClient
    from phonenumbers_async._resources._base import Resource

    # Never used for I/O: the session is created lazily, on a first request.
    client = AsyncClient("MA_GENERATOR", "generator-token")
    return [
        (name, type(value))
        for name, value in vars(client).items()
        if not name.startswith("_") and isinstance(value, Resource)
    ]


def _methods(cls: type[Any]) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Public methods in definition order, base classes first."""
    seen: set[str] = set()
    for klass in reversed(cls.__mro__[:-1]):
        for name, value in vars(klass).items():
            if name.startswith("_") or name in seen or not inspect.isfunction(value):
                continue
            seen.add(name)
            yield name, value


def _names(annotation: str) -> set[str]:
    return {
        node.id
        for node in ast.walk(ast.parse(annotation, mode="eval"))
        if isinstance(node, ast.Name)
    }


def _sync_annotation(annotation: str) -> str:
    tree = ast.parse(annotation, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in _SYNC_NAMES:
            node.id = _SYNC_NAMES[node.id]
    return _unparse(tree.body)


def _unparse(node: ast.AST) -> str:
    # ast.unparse quotes strings with repr (single quotes); ruff format wants double.
    text = ast.unparse(node)
    for constant in ast.walk(node):
        if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
            text = text.replace(repr(constant.value), _string(constant.value))
    return text


def _string(value: str) -> str:
    if '"' in value or "\\" in value or "\n" in value:
        return repr(value)
    return f'"{value}"'


def _default(value: Any) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise TypeError(f"cannot write the default {value!r} into a stub")


def _annotation_text(annotation: Any) -> str:
    if not isinstance(annotation, str):
        raise TypeError(
            f"annotation {annotation!r} is not a string: the resource modules use "
            "`from __future__ import annotations`, which this generator relies on"
        )
    return _unparse(ast.parse(annotation, mode="eval").body)


def _parameters(signature: inspect.Signature) -> list[str]:
    texts = ["self"]
    params = list(signature.parameters.values())[1:]  # self is written above
    starred = False
    for index, param in enumerate(params):
        if param.kind is param.KEYWORD_ONLY and not starred:
            texts.append("*")
            starred = True
        prefix = ""
        if param.kind is param.VAR_POSITIONAL:
            prefix, starred = "*", True
        elif param.kind is param.VAR_KEYWORD:
            prefix = "**"
        text = prefix + param.name
        if param.annotation is not param.empty:
            text += ": " + _annotation_text(param.annotation)
            if param.default is not param.empty:
                text += " = " + _default(param.default)
        elif param.default is not param.empty:
            text += "=" + _default(param.default)
        texts.append(text)
        following = params[index + 1].kind if index + 1 < len(params) else None
        if param.kind is param.POSITIONAL_ONLY and following is not param.POSITIONAL_ONLY:
            texts.append("/")
    return texts


def _def_lines(name: str, parameters: list[str], returns: str) -> list[str]:
    """A ``def`` line wrapped the way ``ruff format`` wraps it."""
    one_line = f"{INDENT}def {name}({', '.join(parameters)}) -> {returns}:"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    inner = f"{INDENT * 2}{', '.join(parameters)}"
    if len(inner) <= LINE_LENGTH:
        return [f"{INDENT}def {name}(", inner, f"{INDENT}) -> {returns}:"]
    return [
        f"{INDENT}def {name}(",
        *(f"{INDENT * 2}{parameter}," for parameter in parameters),
        f"{INDENT}) -> {returns}:",
    ]


def _docstring(doc: str | None, indent: str) -> list[str]:
    if not doc:
        return []
    # The async docstrings say how to iterate them there; here it is a plain for.
    lines = inspect.cleandoc(doc).replace("``async for``", "``for``").splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    body = [f"{indent}{line}" if line else "" for line in lines[1:]]
    return [f'{indent}"""{lines[0]}', *body, f'{indent}"""']


def _method(name: str, func: Callable[..., Any]) -> tuple[list[str], set[str], Any]:
    signature = inspect.signature(func)
    returns = signature.return_annotation
    if returns is signature.empty:
        raise TypeError(f"{func.__qualname__} has no return annotation")
    returns_text = _sync_annotation(returns)
    used = _names(returns)
    for param in signature.parameters.values():
        if isinstance(param.annotation, str):
            used |= _names(param.annotation)
    lines = _def_lines(name, _parameters(signature), returns_text)
    doc = _docstring(func.__doc__, INDENT * 2)
    lines += doc if doc else []
    lines.append(f"{INDENT * 2}...")
    return lines, used, sys.modules[func.__module__]


def _import_lines(imports: dict[str, set[str]]) -> list[str]:
    stdlib = sorted(module for module in imports if not module.startswith("."))
    local = sorted(module for module in imports if module.startswith("."))
    lines = ["from __future__ import annotations", ""]
    for group in (stdlib, local):
        if not group:
            continue
        lines += [f"from {module} import {', '.join(sorted(imports[module]))}" for module in group]
        lines.append("")
    return lines


def _module_of(name: str, namespace: dict[str, Any]) -> str | None:
    """Where to import ``name`` from (relative inside the package), None for builtins."""
    if name in _SYNC_NAMES.values():
        return "collections.abc"
    if name not in namespace:
        if hasattr(builtins, name) or name == "None":
            return None
        raise NameError(f"cannot tell where {name!r} comes from")
    module = getattr(namespace[name], "__module__", None)
    if not isinstance(module, str):
        raise NameError(f"cannot tell where {name!r} comes from")
    if module == PACKAGE or module.startswith(PACKAGE + "."):
        return "." + module[len(PACKAGE) + 1 :]
    return module


def render() -> str:
    """The text of ``_facade_types.py`` for the resources as they are now."""
    imports: dict[str, set[str]] = {"typing": {"Protocol"}}
    classes: list[list[str]] = []
    # A plain class, not a Protocol: Client inherits it (for the type checker
    # only), and inheriting unimplemented protocol members would make it abstract.
    surface = [
        "class SyncResources:",
        f'{INDENT}"""The resources of a sync ``Client`` (declarations for the type checker)."""',
        "",
    ]
    exported = ["SyncResources"]
    for attribute, cls in _resources():
        protocol = "Sync" + cls.__name__
        exported.append(protocol)
        surface.append(f"{INDENT}{attribute}: {protocol}")
        summary = inspect.cleandoc(cls.__doc__ or cls.__name__).splitlines()[0]
        lines = [
            f"class {protocol}(Protocol):",
            f'{INDENT}"""{summary}',
            "",
            f"{INDENT}``client.{attribute}`` of the sync ``Client``: the methods of",
            f"{INDENT}``{cls.__module__}.{cls.__name__}``, blocking.",
            f'{INDENT}"""',
        ]
        for name, func in _methods(cls):
            method_lines, used, module = _method(name, func)
            lines += ["", *method_lines]
            for used_name in sorted(used):
                source = _sync_name_module(used_name, vars(module))
                if source is not None:
                    target = _SYNC_NAMES.get(used_name, used_name)
                    imports.setdefault(source, set()).add(target)
        classes.append(lines)
    out = [HEADER.rstrip("\n"), "", *_import_lines(imports)]
    out.append("__all__ = [" + ", ".join(f'"{name}"' for name in sorted(exported)) + "]")
    for lines in [*classes, surface]:
        out += ["", "", *lines]
    return _formatted("\n".join(out) + "\n")


def _formatted(source: str) -> str:
    """``source`` as ``ruff format`` writes it, so the file passes the format check."""
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return completed.stdout


def _sync_name_module(name: str, namespace: dict[str, Any]) -> str | None:
    return _module_of(_SYNC_NAMES.get(name, name), namespace)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python tools/gen_facade_types.py")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    # Run as a script, this file's folder is on sys.path, not the checkout's.
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
