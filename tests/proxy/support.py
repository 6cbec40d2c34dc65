"""Talking to a running proxy: invocations and a parsed /metrics page."""

from __future__ import annotations

import http.client
import urllib.request
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def invoke(
    url: str,
    body: bytes = b"1.5,a,3\n",
    content_type: str = "text/csv",
    path: str = "/invocations",
    method: str = "POST",
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection: (status, headers, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    sent = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
    try:
        connection.request(method, path, body if method == "POST" else None, sent)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def scrape(metrics_url: str) -> Samples:
    """Every sample of the page by (name, labels)."""
    with urllib.request.urlopen(metrics_url, timeout=10) as page:
        return parse(page.read().decode())


def parse(text: str) -> Samples:
    """Every sample of a page in Prometheus's text format by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The one sample named ``name`` whose labels include ``labels`` (0 when absent)."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    assert len(found) <= 1, f"{name}{labels} matches {len(found)} samples"
    return found[0] if found else 0.0
