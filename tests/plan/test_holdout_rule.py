"""The gate's holdout in production (issue 8, item 22): a candidate is never scored on data it
was trained on. Located messages are in tests/spec/corpus/bad/holdout_*.yaml."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from mlops_spec.load import validate_system
from tests.plan.conftest import DEV, MINIMAL, PROD

GATE = {"metric": "auc", "min": 0.8}
HOLDOUT = {"prefix": "holdout/", "features": {"x": "numeric", "c": "categorical"}, "label": "y"}


def _spec(**training: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data["data_sources"]["ds-holdout"] = copy.deepcopy(HOLDOUT)
    data["models"]["mm"]["training"].update(
        gate=GATE, evaluation={"output": "probability"}, **training
    )
    return data


def _problems(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    try:
        validate_system(data, PROD)
    except ValidationError as error:
        return [(tuple(e["loc"]), e["msg"]) for e in error.errors()]
    return []


def test_production_refuses_a_gate_that_scores_on_the_training_data() -> None:
    ((loc, message),) = _problems(_spec())
    assert loc == ("models", "mm", "training", "gate")
    assert "scored on its own training data ('ds')" in message
    validate_system(_spec(), DEV)  # development may


def test_production_refuses_a_holdout_that_is_a_training_input() -> None:
    ((loc, message),) = _problems(_spec(holdout="ds"))
    assert loc == ("models", "mm", "training", "holdout")
    assert "also a training input" in message


def test_a_holdout_in_the_training_bucket_must_read_other_objects() -> None:
    data = _spec(holdout="ds-holdout")
    data["data_sources"]["ds"]["bucket"] = "acme-exports"
    data["data_sources"]["ds-holdout"]["bucket"] = "arn:aws:s3:::acme-exports"
    assert _problems(data) == []  # p/ and holdout/ are other objects
    data["data_sources"]["ds-holdout"]["prefix"] = "p/holdout/"
    ((loc, message),) = _problems(data)
    assert loc == ("models", "mm", "training", "holdout")
    assert "overlapping prefixes" in message


@pytest.mark.parametrize("bucket", ["create", "arn:aws:s3:::other-bucket"])
def test_a_holdout_of_its_own_passes(bucket: str) -> None:
    data = _spec(holdout="ds-holdout")
    data["data_sources"]["ds-holdout"]["bucket"] = bucket
    assert _problems(data) == []
