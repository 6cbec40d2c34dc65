"""The `mlops` command compiles the code ``dataclasses``, ``typing`` and ``collections`` generate
once and keeps it between commands (``mlops_spec.cli_codecache``): what is made through the
cache must be what Python makes (the same code, annotations, defaults, errors and behaviour), a
warm cache must be read instead of compiling, and a corrupt or unwritable cache must only mean
compiling again."""

from __future__ import annotations

import collections
import dataclasses
import inspect
import json
import marshal
import os
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
    assert warm.codes.keys() == cold.codes.keys() and len(warm.codes) >= 20
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

    monkeypatch.setattr(cli_codecache, "compile", refuse, raising=False)
    _with_cache(warm, monkeypatch)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not marshal",
        marshal.dumps([1, 2]),
        marshal.dumps({"def f(): pass": b"bytes, not code"}),
        marshal.dumps({1: compile("x = 1", "<string>", "exec")}),
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
    assert CodeCache(path).codes.keys() == cache.codes.keys()


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cache = CodeCache(blocker / "mlops-spec" / "code.marshal")
    assert _exercise(_with_cache(cache, monkeypatch)) == _exercise(_define())
    cache.save()  # no error
    assert blocker.read_text() == ""


def test_the_cache_holds_at_most_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_codecache, "LIMIT", 3)
    cache = CodeCache(tmp_path / "code.marshal")
    assert _exercise(_with_cache(cache, monkeypatch)) == _exercise(_define())
    assert len(cache.codes) == 3


def test_exec_of_code_and_namespaces_is_the_builtins(tmp_path: Path) -> None:
    cache = CodeCache(tmp_path / "code.marshal")
    space: dict[str, Any] = {}
    cache.exec(compile("y = 2", "<string>", "exec"), space)
    cache.exec("z = y + 1", space)
    assert (space["y"], space["z"]) == (2, 3)
    assert cache.codes.keys() == {"exec\0z = y + 1"}
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
    assert cache.codes.keys() == {f"eval\0{text}" for text in [*texts, "list[int] | None"]}
    with pytest.raises(SyntaxError, match="Forward reference must be an expression -- got 'a b'"):
        typing.ForwardRef("a b")
    monkeypatch.delattr(typing, "compile")
    assert typing.get_type_hints(_Annotated) == hints
    reread = CodeCache(tmp_path / "code.marshal")
    assert reread.codes == {}  # nothing saved yet
    cache.save()
    assert CodeCache(tmp_path / "code.marshal").codes == cache.codes


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
    assert list(cache.codes) == ["eval\0lambda _cls, x, y: _tuple_new(_cls, (x, y))"]


def _mlops(args: list[str], cache_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from mlops_spec.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)


def test_the_command_prints_the_same_with_a_cold_warm_or_corrupt_cache(tmp_path: Path) -> None:
    spec = str(ROOT / "examples/churn/mlops.yaml")
    runs = [_mlops(["validate", spec, "-f", "json"], tmp_path) for _ in range(2)]
    files = sorted(p.name for p in (tmp_path / "mlops-spec").glob("code-*"))
    assert [f.split("-")[1] for f in files] == ["validate"]
    (tmp_path / "mlops-spec" / files[0]).write_bytes(b"corrupt")
    runs.append(_mlops(["validate", spec, "-f", "json"], tmp_path))
    assert {(r.returncode, r.stdout, r.stderr) for r in runs} == {
        (runs[0].returncode, runs[0].stdout, runs[0].stderr)
    }
    assert runs[0].returncode == 0 and json.loads(runs[0].stdout)["valid"] is True
