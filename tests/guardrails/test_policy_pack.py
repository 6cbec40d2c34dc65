"""The CrossGuard pack (policy/) calls the same rules as `mlops check` and reports the same
violations. pulumi_policy is not installed in the project's venv (it pins protobuf 5.29 while
pulumi brings 6.x), so its arguments are faked here by the attributes the pack reads; the tests
at the end build pulumi_policy's own argument classes and run where it is installed (the
pack's venv: `pip install -e '.[policy]' pytest`)."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from mlops_spec.guardrails import RULES, check, from_document
from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("guardrails")
POLICY_DIR = ROOT / "policy"


def load_pack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mlops_pack", POLICY_DIR / "mlops_pack.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["mlops_pack"] = module  # as __main__.py imports it (dataclasses need it)
    spec.loader.exec_module(module)
    return module


PACK = load_pack()


def fake_resources(document: dict[str, Any]) -> list[SimpleNamespace]:
    """PolicyResource look-alikes (custom resources, dependencies as resource objects)."""
    items = [r for r in document["resources"] if r["custom"]]
    by_urn = {
        r["urn"]: SimpleNamespace(
            resource_type=r["type"],
            props=r["inputs"],
            urn=r["urn"],
            name=r["name"],
            opts=SimpleNamespace(protect=r["protect"]),
        )
        for r in items
    }
    for r in items:
        by_urn[r["urn"]].property_dependencies = {
            key: [by_urn[u] for u in urns if u in by_urn]
            for key, urns in r["property_dependencies"].items()
        }
    return list(by_urn.values())


def run_pack(resources: list[Any]) -> set[tuple[str, str, str]]:
    """(policy, urn, message) the pack reports over a stack's resources."""
    reported: set[tuple[str, str, str]] = set()
    for policy in PACK.policies():
        targets = resources if policy.kind == "resource" else [SimpleNamespace(resources=resources)]
        for args in targets:
            urn = getattr(args, "urn", None)

            def report(message: str, urn_: str | None = None, *, name=policy.name, at=urn) -> None:
                reported.add((name, urn_ or at, message))

            policy.validate(args, report)
    return reported


