"""The example plans pass the guardrails; the exceptions are the ones their specs ask for."""

from __future__ import annotations

import pytest

from mlops_spec.guardrails import RULE_IDS, check, from_document, production_of_document
from tests.guardrails.conftest import planned

pytestmark = pytest.mark.xdist_group("guardrails")
PRODUCTION_ONLY = {"rollback-required", "two-instances", "paging", "stateful-protected"}


def run(key: str, skip: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    document = planned(key)
    production = production_of_document(document)
    assert production is not None, "mlops plan writes facts (format_version 2)"
    return check(from_document(document, production), skip, "facts")


@pytest.mark.parametrize("key", ["churn-prod", "ltv-prod"])
def test_production_examples_pass_every_rule(key: str) -> None:
    result = run(key)
    assert result.production
    assert result.checked == RULE_IDS
    assert result.violations == ()


@pytest.mark.parametrize("key", ["churn-dev", "ltv-dev"])
def test_development_examples_pass_the_rules_for_every_stack(key: str) -> None:
    result = run(key)
    assert not result.production
    assert {rule for rule, _ in result.skipped} == PRODUCTION_ONLY
    assert result.violations == ()


def test_churn_staging_breaks_exactly_what_its_overlay_asks_for() -> None:
    # staging: mode production, alarm_actions_enabled: false, autoscaling 1-2 instances
    result = run("churn-staging")
    assert {v.rule for v in result.violations} == {"paging", "two-instances"}
    assert all(v.urn.endswith(("-alarm", "::retraining-deploy")) for v in result.violations), (
        "alarms, and the deploy function that creates the endpoint"
    )
    assert run("churn-staging", ("paging", "two-instances")).passed


def test_the_all_tiers_spec_runs_one_instance_of_its_latest_approved_endpoint() -> None:
    result = run("full-prod")
    assert [(v.rule, v.resource) for v in result.violations] == [
        ("two-instances", "full-prod-deploy")
    ]
    assert "endpoint full-prod-la (created by the deploy function)" in result.violations[0].message
