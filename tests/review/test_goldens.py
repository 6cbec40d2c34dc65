"""The comment for each realistic edit equals its golden, and says what a reviewer must see."""

from __future__ import annotations

import pytest

from mlops_spec.review.markdown import render_comment
from mlops_spec.review.report import Review, StackReview, review_stack
from mlops_spec.review.rules import Severity
from mlops_spec.review.text import TIMES
from tests.review.conftest import LINK_BASE, Planner
from tests.review.scenarios import GOLDEN, SCENARIOS, Scenario, without_resource_diff

pytestmark = pytest.mark.xdist_group("review")
BY_NAME = {s.name: s for s in SCENARIOS}


def _stack(planned: Planner, scenario: Scenario) -> StackReview:
    return review_stack(
        planned(f"{scenario.name}-base", scenario.base, "prod"),
        planned(f"{scenario.name}-head", scenario.head, "prod"),
    )


def _review(stack: StackReview) -> Review:
    return Review((stack,), link_base=LINK_BASE, accept_label="mlops/accept-danger")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_comment_matches_its_golden(planned: Planner, scenario: Scenario) -> None:
    text = without_resource_diff(render_comment(_review(_stack(planned, scenario))).text)
    golden = (GOLDEN / f"{scenario.name}.md").read_text()
    assert text == golden, (
        f"{scenario.name}: the comment changed ({scenario.says}); if intended, read the new "
        "one and refresh: python -m tests.review.scenarios"
    )


def _dangers(stack: StackReview) -> list[str]:
    return [j.verdict.rule or "" for j in stack.changes if j.severity is Severity.DANGER]


@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("six-line-edit", ["paging-off-in-production"]),
        ("prod-to-serverless", ["rollback-guard-lost", "retrain-loop-removed"]),
        ("switched-to-development", ["switched-to-development"]),
        ("model-renamed", ["endpoint-left-running", "renamed-without-moved-from"]),
        ("retrain-loop-removed", ["retrain-loop-removed"]),
        ("auto-approval-in-prod", ["auto-approval-in-production"]),
        ("canary-only", []),
        ("pinned-version-bump", []),
        ("buckets-replaced", []),
    ],
)
def test_each_edit_raises_exactly_its_ml_dangers(
    planned: Planner, name: str, rules: list[str]
) -> None:
    assert sorted(_dangers(_stack(planned, BY_NAME[name]))) == sorted(rules)


def test_harmless_canary_change_is_info_and_passes(planned: Planner) -> None:
    stack = _stack(planned, BY_NAME["canary-only"])
    assert [(j.change.text, j.severity) for j in stack.changes] == [
        ("canary 50% -> linear 50%", Severity.INFO)
    ]
    assert not _review(stack).has_danger
    assert "[!CAUTION]" not in render_comment(_review(stack)).text


def test_stateful_replacement_is_a_grouped_danger(planned: Planner) -> None:
    stack = _stack(planned, BY_NAME["buckets-replaced"])
    (group,) = stack.resource_dangers
    assert group.type == "aws:s3/bucket:Bucket" and len(group.names) == 7
    assert "replaces S3 bucket (`bucket` changes)" in group.text()
    assert _review(stack).has_danger


def test_paging_off_is_one_row_counting_its_alarms(planned: Planner) -> None:
    stack = _stack(planned, BY_NAME["six-line-edit"])
    (paging,) = [j for j in stack.changes if j.change.kind == "paging"]
    # failed pipeline runs stop reaching people too: the rule is disabled with the alarms
    assert (
        paging.change.text == "paging on -> off in prod (14 alarms and the pipeline-failure rule)"
    )
    assert not stack.resource_dangers  # the 14 alarm dangers are that row, not 14 lines
    texts = [j.change.text for j in stack.changes]
    capacity = "2 {0} ml.c5.large -> 3 {0} ml.c5.xlarge (takes effect at the next approved version)"
    assert capacity.format(TIMES) in texts
    assert "feature-drift PSI 0.2 -> 0.3: less sensitive" in texts


def test_pinned_bump_keeps_both_ends_of_the_package_arn(planned: Planner) -> None:
    stack = _stack(planned, BY_NAME["pinned-version-bump"])
    text = render_comment(_review(stack)).text
    assert "churn-prod-churn-classifier/12" in text and "churn-prod-churn-classifier/13" in text
