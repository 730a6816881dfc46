"""Generate ``phonenumbers_async/_sync/_resources.py``: the sync resources of ``Client``.

Read off the async client by introspection: for every resource of
``AsyncClient`` (its properties returning a ``Resource``), a sync class with
each public method of the async resource, the same signature (parameters,
defaults, annotations) and docstring, and a one-line body that runs the
async method through the loop thread:

* ``async def f(...) -> R`` becomes ``def f(...) -> R`` (``self._call``);
* a method returning ``AsyncIterator[X]`` (an async generator, or a function
  returning one) becomes one returning ``Iterator[X]`` that streams
  (``self._stream``); an item iterator ``X`` with a page-level twin
  ``X_pages`` taking the same parameters is driven page by page through the
  twin (``_flatten=True``), since a thread crossing per item would cost more
  than the listing;
* each class has ``with_raw_response``: its coroutine methods returning
  ``RawResponse[R]`` (``self._call_raw``).

A method added to an async resource appears on the sync side when this is
rerun; nothing is written by hand.

    python tools/gen_sync.py           # rewrite the file
    python tools/gen_sync.py --check   # exit 1 if the file is stale

``tests/facade/test_surface.py`` runs the check.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import importlib.util
import inspect
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "phonenumbers_async" / "_sync" / "_resources.py"
PACKAGE = "phonenumbers_async"
# The generated module's package: imports from the SDK are relative to it.
TARGET_PACKAGE = PACKAGE + "._sync"
INDENT = "    "
PAGES_SUFFIX = "_pages"

# Async iteration types and their sync counterparts.
_SYNC_NAMES = {
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterator",
    "AsyncGenerator": "Iterator",
}

HEADER = '''"""The sync resources of ``Client``, generated from the async ones: do not edit.

Regenerate with ``python tools/gen_sync.py`` after changing a resource
(``tests/facade/test_surface.py`` fails while this file is stale). Each
method runs the async method of the same name through the loop thread.
"""
'''


def _resources() -> list[tuple[str, type[Any], str]]:
    """(attribute, resource class, attribute docstring) of every resource of AsyncClient."""
    from phonenumbers_async import AsyncClient
    from phonenumbers_async._resources._base import Resource

    # Never used for I/O: the session is created lazily, on a first request.
    client = AsyncClient("MA_GENERATOR", "generator-token")
    found = []
    for name, value in vars(AsyncClient).items():
        if name.startswith("_") or not isinstance(value, property):
            continue
        resource = getattr(client, name)
        if isinstance(resource, Resource):
            found.append((name, type(resource), inspect.getdoc(value) or name))
    return found


def _methods(cls: type[Any]) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Public methods in definition order, base classes first."""
    seen: set[str] = set()
    for klass in reversed(cls.__mro__[:-1]):
        for name, value in vars(klass).items():
            if name.startswith("_") or name in seen or not inspect.isfunction(value):
                continue
            seen.add(name)
            yield name, getattr(cls, name)


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
    return ast.unparse(tree.body)


def _streams(func: Callable[..., Any], returns: str) -> bool:
    """Whether ``func`` gives an async iterator: an async generator, or a function returning one."""
    if inspect.isasyncgenfunction(func):
        return True
    return not inspect.iscoroutinefunction(func) and bool(_names(returns) & set(_SYNC_NAMES))


def _default(value: Any) -> str:
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    raise TypeError(f"cannot write the default {value!r} into generated code")


def _annotation_text(annotation: Any, where: str) -> str:
    if not isinstance(annotation, str):
        raise TypeError(
            f"{where}: annotation {annotation!r} is not a string: the resource modules use "
            "`from __future__ import annotations`, which this generator relies on"
        )
    return ast.unparse(ast.parse(annotation, mode="eval").body)


def _parameters(signature: inspect.Signature, where: str) -> tuple[list[str], list[str]]:
    """The parameter list of the ``def``, and the arguments that pass each one on."""
    texts = ["self"]
    arguments: list[str] = []
    params = list(signature.parameters.values())[1:]  # self is written above
    starred = False
    for index, param in enumerate(params):
        if param.kind is param.KEYWORD_ONLY and not starred:
            texts.append("*")
            starred = True
        prefix = ""
        if param.kind is param.VAR_POSITIONAL:
            prefix, starred = "*", True
            arguments.append(f"*{param.name}")
        elif param.kind is param.VAR_KEYWORD:
            prefix = "**"
            arguments.append(f"**{param.name}")
        elif param.kind is param.KEYWORD_ONLY:
            arguments.append(f"{param.name}={param.name}")
        else:
            arguments.append(param.name)
        text = prefix + param.name
        if param.annotation is not param.empty:
            text += ": " + _annotation_text(param.annotation, where)
            if param.default is not param.empty:
                text += " = " + _default(param.default)
        elif param.default is not param.empty:
            text += "=" + _default(param.default)
        texts.append(text)
        following = params[index + 1].kind if index + 1 < len(params) else None
        if param.kind is param.POSITIONAL_ONLY and following is not param.POSITIONAL_ONLY:
            texts.append("/")
    return texts, arguments


