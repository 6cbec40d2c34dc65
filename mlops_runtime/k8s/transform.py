"""A local batch transform: SageMaker batch transform's semantics against a model server.

The model server speaks the SageMaker hosting contract (``GET /ping``, ``POST /invocations``)
at ``url`` (a native sidecar of the batch Job, or the candidate's container in the training
Job's gate). What this module does is what ``CreateTransformJob`` does for the parameters this
project uses (``mlops_spec.plan.pipelines.transform_step``, ``contract.holdout.data_processing``):

- ``SplitType: Line``: every line of an input is one record (blank lines are skipped);
  ``BatchStrategy: SingleRecord`` sends one record per request, ``MultiRecord`` as many
  whole lines as fit in ``MaxPayloadInMB`` (a record larger than that fails the transform);
  the answer to a MultiRecord request must hold one line per record sent.
- ``ContentType`` is the requests' ``Content-Type``; ``Accept``, when set, their ``Accept``.
- ``DataProcessing``: ``InputFilter`` chooses what of each record is sent, ``JoinSource:
  Input`` joins the answer to the *whole* input record (CSV: the answer's values appended
  to the row's; JSON: an object gets the answer as ``SageMakerOutput``, an array gets it
  appended), ``OutputFilter`` chooses what of that (or of the answer alone) is written.
  Filters are the JSONPath subset SageMaker documents for them: ``$``, ``.key``,
  ``['key',...]`` (several keys give an object), ``[i]``, ``[i,j:k,...]`` (slices with an
  optional start and stop; negative indices count from the end). A CSV record is the list of
  its values, a JSON record its parsed value.
- ``AssembleWith: Line``: one output line per input record, in input order. Each input
  ``<relative path>`` gives ``<relative path>.out`` (:func:`output_name`), written whole:
  :func:`transform_file` writes a temporary sibling and renames it only when every record
  was answered.
- ``ModelClientConfig``: each request waits ``invocations_timeout_seconds`` (default 600) and
  is retried ``invocations_max_retries`` times (default 3, as SageMaker) after a 5xx answer or
  a connection error, with a short exponential pause. A 4xx answer fails at once
  (:class:`ModelClientError`): the request is wrong, sending it again changes nothing.

The input is streamed: only one request's records (at most ``MaxPayloadInMB``) are in memory.
Standard library only (``http.client``): this runs in the runtime image and the gate's Job.

API::

    spec = TransformSpec(content_type="text/csv", batch_strategy="MultiRecord", max_payload_mb=6)
    client = ModelClient("http://127.0.0.1:8080")
    client.wait_ready(deadline_seconds=600)          # GET /ping until 200, else TransformError
    records = transform_file(client, spec, Path("in/a.csv"), Path("out/a.csv.out"))
    counts = transform_dir(client, spec, Path("in"), Path("out"))   # every file, same layout
    transform_lines(client, spec, lines, write)      # the streaming core (bytes lines in)
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SUFFIX = ".out"
"""Batch transform names each output ``<input name>.out``."""
CSV_TYPES = frozenset({"text/csv"})
JSON_TYPES = frozenset({"application/json", "application/jsonlines", "application/x-jsonlines"})
JOIN_KEY = "SageMakerOutput"
"""Where a JSON object record receives the answer (``JoinSource: Input``)."""
MB = 1024 * 1024


class TransformError(RuntimeError):
    """The transform cannot complete (the message says which input, which record, why)."""


class ModelClientError(TransformError):
    """The model server refused a request (4xx): retrying would not help."""


@dataclass(frozen=True)
class TransformSpec:
    """The CreateTransformJob parameters this transform honours (SageMaker's names)."""

    content_type: str = "text/csv"
    accept: str | None = None
    batch_strategy: Literal["SingleRecord", "MultiRecord"] = "MultiRecord"
    max_payload_mb: int = 6
    input_filter: str | None = None
    join_source: Literal["None", "Input"] = "None"
    output_filter: str | None = None
    invocations_timeout_seconds: float = 600.0
    invocations_max_retries: int = 3

    def __post_init__(self) -> None:
        if self.batch_strategy not in ("SingleRecord", "MultiRecord"):
            raise ValueError(f"batch_strategy must be SingleRecord or MultiRecord, got "
                             f"{self.batch_strategy!r}")  # fmt: skip
        if self.join_source not in ("None", "Input"):
            raise ValueError(f"join_source must be None or Input, got {self.join_source!r}")
        if not 1 <= self.max_payload_mb <= 100:
            raise ValueError(f"max_payload_mb must be 1-100, got {self.max_payload_mb}")
        if not 0 <= self.invocations_max_retries <= 3:
            raise ValueError("invocations_max_retries must be 0-3 (ModelClientConfig)")
        processing = self.input_filter or self.output_filter or self.join_source == "Input"
        if processing and _family(self.content_type) is None:
            raise ValueError(
                f"DataProcessing needs CSV or JSON records, got content type {self.content_type!r}"
            )
        for path in (self.input_filter, self.output_filter):
            if path is not None:
                parse_path(path)

    @classmethod
    def from_data_processing(cls, data_processing: dict[str, str], **fields: Any) -> TransformSpec:
        """A spec from a ``DataProcessing`` mapping (``contract.holdout.data_processing``)."""
        return cls(
            input_filter=data_processing.get("InputFilter"),
            join_source=data_processing.get("JoinSource", "None"),  # type: ignore[arg-type]
            output_filter=data_processing.get("OutputFilter"),
            **fields,
        )

    @property
    def processes(self) -> bool:
        """Records are parsed (a filter or a join is set); else bytes pass through."""
        return bool(self.input_filter or self.output_filter or self.join_source == "Input")


def _family(content_type: str | None) -> str | None:
    """``csv``, ``json`` or None for a media type (parameters ignored)."""
    if content_type is None:
        return None
    base = content_type.split(";", 1)[0].strip().lower()
    return "csv" if base in CSV_TYPES else "json" if base in JSON_TYPES else None


# --- JSONPath subset ------------------------------------------------------------------------

_SEGMENT = re.compile(r"\.([A-Za-z_][\w-]*)|\[([^\]]*)\]")
_INDEX = re.compile(r"^\s*(-?\d+)?\s*(:)?\s*(-?\d+)?\s*$")
_KEY = re.compile(r"""^\s*(?:'([^']*)'|"([^"]*)")\s*$""")


@dataclass(frozen=True)
class _Segment:
    keys: tuple[str, ...] = ()
    items: tuple[int | slice, ...] = ()
    single: bool = False
    """One key or one index: the value itself, not a list/object of one."""


def parse_path(path: str) -> tuple[_Segment, ...]:
    """The segments of a JSONPath of the supported subset (ValueError otherwise)."""
    if not path.startswith("$"):
        raise ValueError(f"a JSONPath starts with $: {path!r}")
    segments, position = [], 1
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r} at {path[position:]!r}")
        segments.append(_segment(match.group(1), match.group(2), path))
        position = match.end()
    return tuple(segments)


