"""Storage plan: buckets, encryption, lifecycle, policies, the key and data locations."""

from __future__ import annotations

import json

import pytest

from mlops_spec.plan.documents import KEY_ARN, Condition, PolicyDocument
from tests.plan.conftest import example, full


def _sids(document: object) -> set[str]:
    return {s.sid for s in document.statements}  # type: ignore[attr-defined]


def test_buckets_of_churn() -> None:
    storage = example("churn", "dev").storage
    assert [b.key for b in storage.buckets] == [
        "logs",
        "artifacts",
        "capture",
        "reports",
        "data-churn-labels",
        "data-customer-events",
        "data-customer-events-holdout",
    ]
    assert storage.bucket("artifacts").name == "acme-churn-dev-artifacts-eu-west-1"
    assert all(b.versioning for b in storage.buckets)


def test_only_the_log_bucket_uses_sse_s3_and_it_logs_nowhere() -> None:
    storage = full().storage
    logs = storage.bucket("logs")
    assert (logs.kms, logs.access_log_prefix) == (False, None)
    for bucket in storage.buckets[1:]:
        assert bucket.kms and bucket.access_log_prefix == f"{bucket.name}/"


def test_policies_deny_insecure_transport_and_foreign_keys() -> None:
    storage = full().storage
    for bucket in storage.buckets:
        tls = next(s for s in bucket.policy.statements if s.sid == "DenyInsecureTransport")
        assert tls.effect == "Deny" and tls.resources == (bucket.arn, f"{bucket.arn}/*")
        assert tls.conditions[0].key == "aws:SecureTransport"
    artifacts = storage.bucket("artifacts").policy
    assert {"DenyNonKmsEncryption", "DenyOtherKmsKeys"} <= _sids(artifacts)
    wrong_key = next(s for s in artifacts.statements if s.sid == "DenyOtherKmsKeys")
    assert {(c.operator, c.values) for c in wrong_key.conditions} == {
        ("StringEquals", ("aws:kms",)),
        ("StringNotEqualsIfExists", (KEY_ARN,)),
    }
    delivery = next(
        s for s in storage.bucket("logs").policy.statements if s.sid == "S3ServerAccessLogDelivery"
    )
    assert set(delivery.conditions[1].values) == {b.arn for b in storage.buckets[1:]}


def test_lifecycle_follows_the_environment() -> None:
    dev, prod = example("churn", "dev").storage, example("churn", "prod").storage
    assert dev.bucket("capture").lifecycle[0].expiration_days == 7
    assert prod.bucket("capture").lifecycle[0].expiration_days == 90
    assert prod.bucket("logs").lifecycle[0].expiration_days == 365
    assert prod.bucket("artifacts").lifecycle[0].expiration_days is None
    assert prod.bucket("artifacts").lifecycle[0].noncurrent_days == 90
    assert dev.bucket("artifacts").lifecycle[0].noncurrent_days == 30


def test_retention_and_eventbridge() -> None:
    dev, prod = full("dev").storage, full("prod").storage
    assert not any(b.retain for b in dev.buckets) and dev.key.retain is False
    assert all(b.retain for b in prod.buckets) and prod.key.retain is True
    assert [b.key for b in prod.buckets if b.eventbridge] == ["data-events"]


def test_data_locations_cover_managed_and_existing_buckets() -> None:
    storage = full().storage
    shared = storage.location("shared")
    assert (shared.bucket, shared.managed, shared.uri) == (
        "acme-shared-exports",
        False,
        "s3://acme-shared-exports/exports/",
    )
    assert shared.content_type == "application/jsonlines"
    events = storage.location("events")
    assert events.managed and events.bucket == "acme-full-dev-data-events-us-west-2"
    assert "data-shared" not in [b.key for b in storage.buckets]


def test_key_policy_is_scoped() -> None:
    key = full("prod").storage.key
    assert key.rotation and key.deletion_window_days == 30
    assert _sids(key.policy) == {
        "EnableIamPolicies",
        "CloudWatchLogs",
        "CloudWatchAlarmsPublishToEncryptedTopic",
        "EventBridgeDeadLetterQueue",
        "CrossAccountModelReaders",
    }
    logs = next(s for s in key.policy.statements if s.sid == "CloudWatchLogs")
    assert all("full-prod-" in v for v in logs.conditions[0].values)
    readers = next(s for s in key.policy.statements if s.sid == "CrossAccountModelReaders")
    assert readers.principals == (("AWS", "arn:aws:iam::210987654321:root"),)
    assert readers.conditions[0].key == "kms:ViaService"
    assert "CrossAccountModelReaders" not in _sids(example("churn", "prod").storage.key.policy)


