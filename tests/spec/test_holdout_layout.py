"""The holdout's layout (``header``/``columns`` of a data source) and how the candidate's
container scores it (``training.evaluation``): accepted, or refused at the spec line."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from mlops_spec.load import validate_system
from tests.plan.conftest import DEV

SPEC: dict[str, Any] = {
    "spec_version": 1,
    "system": {
        "id": "shop",
        "owner": "o@example.com",
        "region": "eu-west-1",
        "bucket_namespace": "acme",
    },
    "data_sources": {
        "ds": {"features": {"x": "numeric", "c": "categorical"}, "label": "y"},
        "hold": {
            "prefix": "holdout/",
            "format": "csv",
            "header": False,
            "columns": ["id", "y", "x", "c"],
            "features": {"x": "numeric", "c": "categorical"},
            "label": "y",
        },
    },
    "models": {
        "mm": {
            "training": {
                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1",
                "inputs": ["ds"],
                "holdout": "hold",
                "gate": {"metric": "auc", "min": 0.7},
                "evaluation": {"output": "probability", "instance_type": "ml.c5.xlarge"},
            },
        }
    },
}


def _validate(edit: Any = None) -> Any:
    data = copy.deepcopy(SPEC)
    if edit:
        edit(data)
    return validate_system(data, DEV)


def _errors(edit: Any) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        _validate(edit)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


def test_a_headerless_holdout_and_the_container_contract_are_accepted() -> None:
    spec = _validate()
    source = spec.data_sources["hold"]
    assert (source.header, source.columns) == (False, ["id", "y", "x", "c"])
    evaluation = spec.models["mm"].training.evaluation
    assert (evaluation.content_type, evaluation.output, evaluation.instance_type) == (
        "text/csv",
        "probability",
        "ml.c5.xlarge",
    )


def test_the_defaults_are_a_scikit_learn_containers_contract() -> None:
    def default(data: dict[str, Any]) -> None:
        del data["models"]["mm"]["training"]["evaluation"]
        data["models"]["mm"]["training"]["gate"] = {"metric": "accuracy", "min": 0.7}

    evaluation = _validate(default).models["mm"].training.evaluation
    assert (evaluation.content_type, evaluation.output, evaluation.instance_type) == (
        "text/csv",
        "label",
        "ml.m5.xlarge",
    )
    assert evaluation.max_payload_mb == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": None}, "header: false needs columns"),
        ({"columns": ["id", "y", "x"]}, "columns lacks ['c']"),
        ({"columns": ["y", "x", "c", "x"]}, "columns names ['x'] more than once"),
        ({"format": "parquet"}, "header: false is for csv objects"),
        ({"header": True}, "columns is only for headerless csv"),
    ],
)
def test_a_layout_that_cannot_be_read_is_refused_at_the_source(
    change: dict[str, Any], message: str
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["data_sources"]["hold"].update(change)

    ((loc, msg),) = _errors(edit)
    assert loc[:2] == ("data_sources", "hold")
    assert message in msg


def test_only_a_holdout_may_be_headerless() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["models"]["mm"]["training"]["inputs"] = ["ds", "hold"]

    ((loc, msg),) = _errors(edit)
    assert loc == ("models", "mm", "training", "inputs", 1)
    assert "'hold' is headerless (header: false), which only a gate's holdout may be" in msg


def test_a_regression_gate_reads_one_value_per_row() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["models"]["mm"]["training"]["gate"] = {"metric": "rmse", "max": 2.0}

    ((loc, msg),) = _errors(edit)
    assert loc == ("models", "mm", "training", "evaluation", "output")
    assert "rmse is a regression metric" in msg


def test_evaluation_without_a_gate_is_refused() -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["models"]["mm"]["training"]["gate"]

    ((loc, msg),) = _errors(edit)
    assert loc == ("models", "mm", "training", "evaluation")
    assert "the model has no gate" in msg


@pytest.mark.parametrize(
    ("field", "value"),
    [("content_type", "application/json"), ("output", "scores"), ("instance_type", "ml.t2.medium")],
)
def test_the_container_contract_takes_only_what_the_transform_supports(
    field: str, value: str
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["models"]["mm"]["training"]["evaluation"][field] = value

    ((loc, _),) = _errors(edit)
    assert loc[:5] == ("models", "mm", "training", "evaluation", field)
