"""Reference profile job: training data in, profile.json out - the profile the monitor reads.

The ProcessingInput/Output copies are played by the test (moto runs no job): the training data
is written where the job's input would be, and the written profile.json is uploaded where the
ProcessingOutput would put it (``profile_uri``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from runtime_support import FEATURES, boto, capture_line, customers, put_capture

from mlops_runtime import monitoring_job, profile_job
from mlops_runtime.contract.config import ENV_VAR, MonitorConfig, ProfileConfig
from mlops_runtime.core.clock import UTC
from mlops_runtime.drift import Profile, build_profile

NOW = datetime.now(UTC).replace(microsecond=0)
CONFIG = ProfileConfig(model_id="churn", features=FEATURES, format="parquet")


def training_data(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Training rows: the features plus columns the profile must leave out."""
    frame = customers(rows, seed, shift)
    frame["customer_id"] = [f"c{seed}-{i}" for i in range(rows)]
    frame["churned"] = (frame["spend"] > 55).astype(int)
    return frame


def write(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)


def test_profile_of_the_training_data_is_what_the_monitor_compares_with(tmp_path: Path) -> None:
    first, second = training_data(1500, seed=1), training_data(1500, seed=2)
    data = tmp_path / "input" / "data"
    write(first, data / "dt=2026-01-01" / "part-0.parquet")
    write(second, data / "dt=2026-01-02" / "part-0.parquet")
    (data / "_SUCCESS").write_text("")
    write(first.head(5), data / "manifest.csv")  # another format: skipped

    profile = profile_job.run(CONFIG, data, tmp_path / "profile")

    written = (tmp_path / "profile" / "profile.json").read_text()
    expected = build_profile(pd.concat([first, second], ignore_index=True), FEATURES)
    assert json.loads(written) == expected.to_dict()
    assert profile.rows == 3000
    assert list(profile.kinds.items()) == list(FEATURES.items())  # the model's input order

    # The ProcessingOutput uploads it to profile_uri; the monitoring job reads it from there.
    s3 = boto("s3")
    for bucket in ("shop-models", "shop-capture", "shop-reports"):
        s3.create_bucket(Bucket=bucket)
    s3.put_object(
        Bucket="shop-models", Key="models/churn/reference/profile.json", Body=written.encode()
    )
    served = customers(1200, seed=3, shift=8.0)  # spend drifted in production
    lines = [capture_line(served.iloc[i::30], NOW - timedelta(hours=1)) for i in range(30)]
    put_capture("shop-capture", "datacapture", "churn-dev", NOW - timedelta(hours=1), lines)
    monitor = MonitorConfig(
        system="shop",
        model_id="churn",
        environment="dev",
        endpoint_name="churn-dev",
        profile_uri="s3://shop-models/models/churn/reference/profile.json",
        capture_uri="s3://shop-capture/datacapture",
        reports_bucket="shop-reports",
    )
    report = monitoring_job.run(monitor, now=NOW)
    assert report["status"] == "ok" and report["rows_analyzed"] == 1200
    assert report["drift"]["drifted_features"] == ["spend"]


def test_large_data_is_reduced_to_a_uniform_seeded_sample(tmp_path: Path) -> None:
    """Not the first rows: a later file's shifted spend weighs in as much as the first's."""
    data = tmp_path / "data"
    write(training_data(3000, seed=1), data / "a.parquet")
    write(training_data(3000, seed=2, shift=30.0), data / "b.parquet")
    config = ProfileConfig(model_id="churn", features=FEATURES, format="parquet", sample_rows=2000)

    profile = profile_job.run(config, data, tmp_path / "one")
    again = profile_job.run(config, data, tmp_path / "two")

    assert profile.rows == 2000
    assert abs(profile.features["spend"].mean - 65.0) < 2.0  # the first rows would give ~50
    assert (tmp_path / "one" / "profile.json").read_text() == (
        (tmp_path / "two" / "profile.json").read_text()
    )
    assert again.rows == 2000


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_text_formats_keep_categorical_codes_as_text(tmp_path: Path, suffix: str) -> None:
    frame = training_data(400, seed=4)
    frame["plan"] = frame["plan"].map({"basic": "007", "pro": "010", "team": "100"})
    write(frame, tmp_path / "data" / f"train{suffix}")
    config = ProfileConfig(model_id="churn", features=FEATURES, format=suffix[1:])
    profile = profile_job.run(config, tmp_path / "data", tmp_path / "out")
    assert set(profile.features["plan"].categories) == {"007", "010", "100"}  # type: ignore[union-attr]
    assert Profile.from_json((tmp_path / "out" / "profile.json").read_text()).rows == 400


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"train.csv": None}, "no parquet files under"),
        ({"train.parquet": "spend"}, "has no column 'spend'"),
    ],
)
def test_bad_input_fails_the_step_with_a_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str | None],
    message: str,
) -> None:
    for name, dropped in files.items():
        frame = training_data(50, seed=5)
        write(frame.drop(columns=[dropped]) if dropped else frame, tmp_path / "data" / name)
    monkeypatch.setenv(ENV_VAR, CONFIG.to_json())
    status = profile_job.main(["--input", str(tmp_path / "data"), "--output", str(tmp_path)])
    assert status == profile_job.EXIT_INPUT
    assert message in capsys.readouterr().err
    assert not (tmp_path / "profile.json").exists()
