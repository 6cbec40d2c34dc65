"""The Kubernetes loop's state in an S3 API object store (moto over HTTP): conditional writes
keep claims, ledgers, version numbers and rollout memory consistent under concurrency, and
the start-up probe refuses a store that ignores them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from k8s_store_support import STATE_BUCKET, ignoring_conditions, state_bucket
from runtime_support import boto

from mlops_runtime.contract.config import ModelTrigger
from mlops_runtime.core import registry as champion
from mlops_runtime.core import runs
from mlops_runtime.core.clock import UTC
from mlops_runtime.core.ports import (
    Claim,
    EndpointMemory,
    GroupNotFound,
    LedgerState,
    RolledBack,
    StartedRollout,
)
from mlops_runtime.k8s.probe import StoreNotSafe, require_conditional_writes
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_runtime.k8s.state import ObjectAudit, ObjectClaims, ObjectLedger, ObjectRolloutMemory

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def test_the_probe_accepts_a_store_that_honours_conditional_writes(aws: str) -> None:
    bucket = state_bucket()
    require_conditional_writes(bucket)
    assert list(bucket.keys("probe/")) == []  # the probe object is removed


def test_the_probe_refuses_a_store_that_ignores_if_none_match(aws: str) -> None:
    boto("s3").create_bucket(Bucket=STATE_BUCKET)
    with ignoring_conditions(aws) as url:
        bucket = state_bucket(endpoint_url=url)
        with pytest.raises(StoreNotSafe, match="If-None-Match: \\* overwrote the object"):
            require_conditional_writes(bucket)
        assert list(bucket.keys("probe/")) == []


def test_one_of_100_concurrent_claims_of_a_key_wins(aws: str) -> None:
    claims = ObjectClaims(state_bucket())

    def claim(_: int) -> object:
        return claims.claim(
            "alert#drift#abc#2026-01-05T03:00:00Z",
            now=NOW,
            lease=runs.CLAIM_LEASE,
            ttl=runs.CLAIM_TTL,
            details={"model": "churn"},
        )

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(claim, range(100)))
    won = [r for r in results if isinstance(r, Claim)]
    assert len(won) == 1
    assert {r["status"] for r in results if not isinstance(r, Claim)} == {"claimed"}
    claims.finish(won[0], "started", {"execution_arn": "train-churn-1"})
    again = claim(0)
    assert not isinstance(again, Claim)
    assert (again["status"], again["execution_arn"]) == ("started", "train-churn-1")


def test_a_stale_claim_is_retaken_once_and_a_released_one_is_free_again(aws: str) -> None:
    claims = ObjectClaims(state_bucket())
    args = {"lease": timedelta(minutes=15), "ttl": timedelta(days=7), "details": {}}
    first = claims.claim("k", now=NOW, **args)
    assert isinstance(first, Claim)
    assert not isinstance(claims.claim("k", now=NOW + timedelta(minutes=14), **args), Claim)
    later = NOW + timedelta(minutes=16)
    with ThreadPoolExecutor(8) as pool:
        retaken = list(pool.map(lambda _: claims.claim("k", now=later, **args), range(16)))
    (winner,) = [r for r in retaken if isinstance(r, Claim)]
    with pytest.raises(RuntimeError, match="no longer held"):
        claims.finish(first, "started", {})  # the crashed owner lost it
    claims.release(first)  # not the owner: nothing happens
    assert not isinstance(claims.claim("k", now=later, **args), Claim)
    claims.release(winner)
    assert isinstance(claims.claim("k", now=later, **args), Claim)


def test_concurrent_reservations_never_pass_the_daily_cap(aws: str) -> None:
    ledger = ObjectLedger(state_bucket())
    rule = ModelTrigger(pipeline_name="train-churn", max_runs_per_day=3)
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda _: runs.reserve(ledger, "churn", rule, NOW), range(12)))
    passed = [r for r in results if not isinstance(r, runs.Blocked)]
    assert len(passed) == 3
    assert {r.decision for r in results if isinstance(r, runs.Blocked)} == {runs.DAILY_LIMIT}
    stored = ledger.read("churn")
    assert (stored.day, stored.day_count, stored.version) == ("2026-01-05", 3, 3)


def test_the_ledger_refuses_a_stale_version_and_restores_a_failed_start(aws: str) -> None:
    ledger = ObjectLedger(state_bucket())
    state = LedgerState("churn", NOW.timestamp(), "2026-01-05", 1, 1)
    assert ledger.write(state, expected_version=0)
    assert not ledger.write(state, expected_version=0)  # exists already
    assert not ledger.write(LedgerState("churn", version=2), expected_version=5)
    assert not ledger.delete("churn", expected_version=2)
    assert ledger.delete("churn", expected_version=1)
    assert ledger.read("churn") == LedgerState("churn")


def test_rollout_memory_round_trips_and_is_versioned(aws: str) -> None:
    memory = ObjectRolloutMemory(state_bucket())
    started = StartedRollout("s3://x/registry/churn/versions/2", "churn-v2", "churn-v1", "t0")
    entry = RolledBack("s3://x/registry/churn/versions/3", "churn-v3", "churn-v2", "t1", "abort")
    stored = EndpointMemory("churn", started, (entry,), "s3://x/registry/churn/versions/2", 1)
    assert memory.write(stored, expected_version=0)
    assert memory.read("churn") == stored
    assert not memory.write(stored, expected_version=0)
    assert memory.write(EndpointMemory("churn", version=2), expected_version=1)
    assert memory.read("churn").rolled_back == ()


def test_audit_records_are_kept_per_unit_and_model_oldest_first(aws: str) -> None:
    audit = ObjectAudit(state_bucket())
    for index, decision in enumerate(["started", "duplicate", "cooldown"]):
        stamp = (NOW + timedelta(seconds=index)).isoformat()
        entry = {"unit": "trigger", "model": "churn", "decision": decision, "decided_at": stamp}
        audit.append(entry, expires_at=NOW + timedelta(days=90))
    audit.append({"unit": "deploy", "model": "churn", "decision": "deployed"}, expires_at=None)
    assert [r["decision"] for r in audit.records("trigger", "churn")] == [
        "started",
        "duplicate",
        "cooldown",
    ]
    assert [r["decision"] for r in audit.records("deploy", "churn")] == ["deployed"]


def test_concurrent_registrations_get_distinct_version_numbers(aws: str) -> None:
    registry = ObjectRegistry(state_bucket())
    with pytest.raises(GroupNotFound):
        registry.latest_approved("churn")
    assert registry.ensure_group("churn") and not registry.ensure_group("churn")

    def register(index: int) -> str:
        return registry.register(
            "churn",
            status="Approved" if index % 2 else "Rejected",
            metadata={"mlops:metric.auc": str(0.7 + index / 100)},
            image=f"registry.example/churn@sha256:{index:064x}",
            artifact_uri=f"s3://shop-models/churn/{index}/model.tar.gz",
            now=NOW + timedelta(seconds=index),
        )

    with ThreadPoolExecutor(8) as pool:
        arns = list(pool.map(register, range(10)))
    versions = sorted(registry.package(arn).version for arn in arns)
    assert versions == list(range(1, 11))
    latest = registry.latest_approved("churn")
    assert latest is not None
    assert latest.arn == arns[9]  # created last, approved
    assert [ref.arn for ref in registry.approved_packages("churn")] == [
        arns[i] for i in (9, 7, 5, 3, 1)
    ]
    found = champion.find_champion(registry, "churn")
    assert found is not None and found.metrics == {"auc": pytest.approx(0.79)}
    manifest = registry.manifest(arns[9])
    assert manifest["image"].endswith(f"{9:064x}") and manifest["status"] == "Approved"


def test_a_new_model_registry_has_no_champion_and_approval_is_recorded(aws: str) -> None:
    registry = ObjectRegistry(state_bucket())
    registry.ensure_group("churn")
    assert champion.find_champion(registry, "churn") is None  # gate: bounds only
    arn = registry.register(
        "churn",
        status="PendingManualApproval",
        metadata={},
        image="registry.example/churn@sha256:" + "a" * 64,
        artifact_uri="s3://shop-models/churn/1/model.tar.gz",
        now=NOW,
    )
    assert registry.latest_approved("churn") is None
    package = registry.set_status(
        arn, "Approved", by="alice@example.com", reason="reviewed", now=NOW
    )
    assert package.status == "Approved"
    registry.set_metadata(arn, {"mlops:rollout": "verified"})
    manifest = registry.manifest(arn)
    assert [a["status"] for a in manifest["approvals"]] == ["PendingManualApproval", "Approved"]
    assert manifest["approvals"][1]["by"] == "alice@example.com"
    assert manifest["metadata"] == {"mlops:rollout": "verified"}
