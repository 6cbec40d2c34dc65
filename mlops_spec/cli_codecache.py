"""The `mlops` command's cache of the code Python compiles from generated source text at every
start, kept on disk between commands as compiled code, as Python keeps a module's bytecode.

Three standard modules compile text they generate each time a class or type is made:
``dataclasses`` each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` (``exec``, ~75 us a method on Python 3.11), ``typing`` each
string annotation it meets (``ForwardRef``: ``compile``, e.g. the ~100 ``TypedDict``s of
pydantic-core's schema module and ``typing.get_type_hints`` of the runtime's configs), and
``collections`` each ``namedtuple``'s ``__new__`` (``eval``). A `mlops validate` process does
it ~750, ~900 and ~30 times: ~65 ms of compiling the same texts in every command (~75 ms for a
Kubernetes spec). :func:`install` gives each of these modules an ``exec``, ``compile`` or
``eval`` of its own that compiles a text once, exactly as the builtin does there (the same
mode and file name, no inherited ``__future__`` flags: none of the three modules has any), and
uses the code the cache holds for it; everything else (the text, its globals and namespace, the
objects made from the code, the errors) is unchanged. The code is kept in one ``marshal`` file
per kind of command, interpreter version (``importlib.util.MAGIC_NUMBER``) and optimization
level under the user's cache directory (as trusted as the bytecode Python keeps), read once and
written at exit when a command compiled a text it did not hold. The cache is only ever a copy:
an unreadable, corrupt or unwritable file means the texts are compiled again.

Only the command's own process installs it (``mlops_spec.cli.main``); a program importing the
library keeps these modules as they are.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

LIMIT = 6_000
"""Texts kept at most: `mlops validate` compiles ~1,700 (~2,400 for a Kubernetes spec), other
commands and `mlops plan`'s preview some more; each costs ~3 us to read."""
FORMAT = 2
"""Bumped when what the file holds changes (2: code by mode and text)."""


def cache_file(name: str) -> Path:
    """``code-<name>-<interpreter>-<bytecode magic>-O<level>-<format>.marshal`` in the cache
    directory: one file per kind of command (``name``), so that the plain `mlops validate`
    reads only the code it runs, and one per interpreter and optimization level."""
    from importlib.util import MAGIC_NUMBER

    from mlops_spec.botocore_cache import cache_dir

    tag = sys.implementation.cache_tag or sys.implementation.name
    level = sys.flags.optimize
    return cache_dir() / f"code-{name}-{tag}-{MAGIC_NUMBER.hex()}-O{level}-{FORMAT}.marshal"


class CodeCache:
    """Compiled code by mode and source text, loaded from ``path`` and saved back when it
    grew."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.codes = _load(path)
        self.added = 0

    def compiled(self, text: str, mode: str) -> CodeType:
        """``compile(text, "<string>", mode)`` without inherited flags, from the cache when it
        holds it; a text that does not compile raises as the builtin does."""
        key = f"{mode}\0{text}"
        code = self.codes.get(key)
        if code is None:
            code = compile(text, "<string>", mode, dont_inherit=True)
            if len(self.codes) < LIMIT:
                self.codes[key] = code
                self.added += 1
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """The builtin ``exec``, with source text compiled through the cache."""
        if type(source) is str:
            source = self.compiled(source, "exec")
        builtins.exec(source, globals, locals)

    def eval(self, source: Any, globals: Any = None, locals: Any = None, /) -> Any:
        """The builtin ``eval``, with source text compiled through the cache."""
        if type(source) is str:
            source = self.compiled(source, "eval")
        return builtins.eval(source, globals, locals)

    def compile(
        self,
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
    ) -> Any:
        """The builtin ``compile`` called from a module without ``__future__`` imports: text
        compiled as ``"<string>"`` with no flags through the cache, anything else as is."""
        if type(source) is str and filename == "<string>" and not flags and optimize == -1:
            return self.compiled(source, mode)
        return builtins.compile(source, filename, mode, flags, True, optimize)

    def save(self) -> None:
        """Write the cache atomically (a rename) when it grew; skipped when it cannot be."""
        if self.added:
            _write(self.path, marshal.dumps(self.codes))
            self.added = 0


def install(name: str) -> CodeCache:
    """Make ``dataclasses``, ``typing`` and ``collections`` compile through the
    :class:`CodeCache` of the commands called ``name`` (:func:`cache_file`), saved at exit.
    Each name shadows the builtin in that module only."""
    import collections
    import dataclasses
    import typing

    cache = CodeCache(cache_file(name))
    dataclasses.exec = cache.exec  # type: ignore[attr-defined]
    typing.compile = cache.compile  # type: ignore[attr-defined]
    collections.eval = cache.eval  # type: ignore[attr-defined]
    atexit.register(cache.save)
    return cache


def _load(path: Path) -> dict[str, CodeType]:
    """The cached code at ``path``; {} when it cannot be read or is not a text -> code map."""
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not isinstance(data, dict) or not all(
        type(text) is str and type(code) is CodeType for text, code in data.items()
    ):
        return {}
    return data


def _write(path: Path, content: bytes) -> None:
    import tempfile  # only when the cache grew

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".marshal")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
