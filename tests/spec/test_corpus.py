"""A corpus of bad specs with the exact messages users see, and pydantic/jsonschema agreement.

Each bad file starts with ``# expect: <text>`` lines (substrings of the rendered report) and a
``# schema: reject|accept`` line saying whether the JSON Schema alone can see the problem.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from mlops_spec.errors import SpecError
from mlops_spec.load import validate_file
from mlops_spec.schema import json_schema

CORPUS = Path(__file__).parent / "corpus"
BAD = sorted((CORPUS / "bad").glob("*.yaml"))
GOOD = sorted((CORPUS / "good").glob("*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def _header(path: Path, key: str) -> list[str]:
    prefix = f"# {key}: "
    return [
        line[len(prefix) :] for line in path.read_text().splitlines() if line.startswith(prefix)
    ]


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_spec_reports_expected_messages(path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        validate_file(path)
    report = str(caught.value)
    expected = _header(path, "expect")
    assert expected, f"{path.name} has no '# expect:' line"
    for text in expected:
        assert text in report, f"missing {text!r} in:\n{report}"
    for problem in caught.value.problems:
        assert problem.line is not None, f"problem without a line: {problem.render()}"
        assert problem.render().startswith(f"{path}:{problem.line}:")


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_schema_agrees_with_pydantic_where_it_can(path: Path) -> None:
    verdict = _header(path, "schema")
    assert verdict in (["reject"], ["accept"]), f"{path.name} needs '# schema: reject|accept'"
    document = YAML(typ="safe").load(path.read_text())
    errors = list(VALIDATOR.iter_errors(document))
    if verdict == ["reject"]:
        assert errors, "the JSON Schema should reject this spec too"
    else:
        assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_specs_pass_both(path: Path) -> None:
    validate_file(path)
    VALIDATOR.validate(YAML(typ="safe").load(path.read_text()))
