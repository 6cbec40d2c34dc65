"""The `mlops` command compiles the code ``dataclasses``, ``typing`` and ``collections`` generate
once and keeps it between commands beside this package's bytecode (``mlops_spec.cli_codecache``):
what is made through the cache must be what Python makes (the same code, annotations, defaults,
errors and behaviour), a warm cache must be read instead of compiling, a damaged or unwritable
cache must only mean compiling again, and a file holds what the last command of its kind used."""

from __future__ import annotations

import ast
import collections
import dataclasses
import inspect
import json
import marshal
import os
import random
import subprocess
import sys
import typing
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any, ClassVar

import pytest

from mlops_spec import cli_codecache
from mlops_spec.cli_codecache import CodeCache
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def _writes_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is written as bytecode is (this machine sets ``PYTHONDONTWRITEBYTECODE``),
    under a prefix of the test's own."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pycache-prefix"))


METHODS = (
    "__init__",
    "__repr__",
    "__eq__",
    "__hash__",
    "__setattr__",
    "__delattr__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
)


def _define() -> dict[str, type]:
    """Dataclasses exercising every generated method and the texts' variants."""

    @dataclasses.dataclass(frozen=True)
    class Frozen:
        """Frozen: ``__setattr__``/``__delattr__``/``__hash__``."""

        name: str
        size: int = 3
        tags: tuple[str, ...] = ()
        kind: ClassVar[str] = "frozen"

    @dataclasses.dataclass(order=True)
    class Ordered:
        rank: int
        items: list[str] = dataclasses.field(default_factory=list, compare=False)
        secret: str = dataclasses.field(default="", repr=False)

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Slotted:
        """Slots and keyword-only fields."""

        a: int
        b: dict[str, Any] = dataclasses.field(default_factory=dict)

    @dataclasses.dataclass
    class Initialised:
        """``InitVar`` and ``__post_init__``."""

        base: int
        factor: dataclasses.InitVar[int] = 2
        total: int = dataclasses.field(init=False, default=0)

        def __post_init__(self, factor: int) -> None:
            self.total = self.base * factor

    @dataclasses.dataclass(frozen=True, eq=False)
    class Child(Frozen):
        """Inherited fields, no ``__eq__``."""

        extra: str | None = None

    @dataclasses.dataclass(unsafe_hash=True)
    class Hashed:
        """Unsafe hash."""

        x: float
        y: float = 0.0

    return {c.__name__: c for c in (Frozen, Ordered, Slotted, Initialised, Child, Hashed)}


def _with_cache(cache: CodeCache, monkeypatch: pytest.MonkeyPatch) -> dict[str, type]:
    monkeypatch.setattr(dataclasses, "exec", cache.exec, raising=False)
    try:
        return _define()
    finally:
        monkeypatch.delattr(dataclasses, "exec")


def _methods(cls: type) -> dict[str, FunctionType]:
    return {m: cls.__dict__[m] for m in METHODS if isinstance(cls.__dict__.get(m), FunctionType)}


def _same_function(ours: FunctionType, python: FunctionType) -> None:
    """The same function, down to the generated one a wrapper (``__repr__``'s) holds."""
    ours, python = inspect.unwrap(ours), inspect.unwrap(python)
    assert python.__code__.co_filename == "<string>"  # generated from text
    assert ours.__code__ == python.__code__
    assert ours.__code__.co_flags == python.__code__.co_flags
    assert ours.__annotations__ == python.__annotations__
    assert ours.__defaults__ == python.__defaults__
    assert ours.__kwdefaults__ == python.__kwdefaults__
    assert ours.__qualname__ == python.__qualname__
    assert ours.__code__.co_filename == python.__code__.co_filename
    assert ours.__doc__ == python.__doc__


def _fields(cls: type) -> list[tuple[Any, ...]]:
    return [
        (f.name, f.type, f.default, f.init, f.repr, f.compare, f.kw_only)
        for f in dataclasses.fields(cls)
    ]


