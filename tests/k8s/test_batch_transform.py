"""mlops_runtime.k8s.transform against a real local model server (threads, HTTP).

The semantics are SageMaker batch transform's for what the project uses: split by line,
Single/MultiRecord within MaxPayloadInMB, DataProcessing (the gate's filters and join, read
back by the AWS evaluation's own reader), outputs ``<name>.out`` one line per record in order,
retries on 5xx and dropped connections, 4xx failing at once, and the /ping wait.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from mlops_runtime.contract.holdout import CSV, JSONL, data_processing
from mlops_runtime.jobs import transform_output
from mlops_runtime.k8s import transform as t
from tests.k8s.batch_stub import StubState, serving

ROWS = [(1.5, 2.0, 3.0), (0.25, 0.5, 4.0), (10.0, -1.0, 2.0)]


def _csv(rows: Sequence[tuple[float, ...]]) -> str:
    return "".join(",".join(f"{v:g}" for v in row) + "\n" for row in rows)


def _client(url: str) -> t.ModelClient:
    return t.ModelClient(url, backoff_seconds=0.01)


def test_multirecord_csv_one_answer_per_line_in_order(tmp_path: Path) -> None:
    source = tmp_path / "in" / "day=1" / "part-0.csv"
    source.parent.mkdir(parents=True)
    rows = [(float(i), 1.0, 2.0) for i in range(500)]
    source.write_text(_csv(rows) + "\n")  # a trailing blank line is no record
    with serving() as (url, state), _client(url) as client:
        counts = t.transform_dir(client, t.TransformSpec(), tmp_path / "in", tmp_path / "out")
    out = tmp_path / "out" / "day=1" / "part-0.csv.out"
    assert counts == {"day=1/part-0.csv": 500}
    assert out.read_text().splitlines() == [f"{i + 3.0:g}" for i in range(500)]
    assert len(state.invocations()) == 1  # 500 short lines fit one 6 MB request
    assert state.invocations()[0][1]["Content-Type"] == "text/csv"
    assert not list((tmp_path / "out").rglob(".*"))  # no temporary left


def test_multirecord_splits_at_max_payload(tmp_path: Path) -> None:
    wide = tuple(float(i % 7) for i in range(40_000))  # 80,000 bytes a line with its break
    source = tmp_path / "wide.csv"
    source.write_text(_csv([wide] * 20))
    spec = t.TransformSpec(max_payload_mb=1)
    with serving() as (url, state), _client(url) as client:
        assert t.transform_file(client, spec, source, tmp_path / "wide.csv.out") == 20
    sizes = [len(body) for _, _, body in state.invocations()]
    assert sizes == [13 * 80_000, 7 * 80_000]  # as many whole lines as fit in 1 MiB
    assert (tmp_path / "wide.csv.out").read_text().splitlines() == [f"{sum(wide):g}"] * 20


def test_single_record_sends_one_line_per_request(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(_csv(ROWS))
    spec = t.TransformSpec(batch_strategy="SingleRecord", accept="text/csv")
    with serving() as (url, state), _client(url) as client:
        t.transform_file(client, spec, source, tmp_path / "a.csv.out")
    bodies = [body for _, _, body in state.invocations()]
    assert bodies == [line.encode() + b"\n" for line in _csv(ROWS).splitlines()]
    assert all(h["Accept"] == "text/csv" for _, h, _ in state.invocations())
    assert (tmp_path / "a.csv.out").read_text().splitlines() == ["6.5", "4.75", "11"]


def test_gate_csv_data_processing_reads_back_with_the_evaluation_reader(tmp_path: Path) -> None:
    prepared, predictions = tmp_path / "holdout", tmp_path / "predictions"
    prepared.mkdir()
    labels = ["1", "0", "1"]
    (prepared / "part-0.csv").write_text(
        "".join(
            f"{label},{','.join(f'{v:g}' for v in row)}\n"
            for label, row in zip(labels, ROWS, strict=True)
        )
    )
    spec = t.TransformSpec.from_data_processing(
        data_processing(CSV, 3), content_type=CSV, accept=CSV
    )
    with serving() as (url, state), _client(url) as client:
        t.transform_dir(client, spec, prepared, predictions)
    sent = state.invocations()[0][2].decode().splitlines()
    assert sent == ["1.5,2,3", "0.25,0.5,4", "10,-1,2"]  # InputFilter $[1:]: no label
    assert (predictions / "part-0.csv.out").read_text().splitlines() == ["1,6.5", "0,4.75", "1,11"]
    scored = transform_output.read(CSV, "probability", prepared, predictions)
    assert scored.labels == labels and scored.values == [["6.5"], ["4.75"], ["11"]]


def test_gate_jsonlines_data_processing_reads_back_with_the_evaluation_reader(
    tmp_path: Path,
) -> None:
    prepared, predictions = tmp_path / "holdout", tmp_path / "predictions"
    prepared.mkdir()
    records = [{"label": i % 2, "features": list(row)} for i, row in enumerate(ROWS)]
    (prepared / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    spec = t.TransformSpec.from_data_processing(
        data_processing(JSONL, 3), content_type=JSONL, accept=JSONL
    )
    with serving() as (url, state), _client(url) as client:
        t.transform_dir(client, spec, prepared, predictions)
    sent = [json.loads(x) for x in state.invocations()[0][2].decode().splitlines()]
    assert sent == [list(row) for row in ROWS]  # InputFilter $.features
    lines = [json.loads(x) for x in (predictions / "p.jsonl.out").read_text().splitlines()]
    assert lines == [
        {"label": 0, "SageMakerOutput": {"score": 6.5}},
        {"label": 1, "SageMakerOutput": {"score": 4.75}},
        {"label": 0, "SageMakerOutput": {"score": 11.0}},
    ]
    scored = transform_output.read(JSONL, "probability", prepared, predictions)
    assert scored.labels == [0, 1, 0] and scored.values == [[6.5], [4.75], [11.0]]


def test_retries_5xx_and_dropped_connections(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(_csv(ROWS))
    spec = t.TransformSpec(batch_strategy="SingleRecord")
    state = StubState(fail=[503, "drop", 500])
    with serving(state) as (url, _), _client(url) as client:
        t.transform_file(client, spec, source, tmp_path / "a.csv.out")
    assert len(state.invocations()) == 3 + 3  # three failures retried, three records
    assert (tmp_path / "a.csv.out").read_text().splitlines() == ["6.5", "4.75", "11"]


def test_a_server_failing_past_the_retries_leaves_no_output(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(_csv(ROWS))
    spec = t.TransformSpec(batch_strategy="SingleRecord", invocations_max_retries=2)
    state = StubState(fail=[None, 500, 502, 503])  # line 1 answered, line 2 fails 3 times
    with (
        serving(state) as (url, _),
        _client(url) as client,
        pytest.raises(
            t.TransformError,
            match=r"a\.csv: line 2: the model server failed 3 attempts \(last: HTTP 503",
        ),
    ):
        t.transform_file(client, spec, source, tmp_path / "a.csv.out")
    assert len(state.invocations()) == 4
    assert list(tmp_path.iterdir()) == [source]  # neither the output nor a temporary


def test_4xx_fails_at_once(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(_csv(ROWS))
    with (
        serving(StubState(always=415)) as (url, state),
        _client(url) as client,
        pytest.raises(t.ModelClientError, match="refused a request: HTTP 415"),
    ):
        t.transform_file(client, t.TransformSpec(), source, tmp_path / "a.csv.out")
    assert len(state.invocations()) == 1


def test_waits_for_ping_then_gives_up_at_the_deadline() -> None:
    with serving(StubState(ready_after=0.6)) as (url, state), _client(url) as client:
        client.wait_ready(deadline_seconds=10, interval_seconds=0.1)
        pings = [path for path, _, _ in state.requests if path == "/ping"]
        assert len(pings) > 1  # 503 first: asked again until ready
    with (
        serving(StubState(ready_after=60)) as (url, _),
        _client(url) as client,
        pytest.raises(t.TransformError, match=r"did not answer /ping with 200 within 0\.5 s"),
    ):
        client.wait_ready(deadline_seconds=0.5, interval_seconds=0.1)
    with _client("http://127.0.0.1:9") as client, pytest.raises(t.TransformError, match="last: "):
        client.wait_ready(deadline_seconds=0.3, interval_seconds=0.1)


def test_input_is_streamed(tmp_path: Path) -> None:
    pulled = 0

    def lines() -> Iterator[bytes]:
        nonlocal pulled
        for i in range(3000):
            pulled += 1
            yield f"{i},1\n".encode()

    seen: list[int] = []
    out: list[bytes] = []
    spec = t.TransformSpec(batch_strategy="SingleRecord")
    with serving() as (url, _state), _client(url) as client:
        original = client.invoke

        def invoke(body: bytes, s: t.TransformSpec) -> bytes:
            seen.append(pulled)
            return original(body, s)

        client.invoke = invoke  # type: ignore[method-assign,assignment]
        assert t.transform_lines(client, spec, lines(), out.append) == 3000
    assert seen[0] <= 2 and seen[-1] == 3000  # a record is sent before the next is read
    assert out[:2] == [b"1\n", b"2\n"] and len(out) == 3000


def test_refusals(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("1,2\n" + "9," * 700_000 + "9\n")
    with (
        serving() as (url, _),
        _client(url) as client,
        pytest.raises(t.TransformError, match=r"line 2: the record has .* MaxPayloadInMB"),
    ):
        t.transform_file(client, t.TransformSpec(max_payload_mb=1), source, tmp_path / "o")
    assert not (tmp_path / "o").exists()
    with pytest.raises(ValueError, match="DataProcessing needs CSV or JSON"):
        t.TransformSpec(content_type="application/x-npy", input_filter="$[1:]")
    with pytest.raises(ValueError, match="unsupported JSONPath"):
        t.TransformSpec(input_filter="$..features")
    with pytest.raises(ValueError, match="0-3"):
        t.TransformSpec(invocations_max_retries=5)


def test_a_record_the_filters_do_not_fit_fails_with_its_line(tmp_path: Path) -> None:
    source = tmp_path / "a.jsonl"
    source.write_text('{"features": [1, 2]}\n{"label": 1}\n')
    spec = t.TransformSpec.from_data_processing(data_processing(JSONL, 2), content_type=JSONL)
    refused = pytest.raises(t.TransformError, match=r"line 2: cannot apply the InputFilter")
    with serving() as (url, state), _client(url) as client, refused:
        t.transform_file(client, spec, source, tmp_path / "a.jsonl.out")
    assert not (tmp_path / "a.jsonl.out").exists() and state.invocations() == []


def test_multirecord_answer_with_the_wrong_number_of_lines_fails(tmp_path: Path) -> None:
    class Short(t.ModelClient):
        def invoke(self, body: bytes, spec: t.TransformSpec) -> bytes:
            return b"1\n"

    source = tmp_path / "a.csv"
    source.write_text(_csv(ROWS))
    with pytest.raises(t.TransformError, match=r"3 records were sent .* holds 1 lines"):
        t.transform_file(Short("http://127.0.0.1:9"), t.TransformSpec(), source, tmp_path / "o")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("$", [1, 2], [1, 2]),
        ("$[1:]", ["l", "a", "b"], ["a", "b"]),
        ("$[0,4:]", ["l", "a", "b", "c", "p", "q"], ["l", "p", "q"]),
        ("$[0,-1]", ["l", "a", "p"], ["l", "p"]),
        ("$[1]", ["l", "a"], "a"),
        ("$[:2]", ["l", "a", "b"], ["l", "a"]),
        ("$.features", {"features": [1, 2], "label": 0}, [1, 2]),
        (
            "$['label','SageMakerOutput']",
            {"label": 0, "x": 1, "SageMakerOutput": 2},
            {"label": 0, "SageMakerOutput": 2},
        ),
        ('$["a"].b[0]', {"a": {"b": [7, 8]}}, 7),
    ],
)
def test_jsonpath_subset(path: str, value: object, expected: object) -> None:
    assert t.select(path, value) == expected
