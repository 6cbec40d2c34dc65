"""A plan document (``mlops plan -f json``, e.g. a pull request's base planned by its own code)
is priced exactly like the planner's DeploymentPlan of the same stack."""

from __future__ import annotations

import json

import pytest

from mlops_spec.cost import estimate, read_prices
from mlops_spec.cost.from_document import from_document
from mlops_spec.cost.from_plan import from_plan
from mlops_spec.load import resolve
from mlops_spec.plan import plan
from mlops_spec.plan_cli import run_plan
from tests.conftest import ROOT
from tests.cost.test_estimate import FIXTURES, USAGE

pytestmark = pytest.mark.xdist_group("cost-previews")
PRICES = read_prices(FIXTURES / "prices.csv")


@pytest.mark.parametrize(("example", "stack"), [("churn", "prod"), ("ltv", "prod"), ("ltv", "dev")])
def test_document_and_plan_give_the_same_workload_and_estimate(example: str, stack: str) -> None:
    spec = ROOT / "examples" / example / "mlops.yaml"
    document = json.loads(run_plan(spec, stack, ROOT).to_json())
    deployment = plan(resolve(spec, stack))
    assert from_document(document) == from_plan(deployment)
    assert (
        estimate(document, PRICES, USAGE).to_dict() == estimate(deployment, PRICES, USAGE).to_dict()
    )