def test_cross_account_readers_may_read_only_their_model() -> None:
    policy = full().storage.bucket("artifacts").policy
    reader = next(s for s in policy.statements if s.sid.startswith("CrossAccountRead"))
    assert reader.actions == ("s3:GetObject",)
    assert reader.resources == ("arn:aws:s3:::acme-full-dev-artifacts-us-west-2/models/rt/*",)


SSE = "s3:x-amz-server-side-encryption"
SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"


def _holds(condition: Condition, request: dict[str, str]) -> bool:
    """IAM's reading of one condition for a request's context keys (single-valued keys)."""
    value = request.get(condition.key)
    if condition.operator == "Null":
        return (value is None) == (condition.values == ("true",))
    if condition.operator == "StringEquals":
        return value is not None and value in condition.values
    if condition.operator == "StringNotEquals":
        return value is not None and value not in condition.values
    if condition.operator == "StringNotEqualsIfExists":
        return value is None or value not in condition.values
    raise AssertionError(f"operator {condition.operator} not modelled")


def _denied(policy: PolicyDocument, request: dict[str, str]) -> bool:
    return any(
        s.effect == "Deny"
        and "s3:PutObject" in s.actions
        and all(_holds(c, request) for c in s.conditions)
        for s in policy.statements
        if s.sid != "DenyInsecureTransport"
    )


@pytest.mark.parametrize(
    ("headers", "denied"),
    [
        ({}, False),  # no encryption headers: the bucket default, SSE-KMS with the system key
        ({SSE: "aws:kms", SSE_KEY: KEY_ARN}, False),
        ({SSE: "aws:kms"}, True),  # no key id: S3 would use aws/s3, not the system key
        ({SSE: "aws:kms", SSE_KEY: "arn:aws:kms:eu-west-1:999999999999:key/other"}, True),
        ({SSE: "AES256"}, True),
        ({SSE: "aws:kms:dsse", SSE_KEY: KEY_ARN}, True),
    ],
)
def test_uploads_must_use_the_system_key_or_the_bucket_default(
    headers: dict[str, str], denied: bool
) -> None:
    for bucket in full().storage.buckets:
        if bucket.kms:
            assert _denied(bucket.policy, headers) is denied, (bucket.key, headers)


def _step_outputs(definition: str) -> dict[str, list[str]]:
    """Each step's S3 output prefixes as the pipeline definition writes them (the
    per-execution ``Std:Join``'s first value)."""
    found: dict[str, list[str]] = {}

    def walk(node: object, step: str) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, step)
        if not isinstance(node, dict):
            return
        step = node["Name"] if "Type" in node and "Name" in node else step
        for key, value in node.items():
            uri = value.get("S3Uri") if key in {"S3Output", "CheckpointConfig"} else None
            uri = value if key == "S3OutputPath" else uri
            if isinstance(uri, dict) and "Std:Join" in uri:
                uri = uri["Std:Join"]["Values"][0]
            if isinstance(uri, str):
                found.setdefault(step, []).append(uri.rstrip("/") + "/")
            walk(value, step)

    walk(json.loads(definition), "")
    return found


@pytest.mark.parametrize("case", ["churn-prod", "full-prod", "ltv-dev"])
def test_only_the_gate_s_copies_expire_under_models(case: str) -> None:
    """The prefixes the PrepareHoldout and ScoreHoldout steps write (read from each planned
    pipeline definition) expire; nothing else a training pipeline writes does."""
    deployment = full("prod") if case == "full-prod" else example(*case.split("-"))
    artifacts = deployment.storage.bucket("artifacts")
    expiring = [r for r in artifacts.lifecycle if r.expiration_days]
    gated = 0
    for training in deployment.training:
        for step, uris in _step_outputs(training.definition).items():
            for uri in uris:
                key = uri.removeprefix(f"s3://{artifacts.name}/")
                covered = [r for r in expiring if key.startswith(r.prefix) and r.prefix]
                if step in {"PrepareHoldout", "ScoreHoldout"}:
                    gated += 1
                    (rule,) = covered
                    assert rule.prefix == key and rule.expiration_days == 30
                    assert (rule.noncurrent_days, rule.abort_multipart_days) == (1, 7)
                else:
                    assert not covered, (step, key)
    gates = sum(1 for t in deployment.training if t.gate is not None)
    assert gated == 2 * gates > 0
    assert len([r for r in expiring if r.id.startswith("gate-")]) == 2 * gates
    for bucket in deployment.storage.buckets:  # the other buckets keep their own rules
        if bucket.key != "artifacts":
            assert not any(r.id.startswith("gate-") for r in bucket.lifecycle)