def _segment(name: str | None, bracket: str | None, path: str) -> _Segment:
    if name is not None:
        return _Segment(keys=(name,), single=True)
    parts = (bracket or "").split(",")
    keys = [_KEY.match(p) for p in parts]
    if all(keys):
        found = tuple(m.group(1) if m.group(1) is not None else m.group(2) for m in keys if m)
        return _Segment(keys=found, single=len(found) == 1)
    items: list[int | slice] = []
    for part in parts:
        index = _INDEX.match(part)
        if index is None or not (index.group(1) or index.group(2) or index.group(3)):
            raise ValueError(f"unsupported JSONPath {path!r}: [{bracket}]")
        start, colon, stop = index.groups()
        items.append(
            slice(_int(start), _int(stop)) if colon else int(start)  # type: ignore[arg-type]
        )
    return _Segment(items=tuple(items), single=len(items) == 1 and isinstance(items[0], int))


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


def select(path: str | tuple[_Segment, ...], value: Any) -> Any:
    """``value`` filtered by a JSONPath (KeyError/IndexError/TypeError when it does not fit)."""
    segments = parse_path(path) if isinstance(path, str) else path
    for segment in segments:
        value = _apply(segment, value)
    return value


def _apply(segment: _Segment, value: Any) -> Any:
    if segment.keys:
        if not isinstance(value, dict):
            raise TypeError(f"keys {list(segment.keys)} select from an object, got {value!r:.80}")
        if segment.single:
            return value[segment.keys[0]]
        return {key: value[key] for key in segment.keys}
    if not isinstance(value, list):
        raise TypeError(f"indices select from an array, got {value!r:.80}")
    if segment.single:
        return value[segment.items[0]]  # type: ignore[index]
    picked: list[Any] = []
    for item in segment.items:
        picked += value[item] if isinstance(item, slice) else [value[item]]
    return picked


# --- records ---------------------------------------------------------------------------------


def _parse(family: str, text: str) -> Any:
    if family == "csv":
        return next(csv.reader([text]), [])
    return json.loads(text)


def _dump(family: str, value: Any) -> str:
    if family == "json":
        return json.dumps(value, separators=(",", ":"))
    values = value if isinstance(value, list) else [value]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(
        [json.dumps(v) if isinstance(v, dict | list) else v for v in values]
    )
    return buffer.getvalue()


def _joined(family: str, record: Any, answer: Any) -> Any:
    if family == "csv":
        return [*record, *(answer if isinstance(answer, list) else [answer])]
    if isinstance(record, dict):
        return {**record, JOIN_KEY: answer}
    if isinstance(record, list):
        return [*record, answer]
    raise TypeError("JoinSource Input joins to a JSON object or array record")


