"""The `mlops` command's cache of the code Python compiles from generated source text at every
start, kept on disk between commands as compiled code, beside the bytecode Python keeps for this
package.

Three standard modules compile text they generate each time a class or type is made:
``dataclasses`` each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` (``exec(txt, globals, ns)``, ~75 us a method on Python
3.11), ``typing`` each string annotation it meets (``ForwardRef``:
``compile(text, '<string>', 'eval')``, e.g. the ~100 ``TypedDict``s of pydantic-core's schema
module and ``typing.get_type_hints`` of the runtime's configs), and ``collections`` each
``namedtuple``'s ``__new__`` (``eval(code, namespace)``). A `mlops validate` process does it
~750, ~900 and ~30 times: ~65 ms of compiling the same texts in every command (~75 ms for a
Kubernetes spec). :func:`install` gives each of these modules an ``exec``, ``compile`` or
``eval`` of its own. For exactly the calls above with a ``str`` text, it returns or runs the
code the builtin would compile there (the same mode, file name ``"<string>"``, no inherited
``__future__`` flags: none of the three modules has any; ``eval``'s text without its leading
spaces and tabs, as the builtin strips them), taken from the cache when it holds that text;
the globals, namespace, objects made and errors are the builtin's. Any other call (code
objects, bytes or ``str`` subclasses, flags, another file name, extra keywords) goes to the
builtin unchanged.

The code is kept in one ``marshal`` file per kind of command, interpreter version
(``importlib.util.MAGIC_NUMBER``) and optimization level, in the directory where Python keeps
this package's bytecode (``importlib.util.cache_from_source``: the package's ``__pycache__``,
or under ``sys.pycache_prefix`` / ``PYTHONPYCACHEPREFIX``), so it is exactly as trusted as the
``.pyc`` files Python runs from there. As with those, it is always read, and written only when
``sys.dont_write_bytecode`` is false (``PYTHONDONTWRITEBYTECODE``, ``-B``) and the directory
is writable. A file holds the code the last command of its kind used: it is rewritten at exit,
with the entries that command used and those it compiled, when the command compiled a text it
did not hold. A header (format and a BLAKE2b digest of the content) is checked before the
content is decoded, so that a truncated or damaged file is not run. The cache is only ever a
copy: an unreadable, damaged or unwritable file means the texts are compiled again.

Only the command's own process installs it (``mlops_spec.cli.main``); a program importing the
library keeps these modules as they are.
"""

import atexit
import builtins
import hashlib
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

LIMIT = 6_000
"""Texts saved at most (a safety bound): `mlops validate` uses ~1,700 (~2,400 for a Kubernetes
spec), `mlops plan` some thousands more; each costs ~3 us to read."""
FORMAT = 3
"""Bumped when what the file holds changes (3: a checked header, then code by mode and text)."""
HEADER = b"mlops-spec codecache %d\n" % FORMAT
DIGEST_SIZE = 16

COMMANDS = frozenset(
    (
        "validate",
        "schema",
        "explain",
        "init",
        "plan",
        "diff",
        "review",
        "graph",
        "cost",
        "prices",
        "check",
        "approve",
        "reject",
        "lineage",
        "drift",
    )
)
"""The `mlops` commands (``mlops_spec.cli_app``), each with its own cache."""


def kind(args: list[str], plain: bool) -> str:
    """The kind of command ``args`` is: ``validate`` for the plain validate command line, else
    the command's name when it is one, else ``cli`` (help, an unknown command)."""
    if plain:
        return "validate"
    return args[0] if args and args[0] in COMMANDS else "cli"


def cache_file(name: str) -> Path | None:
    """``codecache-<name>.<interpreter>-<bytecode magic>-O<level>-<format>.marshal`` in the
    directory of this module's bytecode; None when the interpreter keeps no bytecode."""
    from importlib.util import MAGIC_NUMBER, cache_from_source

    try:
        directory = Path(cache_from_source(__file__)).parent
    except (NotImplementedError, ValueError, TypeError):  # no cache_tag
        return None
    tag = sys.implementation.cache_tag
    level = sys.flags.optimize
    return directory / f"codecache-{name}.{tag}-{MAGIC_NUMBER.hex()}-O{level}-{FORMAT}.marshal"


