"""The snippets of docs/components.md plan, and docs/outputs.md's example reads."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops_spec.load import validate_system
from mlops_spec.models import ResolvedSpec
from mlops_spec.outputs import loads
from mlops_spec.plan import plan
from tests.conftest import ROOT
from tests.plan.conftest import DEV

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"
BASE: dict[str, Any] = {
    "spec_version": 1,
    "system": {
        "id": "docs",
        "owner": "o@example.com",
        "region": "eu-west-1",
        "bucket_namespace": "acme",
    },
    "data_sources": {
        "events": {"features": {"tenure": "numeric", "plan": "categorical"}, "label": "churned"},
        "orders": {"features": {"amount": "numeric"}, "label": "revenue"},
    },
    "models": {
        "churn": {
            "training": {"image": IMAGE, "inputs": ["events"]},
            "serving": {"tier": "realtime"},
        },
        "ltv": {"training": {"image": IMAGE, "inputs": ["orders"]}},
    },
}


def _merge(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _blocks(name: str, language: str) -> list[str]:
    text = (ROOT / "docs" / name).read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


SNIPPETS = _blocks("components.md", "yaml")


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet-{i}" for i in range(len(SNIPPETS))])
def test_component_doc_snippets_plan(snippet: str) -> None:
    data = _merge(BASE, YAML(typ="safe").load(snippet))
    spec = validate_system(data, DEV)
    assert plan(ResolvedSpec(spec=spec, environment=DEV)).models


def test_outputs_doc_example_follows_the_contract() -> None:
    example, k8s_example = _blocks("outputs.md", "json")
    outputs = loads(example)
    assert outputs.model("churn-classifier").endpoint_owner == "deploy-function"
    cluster = loads(k8s_example).kubernetes
    assert cluster and cluster.model("churn-classifier").serving
    assert outputs.kubernetes is None
