"""The `drift` typer sub-app: outputs, exit codes, one error line per problem, no tracebacks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mlops_spec.drift_cli import app

from .synthetic import DRIFTED, FEATURES, make_frame

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift-cli")
    make_frame(8_000, drifted=False, seed=11).to_parquet(root / "train.parquet")
    make_frame(6_000, drifted=True, seed=12).to_csv(root / "today.csv", index=False)
    make_frame(6_000, drifted=False, seed=13).to_json(
        root / "stable.jsonl", orient="records", lines=True
    )
    return root


def _run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def _assert_clean_failure(result, *fragments: str):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines)
    for fragment in fragments:
        assert fragment in result.stderr


def test_profile_then_compare_json(files):
    profile = files / "profile.json"
    spec = ",".join(f"{name}:{kind}" for name, kind in FEATURES.items())
    result = _run("profile", files / "train.parquet", "--features", spec, "-o", profile)
    assert result.exit_code == 0, result.output
    assert json.loads(profile.read_text())["format_version"] == 1
    result = _run("compare", profile, files / "today.csv", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["drifted_features"]) == DRIFTED
    assert report["rows_current"] == 6_000


def test_compare_raw_reference_text_and_fail_on_drift(files):
    result = _run("compare", files / "train.parquet", files / "today.csv", "--fail-on-drift")
    assert result.exit_code == 1
    assert "num_0" in result.stdout and "DRIFT" in result.stdout
    assert result.stderr == ""
    stable = _run("compare", files / "train.parquet", files / "stable.jsonl", "--fail-on-drift")
    assert stable.exit_code == 0, stable.output
    assert "0 of 8 features drifted" in stable.stdout


def test_compare_html_to_file_with_methods(files):
    out = files / "report.html"
    result = _run(
        "compare",
        files / "train.parquet",
        files / "today.csv",
        "--format",
        "html",
        "-o",
        out,
        "--method",
        "num_0=psi",
        "--threshold",
        "psi=0.01",
        "--feature",
        "num_0",
        "--feature",
        "color:categorical",
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "num_0" in html and "color" in html
    assert "num_1" not in html


def test_profile_infers_kinds(files):
    out = files / "inferred.json"
    assert _run("profile", files / "stable.jsonl", "-o", out).exit_code == 0
    kinds = {n: f["kind"] for n, f in json.loads(out.read_text())["features"].items()}
    assert kinds == FEATURES


def test_missing_column(files):
    data = make_frame(100, drifted=False, seed=1).drop(columns=["num_2", "size"])
    data.to_csv(files / "partial.csv", index=False)
    result = _run("compare", files / "train.parquet", files / "partial.csv")
    _assert_clean_failure(result, "partial.csv has no column 'num_2'", "'size'")
    assert len(result.stderr.strip().splitlines()) == 2


def test_wrong_type(files):
    data = make_frame(100, drifted=False, seed=1)
    data["num_3"] = "high"
    data.to_csv(files / "typed.csv", index=False)
    result = _run("compare", files / "train.parquet", files / "typed.csv")
    _assert_clean_failure(result, "'num_3'", "typed.csv", "'high'", "categorical")


def test_empty_and_unreadable_files(files):
    (files / "empty.csv").write_bytes(b"")
    _assert_clean_failure(
        _run("compare", files / "train.parquet", files / "empty.csv"), "empty.csv is empty"
    )
    (files / "junk.parquet").write_bytes(b"PAR1 junk")
    _assert_clean_failure(
        _run("compare", files / "train.parquet", files / "junk.parquet"), "cannot read"
    )
    (files / "bad.json").write_text("{nope")
    _assert_clean_failure(
        _run("compare", files / "bad.json", files / "today.csv"), "bad.json is not valid JSON"
    )
    _assert_clean_failure(_run("profile", files / "absent.csv", "-o", files / "p.json"), "absent")


@pytest.mark.parametrize(
    "args",
    [
        ["compare"],
        ["compare", "a.json", "b.csv", "--format", "pdf"],
        ["compare", "a.json", "b.csv", "--method", "num_0"],
        ["compare", "a.json", "b.csv", "--method", "num_0=magic"],
        ["compare", "a.json", "b.csv", "--threshold", "ks=high"],
        ["profile", "a.csv", "-o", "p.json", "--feature", "x:text"],
    ],
)
def test_usage_errors_exit_2(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