@dataclass(frozen=True)
class _Plan:
    """A spec's processing, parsed once."""

    family: str | None
    answer_family: str | None
    input_filter: tuple[_Segment, ...] | None
    output_filter: tuple[_Segment, ...] | None
    join: bool

    @classmethod
    def of(cls, spec: TransformSpec) -> _Plan:
        family = _family(spec.content_type)
        return cls(
            family=family,
            answer_family=_family(spec.accept) or family,
            input_filter=parse_path(spec.input_filter) if spec.input_filter else None,
            output_filter=parse_path(spec.output_filter) if spec.output_filter else None,
            join=spec.join_source == "Input",
        )

    def request(self, line: bytes) -> bytes:
        """What is sent for one input record."""
        if self.input_filter is None or self.family is None:
            return line
        value = select(self.input_filter, _parse(self.family, _text(line)))
        return _dump(self.family, value).encode()

    def output(self, line: bytes, answer: bytes) -> bytes:
        """The output line of one record and its answer."""
        if not (self.join or self.output_filter) or self.family is None:
            return answer
        assert self.answer_family is not None
        value = _parse(self.answer_family, _text(answer))
        if self.join:
            value = _joined(self.family, _parse(self.family, _text(line)), value)
        if self.output_filter is not None:
            value = select(self.output_filter, value)
        return _dump(self.family if self.join else self.answer_family, value).encode()


def _text(data: bytes) -> str:
    return data.decode("utf-8")


# --- the model client ------------------------------------------------------------------------


class ModelClient:
    """Requests to one model server, on a kept-alive connection, retried as SageMaker does."""

    def __init__(self, url: str, *, backoff_seconds: float = 0.2) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"the model server URL must be http://host[:port], got {url!r}")
        self.url = url
        self._host, self._port = parsed.hostname, parsed.port or 80
        self._base = parsed.path.rstrip("/")
        self._backoff = backoff_seconds
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def wait_ready(self, deadline_seconds: float = 600.0, interval_seconds: float = 1.0) -> None:
        """Return once ``GET /ping`` answers 200; TransformError after ``deadline_seconds``."""
        deadline = time.monotonic() + deadline_seconds
        last = "no answer"
        while True:
            try:
                status, _ = self._send("GET", "/ping", None, {}, timeout=interval_seconds + 5)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except (OSError, http.client.HTTPException) as error:
                last = f"{type(error).__name__}: {error}"
            if time.monotonic() >= deadline:
                raise TransformError(
                    f"the model server at {self.url} did not answer /ping with 200 within "
                    f"{deadline_seconds:g} s (last: {last})"
                )
            time.sleep(interval_seconds)

    def invoke(self, body: bytes, spec: TransformSpec) -> bytes:
        """``POST /invocations``; retried after 5xx or connection errors, 4xx raised."""
        headers = {"Content-Type": spec.content_type}
        if spec.accept:
            headers["Accept"] = spec.accept
        attempts = 1 + spec.invocations_max_retries
        for attempt in range(1, attempts + 1):
            try:
                status, answer = self._send(
                    "POST", "/invocations", body, headers, spec.invocations_timeout_seconds
                )
            except (OSError, http.client.HTTPException) as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                if 200 <= status < 300:
                    return answer
                if 400 <= status < 500:
                    raise ModelClientError(f"the model server refused a request: HTTP {status} "
                                           f"{_excerpt(answer)}")  # fmt: skip
                problem = f"HTTP {status} {_excerpt(answer)}"
            if attempt < attempts:
                time.sleep(min(self._backoff * 2 ** (attempt - 1), 5.0))
        raise TransformError(f"the model server failed {attempts} attempts (last: {problem})")

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str], timeout: float
    ) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        self._connection.timeout = timeout
        if self._connection.sock is not None:
            self._connection.sock.settimeout(timeout)
        try:
            self._connection.request(method, self._base + path, body=body, headers=headers)
            response = self._connection.getresponse()
            data = response.read()
        except BaseException:
            self.close()  # a fresh connection for the retry
            raise
        if response.will_close:
            self.close()
        return response.status, data

    def __enter__(self) -> ModelClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _excerpt(data: bytes) -> str:
    return repr(data[:200].decode("utf-8", "replace"))


# --- the transform ---------------------------------------------------------------------------


