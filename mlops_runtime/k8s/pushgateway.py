"""``MetricsSink`` on a Prometheus Pushgateway: one ``PUT`` per group, replacing the group.

The gauges keep their CloudWatch names and dimensions (``mlops_runtime.contract.metrics``):
``DriftScore{Model="churn",Environment="prod"}`` is pushed as the series
``DriftScore{job="MLOps/churn",Model="churn",Environment="prod"}``. The grouping key is
``contract.pushgateway``'s (job = the namespace, then Model and Environment, each
base64url-encoded in the path so ``/`` is allowed); ``PUT`` replaces every series of the group,
so a series the run no longer publishes (a feature dropped) disappears with the old run.

The Pushgateway refuses pushed timestamps, so ``at`` is not sent: Prometheus scrapes the values
with the scrape's time and the Pushgateway records the push in ``push_time_seconds``.
Transient failures (HTTP 5xx, 429, network errors) are retried with a short backoff; other
answers fail at once with the Pushgateway's message.
"""

from __future__ import annotations

import base64
import math
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from mlops_runtime.contract import pushgateway as pg
from mlops_runtime.core.ports import Gauge, MetricsSink

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""Prometheus's text exposition format."""
NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
BACKOFF_SECONDS = 0.5

sleep: Callable[[float], None] = time.sleep
"""How the retry backoff waits (replaceable in tests)."""


class PushError(RuntimeError):
    """The Pushgateway did not accept a group."""


def _segment(value: str) -> str:
    """A grouping-key value as a path segment: unpadded base64url (``@base64``)."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def group_path(namespace: str, grouping: Sequence[tuple[str, str]]) -> str:
    """``/metrics/job@base64/<ns>/<label>@base64/<value>...`` of one group."""
    parts = [f"{pg.JOB_LABEL}@base64", _segment(namespace)]
    for label, value in grouping:
        parts += [f"{label}@base64", _segment(value)]
    return "/metrics/" + "/".join(parts)


def _value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(gauges: Sequence[Gauge], grouping: Sequence[str]) -> str:
    """The gauges in the text format, one family per name; the grouping labels are left to
    the path (the Pushgateway adds them to every series)."""
    lines: list[str] = []
    for name in sorted({g.name for g in gauges}):
        if not NAME.match(name):
            raise ValueError(f"{name!r} is not a Prometheus metric name")
        lines.append(f"# TYPE {name} gauge")
        for gauge in (g for g in gauges if g.name == name):
            labels = [(k, v) for k, v in gauge.dimensions if k not in grouping]
            bad = [k for k, _ in labels if not LABEL.match(k)]
            if bad:
                raise ValueError(f"{bad} are not Prometheus label names ({name})")
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
            lines.append(
                f"{name}{{{text}}} {_value(gauge.value)}"
                if text
                else f"{name} {_value(gauge.value)}"
            )
    return "\n".join(lines) + "\n"


class PushgatewayMetrics(MetricsSink):
    """Gauges pushed to ``url``, one group per (Model, Environment) of the gauges."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 10.0,
        max_attempts: int = 3,
        opener: Callable[..., Any] = urllib.request.urlopen,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self.opener = opener

    def publish(self, namespace: str, at: datetime, gauges: Sequence[Gauge]) -> None:
        groups: dict[tuple[tuple[str, str], ...], list[Gauge]] = {}
        for gauge in gauges:
            dims = dict(gauge.dimensions)
            missing = [k for k in pg.GROUPING if k not in dims]
            if missing:
                raise ValueError(f"gauge {gauge.name} lacks the grouping dimensions {missing}")
            groups.setdefault(tuple((k, dims[k]) for k in pg.GROUPING), []).append(gauge)
        for grouping, members in groups.items():
            self._put(group_path(namespace, grouping), exposition(members, pg.GROUPING))

    def _put(self, path: str, body: str) -> None:
        """``PUT`` one group, retrying transient failures."""
        request = urllib.request.Request(
            self.url + path,
            data=body.encode(),
            method="PUT",
            headers={"Content-Type": CONTENT_TYPE},
        )
        for attempt in range(1, self.max_attempts + 1):
            try:
                with self.opener(request, timeout=self.timeout_seconds):
                    return
            except urllib.error.HTTPError as error:
                transient = error.code >= 500 or error.code == 429
                if not transient or attempt == self.max_attempts:
                    message = error.read().decode(errors="replace").strip()[:500]
                    raise PushError(
                        f"Pushgateway answered {error.code} for {path}: {message}"
                    ) from None
            except (urllib.error.URLError, OSError) as error:
                if attempt == self.max_attempts:
                    raise PushError(
                        f"Pushgateway unreachable for {path} after {attempt} attempts: {error}"
                    ) from None
            sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))


def from_env(environ: Mapping[str, str] | None = None) -> PushgatewayMetrics | None:
    """The sink when ``contract.pushgateway.URL_ENV`` is set (Kubernetes), else None."""
    url = (os.environ if environ is None else environ).get(pg.URL_ENV)
    return PushgatewayMetrics(url) if url else None
