"""The training Job of a gated model, played around the real register container: what
``fetch-inputs`` and ``train`` leave in ``/opt/ml``, and the candidate's model server.

``model_server`` is the sidecar ``model`` (the training image with argument ``serve``): a real
HTTP server on 127.0.0.1 speaking SageMaker's hosting contract that loads ``model.joblib`` from
the model directory ``train`` wrote, as a scikit-learn serving container's ``model_fn`` does,
and answers ``/invocations`` per the spec's ``training.evaluation.output``: the predicted label,
the positive class's probability or every class's, one line per row, in CSV or JSON Lines
(``json_answer`` shapes a JSON answer: a value, a list, or an object holding it).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from runtime_support import FEATURES, customers
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = [name for name, kind in FEATURES.items() if kind == "numeric"]
LABEL = "churned"


def churn_data(rows: int, seed: int) -> pd.DataFrame:
    """Customers with a label that depends on them (a model can learn it)."""
    frame = customers(rows, seed)
    logit = (
        -0.15 * (frame["tenure"] - 24)
        + 0.12 * (frame["spend"] - 50)
        + 0.5 * (frame["calls"] - 3)
        + np.where(frame["plan"] == "basic", 1.0, -0.5)
    )
    frame[LABEL] = (np.random.default_rng(seed).random(rows) < 1 / (1 + np.exp(-logit))) * 1
    return frame


def train(classifier: Any, data: pd.DataFrame) -> Any:
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
        ]
    )
    return make_pipeline(prep, classifier).fit(data[list(FEATURES)], data[LABEL])


@dataclass
class Served:
    """What the model server saw: each request's headers and row count."""

    requests: list[tuple[dict[str, str], int]] = field(default_factory=list)


def _answers(model: Any, rows: pd.DataFrame, output: str) -> list[Any]:
    if output == "label":
        return [v.item() if hasattr(v, "item") else v for v in model.predict(rows)]
    probabilities = model.predict_proba(rows)
    if output == "probability":
        return [float(p) for p in probabilities[:, 1]]
    return [[float(p) for p in row] for row in probabilities]


def _rows(body: str, content_type: str) -> pd.DataFrame:
    lines = [line for line in body.split("\n") if line.strip()]
    if content_type == "text/csv":
        values = [next(csv.reader([line])) for line in lines]
    else:
        values = [json.loads(line) for line in lines]
    frame = pd.DataFrame(values, columns=list(FEATURES))
    frame[NUMERIC] = frame[NUMERIC].astype(float)
    return frame


def _encode(answers: list[Any], accept: str, json_answer: Callable[[Any], Any]) -> bytes:
    if accept == "text/csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for answer in answers:
            writer.writerow(answer if isinstance(answer, list) else [answer])
        return buffer.getvalue().encode()
    return "".join(json.dumps(json_answer(a)) + "\n" for a in answers).encode()


def _handler(model_dir: Path, output: str, json_answer: Callable[[Any], Any], served: Served):
    model = joblib.load(model_dir / "model.joblib")  # model_fn: what train wrote

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(200 if self.path == "/ping" else 404, b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            content_type = self.headers.get("Content-Type", "")
            if self.path != "/invocations" or content_type not in (
                "text/csv",
                "application/jsonlines",
            ):
                self._answer(415, b"unsupported")
                return
            rows = _rows(body, content_type)
            served.requests.append((dict(self.headers), len(rows)))
            answers = _answers(model, rows, output)
            accept = self.headers.get("Accept", content_type)
            self._answer(200, _encode(answers, accept, json_answer))

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def model_server(
    model_dir: Path, output: str, json_answer: Callable[[Any], Any] = lambda value: value
) -> Iterator[tuple[str, Served]]:
    """The candidate's model server on 127.0.0.1 (a free port): (its URL, what it served)."""
    served = Served()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model_dir, output, json_answer, served))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def trained_opt_ml(root: Path, classifier: Any, seed: int = 21) -> Any:
    """``/opt/ml`` as ``fetch-inputs`` and ``train`` leave it: the training channel's data and
    the model's files; the fitted model."""
    data = churn_data(1500, seed)
    folder = root / "input" / "data" / "customer-events"
    folder.mkdir(parents=True, exist_ok=True)
    data.to_parquet(folder / "part-0.parquet")
    fitted = train(classifier, data)
    (root / "model").mkdir(parents=True, exist_ok=True)
    joblib.dump(fitted, root / "model" / "model.joblib")
    return fitted
