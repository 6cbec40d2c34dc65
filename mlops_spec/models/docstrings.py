"""The spec models' attribute docstrings (their fields' descriptions), read from each model
module's source with one ``ast`` parse, and kept on disk between commands.

Parsing the model modules is ~7 ms of every command, for answers that change only when the
source does: each module's docstrings are kept in one JSON file under the user's cache
directory (``mlops_spec.botocore_cache.cache_dir``), named by a digest of the module's source
bytes and the Python version, so an edited or upgraded module gets its own entry. The cache is only ever a copy: an
unreadable, corrupt, wrongly shaped or unwritable entry means the source is parsed again.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import itertools
import json
import sys
from pathlib import Path
from typing import Any

from mlops_spec.botocore_cache import cache_dir, write_atomically

FORMAT = 1
"""Bumped when what an entry holds (or how the source is read) changes."""

Docstrings = dict[str, dict[str, str]]
"""Per class (by qualified name): ``{attribute: docstring}``."""


@functools.cache
def attribute_docstrings(module: str) -> Docstrings:
    """Per class of ``module`` (by qualified name): its attributes' docstrings, cleaned as
    ``inspect.cleandoc`` does; from the disk cache when it holds this very source. Empty when
    the source cannot be read (as pydantic does)."""
    entry = _entry_file(module)
    if entry is None:
        return parse_docstrings(module)
    found = _read(entry)
    if found is None:
        found = parse_docstrings(module)
        if found:
            _write(entry, found)
    return found


def parse_docstrings(module: str) -> Docstrings:
    """:func:`attribute_docstrings` read from the source, without the cache."""
    try:
        tree = ast.parse(inspect.getsource(sys.modules[module]))
    except (OSError, TypeError, KeyError):
        return {}
    found: Docstrings = {}
    _collect(tree.body, "", found)
    return found


def _collect(body: list[ast.stmt], prefix: str, found: Docstrings) -> None:
    for node in body:
        if isinstance(node, ast.ClassDef):
            qualname = prefix + node.name
            found[qualname] = _class_docstrings(node.body)
            _collect(node.body, qualname + ".", found)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            _collect(node.body, f"{prefix}{node.name}.<locals>.", found)


def _class_docstrings(body: list[ast.stmt]) -> dict[str, str]:
    """``{attribute: docstring}``: a string statement right after ``name: annotation``."""
    docs = {}
    for previous, node in itertools.pairwise(body):
        if (
            isinstance(previous, ast.AnnAssign)
            and isinstance(previous.target, ast.Name)
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docs[previous.target.id] = inspect.cleandoc(node.value.value)
    return docs


def _entry_file(module: str) -> Path | None:
    """The cache entry for ``module``'s current source file, None without a ``.py`` file."""
    source = getattr(sys.modules.get(module), "__file__", None)
    if not source or not source.endswith(".py"):
        return None
    try:
        with open(source, "rb") as stream:
            content = stream.read()
    except OSError:
        return None
    python = "{}.{}".format(*sys.version_info[:2])  # inspect.cleandoc differs by version
    identity = hashlib.sha256(f"{FORMAT}|{python}|{module}|".encode() + content).hexdigest()[:24]
    return cache_dir() / f"docstrings-{module}-{identity}.json"


def _read(path: Path) -> Docstrings | None:
    """The entry at ``path`` when it is readable and has the shape :func:`parse_docstrings`
    returns, else None."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):  # RecursionError: deeply nested garbage
        return None
    return data if _fits(data) else None


def _fits(data: Any) -> bool:
    return isinstance(data, dict) and all(
        isinstance(docs, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in docs.items())
        for docs in data.values()
    )


def _write(path: Path, found: Docstrings) -> None:
    write_atomically(path, json.dumps(found).encode())