def _records(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, record without its line break), blank lines skipped."""
    for number, line in enumerate(lines, start=1):
        record = line.rstrip(b"\r\n")
        if record.strip():
            yield number, record


def _batches(
    records: Iterator[tuple[int, bytes]], plan: _Plan, spec: TransformSpec
) -> Iterator[list[tuple[int, bytes, bytes]]]:
    """Lists of (line number, record, request record) of at most MaxPayloadInMB each."""
    limit = spec.max_payload_mb * MB
    batch: list[tuple[int, bytes, bytes]] = []
    size = 0
    for number, record in records:
        try:
            sent = plan.request(record)
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise TransformError(
                f"line {number}: cannot apply the InputFilter to the record {_excerpt(record)} "
                f"({type(error).__name__}: {error})"
            ) from None
        if len(sent) + 1 > limit:
            raise TransformError(f"line {number}: the record has {len(sent)} bytes, more than "
                                 f"MaxPayloadInMB ({spec.max_payload_mb} MB)")  # fmt: skip
        if batch and (spec.batch_strategy == "SingleRecord" or size + len(sent) + 1 > limit):
            yield batch
            batch, size = [], 0
        batch.append((number, record, sent))
        size += len(sent) + 1
    if batch:
        yield batch


def _answers(answer: bytes, count: int, plan: _Plan, first_line: int) -> list[bytes]:
    """One answer per record sent (a MultiRecord answer split by line)."""
    body = answer.rstrip(b"\r\n")
    lines = [line.rstrip(b"\r") for line in body.split(b"\n")] if count > 1 else [body]
    if count == 1 and b"\n" in body:
        lines = [_one_line(body, plan, first_line)]
    if len(lines) != count:
        raise TransformError(
            f"lines {first_line}..: {count} records were sent in one request and the answer "
            f"holds {len(lines)} lines (one line per record is needed)"
        )
    return lines


def _one_line(body: bytes, plan: _Plan, line: int) -> bytes:
    """A one-record answer spanning lines: compact JSON, else an error (AssembleWith Line)."""
    if plan.answer_family == "json":
        try:
            return json.dumps(json.loads(body), separators=(",", ":")).encode()
        except ValueError:
            pass
    raise TransformError(f"line {line}: the answer spans several lines; one line per record is "
                         "needed to assemble the output by line")  # fmt: skip


def transform_lines(
    client: ModelClient, spec: TransformSpec, lines: Iterable[bytes], write: Callable[[bytes], Any]
) -> int:
    """Send every record of ``lines`` (bytes, with or without line breaks) and ``write`` one
    output line (ending in a newline) per record, in order; the number of records."""
    plan = _Plan.of(spec)
    written = 0
    for batch in _batches(_records(lines), plan, spec):
        first, last = batch[0][0], batch[-1][0]
        body = b"".join(sent + b"\n" for _, _, sent in batch)
        try:
            answer = client.invoke(body, spec)
        except TransformError as error:
            span = f"line {first}" if first == last else f"lines {first}-{last}"
            raise type(error)(f"{span}: {error}") from None
        for (number, record, _), one in zip(batch, _answers(answer, len(batch), plan, first),
                                            strict=True):  # fmt: skip
            write(_output(plan, record, one, number) + b"\n")
        written += len(batch)
    return written


def _output(plan: _Plan, record: bytes, answer: bytes, number: int) -> bytes:
    try:
        return plan.output(record, answer)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise TransformError(
            f"line {number}: cannot apply DataProcessing to the record {_excerpt(record)} and "
            f"its answer {_excerpt(answer)} ({type(error).__name__}: {error})"
        ) from None


def output_name(relative: str) -> str:
    """The output of input ``<relative>``: ``<relative>.out`` (batch transform's name)."""
    return relative + SUFFIX


def transform_file(client: ModelClient, spec: TransformSpec, source: Path, target: Path) -> int:
    """Transform ``source`` into ``target`` (written to a temporary sibling, renamed when
    complete; nothing at ``target`` on failure); the number of records."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with source.open("rb") as lines, partial.open("wb") as out:
            count = transform_lines(client, spec, lines, out.write)
        os.replace(partial, target)
    except TransformError as error:
        raise type(error)(f"{source}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return count


def inputs(root: Path) -> list[Path]:
    """Files under ``root`` in path order; hidden and ``_``-prefixed ones skipped."""
    return [
        path
        for path in sorted(p for p in root.rglob("*") if p.is_file())
        if not any(part.startswith((".", "_")) for part in path.relative_to(root).parts)
    ]


def transform_dir(
    client: ModelClient, spec: TransformSpec, input_dir: Path, output_dir: Path
) -> dict[str, int]:
    """Every input file under ``input_dir`` -> ``output_dir/<relative path>.out`` (the
    layout of an S3Prefix transform); records per relative path. An empty input is an error."""
    found = inputs(input_dir)
    if not found:
        raise TransformError(f"no input files under {input_dir}")
    counts = {}
    for path in found:
        relative = path.relative_to(input_dir).as_posix()
        counts[relative] = transform_file(client, spec, path, output_dir / output_name(relative))
    return counts
