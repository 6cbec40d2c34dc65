"""docs/kubernetes.md documents the proxy's series and configuration as the code has them."""

from __future__ import annotations

import dataclasses
import json

from mlops_runtime.contract import prometheus as names
from mlops_runtime.contract.proxy import ProxyCapture, ProxyConfig
from tests.proxy.conftest import ROOT

DOC = (ROOT / "docs" / "kubernetes.md").read_text()


def _table(header: str) -> dict[str, list[str]]:
    """First cell (without backticks) -> the other cells, of the table whose header row starts
    with ``header``."""
    lines = DOC[DOC.index("\n" + header) + 1 :].split("\n\n", 1)[0].splitlines()[2:]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return {row[0].strip("`"): row[1:] for row in cells}


def _default(spec: dataclasses.Field) -> str:
    if spec.default is dataclasses.MISSING:
        return "required"
    value = list(spec.default) if isinstance(spec.default, tuple) else spec.default
    return f"`{json.dumps(value)}`"


def test_the_series_table_lists_exactly_the_contracts_families():
    derived = {
        family + suffix for family, suffixes in names.SUFFIXED.items() for suffix in suffixes
    }
    families = (names.published() - derived) | set(names.SUFFIXED)
    assert set(_table("| series |")) == families


def test_the_configuration_tables_list_every_field_with_its_default():
    for header, config in (
        ("| field | default |", ProxyConfig),
        ("| `capture` field | default |", ProxyCapture),
    ):
        rows = _table(header)
        fields = dataclasses.fields(config)
        assert list(rows) == [spec.name for spec in fields], config.__name__
        for spec in fields:
            assert rows[spec.name][0] == _default(spec), spec.name
