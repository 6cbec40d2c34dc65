"""The review's parts without planning: values shortened, lists keyed, rules, picture limits,
version 1 documents and the command line."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops_preview.document import PlanDocument
from mlops_spec import graph
from mlops_spec.cli import app
from mlops_spec.load import validate_file
from mlops_spec.review.change import Context
from mlops_spec.review.facts import Facts, build_facts
from mlops_spec.review.ml import ml_changes
from mlops_spec.review.report import review_stack
from mlops_spec.review.resources import keyed_changes
from mlops_spec.review.rules import Severity, judge
from mlops_spec.review.text import shorten, shorten_pair, units
from tests.conftest import ROOT
from tests.review.conftest import Planner

CHURN = ROOT / "examples/churn/mlops.yaml"


def test_lengths_count_utf16_units_like_github() -> None:
    assert units("a\u00d7\u26d4") == 3 and units("\U0001f600") == 2  # x, no-entry sign, emoji


def test_long_values_keep_both_ends_and_what_differs() -> None:
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn-prod-churn-classifier/"
    old, new = shorten_pair(arn + "12", arn + "13", 40)
    assert old.endswith("/12") and new.endswith("/13") and old.startswith("arn:aws:")
    assert len(old) <= 40 and len(new) <= 40
    assert shorten("abcdefghijklmnopqrstuvwxyz", 10) == "abcde…wxyz"


def test_iam_statements_are_matched_by_sid_not_position() -> None:
    read = {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"]}
    write = {"Sid": "Write", "Effect": "Allow", "Action": ["s3:PutObject"]}
    logs = {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:PutLogEvents"]}
    old = json.dumps({"Statement": [read, write, logs]})
    new = json.dumps({"Statement": [read, logs]})
    (line,) = keyed_changes({"policy": old}, {"policy": new})
    assert (line.path, line.kind) == ("policy<json>.Statement[Sid=Write]", "removed")


def test_plain_lists_are_compared_as_sets() -> None:
    old = {"alarmActions": ["arn:a", "arn:b"]}
    new = {"alarmActions": ["arn:b", "arn:c"]}
    lines = {(x.path, x.kind, x.old or x.new) for x in keyed_changes(old, new)}
    assert lines == {("alarmActions[+]", "added", "arn:c"), ("alarmActions[-]", "removed", "arn:a")}


def _facts(stack: str) -> Facts:
    validation = validate_file(CHURN, stack)
    facts = build_facts(validation, stack, {})
    return Facts.of(PlanDocument("mlops-spec", stack, facts=facts))  # type: ignore[return-value]


def test_the_last_rollback_monitor_of_a_production_endpoint_removed_is_a_danger() -> None:
    """As a head planned by code that does not refuse it would say (base and head may come
    from different code versions)."""
    base = _facts("prod")
    spec = copy.deepcopy(base.spec)
    monitors = spec["models"]["churn-classifier"]["monitors"]
    del monitors["p99-latency"]
    del monitors["server-errors"]
    head = Facts(**{**base.__dict__, "spec": spec})
    verdicts = {c.text: judge(c) for c in ml_changes(Context(base, head))}
    rules = sorted(v.rule or "" for v in verdicts.values() if v.severity is Severity.DANGER)
    assert rules == ["rollback-guard-lost"]  # one danger for one loss, not one per monitor
    one_left = copy.deepcopy(base.spec)
    del one_left["models"]["churn-classifier"]["monitors"]["p99-latency"]
    head = Facts(**{**base.__dict__, "spec": one_left})
    assert all(judge(c).severity is Severity.REVIEW for c in ml_changes(Context(base, head)))


def test_the_same_edit_outside_production_is_no_danger() -> None:
    base = _facts("dev")
    spec = copy.deepcopy(base.spec)
    spec["models"]["churn-classifier"]["serving"]["rollout"]["auto_rollback"] = False
    spec["models"]["churn-classifier"]["registry"]["approval"] = "auto"
    head = Facts(**{**base.__dict__, "spec": spec})
    assert {judge(c).severity for c in ml_changes(Context(base, head))} <= {
        Severity.INFO,
        Severity.REVIEW,
    }


def test_a_version_1_base_is_read_and_the_review_says_what_it_lacks(planned: Planner) -> None:
    text = CHURN.read_text()
    head = planned("v1-head", text.replace("traffic_percent: 50", "traffic_percent: 30"), "dev")
    base = planned("v1-base", text, "dev")
    old = PlanDocument.from_json(
        base.to_json().replace('"format_version": 2', '"format_version": 1')
    )
    assert old.facts is None and old.format_version == 1
    stack = review_stack(old, head)
    assert stack.changes == () and "format_version 1" in stack.notes[0]
    assert stack.summary["changed"] >= 1  # the resource diff still shows


def _spec_dict(models: int) -> tuple[dict, dict]:
    resolution = validate_file(CHURN, "prod").stacks["prod"].spec
    spec = resolution.spec.model_dump(mode="json")
    model = spec["models"]["churn-classifier"]
    spec["models"] = {f"m{i:03d}": model for i in range(models)}
    return spec, resolution.environment.model_dump(mode="json")


def test_the_picture_stays_within_githubs_mermaid_limits() -> None:
    small = graph.render(*_spec_dict(1))
    assert small.detail == "full" and small.text and "click" not in small.text
    large = graph.render(*_spec_dict(40))
    assert large.detail == "monitors grouped"
    assert large.edges <= graph.MAX_EDGES and large.text and len(large.text) <= graph.MAX_CHARS
    focus = graph.render(*_spec_dict(150), highlight={"model:m007:serving": "danger"})
    assert focus.detail == "highlighted models only" and "class n_model_m007_serving danger" in (
        focus.text or ""
    )
    huge = graph.render(*_spec_dict(150))
    assert huge.text is None and "500 edges" in (huge.note or "")


def test_review_command_json_and_fail_on_danger(planned: Planner, tmp_path: Path) -> None:
    text = CHURN.read_text()
    base = planned("cli-base", text, "prod")
    head = planned(
        "cli-head",
        text.replace("    mode: production\n    notifications:", "    mode: production\n"
                     "    alarm_actions_enabled: false\n    notifications:"),
        "prod",
    )  # fmt: skip
    (tmp_path / "base.json").write_text(base.to_json())
    (tmp_path / "head.json").write_text(head.to_json())
    args = ["review", "--base", str(tmp_path / "base.json"), "--head", str(tmp_path / "head.json")]
    result = CliRunner().invoke(app, [*args, "-f", "json", "-o", str(tmp_path / "full.md")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["has_danger"] and data["counts"]["danger"] == 1
    assert (tmp_path / "full.md").read_text().startswith("<!-- mlops-review -->")
    assert CliRunner().invoke(app, [*args, "--fail-on-danger"]).exit_code == 1


def test_graph_command_prints_the_flowchart() -> None:
    result = CliRunner().invoke(app, ["graph", str(CHURN), "--stack", "prod"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("flowchart LR") and "training pipeline" in result.stdout


@pytest.mark.parametrize("bad", ["nope.json"])
def test_review_of_a_missing_plan_is_a_clear_error(tmp_path: Path, bad: str) -> None:
    (tmp_path / bad).write_text("[]")
    result = CliRunner().invoke(
        app, ["review", "--base", str(tmp_path / bad), "--head", str(tmp_path / bad)]
    )
    assert result.exit_code == 1 and "not a plan JSON document" in result.output
    assert "Traceback" not in result.output


def test_docs_list_every_rule_and_the_degradation_order() -> None:
    from mlops_spec.review.markdown import LEVELS
    from mlops_spec.review.rules import RULES

    text = (ROOT / "docs/review.md").read_text()
    for rule in RULES:
        assert f"| `{rule.name}` | {rule.severity.label} |" in text, rule.name
    assert len(LEVELS) == 8 and "7. ML rows without links." in text


def test_cost_delta_and_table_from_two_estimates() -> None:
    from mlops_spec.review.cost_table import cost_delta, render_costs

    before = {
        "monthly_usd": 200.0,
        "items": [
            {"model": "m", "what": "endpoint", "instance_type": "ml.c5.large", "usd": 150.0},
            {"model": "m", "what": "training", "instance_type": "ml.m5.xlarge", "usd": 50.0},
        ],
    }
    after = {
        "monthly_usd": 350.0,
        "complete": False,
        "items": [
            {"model": "m", "what": "endpoint", "instance_type": "ml.c5.xlarge", "usd": 300.0},
            {"model": "m", "what": "training", "instance_type": "ml.m5.xlarge", "usd": 50.0},
            {"model": "m", "what": "serverless", "instance_type": "2048", "usd": None},
        ],
    }
    delta = cost_delta(before, after)
    assert delta["monthly_usd"] == {"before": 200.0, "after": 350.0}
    table = render_costs([("prod", delta, None), ("dev", None, "no price table")], items=True)
    assert "| prod | $200.00 | ≥ $350.00 | +$150.00 (+75.0%) |" in table
    assert "| dev | no price table | | |" in table
    assert "| m endpoint ml.c5.xlarge | unpriced | $300.00 | +$300.00 |" in table
    assert "training" not in table  # unchanged items are left out
    assert render_costs([("prod", None, None)], items=True) == "**Cost:** no price table.\n"