def _docstring(doc: str | None, indent: str) -> list[str]:
    if not doc:
        return []
    # The async docstrings say how to iterate them there; here it is a plain for.
    text = inspect.cleandoc(doc).replace("``async for``", "``for``").replace('"""', r"\"\"\"")
    lines = text.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    body = [f"{indent}{line}" if line else "" for line in lines[1:]]
    return [f'{indent}"""{lines[0]}', *body, f'{indent}"""']


def _same_parameters(first: Callable[..., Any], second: Callable[..., Any]) -> bool:
    return list(inspect.signature(first).parameters.values()) == list(
        inspect.signature(second).parameters.values()
    )


class _Module:
    """The generated module being written: its imports and its classes."""

    def __init__(self) -> None:
        self.imports: dict[str, set[str]] = {
            "._base": {"ResourceHost", "SyncResource"},
            ".._raw": {"RawResponse"},
        }
        self.blocks: list[list[str]] = []

    def need(self, names: set[str], namespace: dict[str, Any]) -> None:
        for name in sorted(names):
            target = _SYNC_NAMES.get(name, name)
            source = _module_of(target, namespace)
            if source is not None:
                self.imports.setdefault(source, set()).add(target)

    def import_lines(self) -> list[str]:
        # Sorted and grouped by ruff afterwards (see _formatted).
        lines = ["from __future__ import annotations", ""]
        for module in sorted(self.imports):
            if module.startswith("import "):
                lines.append(module)
            else:
                lines.append(f"from {module} import {', '.join(sorted(self.imports[module]))}")
        return lines


def _module_of(name: str, namespace: dict[str, Any]) -> str | None:
    """Where to import ``name`` from (relative inside the package), None for builtins.

    A module itself (``os`` of ``os.PathLike``) comes back as ``"import os"``.
    Names the resource module imports only for the type checker (under
    ``if TYPE_CHECKING:``) are found in its source.
    """
    if name in _SYNC_NAMES.values():
        return "collections.abc"
    if name in namespace:
        value = namespace[name]
        if isinstance(value, ModuleType):
            return "import " + value.__name__
        module = getattr(value, "__module__", None)
        if not isinstance(module, str):
            raise NameError(f"cannot tell where {name!r} comes from")
        return _relative(module)
    if hasattr(builtins, name) or name == "None":
        return None
    source = _imported_for_typing(namespace).get(name)
    if source is None:
        raise NameError(f"cannot tell where {name!r} comes from")
    return source


def _relative(module: str) -> str:
    if module == PACKAGE or module.startswith(PACKAGE + "."):
        return ".." + module[len(PACKAGE) + 1 :]
    return module


