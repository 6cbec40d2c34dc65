"""A corpus of bad specs with the exact messages users see, and pydantic/jsonschema agreement.

Each bad file starts with ``# expect: <text>`` lines (substrings of the rendered report,
``FILE:LINE:COL: spec.path: message (got ...; allowed ...)`` from the file name on) and a
``# schema: reject|accept`` line saying whether the JSON Schema alone can see the problem.
Every bad file also goes through the installed ``mlops validate`` console script: exit 1, the
expected lines on stderr, no traceback (and, for files with stacks, which `validate` plans,
the same through ``--format json``).
"""

from __future__ import annotations

import json
import subprocess
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


@pytest.mark.slow
@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_the_console_script_reports_each_mistake(mlops_bin: str, path: Path) -> None:
    result = subprocess.run(
        [mlops_bin, "validate", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for text in _header(path, "expect"):
        assert text in result.stderr, f"missing {text!r} in:\n{result.stderr}"
    if "\nenvironments:" not in path.read_text():
        return
    result = subprocess.run(
        [mlops_bin, "validate", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is False and report["problems"]
    assert all(p["file"] == str(path) and p["line"] for p in report["problems"])