def _exercise(classes: dict[str, type]) -> list[Any]:
    """What users see of instances: reprs, equality, order, hashes, frozen errors."""
    f = classes["Frozen"]("a", tags=("x",))
    seen: list[Any] = [repr(f), f == classes["Frozen"]("a", 3, ("x",)), hash(f)]
    with pytest.raises(dataclasses.FrozenInstanceError) as error:
        f.size = 4  # type: ignore[misc]
    seen.append(str(error.value))
    o1, o2 = classes["Ordered"](1, ["a"], "s"), classes["Ordered"](2)
    seen += [repr(o1), o1 < o2, o1 == classes["Ordered"](1, ["b"]), o2 >= o1]
    s = classes["Slotted"](a=1)
    seen += [repr(s), s == classes["Slotted"](a=1, b={}), s.__slots__]
    with pytest.raises(TypeError) as positional:
        classes["Slotted"](1)
    seen.append(str(positional.value))
    seen += [repr(classes["Initialised"](4, 3)), classes["Initialised"](4).total]
    c = classes["Child"]("b", extra="e")
    seen += [repr(c), c == classes["Child"]("b", extra="e")]
    seen += [repr(classes["Hashed"](1.5)), hash(classes["Hashed"](1.5, 2.0))]
    return seen


def test_classes_made_through_the_cache_are_the_classes_python_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = _define()
    cold = CodeCache(tmp_path / "code.marshal")
    compiled = _with_cache(cold, monkeypatch)
    cold.save()
    warm = CodeCache(tmp_path / "code.marshal")
    assert warm.codes.keys() == cold.used.keys() and len(warm.codes) >= 20
    cached = _with_cache(warm, monkeypatch)
    assert warm.added == 0  # every text was read, none compiled
    for name, cls in python.items():
        for ours in (compiled[name], cached[name]):
            assert _methods(ours).keys() == _methods(cls).keys()
            for method, function in _methods(cls).items():
                _same_function(_methods(ours)[method], function)
            assert _fields(ours) == _fields(cls)
    assert _exercise(cached) == _exercise(compiled) == _exercise(python)


def test_a_warm_cache_is_read_not_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = CodeCache(tmp_path / "code.marshal")
    _with_cache(cold, monkeypatch)
    cold.save()
    warm = CodeCache(tmp_path / "code.marshal")

    def refuse(*args: Any, **kwargs: Any) -> CodeType:
        raise AssertionError("compiled a cached text")

    monkeypatch.setattr(cli_codecache.builtins, "compile", refuse)
    _with_cache(warm, monkeypatch)
    monkeypatch.undo()
    assert warm.added == 0 and warm.used == warm.codes


_CODE = compile("x = 1", "<string>", "exec")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not marshal",
        marshal.dumps({"exec\0x = 1": _CODE}),  # no header
        cli_codecache.HEADER + b"short",
        cli_codecache._encode(b"not marshal"),
        cli_codecache._encode(b"\xff"),
        cli_codecache._encode(marshal.dumps([1, 2])),
        cli_codecache._encode(marshal.dumps({"def f(): pass": b"bytes, not code"})),
        cli_codecache._encode(marshal.dumps({1: _CODE})),
        b"mlops-spec codecache 2\n" + cli_codecache._encode(marshal.dumps({"a": _CODE}))[24:],
    ],
)
def test_a_corrupt_or_misshapen_cache_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    path = tmp_path / "code.marshal"
    path.write_bytes(content)
    cache = CodeCache(path)
    assert cache.codes == {}
    classes = _with_cache(cache, monkeypatch)
    assert _exercise(classes) == _exercise(_define())
    cache.save()
    assert CodeCache(path).codes.keys() == cache.used.keys() != set()


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cache = CodeCache(blocker / "mlops-spec" / "code.marshal")
    assert _exercise(_with_cache(cache, monkeypatch)) == _exercise(_define())
    cache.save()  # no error
    assert blocker.read_text() == ""