def _imported_for_typing(namespace: dict[str, Any]) -> dict[str, str]:
    """Every name a module's source imports (wherever), and the module it comes from."""
    filename = namespace.get("__file__")
    package = namespace.get("__package__") or ""
    if not filename:
        return {}
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(Path(filename).read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                found[alias.asname or alias.name] = _relative(module)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname is None and "." not in alias.name:
                    found[alias.name] = "import " + alias.name
    return found


def _method(
    module: _Module, cls: type[Any], name: str, func: Callable[..., Any], *, raw: bool
) -> list[str] | None:
    """The sync method ``name`` (or its raw form, None when it has none)."""
    where = f"{cls.__name__}.{name}"
    signature = inspect.signature(func)
    returns = signature.return_annotation
    if returns is signature.empty:
        raise TypeError(f"{where} has no return annotation")
    returns = _annotation_text(returns, where)
    streams = _streams(func, returns)
    if not streams and not inspect.iscoroutinefunction(func):
        raise TypeError(f"{where} is neither a coroutine nor an async iterator: cannot wrap it")
    if raw and streams:
        return None
    namespace = vars(sys.modules[func.__module__])
    used = _names(returns)
    for param in signature.parameters.values():
        if isinstance(param.annotation, str):
            used |= _names(param.annotation)
    module.need(used, namespace)
    parameters, arguments = _parameters(signature, where)
    target = f"{cls.__name__}.{name}"
    if streams:
        runner = "self._stream"
        twin = getattr(cls, name + PAGES_SUFFIX, None)
        if twin is not None and _same_parameters(func, twin):
            target += PAGES_SUFFIX
            arguments.append("_flatten=True")
        returned = _sync_annotation(returns)
    elif raw:
        runner, returned = "self._call_raw", f"RawResponse[{returns}]"
    else:
        runner, returned = "self._call", returns
    lines = [f"{INDENT}def {name}({', '.join(parameters)}) -> {returned}:"]
    lines += _docstring(func.__doc__, INDENT * 2)
    lines.append(f"{INDENT * 2}return {runner}({', '.join([target, *arguments])})")
    return lines


def _resource_classes(module: _Module, attribute: str, cls: type[Any]) -> tuple[str, str]:
    """Write the sync class of ``cls`` and its raw twin; their names."""
    module.imports.setdefault(_module_of(cls.__name__, {cls.__name__: cls}) or "", set()).add(
        cls.__name__
    )
    sync_name = "Sync" + cls.__name__
    raw_name = sync_name + "WithRawResponse"
    summary = inspect.cleandoc(cls.__doc__ or cls.__name__).splitlines()[0]
    raw_lines = [
        f"class {raw_name}(SyncResource):",
        f'{INDENT}"""``client.{attribute}.with_raw_response``: each call returns a',
        f"{INDENT}:class:`RawResponse` (status, headers, request id, elapsed, attempts;",
        f"{INDENT}``.parse()`` gives what the plain call returns).",
        f'{INDENT}"""',
        "",
        f"{INDENT}__slots__ = ()",
        f"{INDENT}_attribute = {attribute!r}",
    ]
    lines = [
        f"class {sync_name}(SyncResource):",
        f'{INDENT}"""{summary}',
        "",
        f"{INDENT}``client.{attribute}`` of the sync ``Client``: the methods of",
        f"{INDENT}:class:`{cls.__module__}.{cls.__name__}`, blocking; iterators stream.",
        f'{INDENT}"""',
        "",
        f"{INDENT}__slots__ = ()",
        f"{INDENT}_attribute = {attribute!r}",
        "",
        f"{INDENT}@property",
        f"{INDENT}def with_raw_response(self) -> {raw_name}:",
        f'{INDENT * 2}"""The same calls, each returning a :class:`RawResponse` instead of '
        'the model."""',
        f"{INDENT * 2}return {raw_name}(self._owner)",
    ]
    for name, func in _methods(cls):
        plain = _method(module, cls, name, func, raw=False)
        assert plain is not None
        lines += ["", *plain]
        raw = _method(module, cls, name, func, raw=True)
        if raw is not None:
            raw_lines += ["", *raw]
    module.blocks += [raw_lines, lines]
    return sync_name, raw_name


def render() -> str:
    """The text of ``_sync/_resources.py`` for the resources as they are now."""
    module = _Module()
    exported = ["SyncClientResources"]
    host = [
        "class SyncClientResources(ResourceHost):",
        f'{INDENT}"""The resources of the sync ``Client``, as properties (``dir`` and '
        '``help`` list them)."""',
        "",
        f"{INDENT}__slots__ = ()",
    ]
    for attribute, cls, doc in _resources():
        sync_name, raw_name = _resource_classes(module, attribute, cls)
        exported += [sync_name, raw_name]
        host += [
            "",
            f"{INDENT}@property",
            f"{INDENT}def {attribute}(self) -> {sync_name}:",
            *_docstring(doc, INDENT * 2),
            f"{INDENT * 2}return self._sync_resource({sync_name})",
        ]
    out = [HEADER.rstrip("\n"), "", *module.import_lines(), ""]
    out.append("__all__ = [" + ", ".join(f'"{name}"' for name in sorted(exported)) + "]")
    for lines in [*module.blocks, host]:
        out += ["", "", *lines]
    return _formatted("\n".join(out) + "\n")


def _ruff(*arguments: str, source: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, "--stdin-filename", str(TARGET), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode not in (0, 1) or not completed.stdout:
        raise RuntimeError(f"ruff {' '.join(arguments)} failed: {completed.stderr}")
    return completed.stdout


def _formatted(source: str) -> str:
    """``source`` as ``ruff`` sorts and formats it, so the file passes the lint checks."""
    fixed = _ruff("check", "--fix", "--select", "I", "--quiet", source=source)
    return _ruff("format", source=fixed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run python tools/gen_sync.py")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    # Run as a script, this file's folder is on sys.path, not the checkout's.
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
