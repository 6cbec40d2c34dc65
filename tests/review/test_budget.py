"""A large edit (six models, three stacks) fits GitHub's comment limit with every danger and
ML row intact; what gives way is written down in mlops_spec/review/markdown.py."""

from __future__ import annotations

import re

import pytest

from mlops_spec.review.markdown import BUDGET, HARD_LIMIT, LEVELS, render_comment, render_full
from mlops_spec.review.report import Review, review_stack
from mlops_spec.review.rules import Severity
from mlops_spec.review.text import units
from tests.review.conftest import CHURN, LINK_BASE, Planner

pytestmark = pytest.mark.xdist_group("review")
MODELS = 6


def estate(edited: bool) -> str:
    """The churn model six times (two follow latest_approved, four are pinned); the edit bumps
    images and pins, widens canaries, loosens drift thresholds and gates, drops the retrain
    action of every third model and turns paging off in prod."""
    head, rest = CHURN.split("models:\n", 1)
    model, environments = rest.split("\nenvironments:\n", 1)
    blocks = []
    for i in range(MODELS):
        block = model.replace("churn-classifier:", f"churn-m{i:02d}:")
        if i >= 2:
            pin = f"      model_version: {{pinned: {10 + i}}}\n"
            block = block.replace("      model_version: latest_approved\n", pin)
        if edited:
            for old, new in (
                ("churn-train:1.4.0", "churn-train:1.5.0"),
                ("        bake_minutes: 15\n", "        bake_minutes: 20\n"),
                ("        threshold: 0.2\n", "        threshold: 0.25\n"),
                ("        min: 0.78\n", "        min: 0.75\n"),
                (f"{{pinned: {10 + i}}}", f"{{pinned: {11 + i}}}"),
            ):
                block = block.replace(old, new)
            if i % 3 == 0:
                block = block.replace("        action: retrain\n", "")
        blocks.append(block)
    environments = environments.replace("      churn-classifier:\n", "      churn-m00:\n")
    if edited:
        environments = environments.replace(
            "  prod:\n    mode: production\n",
            "  prod:\n    mode: production\n    alarm_actions_enabled: false\n",
        )
    return head + "models:\n" + "".join(blocks) + "\nenvironments:\n" + environments


@pytest.fixture(scope="module")
def review(planned: Planner) -> Review:
    base, head = estate(False), estate(True)
    stacks = [
        review_stack(planned("estate-base", base, s), planned("estate-head", head, s))
        for s in ("dev", "staging", "prod")
    ]
    return Review(tuple(stacks), link_base=LINK_BASE, accept_label="mlops/accept-danger")


def _rows(review: Review) -> set[str]:
    return {j.change.text for s in review.stacks for j in s.changes}


def test_the_comment_fits_the_budget_with_every_danger_and_ml_row(review: Review) -> None:
    full = render_full(review)
    comment = render_comment(review)
    assert units(full) > BUDGET  # the edit is large enough for the budget to matter
    assert comment.units == units(comment.text) <= BUDGET < HARD_LIMIT
    assert comment.level != "full" and "Trimmed to fit" in comment.text
    for text in _rows(review):
        assert text.replace("|", "\\|") in comment.text, text
    dangers = review.count(Severity.DANGER)
    assert dangers >= 3  # paging off in prod, retrain loops dropped
    assert comment.text.count("\n> - **") == sum(
        len(s.resource_dangers) for s in review.stacks
    ) + len({(j.change.model, j.change.text) for s in review.stacks for j in s.ml_dangers})
    assert "> [!CAUTION]" in comment.text


def test_rows_repeated_in_every_stack_are_one_row(review: Review) -> None:
    comment = render_comment(review).text
    bump = "training image churn-train:1.4.0 -> 1.5.0"
    assert (
        len(re.findall(rf"\| dev, staging, prod \| churn-m03 \| {re.escape(bump)}", comment)) == 1
    )


def test_a_smaller_budget_degrades_in_the_written_order_never_cutting_rows(review: Review) -> None:
    sizes = [units(render_comment(review, budget=10**9).text)]
    for budget in (40_000, 25_000, 5_000):
        comment = render_comment(review, budget)
        sizes.append(comment.units)
        assert [level.name for level in LEVELS].index(comment.level) >= 1
        for text in _rows(review):
            assert text.replace("|", "\\|") in comment.text, text
    assert sizes == sorted(sizes, reverse=True)
