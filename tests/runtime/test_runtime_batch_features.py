"""Batch transform input preparation on small files: the model receives the declared features
only, in the declared order, as headerless CSV lines (one per row), whatever the data source's
format; each prepared file keeps its object's relative path, which the monitoring job relies on
to pair transform outputs with the objects they were computed from."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from mlops_runtime.contract.batch import BatchFeaturesConfig
from mlops_runtime.contract.config import FILE_ENV_VAR
from mlops_runtime.jobs import batch_features
from mlops_runtime.jobs.batch_data import input_key

# Declared order (tenure, plan, spend) differs from the files' column order on purpose.
FEATURES = {"tenure": "numeric", "plan": "categorical", "spend": "numeric"}


def config(fmt: str) -> BatchFeaturesConfig:
    return BatchFeaturesConfig(model_id="churn", features=FEATURES, format=fmt)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def test_a_csv_with_header_label_and_timestamp_becomes_feature_lines(tmp_path: Path) -> None:
    source = tmp_path / "in" / "2024" / "05" / "customers.csv"
    source.parent.mkdir(parents=True)
    source.write_text(
        "customer_id,event_time,plan,spend,churned,tenure\n"
        "c1,2024-05-01T10:00:00Z,007,19.5,1,12\n"
        "c2,2024-05-01T11:00:00Z,pro,,0,3\n"
        'c3,2024-05-02T09:30:00Z,"basic, annual",42.25,0,48\n'
    )
    prepared = batch_features.run(config("csv"), tmp_path / "in", tmp_path / "out")
    assert (prepared.files, prepared.rows) == (1, 3)
    # Same relative path; features only, declared order; codes keep their form ("007");
    # a missing value stays empty; no header, no label, no timestamp, no id.
    assert lines(tmp_path / "out" / "2024" / "05" / "customers.csv") == [
        "12,007,19.5",
        "3,pro,",
        '48,"basic, annual",42.25',
        "",
    ]


def test_a_parquet_object_becomes_csv_lines_under_its_own_name(tmp_path: Path) -> None:
    source = tmp_path / "in" / "part-00000.parquet"
    source.parent.mkdir(parents=True)
    pd.DataFrame(
        {
            "spend": [10.0, 20.5],
            "label": [1, 0],
            "plan": ["basic", "pro"],
            "tenure": [1, 2],
            "ts": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        }
    ).to_parquet(source, index=False)
    batch_features.run(config("parquet"), tmp_path / "in", tmp_path / "out")
    assert lines(tmp_path / "out" / "part-00000.parquet") == ["1,basic,10.0", "2,pro,20.5", ""]
    # The transform writes <execution id>/part-00000.parquet.out for it, which the monitoring
    # job maps back to the data source's object.
    assert input_key("s3://data/orders/", "exec-1/part-00000.parquet.out") == (
        "orders/part-00000.parquet"
    )


def test_a_gzipped_object_is_prepared_as_plain_csv_lines_under_its_own_name(
    tmp_path: Path,
) -> None:
    """The transform sends the prepared file as text/csv without decompressing it: a prepared
    ``*.csv.gz`` must hold plain lines (pandas would gzip a file so named)."""
    source = tmp_path / "in" / "day=1" / "orders.csv.gz"
    source.parent.mkdir(parents=True)
    source.write_bytes(gzip.compress(b"tenure,plan,spend,churned\n12,pro,19.5,1\n3,basic,4.0,0\n"))
    batch_features.run(config("csv"), tmp_path / "in", tmp_path / "out")
    assert lines(tmp_path / "out" / "day=1" / "orders.csv.gz") == ["12,pro,19.5", "3,basic,4.0", ""]


def test_jsonl_objects_named_otherwise_are_read_as_the_declared_format(tmp_path: Path) -> None:
    source = tmp_path / "in" / "batch-1"  # no extension: still the data source's format
    source.parent.mkdir(parents=True)
    rows = [
        {"tenure": 5, "plan": "pro", "spend": 1.5, "churned": 0},
        {"spend": 2.0, "plan": "basic", "tenure": 6, "churned": 1},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    batch_features.run(config("jsonl"), tmp_path / "in", tmp_path / "out")
    assert lines(tmp_path / "out" / "batch-1") == ["5,pro,1.5", "6,basic,2.0", ""]


def test_markers_hidden_files_and_header_only_objects_get_no_file(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "_SUCCESS").write_text("")
    (root / ".part.crc").write_text("x")
    (root / "empty.csv").write_text("tenure,plan,spend\n")
    (root / "data.csv").write_text("tenure,plan,spend\n1,a,2\n")
    prepared = batch_features.run(config("csv"), root, tmp_path / "out")
    assert (prepared.files, prepared.rows, prepared.skipped) == (1, 1, ("empty.csv",))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["data.csv"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("tenure,plan\n1,a\n", "has no column 'spend'"),
        ('tenure,plan,spend\n1,"two\nlines",3\n', "row 1: feature 'plan' holds a line break"),
    ],
)
def test_objects_that_cannot_become_feature_lines_fail_the_step(
    tmp_path: Path, content: str, message: str
) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "bad.csv").write_text(content)
    with pytest.raises(batch_features.BatchFeaturesError, match=message):
        batch_features.run(config("csv"), root, tmp_path / "out")


def test_the_entry_point_reads_its_config_file_and_exits_2_on_bad_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "BatchFeatures.json"
    file.write_text(config("csv").to_json())
    monkeypatch.setenv(FILE_ENV_VAR, str(file))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("plan,spend,tenure\nx,1,2\n")
    assert (
        batch_features.main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "o")]) == 0
    )
    assert lines(tmp_path / "o" / "a.csv") == ["2,x,1", ""]
    (tmp_path / "in" / "a.csv").write_text("tenure,plan,spend\n")  # header only: nothing to score
    assert (
        batch_features.main(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "p")]) == 2
    )
    assert "no rows to score" in capsys.readouterr().err
    # The configuration keeps the declared order through its JSON (the line order).
    assert list(json.loads(config("csv").to_json())["features"]) == ["tenure", "plan", "spend"]
