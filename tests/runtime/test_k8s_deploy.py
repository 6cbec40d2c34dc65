"""The Kubernetes loop controller's deploy reconcile through its real adapters: the registry
in the object store (moto over HTTP) and the Argo Rollout on the API server stand-in (every
Rollout it stores passes the vendored CRD schema, strict).

No Argo Rollouts controller runs here: the test plays it by writing the Rollout's ``status``
(Progressing, Healthy, or aborted by a failed analysis) as Argo would after each patch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from k8s_loop_support import (
    ABORTED,
    HEALTHY,
    IMAGE,
    MODEL,
    NAMESPACE,
    PROGRESSING,
    ROLLOUT,
    at,
    cluster,
    config,
    controller,
    model_data_url,
    register,
    registry,
    rollout,
    served_image,
)

from mlops_runtime.core.clock import UTC
from mlops_runtime.k8s.state import ObjectAudit, ObjectRolloutMemory
from mlops_runtime.k8s.store import Bucket, s3_client
from mlops_spec.plan.k8s.controller import role_rules
from tests.k8s.api_server import ApiServerStandIn, allowed

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def api() -> Any:
    with ApiServerStandIn() as server:
        cluster(server)
        yield server


def deploy_decisions(aws: str) -> list[str]:
    settings = config(aws).store
    audit = ObjectAudit(Bucket.from_settings(settings, s3_client(settings)))
    return [r["decision"] for r in audit.records("deploy", MODEL)]


class Clock:
    """The controller's clock, moved on by the test."""

    def __init__(self) -> None:
        self.minutes = 0

    def __call__(self) -> datetime:
        return NOW + timedelta(minutes=self.minutes)


@pytest.fixture
def reconcile(api: ApiServerStandIn, aws: str) -> Any:
    """One controller (it remembers its last no-op per model); ``reconcile(minute)`` runs one
    period at that minute and returns its decision."""
    clock = Clock()
    loops: list[Any] = []

    def run(minutes: int = 0) -> str:
        if not loops:
            loops.append(controller(api, aws, clock))
        clock.minutes = minutes
        (record,) = loops[0].reconcile()
        return str(record["decision"])

    return run


def test_no_approved_version_leaves_the_rollout_uncreated(
    api: ApiServerStandIn, aws: str, reconcile: Any
) -> None:
    assert reconcile() == "no-approved-package"
    register(aws, 1, status="Rejected", when=NOW)
    assert reconcile() == "no-approved-package"
    assert api.writes("create", "rollouts") == []


def test_approve_deploy_abort_rollback_restore_and_move_on(
    api: ApiServerStandIn, aws: str, reconcile: Any
) -> None:
    v1 = register(aws, 1, when=NOW)
    assert reconcile() == "created"
    assert (served_image(api), model_data_url(api)) == (
        f"{IMAGE}{1:064x}",
        "s3://shop-models/churn/run-1/model.tar.gz",
    )
    assert reconcile(1) == "rollout-in-progress"  # Argo has not observed it yet
    api.set_status(NAMESPACE, ROLLOUT, HEALTHY)
    assert reconcile(2) == "already-deployed"  # after rollout-verified

    v2 = register(aws, 2, when=NOW + timedelta(minutes=3))
    assert reconcile(4) == "deployed"
    assert served_image(api) == f"{IMAGE}{2:064x}"
    assert rollout(api)["metadata"]["annotations"]["mlops.dev/previous-revision"] == "churn-v1"
    api.set_status(NAMESPACE, ROLLOUT, PROGRESSING)
    assert reconcile(5) == "rollout-in-progress"

    # The analysis found a rollback alert firing: Argo aborted, the stable (v1) pods serve.
    api.set_status(NAMESPACE, ROLLOUT, ABORTED)
    assert reconcile(6) == "rollout-restored"
    assert served_image(api) == f"{IMAGE}{1:064x}"  # the template follows what is served
    memory = ObjectRolloutMemory(registry(aws).bucket).read(ROLLOUT)
    assert [entry.package_arn for entry in memory.rolled_back] == [v2]
    assert "assessed Failed" in memory.rolled_back[0].reason
    api.set_status(NAMESPACE, ROLLOUT, HEALTHY)  # back on its stable ReplicaSet
    patches = len(api.writes("patch", "rollouts"))
    for minute in (7, 8, 9):  # v2 is the latest approved but is never retried
        assert reconcile(minute) == "already-deployed"
    assert len(api.writes("patch", "rollouts")) == patches

    v3 = register(aws, 3, when=NOW + timedelta(minutes=10))
    assert reconcile(11) == "deployed"
    api.set_status(NAMESPACE, ROLLOUT, HEALTHY)
    assert reconcile(12) == "already-deployed"  # and rollout-verified recorded

    # The served version is rejected: back to the newest approved one not rolled back (v1).
    registry(aws).set_status(v3, "Rejected", by="alice@example.com", reason="bias found")
    assert reconcile(13) == "deployed"
    assert served_image(api) == f"{IMAGE}{1:064x}"
    assert rollout(api)["spec"]["template"]["metadata"]["annotations"]["mlops.dev/package"] == v1

    assert deploy_decisions(aws) == [
        "created",
        "rollout-in-progress",
        "rollout-verified",  # the pending revision was remembered while Argo rolled it out
        "already-deployed",
        "deployed",
        "rollout-in-progress",
        "rolled-back",
        "already-deployed",
        "rollout-restored",
        "already-deployed",  # once: the next two periods changed nothing and are not recorded
        "deployed",
        "rollout-verified",
        "already-deployed",
        "deployed",
    ]
    assert api.invalid == []


def test_the_controllers_requests_are_exactly_what_its_role_allows(
    api: ApiServerStandIn, aws: str
) -> None:
    register(aws, 1, when=NOW)
    loop = controller(api, aws, at(NOW))
    loop.reconcile()
    api.set_status(NAMESPACE, ROLLOUT, HEALTHY)
    register(aws, 2, when=NOW + timedelta(minutes=1))
    loop.reconcile()
    from k8s_loop_support import alert

    loop.alerts(alert())
    role = {"metadata": {"namespace": NAMESPACE}, "rules": role_rules(config(aws))}
    made = {(c.verb, c.group, c.resource, c.name) for c in api.calls}
    assert all(allowed(call, role) for call in api.calls), made
    used = {(verb, group, resource) for verb, group, resource, _ in made}
    granted = {
        (verb, group, resource)
        for rule in role["rules"]
        for verb in rule["verbs"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert used == granted  # nothing granted that is not used
    assert {c.field_manager for c in api.calls if c.verb != "get"} == {"mlops-controller"}
