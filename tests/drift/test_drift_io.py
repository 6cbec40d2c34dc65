"""read_frames: formats, chunking, and errors that name the file."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_runtime.drift import DriftInputError, read_frames, read_profile

FRAME = pd.DataFrame({"x": [1.5, 2.5, None, 4.0, 5.0], "c": ["a", "b", "a", None, "007"]})


def _write(frame: pd.DataFrame, path):
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_read_frames_in_chunks(tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    _write(FRAME, path)
    chunks = list(read_frames(path, chunk_rows=2, text_columns=["c"]))
    assert [len(c) for c in chunks] == [2, 2, 1]
    whole = pd.concat(chunks, ignore_index=True)
    assert whole["x"].tolist()[:2] == [1.5, 2.5]
    assert whole["c"].tolist()[-1] == "007"


def test_read_frames_selects_columns(tmp_path):
    path = tmp_path / "data.parquet"
    FRAME.to_parquet(path)
    (chunk,) = read_frames(path, columns=["c"])
    assert list(chunk.columns) == ["c"]
    with pytest.raises(DriftInputError, match="has no column 'nope'"):
        list(read_frames(path, columns=["nope"]))


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("missing.csv", None, "does not exist"),
        ("empty.csv", b"", "empty (0 bytes)"),
        ("header.csv", b"x,c\n", "has no data rows"),
        ("broken.parquet", b"this is not parquet", "cannot read"),
        ("broken.jsonl", b"{not json\n", "cannot read"),
        ("data.txt", b"x\n1\n", "cannot tell the format"),
    ],
)
def test_read_frames_errors(tmp_path, name, content, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DriftInputError) as info:
        list(read_frames(path))
    assert fragment in str(info.value)
    assert name in str(info.value)


def test_read_profile_errors(tmp_path):
    path = tmp_path / "profile.json"
    path.write_text("[]")
    with pytest.raises(DriftInputError, match=r"profile\.json is not a drift profile"):
        read_profile(path)
