"""Configuration of the ``mlops-proxy`` sidecar (``python -m mlops_runtime.proxy``).

The Kubernetes components build a ``ProxyConfig`` and put ``config.to_env()`` into the sidecar's
environment (``MLOPS_RUNTIME_CONFIG``), exactly as the Lambdas receive theirs. The proxy listens
on ``port`` for the model's clients and forwards to the model container (``upstream``, the
SageMaker hosting contract: ``/ping`` and ``/invocations`` on port 8080); Prometheus scrapes
``/metrics`` on ``metrics_port`` (names in ``contract.prometheus``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mlops_runtime.contract.config import RuntimeConfig, _field, _require

DEFAULT_PORT = 8081
"""Port the proxy serves the model's clients on (the Service's target port)."""
DEFAULT_METRICS_PORT = 8090
"""Port of ``/metrics`` (the ServiceMonitor's port; never the clients')."""
UPSTREAM = "http://127.0.0.1:8080"
"""The model container in the same pod, under the SageMaker hosting contract."""
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
"""SageMaker's real-time InvokeEndpoint payload limit (6 MB)."""
INFERENCE_ID_HEADER = "X-Amzn-SageMaker-Inference-Id"
"""Request header carrying the client's inference id (``InvokeEndpoint``'s ``InferenceId``);
captured as ``eventMetadata.inferenceId``."""


@dataclass(frozen=True, kw_only=True)
class ProxyCapture:
    """Data capture in SageMaker's JSONL layout, written to an S3 API object store."""

    destination: str = _field(
        "s3://bucket/prefix (DataCaptureConfig.DestinationS3Uri); objects are written to "
        "<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl."
    )
    sampling_percent: float = _field(
        "Percent of /invocations requests captured (the spec's data_capture_percent).", 100.0
    )
    endpoint_url: str | None = _field(
        "S3 API endpoint of an S3-compatible store; null: AWS S3 (or AWS_ENDPOINT_URL_S3).", None
    )
    kms_key_id: str | None = _field(
        "KMS key for SSE-KMS on AWS S3; null: the bucket's default encryption.", None
    )
    csv_content_types: tuple[str, ...] = _field(
        "Content types captured with encoding CSV.", ("text/csv",)
    )
    json_content_types: tuple[str, ...] = _field(
        "Content types captured with encoding JSON.", ("application/json",)
    )
    queue_records: int = _field(
        "Records waiting for the writer at most; a sampled record is dropped (and counted) "
        "when the queue is full.",
        2000,
    )
    batch_records: int = _field("Records per object at most.", 500)
    flush_seconds: float = _field("Seconds a record waits at most before its object is put.", 10.0)
    max_attempts: int = _field(
        "Attempts per PutObject, the first included; then the batch is dropped and counted.", 3
    )
    seed: int | None = _field("Seed of the sampling generator (tests); null: random.", None)

    @property
    def bucket(self) -> str:
        return urlsplit(self.destination).netloc

    @property
    def prefix(self) -> str:
        """The key prefix without its trailing slash ('' for the bucket's root)."""
        return urlsplit(self.destination).path.strip("/")

    def __post_init__(self) -> None:
        _require(
            self.destination.startswith("s3://") and bool(self.bucket),
            f"destination must be s3://bucket[/prefix], got {self.destination!r}",
        )
        _require(
            0 <= self.sampling_percent <= 100,
            f"sampling_percent must be within 0..100, got {self.sampling_percent}",
        )
        _require(self.queue_records >= 1, "queue_records must be >= 1")
        _require(self.batch_records >= 1, "batch_records must be >= 1")
        _require(self.flush_seconds > 0, "flush_seconds must be > 0")
        _require(self.max_attempts >= 1, "max_attempts must be >= 1")


@dataclass(frozen=True, kw_only=True)
class ProxyConfig(RuntimeConfig):
    """Configuration of ``python -m mlops_runtime.proxy``, the model's sidecar."""

    model_id: str = _field("Model id (the mlops_model label of every series).")
    endpoint_name: str = _field("Endpoint name: the capture key's <endpoint> and a label.")
    variant_name: str = _field(
        "Variant name: the capture key's <variant> and a label.", "AllTraffic"
    )
    upstream: str = _field("Base URL of the model container.", UPSTREAM)
    port: int = _field("Port served to the model's clients.", DEFAULT_PORT)
    metrics_port: int = _field("Port of /metrics.", DEFAULT_METRICS_PORT)
    upstream_timeout_seconds: float = _field(
        "Seconds the model has to answer before the client gets 504 (SageMaker: 60).", 60.0
    )
    max_payload_bytes: int = _field(
        "Largest request body forwarded; larger ones get 413.", MAX_PAYLOAD_BYTES
    )
    latency_thresholds_ms: tuple[float, ...] = _field(
        "Latency thresholds of the model's monitors (ms); each is a histogram bucket bound "
        "besides the defaults of contract.prometheus.",
        (),
    )
    capture: ProxyCapture | None = field(
        default=None, metadata={"doc": "Data capture; null disables it."}
    )

    def __post_init__(self) -> None:
        _require(bool(self.model_id), "model_id must not be empty")
        _require(bool(self.endpoint_name), "endpoint_name must not be empty")
        _require(bool(self.variant_name), "variant_name must not be empty")
        _require(
            urlsplit(self.upstream).scheme in ("http", "https"),
            f"upstream must be an http(s) URL, got {self.upstream!r}",
        )
        for name in ("port", "metrics_port"):
            value = getattr(self, name)
            _require(0 <= value <= 65535, f"{name} must be within 0..65535, got {value}")
        _require(
            self.port != self.metrics_port or self.port == 0,
            "port and metrics_port must differ",
        )
        _require(self.upstream_timeout_seconds > 0, "upstream_timeout_seconds must be > 0")
        _require(self.max_payload_bytes >= 1, "max_payload_bytes must be >= 1")
        bad = [ms for ms in self.latency_thresholds_ms if not 0 < ms < float("inf")]
        _require(not bad, f"latency_thresholds_ms must be positive and finite, got {bad}")