def test_the_cache_saves_at_most_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_codecache, "LIMIT", 3)
    cache = CodeCache(tmp_path / "code.marshal")
    assert _exercise(_with_cache(cache, monkeypatch)) == _exercise(_define())
    assert len(cache.used) > 3
    cache.save()
    assert list(CodeCache(tmp_path / "code.marshal").codes) == list(cache.used)[:3]


def test_the_file_holds_what_the_last_command_used(tmp_path: Path) -> None:
    """Entries the last command did not use are dropped when it compiled something new; a
    command that compiled nothing leaves the file as it is."""
    path = tmp_path / "code.marshal"
    first = CodeCache(path)
    for text in ("a", "b", "c"):
        first.eval(text, {"a": 1, "b": 2, "c": 3})
    first.save()
    second = CodeCache(path)
    second.eval("b", {"b": 2})
    second.eval("d", {"d": 4})
    assert second.added == 1
    second.save()
    assert list(CodeCache(path).codes) == ["eval\0b", "eval\0d"]
    stat = path.stat()
    third = CodeCache(path)
    third.eval("d", {"d": 4})
    third.save()  # nothing compiled: not written
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert list(CodeCache(path).codes) == ["eval\0b", "eval\0d"]


def test_a_damaged_file_is_never_run(tmp_path: Path) -> None:
    """The reviewer's reproduction: 1-3 bytes of the content altered at random. Reading never
    raises (``marshal.loads`` of damaged data can raise ``SystemError``), and no code comes out
    of an altered content: the digest in the header does not match it."""
    cache = CodeCache(tmp_path / "code.marshal")
    for text in ("x + 1", "lambda _cls, x, y: _tuple_new(_cls, (x, y))", "dict[str, int]"):
        cache.eval(text, {"x": 1})
    _with_cache(cache, pytest.MonkeyPatch())
    cache.save()
    good = (tmp_path / "code.marshal").read_bytes()
    start = len(cli_codecache.HEADER) + cli_codecache.DIGEST_SIZE
    assert CodeCache(tmp_path / "code.marshal").codes.keys() == cache.used.keys()
    damaged = tmp_path / "damaged.marshal"
    randomness = random.Random(20261206)
    for _ in range(300):
        content = bytearray(good)
        for _ in range(randomness.randint(1, 3)):
            at = randomness.randrange(start, len(content))
            content[at] = (content[at] + randomness.randint(1, 255)) % 256
        if randomness.random() < 0.2:
            content = content[: randomness.randrange(len(content))]
        damaged.write_bytes(bytes(content))
        assert CodeCache(damaged).codes == {}


