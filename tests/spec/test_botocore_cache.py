"""The facts validation reads from botocore are kept between commands and are always botocore's:
a warm cache answers what the data files say, a corrupt or unwritable one is recomputed, and a
changed data file gets entries of its own."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest

from mlops_spec import aws_catalog, botocore_cache, regions


def _forget() -> None:
    """Drop this process's copies, as a new command starts without them."""
    botocore_cache._entries.cache_clear()
    aws_catalog._sagemaker_enum.cache_clear()
    regions.sagemaker_regions.cache_clear()


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _forget()
    yield tmp_path / "mlops-spec"
    _forget()


def _botocore_facts() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    """The same facts through botocore's own API (the source the cache must agree with)."""
    session = botocore.session.get_session()
    shapes = session.get_service_model("sagemaker").shape_for
    found = {
        name: session.get_partition_for_region(name)
        for name in session.get_available_regions("sagemaker", partition_name="aws")
    }
    return (
        frozenset(shapes("TrainingInstanceType").enum),
        frozenset(shapes("ProductionVariantInstanceType").enum),
        found,
    )


def _ours() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    known = regions.sagemaker_regions()
    return (
        aws_catalog.training_instance_types(),
        aws_catalog.hosting_instance_types(),
        {name: where.name for name, where in known.items() if where.name == "aws"},
    )


def test_a_warm_cache_answers_what_botocore_says(cache_home: Path) -> None:
    expected = _botocore_facts()
    assert _ours() == expected  # computed, then stored
    stored = sorted(p.name for p in cache_home.iterdir())
    assert [name.split("-")[1] for name in stored] == ["endpoints", "service"]
    _forget()
    assert _ours() == expected  # read back from the files


@pytest.mark.parametrize(
    "garbage",
    ['{"enum:TrainingInstanceType": ["ml.fake"], "sagemaker-regions"', "[" * 100_000],
    ids=["cut", "deeply-nested"],
)
def test_a_corrupt_cache_is_recomputed_and_rewritten(cache_home: Path, garbage: str) -> None:
    expected = _ours()
    for path in cache_home.iterdir():
        path.write_text(garbage)
    _forget()
    assert _ours() == expected
    for path in cache_home.iterdir():
        assert isinstance(json.loads(path.read_text()), dict)


def test_a_cache_of_the_wrong_shape_is_recomputed(cache_home: Path) -> None:
    """Valid JSON that is not what the facts look like (a hand edit, another version's file)."""
    expected = _ours()
    for path in cache_home.iterdir():
        path.write_text(
            '{"enum:TrainingInstanceType": "ml.m5.xlarge", '
            '"enum:ProductionVariantInstanceType": [1, 2], "sagemaker-regions": ["us-east-1"]}'
        )
    _forget()
    assert _ours() == expected


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    _forget()
    try:
        assert _ours() == _botocore_facts()
    finally:
        _forget()


def test_a_changed_data_file_gets_its_own_entries(cache_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "service-2.json"
    source.write_text("{}")

    def number(value: object) -> bool:
        return isinstance(value, int)

    assert botocore_cache.cached(source, "answer", lambda: 1, number) == 1
    assert botocore_cache.cached(source, "answer", lambda: 2, number) == 1  # stored
    source.write_text('{"changed": true}')
    os.utime(source, ns=(1, 1))
    assert botocore_cache.cached(source, "answer", lambda: 3, number) == 3
    assert len(list(cache_home.glob("botocore-service-*.json"))) == 2