def expected(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    result = check(from_document(document, production=True))
    fixes = {rule.id: rule.fix for rule in RULES}
    return {
        (f"mlops-{v.rule}", v.urn, f"{v.resource}: {v.message} (fix: {fixes[v.rule]})")
        for v in result.violations
    }


def test_one_policy_per_rule_and_the_development_config_disables_the_production_ones() -> None:
    policies = PACK.policies()
    assert [p.name for p in policies] == [f"mlops-{rule.id}" for rule in RULES]
    config = json.loads((POLICY_DIR / "development.json").read_text())
    assert config == {p.name: "disabled" for p in policies if p.production_only}


def test_a_passing_plan_passes_the_pack(churn_prod: dict[str, Any]) -> None:
    assert run_pack(fake_resources(churn_prod)) == set()


def test_the_pack_reports_what_mlops_check_reports(churn_prod: dict[str, Any]) -> None:
    """One mutation per rule at once (retain_on_delete aside: CrossGuard does not expose it)."""
    by_name = {r["name"]: r for r in churn_prod["resources"]}
    by_name["monitoring-topic"]["inputs"].pop("kmsMasterKeyId")  # kms
    by_name["storage-logs-public-access"]["inputs"]["blockPublicAcls"] = False  # public
    policy = by_name["retraining-trigger-trigger-policy"]["inputs"]
    document = json.loads(policy["policy"])
    document["Statement"][0]["Action"] = "*"  # wildcard
    policy["policy"] = json.dumps(document)
    del by_name["retraining-deploy"]["inputs"]["tags"]["system"]  # cost tags
    deploy = by_name["retraining-config-deploy"]["inputs"]  # the deploy function's document
    config = json.loads(deploy["content"])
    endpoint = config["endpoints"]["churn-prod-churn-classifier"]
    endpoint["data_capture"] = None  # capture-for-drift
    endpoint["initial_instance_count"] = 1  # two-instances
    endpoint["rollback_alarms"] = ["churn-prod-churn-classifier-gone"]  # rollback-alarms-exist
    deploy["content"] = json.dumps(config)
    by_name["churn-classifier-traffic-alarm"]["inputs"]["actionsEnabled"] = False  # paging
    by_name["storage-key"]["protect"] = False  # stateful-protected
    reported = run_pack(fake_resources(churn_prod))
    assert reported == expected(churn_prod)
    assert {name for name, _, _ in reported} == {
        f"mlops-{r.id}" for r in RULES if r.id != "rollback-required"
    }


class UnknownValueError(Exception):
    """Named like pulumi_policy's: raised when a preview-time unknown is read."""


class UnknownProps(dict):  # type: ignore[type-arg]
    def __getitem__(self, key: str) -> Any:
        if key == "kmsMasterKeyId":
            raise UnknownValueError()
        return super().__getitem__(key)


def test_values_unknown_during_preview_count_as_set() -> None:
    topic = SimpleNamespace(
        resource_type="aws:sns/topic:Topic",
        props=UnknownProps(
            {"kmsMasterKeyId": None, "name": "t", "tags": {"system": "s", "environment": "e"}}
        ),
        urn="urn:pulumi:prod::p::aws:sns/topic:Topic::t",
        name="t",
        opts=SimpleNamespace(protect=False),
        property_dependencies={},
    )
    reported = run_pack([topic])
    assert reported == {
        (
            "mlops-cost-tags",
            topic.urn,
            f"t: missing cost-attribution tags: owner (fix: {RULES[3].fix})",
        )
    }


# With pulumi_policy's own classes (skipped unless it is installed).


def test_real_resource_validation_args() -> None:
    policy_sdk = pytest.importorskip("pulumi_policy")
    args = policy_sdk.ResourceValidationArgs(
        resource_type="aws:iam/rolePolicy:RolePolicy",
        props={
            "name": "p",
            "policy": json.dumps(
                {"Statement": [{"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        },
        urn="urn:pulumi:prod::p::aws:iam/rolePolicy:RolePolicy::p",
        name="p",
        opts=policy_sdk.PolicyResourceOptions(
            protect=False,
            ignore_changes=[],
            delete_before_replace=None,
            aliases=[],
            custom_timeouts=policy_sdk.PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
            parent=None,
        ),
        provider=None,
    )
    policy = next(p for p in PACK.policies() if p.name == "mlops-no-wildcard-action")
    sdk_policy = policy_sdk.ResourceValidationPolicy(
        name=policy.name, description=policy.description, validate=policy.validate
    )
    messages: list[str] = []
    sdk_policy.validate(args, lambda message, urn=None: messages.append(message))
    assert messages and "statement All allows action '*'" in messages[0]


def test_real_stack_validation_args() -> None:
    policy_sdk = pytest.importorskip("pulumi_policy")
    options = policy_sdk.PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=policy_sdk.PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=None,
    )
    config = {"endpoints": {"e": {"instance_type": "ml.m5.large", "initial_instance_count": 1}}}
    deploy = policy_sdk.PolicyResource(
        "aws:lambda/function:Function",
        {
            "handler": "mlops_runtime.deploy.handler",
            "environment": {"variables": {"MLOPS_RUNTIME_CONFIG": json.dumps(config)}},
        },
        "urn:pulumi:prod::p::aws:lambda/function:Function::deploy",
        "deploy",
        options,
        None,
        None,
        [],
        {},
    )
    policy = next(p for p in PACK.policies() if p.name == "mlops-two-instances")
    assert policy.kind == "stack"
    sdk_policy = policy_sdk.StackValidationPolicy(
        name=policy.name, description=policy.description, validate=policy.validate
    )
    reported: list[tuple[str, str | None]] = []
    sdk_policy.validate(
        policy_sdk.StackValidationArgs([deploy]),
        lambda message, urn=None: reported.append((message, urn)),
    )
    assert [urn for _, urn in reported] == [deploy.urn]
    assert "endpoint e (created by the deploy function): initial instances is 1" in reported[0][0]


def test_real_unknown_values_read_as_computed() -> None:
    proxy = pytest.importorskip("pulumi_policy.proxy")
    props = proxy.unknown_checking_proxy(
        {"kmsMasterKeyId": proxy.UNKNOWN_STRING_VALUE, "rules": [{"a": proxy.UNKNOWN_STRING_VALUE}]}
    )
    assert PACK.plain(props) == {"kmsMasterKeyId": "<computed>", "rules": [{"a": "<computed>"}]}