def test_the_cache_lives_beside_this_packages_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the directory ``importlib`` gives this module's bytecode (here under a
    ``sys.pycache_prefix``), and written only when Python would write bytecode."""
    import importlib.util

    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "pyc"))
    path = cli_codecache.cache_file("validate")
    assert path is not None
    assert path.parent == Path(importlib.util.cache_from_source(cli_codecache.__file__)).parent
    assert path.is_relative_to(tmp_path / "pyc")
    assert path.name == (
        f"codecache-validate.{sys.implementation.cache_tag}-"
        f"{importlib.util.MAGIC_NUMBER.hex()}-O{sys.flags.optimize}-{cli_codecache.FORMAT}.marshal"
    )
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cache = CodeCache(path)
    cache.eval("1 + 1", {})
    cache.save()
    assert not path.exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    cache.save()
    assert CodeCache(path).codes.keys() == {"eval\x001 + 1"}
    monkeypatch.setattr(sys.implementation, "cache_tag", None)
    assert cli_codecache.cache_file("validate") is None
    assert CodeCache(None).eval("2 + 2", {}) == 4


def test_each_command_has_its_own_cache() -> None:
    from mlops_spec import cli_app

    assert {*cli_app.BUILT_IN, *cli_app.MOUNTS, "drift"} == cli_codecache.COMMANDS
    assert cli_codecache.kind(["validate", "s.yaml"], True) == "validate"
    assert cli_codecache.kind(["plan", "s.yaml", "-s", "prod"], False) == "plan"
    assert cli_codecache.kind(["validate", "s.yaml", "--bad"], False) == "validate"
    assert cli_codecache.kind(["../x"], False) == "cli"
    assert cli_codecache.kind(["--help"], False) == "cli"
    assert cli_codecache.kind([], False) == "cli"


def test_exec_of_code_and_namespaces_is_the_builtins(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path / "code.marshal")
    space: dict[str, Any] = {}
    cache.exec(compile("y = 2", "<string>", "exec"), space)
    cache.exec("z = y + 1", space)
    assert (space["y"], space["z"]) == (2, 3)
    assert cache.used.keys() == {"exec\0z = y + 1"}
    assert cache.eval("y * 5", space) == 10
    with pytest.raises(SyntaxError) as ours:
        cache.exec("def (", space)
    with pytest.raises(SyntaxError) as python:
        exec("def (", space)
    assert (ours.value.msg, ours.value.lineno) == (python.value.msg, python.value.lineno)


def test_forward_references_are_pythons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``typing`` compiles each string annotation (``ForwardRef``) through the cache."""
    texts = ["dict[str, int]", "list['Frozen'] | None", "tuple[int, ...]"]
    python = [typing.ForwardRef(text) for text in texts]
    cache = CodeCache(tmp_path / "code.marshal")
    monkeypatch.setattr(typing, "compile", cache.compile, raising=False)
    ours = [typing.ForwardRef(text) for text in texts]
    assert [r.__forward_code__ for r in ours] == [r.__forward_code__ for r in python]
    assert ours == python
    hints = typing.get_type_hints(_Annotated)
    assert hints == {"a": dict[str, int], "b": list[int] | None}
    assert cache.used.keys() == {f"eval\0{text}" for text in [*texts, "list[int] | None"]}
    with pytest.raises(SyntaxError, match="Forward reference must be an expression -- got 'a b'"):
        typing.ForwardRef("a b")
    monkeypatch.delattr(typing, "compile")
    assert typing.get_type_hints(_Annotated) == hints
    reread = CodeCache(tmp_path / "code.marshal")
    assert reread.codes == {}  # nothing saved yet
    cache.save()
    assert CodeCache(tmp_path / "code.marshal").codes == cache.used


class _Annotated:
    a: dict[str, int]
    b: list[int] | None


def _point() -> Any:
    return collections.namedtuple("Point", "x y", defaults=(0,))


