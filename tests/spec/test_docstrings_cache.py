"""The spec models' attribute docstrings are kept between commands and are always the source's:
a warm cache answers what a parse of the module says, a corrupt, wrongly shaped or unwritable
one is parsed again, and an edited module gets an entry of its own."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_spec.models import docstrings

SPEC_MODULES = sorted(
    name
    for name in sys.modules
    if name.startswith("mlops_spec.models.") and name != "mlops_spec.models.docstrings"
)
"""Every module of the spec models (the package imports them all)."""

MODULE = '''
from mlops_spec.models.base import SpecModel


class Probe(SpecModel):
    size: int = 3
    """{doc}"""
'''


def _read(module: str) -> docstrings.Docstrings:
    """What a new command reads (this process's copy is a ``functools.cache``)."""
    return docstrings.attribute_docstrings.__wrapped__(module)  # type: ignore[attr-defined]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    yield tmp_path / "mlops-spec"


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module of one documented model, imported from a file the test may edit."""
    source = tmp_path / "src" / "docstring_probe.py"
    source.parent.mkdir()
    source.write_text(MODULE.format(doc="First words."))
    monkeypatch.syspath_prepend(str(source.parent))
    importlib.import_module("docstring_probe")
    yield source
    sys.modules.pop("docstring_probe", None)


def test_a_warm_cache_answers_what_the_source_says(cache_home: Path) -> None:
    assert len(SPEC_MODULES) >= 10
    parsed = {name: docstrings.parse_docstrings(name) for name in SPEC_MODULES}
    assert parsed["mlops_spec.models.spec"]["SystemSpec"]["spec_version"].startswith("Version")
    assert {name: _read(name) for name in SPEC_MODULES} == parsed  # parsed, then stored
    stored = sorted(cache_home.glob("docstrings-*.json"))
    assert len(stored) == len(SPEC_MODULES)
    assert {name: _read(name) for name in SPEC_MODULES} == parsed  # read back
    assert sorted(cache_home.glob("docstrings-*.json")) == stored


def test_the_cache_is_read_not_reparsed(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _read("mlops_spec.models.training")
    monkeypatch.setattr(docstrings, "parse_docstrings", lambda module: pytest.fail("parsed"))
    assert _read("mlops_spec.models.training") == expected


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"Probe": {"size": 3}}', b'{"Probe": []}', b"[" * 100_000],
)
def test_a_corrupt_or_misshapen_entry_is_parsed_again(
    cache_home: Path, probe: Path, content: bytes
) -> None:
    assert _read("docstring_probe") == {"Probe": {"size": "First words."}}
    (entry,) = cache_home.glob("docstrings-docstring_probe-*.json")
    entry.write_bytes(content)
    assert _read("docstring_probe") == {"Probe": {"size": "First words."}}
    assert json.loads(entry.read_bytes()) == {"Probe": {"size": "First words."}}


def test_an_edited_module_gets_its_own_entry(cache_home: Path, probe: Path) -> None:
    assert _read("docstring_probe") == {"Probe": {"size": "First words."}}
    probe.write_text(MODULE.format(doc="Edited words."))
    assert _read("docstring_probe") == {"Probe": {"size": "Edited words."}}
    assert len(list(cache_home.glob("docstrings-docstring_probe-*.json"))) == 2


def test_an_unwritable_cache_still_reads_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, probe: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert _read("docstring_probe") == {"Probe": {"size": "First words."}}
    assert _read("no.such.module") == {}
