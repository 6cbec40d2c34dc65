"""Notes are shown once for all the stacks they hold in; planner errors keep their spec path."""

from __future__ import annotations

from mlops_spec.plan.errors import PlanError, split_spec_path
from mlops_spec.verdict import Note, merge_notes


def _note(stack: str, message: str, loc: tuple[str | int, ...] = ("models", "m")) -> Note:
    generic = message.replace(f"shop-{stack}", "shop-<stack>")
    return Note(loc, message, (stack,), "spec.yaml", 3, 5, generic)


def test_notes_that_differ_only_by_the_stack_name_are_one_note() -> None:
    merged = merge_notes(
        {
            "dev": [_note("dev", "create role shop-dev-notify yourself")],
            "prod": [_note("prod", "create role shop-prod-notify yourself")],
        }
    )
    assert [(n.message, n.stacks) for n in merged] == [
        ("create role shop-<stack>-notify yourself", ("dev", "prod"))
    ]
    assert merged[0].render() == (
        "spec.yaml:3:5: note: spec.models.m: create role shop-<stack>-notify yourself "
        "(stacks dev, prod)"
    )


def test_a_note_of_one_stack_keeps_its_real_names() -> None:
    merged = merge_notes(
        {
            "dev": [_note("dev", "labels under s3://x/dev/ for shop-dev-m")],
            "prod": [_note("prod", "labels under s3://x/other/ for shop-prod-m")],
        }
    )
    assert [(n.message, n.stacks) for n in merged] == [
        ("labels under s3://x/dev/ for shop-dev-m", ("dev",)),
        ("labels under s3://x/other/ for shop-prod-m", ("prod",)),
    ]
    assert merged[0].render().endswith("(stack dev)")


def test_notes_on_other_paths_stay_apart() -> None:
    merged = merge_notes(
        {
            "dev": [_note("dev", "same text", ("models", "a"))],
            "prod": [_note("prod", "same text", ("models", "b"))],
        }
    )
    assert len(merged) == 2


def test_plan_errors_carry_their_spec_path() -> None:
    error = PlanError("models.m.training.platform: kubernetes training is not built")
    assert error.loc == ("models", "m", "training", "platform")
    assert error.message == "kubernetes training is not built"
    assert str(error) == "models.m.training.platform: kubernetes training is not built"
    given = PlanError("too large", loc=("models", "m", "monitors", "p99"))
    assert str(given) == "models.m.monitors.p99: too large"
    assert split_spec_path("serving (model_version: latest_approved) of m: x") == (
        (),
        "serving (model_version: latest_approved) of m: x",
    )
    assert split_spec_path("notifications.emails[2]: bad") == (
        ("notifications", "emails", 2),
        "bad",
    )
