"""Renaming a model and a data source with ``moved_from`` keeps their stateful resources.

The churn example's prod stack is planned twice through the real program under the recording
mocks (``mlops plan``'s code path): as it is, and with the model ``churn-classifier`` renamed
``churn-scorer`` and the data source ``customer-events`` renamed ``customer-activity``. The
offline diff (``mlops diff``) must then match every resource (aliases), replace no stateful
resource and report no danger; without ``moved_from`` the same rename is dangerous.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlops_preview import PlanDocument, diff_plans
from mlops_preview.stateful import stateful_type
from mlops_spec.plan_cli import run_plan, with_lifecycle_dangers
from mlops_spec.review.report import review_stack
from tests.conftest import ROOT

SPEC = ROOT / "examples/churn/mlops.yaml"
STACK = "prod"


def _renamed(tmp: Path, moved: bool) -> Path:
    text = SPEC.read_text().replace("churn-classifier", "churn-scorer")
    text = re.sub(r"customer-events(?!-holdout)", "customer-activity", text)
    if moved:
        text = text.replace(
            "  churn-scorer:\n    description:",
            "  churn-scorer:\n    moved_from: churn-classifier\n    description:",
        )
        text = text.replace(
            "  customer-activity:\n    bucket: create\n",
            "  customer-activity:\n    moved_from: customer-events\n    bucket: create\n",
        )
        assert text.count("moved_from") == 2
    target = tmp / "mlops.yaml"
    target.write_text(text.replace("../../schema/", str(ROOT / "schema") + "/"))
    return target


@pytest.fixture(scope="module")
def base() -> PlanDocument:
    return run_plan(SPEC, STACK, ROOT)


@pytest.fixture(scope="module")
def moved(base: PlanDocument, tmp_path_factory: pytest.TempPathFactory) -> PlanDocument:
    return run_plan(_renamed(tmp_path_factory.mktemp("moved"), True), STACK, ROOT)


def test_a_moved_model_and_source_keep_every_resource(
    base: PlanDocument, moved: PlanDocument
) -> None:
    diff = with_lifecycle_dangers(diff_plans(base, moved), base, moved)  # as `mlops diff`
    assert not diff.removed and not diff.added, [r.urn for r in (*diff.removed, *diff.added)]
    assert not diff.dangers, [d.reason for d in diff.dangers]
    renamed = {c.name for c in diff.changed if c.renamed}
    assert {
        "churn-scorer-packages",
        "churn-scorer-training",
        "churn-scorer-training-pipeline",
        "churn-scorer-serving-endpoint-logs",
        "churn-scorer-p99-latency-alarm",
        "retraining-endpoint-in-service-churn-scorer-rule",
        "storage-data-customer-activity",
        "storage-data-customer-activity-policy",
    } <= renamed
    stateful = [c for c in diff.changed if stateful_type(c.type)]
    assert stateful and not [c.name for c in stateful if c.replaces]


def test_stateful_resources_keep_their_aws_names(base: PlanDocument, moved: PlanDocument) -> None:
    def inputs(doc: PlanDocument, name: str) -> dict:
        return next(r.inputs for r in doc.resources if r.name == name)

    group = inputs(moved, "churn-scorer-packages")["modelPackageGroupName"]
    assert group == inputs(base, "churn-classifier-packages")["modelPackageGroupName"]
    assert group == "churn-prod-churn-classifier"
    bucket = inputs(moved, "storage-data-customer-activity")["bucket"]
    assert bucket == "acme-churn-prod-data-customer-events-eu-west-1"
    logs = inputs(moved, "churn-scorer-serving-endpoint-logs")["name"]
    assert logs == "/aws/sagemaker/Endpoints/churn-prod-churn-classifier"
    # Stateless resources take the new id: the training pipeline is replaced under its new name.
    pipeline = inputs(moved, "churn-scorer-training-pipeline")["pipelineName"]
    assert pipeline == "churn-prod-churn-scorer-train"
    assert moved.outputs["models"]["churn-scorer"]["endpoint_name"] == (
        "churn-prod-churn-classifier"
    )


def test_the_review_reads_a_rename_not_a_removal(base: PlanDocument, moved: PlanDocument):
    """The latest_approved endpoint keeps its name under the new id: nothing is left running."""
    review = review_stack(base, moved)
    texts = [j.change.text for j in review.changes]
    assert "model churn-classifier renamed to churn-scorer" in texts
    assert review.danger_count == 0, [j.change.text for j in review.ml_dangers]


def test_the_same_rename_without_moved_from_is_dangerous(
    base: PlanDocument, tmp_path: Path
) -> None:
    head = run_plan(_renamed(tmp_path, False), STACK, ROOT)
    diff = with_lifecycle_dangers(diff_plans(base, head), base, head)
    deleted = {d.type for d in diff.dangers}
    assert "aws:sagemaker/modelPackageGroup:ModelPackageGroup" in deleted
    assert "aws:s3/bucket:Bucket" in deleted
    assert "aws:sagemaker/endpoint:Endpoint" in deleted  # the old endpoint is left running
    kinds = {j.change.kind for j in review_stack(base, head).ml_dangers}
    assert {"model_renamed", "endpoint_left_running"} <= kinds