class CodeCache:
    """Compiled code by mode and source text, loaded from ``path``; :meth:`save` writes back the
    entries used when some were compiled."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.codes: dict[str, CodeType] = {} if path is None else _load(path)
        self.used: dict[str, CodeType] = {}
        """The entries this process used (read or compiled), in order of first use."""
        self.added = 0
        """How many of them were compiled."""

    def compiled(self, text: str, mode: str) -> CodeType:
        """``compile(text, "<string>", mode)`` without inherited flags, from the cache when it
        holds it; a text that does not compile raises as the builtin does."""
        key = f"{mode}\0{text}"
        code = self.used.get(key)
        if code is None:
            code = self.codes.get(key)
            if code is None:
                code = builtins.compile(text, "<string>", mode, 0, True)
                self.added += 1
            self.used[key] = code
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /, **kwargs: Any) -> None:
        """The builtin ``exec``, with a ``str`` text compiled through the cache."""
        globals, locals = _namespaces(globals, locals)
        if type(source) is str and not kwargs:
            source = self.compiled(source, "exec")
        builtins.exec(source, globals, locals, **kwargs)

    def eval(self, source: Any, globals: Any = None, locals: Any = None, /) -> Any:
        """The builtin ``eval``, with a ``str`` text (without its leading spaces and tabs, as
        the builtin strips them) compiled through the cache."""
        globals, locals = _namespaces(globals, locals)
        if type(source) is str:
            source = self.compiled(source.lstrip(" \t"), "eval")
        return builtins.eval(source, globals, locals)

    def compile(
        self,
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
        **kwargs: Any,
    ) -> Any:
        """The builtin ``compile`` called from a module without ``__future__`` imports: a
        ``str`` text compiled as ``"<string>"`` with no flags and no other keyword through the
        cache, anything else by the builtin as it is."""
        if (
            type(source) is str
            and filename == "<string>"
            and not flags
            and optimize == -1
            and not kwargs
        ):
            return self.compiled(source, mode)
        return builtins.compile(source, filename, mode, flags, True, optimize, **kwargs)

    def save(self) -> None:
        """Write the entries used (at most :data:`LIMIT`) atomically (a rename) when some were
        compiled, as Python writes bytecode: not when ``sys.dont_write_bytecode`` is set, and
        skipped when the file cannot be written."""
        if not self.added or self.path is None or sys.dont_write_bytecode:
            return
        kept = self.used
        if len(kept) > LIMIT:
            kept = dict(list(kept.items())[:LIMIT])
        _write(self.path, _encode(marshal.dumps(kept)))
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


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=DIGEST_SIZE).digest()


def _encode(payload: bytes) -> bytes:
    return HEADER + _digest(payload) + payload


def _load(path: Path) -> dict[str, CodeType]:
    """The cached code at ``path``; {} when it cannot be read, its digest does not match its
    content or the content is not a text -> code map."""
    try:
        content = path.read_bytes()
        start = len(HEADER) + DIGEST_SIZE
        if not content.startswith(HEADER):
            return {}
        payload = content[start:]
        if _digest(payload) != content[len(HEADER) : start]:
            return {}
        data = marshal.loads(payload)
    except Exception:  # any failure to read or decode: an empty cache
        return {}
    if type(data) is not dict or not all(
        type(text) is str and type(code) is CodeType for text, code in data.items()
    ):
        return {}
    return data


def _namespaces(globals: Any, locals: Any) -> tuple[Any, Any]:
    """``exec``'s and ``eval``'s namespaces as the builtins take them: without ``globals``,
    those of the frame that called the :class:`CodeCache` method."""
    if globals is None:
        frame = sys._getframe(2)
        globals = frame.f_globals
        if locals is None:
            locals = frame.f_locals
        del frame
    return globals, locals


def _write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically, with the mode Python gives the bytecode of this
    module; nothing when the directory is not writable."""
    from mlops_spec.botocore_cache import write_atomically  # only when the cache is written

    try:
        mode = (os.stat(__file__).st_mode | 0o200) & 0o666
    except OSError:
        return
    write_atomically(path, content, mode)