def test_named_tuples_are_pythons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``collections.namedtuple`` compiles each ``__new__`` through the cache."""
    python = _point()
    cache = CodeCache(tmp_path / "code.marshal")
    monkeypatch.setattr(collections, "eval", cache.eval, raising=False)
    ours = _point()
    assert ours.__new__.__code__ == python.__new__.__code__
    assert ours.__new__.__defaults__ == python.__new__.__defaults__
    assert (repr(ours(1)), ours(1, 2) == (1, 2)) == (repr(python(1)), python(1, 2) == (1, 2))
    assert list(cache.used) == ["eval\0lambda _cls, x, y: _tuple_new(_cls, (x, y))"]


def test_other_sources_compile_as_the_builtins_do(tmp_path: Path) -> None:
    """Bytes and ``str`` subclasses go to the builtin without this module's ``__future__``
    flags (annotations stay objects); ``eval`` strips a text's leading spaces and tabs as the
    builtin does; ``compile`` passes other keywords to the builtin."""
    cache = CodeCache(tmp_path / "code.marshal")

    class Text(str):
        pass

    text = "def f(x: int) -> list[int]: pass"
    for source in (text.encode(), Text(text)):
        space: dict[str, Any] = {}
        cache.exec(source, space)
        assert space["f"].__annotations__ == {"x": int, "return": list[int]}
        code = cache.compile(source, "<string>", "exec")
        space = {}
        exec(code, space)
        assert space["f"].__annotations__ == {"x": int, "return": list[int]}
    assert cache.eval(Text("[int]"), {}) == [int]
    assert cache.used == {}
    for text in (" 1+1", "\t 1+1", " \t[x]"):
        assert cache.eval(text, {"x": 1}) == eval(text, {"x": 1})
    assert cache.eval(b"  2*3", {}) == eval(b"  2*3", {}) == 6
    with pytest.raises(SyntaxError) as ours:
        cache.compile(" 1", "<string>", "eval")
    with pytest.raises(SyntaxError) as python:
        compile(" 1", "<string>", "eval")
    assert type(ours.value) is type(python.value) and ours.value.msg == python.value.msg
    walrus = compile("(b := 1)", "<string>", "eval", 0, True, _feature_version=8)
    assert cache.compile("(b := 1)", "<string>", "eval", _feature_version=8) == walrus
    with pytest.raises(SyntaxError):  # the keyword reaches the builtin: no walrus in 3.7
        cache.compile("(b := 1)", "<string>", "eval", ast.PyCF_ONLY_AST, _feature_version=7)
    with pytest.raises(TypeError, match="invalid keyword argument for compile"):
        cache.compile("b", "<string>", "eval", unknown=1)
    assert cache.compile("a", "<string>", "eval", dont_inherit=True) is cache.compiled("a", "eval")
    assert cache.used.keys() == {"eval\x001+1", "eval\0[x]", "eval\0a"}
    x = 5
    assert cache.eval("x * 2") == 10 and cache.eval(b"x") == x
    space = {}
    cache.exec("y = 3", space)
    assert space["y"] == 3


def _mlops(args: list[str], pycache: Path, write: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(pycache), "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-c", "from mlops_spec.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)


def test_the_command_prints_the_same_with_a_cold_warm_or_corrupt_cache(tmp_path: Path) -> None:
    """The cold run writes the cache beside the bytecode; the warm run reads it and compiles
    nothing (so it does not write the file again); a damaged file is written again."""
    spec = str(ROOT / "examples/churn/mlops.yaml")
    validate = ["validate", spec, "-f", "json"]
    runs = [_mlops(validate, tmp_path)]
    files = list(tmp_path.rglob("codecache-*"))
    assert [f.name.split(".")[0] for f in files] == ["codecache-validate"]
    (path,) = files
    assert path.parent.name == "mlops_spec"  # under the prefix, the source directory's path
    before = path.stat()
    content = path.read_bytes()
    assert len(CodeCache(path).codes) > 500
    runs.append(_mlops(validate, tmp_path))
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert path.read_bytes() == content
    path.write_bytes(content[:-100] + b"corrupt")
    runs.append(_mlops(validate, tmp_path))
    assert path.read_bytes() == content  # compiled again, the same code saved
    assert {(r.returncode, r.stdout, r.stderr) for r in runs} == {
        (runs[0].returncode, runs[0].stdout, runs[0].stderr)
    }
    assert runs[0].returncode == 0 and json.loads(runs[0].stdout)["valid"] is True
    assert not list(tmp_path.rglob(".tmp-*"))


def test_the_command_writes_no_cache_when_python_writes_no_bytecode(tmp_path: Path) -> None:
    spec = str(ROOT / "examples/churn/mlops.yaml")
    run = _mlops(["validate", spec, "-f", "json"], tmp_path, write=False)
    assert run.returncode == 0
    assert not list(tmp_path.rglob("codecache-*"))
    schema = _mlops(["schema"], tmp_path)
    assert schema.returncode == 0
    assert [f.name.split(".")[0] for f in tmp_path.rglob("codecache-*")] == ["codecache-schema"]


def test_without_namespaces_exec_and_eval_use_the_callers_as_the_builtins_do() -> None:
    cache = CodeCache(None)
    local_value = 2  # noqa: F841 (read by the texts)
    assert cache.eval("local_value + 40") == eval("local_value + 40") == 42
    assert cache.eval("__name__") == eval("__name__") == __name__ != "mlops_spec.cli_codecache"
    namespace: dict[str, Any] = {}
    cache.exec("made = __name__", None, namespace)
    assert namespace == {"made": __name__}
