"""The proxy's configuration (what the Kubernetes components write) and its S3 calls."""

from __future__ import annotations

import re

import botocore.session
import pytest
from botocore.stub import Stubber

from mlops_runtime.contract import prometheus as names
from mlops_runtime.contract.config import ConfigError
from mlops_runtime.contract.proxy import ProxyCapture, ProxyConfig
from mlops_runtime.proxy.store import S3Store

MINIMAL = {"model_id": "churn", "endpoint_name": "churn-dev"}


def test_the_environment_round_trip_keeps_every_field():
    config = ProxyConfig(
        model_id="churn",
        endpoint_name="churn-dev",
        latency_thresholds_ms=(250.0,),
        capture=ProxyCapture(destination="s3://bucket/capture", sampling_percent=12.5),
    )
    assert ProxyConfig.from_env(config.to_env()) == config
    assert config.capture is not None
    assert (config.capture.bucket, config.capture.prefix) == ("bucket", "capture")
    assert ProxyCapture(destination="s3://bucket").prefix == ""


def test_defaults_are_the_hosting_contract():
    config = ProxyConfig.from_dict(MINIMAL)
    assert config.upstream == "http://127.0.0.1:8080"
    assert (config.port, config.metrics_port) == (8081, 8090)
    assert config.variant_name == "AllTraffic"
    assert config.capture is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model_id": ""}, "model_id must not be empty"),
        ({"metrics_port": 8081}, "port and metrics_port must differ"),
        ({"port": 70000}, "port must be within 0..65535"),
        ({"upstream": "127.0.0.1:8080"}, "upstream must be an http(s) URL"),
        ({"latency_thresholds_ms": [0]}, "latency_thresholds_ms must be positive"),
        ({"capture": {"destination": "bucket/x"}}, "destination must be s3://bucket"),
        (
            {"capture": {"destination": "s3://b", "sampling_percent": 101}},
            "sampling_percent must be within 0..100",
        ),
        ({"capture": {"destination": "s3://b", "sample": 5}}, "unknown field(s) ['sample']"),
        ({"listen": 1}, "unknown field(s) ['listen']"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(change: dict, message: str):
    with pytest.raises(ConfigError, match=re.escape(message)):
        ProxyConfig.from_dict({**MINIMAL, **change})


def test_bucket_bounds_are_the_defaults_plus_every_threshold_in_seconds():
    bounds = names.latency_buckets_seconds([250.0, 333.0, 5.0])
    assert bounds == tuple(sorted(bounds))
    assert 0.333 in bounds and 0.25 in bounds
    assert len(bounds) == len(names.DEFAULT_LATENCY_BUCKETS_MS) + 1  # 250 and 5 are defaults
    with pytest.raises(ValueError, match="positive and finite"):
        names.latency_buckets_seconds([-1.0])


def test_no_label_clashes_with_what_the_prometheus_operator_sets_on_a_target():
    operator = {"namespace", "pod", "service", "endpoint", "job", "instance", "container"}
    ours = {*names.CONSTANT_LABELS, names.CODE_LABEL, names.REASON_LABEL}
    assert not ours & operator


@pytest.mark.parametrize("kms", [None, "arn:aws:kms:eu-west-1:123456789012:key/abc"])
def test_put_object_calls_match_the_s3_service_model(kms: str | None):
    client = botocore.session.get_session().create_client(
        "s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    store = S3Store(ProxyCapture(destination="s3://bucket/p", kms_key_id=kms), client=client)
    expected = {
        "Bucket": "bucket",
        "Key": "p/e/v/2026/01/01/00/x.jsonl",
        "Body": b"{}\n",
        "ContentType": "application/jsonlines",
    }
    if kms:
        expected |= {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms}
    with Stubber(client) as stubber:  # validates the parameters against the service model
        stubber.add_response("put_object", {}, expected)
        store.put("p/e/v/2026/01/01/00/x.jsonl", b"{}\n")
        stubber.assert_no_pending_responses()
