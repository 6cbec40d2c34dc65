"""The deploy function's reconcile through the in-memory adapters (no emulator): what an
approval, a rejection and an endpoint's IN_SERVICE event do to the endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_runtime.contract.config import DeployConfig
from mlops_runtime.core import approval, rollout
from mlops_runtime.core.clock import utcnow
from mlops_runtime.core.reconcile import DeployError, DeployPorts, process
from mlops_runtime.memory.endpoints import MemoryEndpoints
from mlops_runtime.memory.registry import MemoryRegistry
from mlops_runtime.memory.services import MemoryNotifier, MemoryObjects
from mlops_runtime.memory.store import MemoryAudit, MemoryRolloutMemory

GROUP, ENDPOINT = "shop-prod-churn", "shop-prod-churn"
TARGET: dict[str, Any] = {
    "model_id": "churn",
    "endpoint_name": ENDPOINT,
    "execution_role_arn": "arn:aws:iam::123456789012:role/serve",
    "instance_type": "ml.m5.large",
    "initial_instance_count": 2,
    "traffic": {"strategy": "canary", "step_percent": 10, "bake_minutes": 15},
    "rollback_alarms": ["shop-prod-churn-5xx"],
}
SCALING = {
    "min_capacity": 2,
    "max_capacity": 6,
    "target_invocations_per_instance": 100,
    "scale_in_cooldown_seconds": 300,
    "scale_out_cooldown_seconds": 60,
    "policy_name": "shop-prod-churn-invocations",
}


def config(**changes: Any) -> DeployConfig:
    return DeployConfig.from_dict({"system": "shop", "endpoints": {GROUP: {**TARGET, **changes}}})


class World:
    def __init__(self, settle_after: int = 0) -> None:
        self.registry = MemoryRegistry()
        self.endpoints = MemoryEndpoints(settle_after=settle_after)
        self.audit = MemoryAudit()
        self.memory = MemoryRolloutMemory()
        self.notifier = MemoryNotifier()
        self.ports = DeployPorts(
            self.registry, self.endpoints, self.audit, self.memory, self.notifier
        )

    def package_event(self, arn: str, cfg: DeployConfig) -> dict[str, Any]:
        status = self.registry.package(arn).status
        detail = {"ModelPackageGroupName": GROUP, "ModelPackageArn": arn}
        event = {"detail-type": "SageMaker Model Package State Change", "id": "e"}
        return process(
            {**event, "detail": {**detail, "ModelApprovalStatus": status}}, cfg, self.ports
        )

    def in_service(self, cfg: DeployConfig) -> dict[str, Any]:
        detail = {"EndpointName": ENDPOINT, "EndpointStatus": "IN_SERVICE"}
        event = {"detail-type": "SageMaker Endpoint State Change", "detail": detail}
        return process(event, cfg, self.ports)

    def serving(self, cfg: DeployConfig) -> str:
        """The package the endpoint serves now."""
        state = self.endpoints.describe(ENDPOINT)
        assert state is not None
        (package,) = self.endpoints.served(state.config_name).packages
        return package

    def on(self, arn: str, cfg: DeployConfig) -> None:
        """The endpoint InService on ``arn`` (an earlier rollout finished)."""
        self.endpoints.serve(self.endpoints.release(cfg.endpoints[GROUP], arn))


@pytest.fixture
def world() -> World:
    return World()


def test_the_first_approval_creates_the_endpoint_and_autoscaling_follows(world: World) -> None:
    cfg = config(autoscaling=SCALING)
    first = world.registry.register(GROUP)
    record = world.package_event(first, cfg)
    assert (record["decision"], record["autoscaling"]) == ("created", rollout.SCALING_PENDING)
    assert world.endpoints.scaling == {}  # a Creating endpoint cannot be registered
    record = world.in_service(cfg)  # the endpoint is InService now
    assert (record["decision"], record["autoscaling"]) == (
        "already-deployed",
        "autoscaling-applied",
    )
    assert world.serving(cfg) == first
    assert world.audit.decisions("deploy", "churn") == [
        "created",
        "autoscaling-applied",
        "already-deployed",
    ]


def test_an_approval_rolls_the_endpoint_onto_it_once(world: World) -> None:
    cfg = config()
    old = world.registry.register(GROUP)
    world.on(old, cfg)
    new = world.registry.register(GROUP)
    record = world.package_event(new, cfg)
    assert record["decision"] == "deployed"
    assert record["previous_packages"] == old
    assert record["strategy"] == "canary"
    for _ in range(3):  # redelivered approvals and the IN_SERVICE events after the rollout
        world.package_event(new, cfg)
        world.in_service(cfg)
    assert world.serving(cfg) == new
    assert len(world.endpoints.operations("update_endpoint")) == 1


def test_an_approval_during_a_rollout_goes_out_when_the_endpoint_is_in_service() -> None:
    world = World(settle_after=2)
    cfg = config()
    world.on(world.registry.register(GROUP), cfg)
    world.endpoints.set_status(ENDPOINT, "Updating")  # a rollout started elsewhere
    latest = world.registry.register(GROUP)
    assert world.package_event(latest, cfg)["decision"] == "rollout-in-progress"
    world.endpoints.set_status(ENDPOINT, "InService")
    record = world.in_service(cfg)
    assert (record["decision"], record["trigger"]) == ("deployed", "in-service")
    assert record["latest_approved"] == latest


def test_rejecting_the_served_package_rolls_back_to_the_previous_approved_one(
    world: World,
) -> None:
    cfg = config()
    good = world.registry.register(GROUP)
    bad = world.registry.register(GROUP)
    world.on(bad, cfg)
    world.registry.set_status(bad, "Rejected")
    record = world.package_event(bad, cfg)
    assert (record["decision"], record["trigger"]) == ("deployed", "rejected")
    assert world.serving(cfg) == good


def test_rejecting_the_only_approved_package_leaves_the_endpoint(world: World) -> None:
    cfg = config()
    only = world.registry.register(GROUP)
    world.on(only, cfg)
    world.registry.set_status(only, "Rejected")
    assert world.package_event(only, cfg)["decision"] == "no-approved-package"
    assert world.serving(cfg) == only
    assert world.endpoints.operations("update_endpoint") == []


def test_a_stale_approval_is_superseded_and_changes_nothing(world: World) -> None:
    cfg = config()
    older, newer = world.registry.register(GROUP), world.registry.register(GROUP)
    record = world.package_event(older, cfg)
    assert record["decision"] == "superseded"
    assert newer in record["reason"]
    assert world.endpoints.calls == []


def test_an_instance_type_change_removes_autoscaling_before_the_update(world: World) -> None:
    """The fake endpoint, as SageMaker, fails an update that changes the instance type of a
    registered scalable variant: the rollout must deregister it first."""
    scaled = config(autoscaling=SCALING)
    world.on(world.registry.register(GROUP), scaled)
    world.in_service(scaled)
    assert world.endpoints.scaling
    bigger = config(autoscaling=SCALING, instance_type="ml.c5.xlarge")
    record = world.package_event(world.registry.register(GROUP), bigger)
    assert record["decision"] == "deployed"
    assert (record["autoscaling_deregistered"], record["autoscaling"]) == (
        True,
        "autoscaling-pending",
    )
    operations = [op for op, _ in world.endpoints.calls]
    assert operations.index("deregister_scalable_target") < operations.index("update_endpoint")
    world.in_service(bigger)  # after the update: registered again
    assert world.endpoints.scaling


def test_a_failing_update_is_audited_and_raised_for_the_retry(world: World) -> None:
    cfg = config()
    world.on(world.registry.register(GROUP), cfg)

    def refuse(release: Any) -> None:
        raise RuntimeError("AccessDenied: sagemaker:UpdateEndpoint")

    world.endpoints.update = refuse  # type: ignore[method-assign]
    with pytest.raises(DeployError, match="AccessDenied"):
        world.package_event(world.registry.register(GROUP), cfg)
    (error,) = world.audit.records("deploy", "churn")
    assert error["decision"] == "error" and "AccessDenied" in error["error"]


def test_a_changed_instance_count_reaches_a_fixed_size_endpoint(world: World) -> None:
    two = config(initial_instance_count=2)
    world.on(world.registry.register(GROUP), two)
    assert world.endpoints.instance_count(ENDPOINT) == 2
    four = config(initial_instance_count=4)
    assert world.package_event(world.registry.register(GROUP), four)["decision"] == "deployed"
    world.in_service(four)  # the update has ended
    assert world.endpoints.instance_count(ENDPOINT) == 4


def test_an_autoscaled_endpoint_s_new_fleet_starts_at_the_scaled_out_count(world: World) -> None:
    scaled = config(autoscaling=SCALING)  # min 2, max 6
    world.on(world.registry.register(GROUP), scaled)
    world.in_service(scaled)
    world.endpoints.scale(ENDPOINT, 5)  # traffic grew: autoscaling added instances
    assert world.package_event(world.registry.register(GROUP), scaled)["decision"] == "deployed"
    world.in_service(scaled)
    assert world.endpoints.instance_count(ENDPOINT) == 5  # not back at the minimum of 2


def test_a_rolled_back_package_is_never_rolled_out_again(world: World) -> None:
    """approval -> update -> alarm -> rollback -> IN_SERVICE, twice: exactly one update. The
    endpoint moves again only for a newer approved package."""
    cfg = config()
    good = world.registry.register(GROUP)
    world.on(good, cfg)
    bad = world.registry.register(GROUP)
    world.endpoints.next_ending = "roll-back"  # an alarm will trip during the bake
    assert world.package_event(bad, cfg)["decision"] == "deployed"
    for _ in range(2):  # the IN_SERVICE event after the rollback, delivered twice
        record = world.in_service(cfg)
        assert (record["decision"], record["rolled_back_skipped"]) == ("already-deployed", bad)
        assert record["latest_approved"] == good
    assert world.package_event(bad, cfg)["decision"] == "already-deployed"  # redelivered
    assert world.endpoints.operations("update_endpoint") == [
        world.endpoints.release(cfg.endpoints[GROUP], bad).config_name
    ]
    assert world.serving(cfg) == good
    (rolled_back,) = [
        r for r in world.audit.records("deploy", "churn") if r["decision"] == "rolled-back"
    ]
    assert rolled_back["rolled_back_package"] == bad
    assert "previous revision" in rolled_back["reason"]
    assert "an alarm rolled the update back" in rolled_back["reason"]  # DescribeEndpoint's reason
    ((subject, message),) = world.notifier.sent  # told once
    assert subject == f"{ENDPOINT}: rollout of churn rolled back"
    assert bad in message and "will not roll this package out again" in message

    # A cold start: new adapters, the same stored memory.
    fresh = DeployPorts(world.registry, world.endpoints, MemoryAudit(), world.memory)
    event = {
        "detail-type": "SageMaker Endpoint State Change",
        "detail": {"EndpointName": ENDPOINT, "EndpointStatus": "IN_SERVICE"},
    }
    assert process(event, cfg, fresh)["decision"] == "already-deployed"
    assert len(world.endpoints.operations("update_endpoint")) == 1

    world.endpoints.next_ending = "serve"
    newer = world.registry.register(GROUP)  # a new approval moves the endpoint on
    assert world.package_event(newer, cfg)["decision"] == "deployed"
    assert world.in_service(cfg)["decision"] == "already-deployed"
    assert world.serving(cfg) == newer
    assert "rollout-verified" in world.audit.decisions("deploy", "churn")


def test_rejecting_the_served_package_skips_a_rolled_back_one(world: World) -> None:
    cfg = config()
    first = world.registry.register(GROUP)
    world.on(first, cfg)
    bad = world.registry.register(GROUP)
    world.endpoints.next_ending = "roll-back"
    world.package_event(bad, cfg)
    world.in_service(cfg)  # rolled back: first is served
    world.endpoints.next_ending = "serve"
    third = world.registry.register(GROUP)
    world.package_event(third, cfg)
    world.in_service(cfg)
    assert world.serving(cfg) == third
    world.registry.set_status(third, "Rejected")
    record = world.package_event(third, cfg)
    assert (record["decision"], record["latest_approved"]) == ("deployed", first)
    assert record["rolled_back_skipped"] == bad
    world.in_service(cfg)
    assert world.serving(cfg) == first


def test_an_update_started_without_being_remembered_is_remembered_from_the_endpoint(
    world: World,
) -> None:
    """The write after UpdateEndpoint was lost (a crash): the pending deployment that
    DescribeEndpoint shows is remembered on the next event, so its rollback still counts."""
    world = World(settle_after=1)
    cfg = config()
    world.on(world.registry.register(GROUP), cfg)
    bad = world.registry.register(GROUP)
    world.endpoints.next_ending = "roll-back"
    world.package_event(bad, cfg)
    world.memory.memories.clear()  # as if the write had never happened
    assert world.in_service(cfg)["decision"] == "rollout-in-progress"  # Updating: remembered
    assert world.memory.read(ENDPOINT).started is not None
    world.in_service(cfg)  # the rollback has ended
    assert len(world.endpoints.operations("update_endpoint")) == 1
    assert "rolled-back" in world.audit.decisions("deploy", "churn")


REFERENCES = {
    "current_uri": "s3://shop-prod-artifacts/models/churn/reference/",
    "packages_uri": "s3://shop-prod-artifacts/models/churn/profiles/",
    "files": ["profile.json", "predictions.json"],
    "kms_key_id": "arn:aws:kms:eu-west-1:123456789012:key/k",
}


class ReferenceWorld(World):
    """Packages registered as the training pipeline does: each with its own references."""

    def __init__(self) -> None:
        super().__init__()
        self.objects = MemoryObjects()
        self.ports = DeployPorts(
            self.registry, self.endpoints, self.audit, self.memory, self.notifier, self.objects
        )

    def register(self, execution: str, status: str = "Approved") -> str:
        prefix = f"{REFERENCES['packages_uri']}{execution}"
        for name in REFERENCES["files"]:
            self.objects.objects[f"{prefix}/{name}"] = f"{execution}:{name}".encode()
        return self.registry.register(GROUP, status, metadata={"mlops:reference": prefix})

    def current(self) -> dict[str, bytes]:
        return {
            name: self.objects.objects.get(f"{REFERENCES['current_uri']}{name}", b"")
            for name in REFERENCES["files"]
        }


def references_of(execution: str) -> dict[str, bytes]:
    return {name: f"{execution}:{name}".encode() for name in REFERENCES["files"]}


def test_references_follow_the_served_package_not_approvals() -> None:
    world, cfg = ReferenceWorld(), config(references=REFERENCES)
    first = world.register("exec-1")
    world.package_event(first, cfg)  # created
    assert world.current() == dict.fromkeys(REFERENCES["files"], b"")  # not while Creating
    assert world.in_service(cfg)["decision"] == "already-deployed"
    assert world.current() == references_of("exec-1")

    candidate = world.register("exec-2", "PendingManualApproval")  # registered, not approved
    world.in_service(cfg)
    assert world.current() == references_of("exec-1")
    world.registry.set_status(candidate, "Approved")
    world.endpoints.next_ending = "roll-back"
    world.package_event(candidate, cfg)  # approved and rolled out ...
    assert world.current() == references_of("exec-1")
    world.in_service(cfg)  # ... and rolled back: the served package's references stay
    assert world.current() == references_of("exec-1")

    world.endpoints.next_ending = "serve"
    third = world.register("exec-3")
    world.package_event(third, cfg)
    world.in_service(cfg)  # verified: its references are the current ones now
    assert world.current() == references_of("exec-3")
    assert {key for _, _, key in world.objects.copies} == {REFERENCES["kms_key_id"]}

    world.registry.set_status(third, "Rejected")
    world.package_event(third, cfg)  # back to the first package ...
    world.in_service(cfg)
    assert world.current() == references_of("exec-1")  # ... and to its references
    promoted = [
        r for r in world.audit.records("deploy", "churn") if r["decision"] == "references-promoted"
    ]
    assert [r["package"] for r in promoted] == [first, third, first]


def test_a_package_without_references_leaves_the_current_ones() -> None:
    world, cfg = ReferenceWorld(), config(references=REFERENCES)
    first = world.register("exec-1")
    world.on(first, cfg)
    world.in_service(cfg)
    legacy = world.registry.register(GROUP)  # registered before references were recorded
    world.package_event(legacy, cfg)
    world.in_service(cfg)
    world.in_service(cfg)
    assert world.serving(cfg) == legacy
    assert world.current() == references_of("exec-1")
    assert world.audit.decisions("deploy", "churn").count("references-missing") == 1


class RegistryApprovals:
    """``Approvals`` on the in-memory registry: the status, then the approval's metadata
    through its ``RegistryWriter``."""

    def __init__(self, registry: MemoryRegistry) -> None:
        self.registry = registry

    def set_status(self, arn: str, status: str, description: str, metadata: Any) -> None:
        self.registry.set_status(arn, status)
        self.registry.set_metadata(arn, metadata)


def _decide(world: World, action: str, arn: str) -> dict[str, Any]:
    return approval.decide(
        action,
        package_arn=arn,
        model="churn",
        reason="reviewed",
        caller=approval.Caller("arn:aws:sts::123456789012:assumed-role/ml/ana"),
        registry=world.registry,
        approvals=RegistryApprovals(world.registry),
        log=world.audit,
        now=utcnow(),
    )


def test_each_deploy_names_the_approval_record_it_acted_on(world: World) -> None:
    """approve -> deploy and reject -> rollback to the previous package follow ids."""
    cfg = config()
    first = world.registry.register(GROUP, status="PendingManualApproval")
    approved = _decide(world, "approve", first)
    created = world.package_event(first, cfg)
    assert created["decision"] == "created"
    assert created["approval_id"] == approved["audit_id"]
    second = world.registry.register(GROUP, status="PendingManualApproval")
    _decide(world, "approve", second)
    world.on(world.package_event(second, cfg)["latest_approved"], cfg)
    rejected = _decide(world, "reject", second)
    back = world.package_event(second, cfg)
    assert (back["decision"], back["latest_approved"]) == ("deployed", first)
    assert back["approval_id"] == rejected["audit_id"] != approved["audit_id"]


def test_a_package_the_pipeline_approved_or_a_later_decision_links_no_approval(
    world: World,
) -> None:
    cfg = config()
    auto = world.registry.register(GROUP)  # registered Approved: no person decided
    assert "approval_id" not in world.package_event(auto, cfg)
    manual = world.registry.register(GROUP, status="PendingManualApproval")
    _decide(world, "approve", manual)
    _decide(world, "reject", manual)  # the approval event arrives after the rejection
    event = {"ModelPackageGroupName": GROUP, "ModelPackageArn": manual}
    late = process(
        {
            "detail-type": "SageMaker Model Package State Change",
            "detail": {**event, "ModelApprovalStatus": "Approved"},
        },
        cfg,
        world.ports,
    )
    assert "approval_id" not in late  # the package's id is the rejection's now
