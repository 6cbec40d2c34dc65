"""Endpoint names and the names the deploy function derives from them: it names each Model and
EndpointConfig ``<endpoint>-<12-hex hash>`` within SageMaker's 63 characters, and the deploy
role may create exactly ``model/<prefix>-<model>-*`` and ``endpoint-config/<prefix>-<model>-*``.
A longer endpoint name would be cut before the hash and the grant would miss it, so loading
refuses endpoint names over 50 characters, located at the model."""

from __future__ import annotations

import copy
import fnmatch
from typing import Any

import pytest
from pydantic import ValidationError

from mlops_runtime.aws.endpoint_requests import hashed_name
from mlops_spec.load import validate_system
from mlops_spec.models import ResolvedSpec
from mlops_spec.naming import ENDPOINT_NAME_LENGTH
from mlops_spec.plan import plan
from tests.plan.conftest import DEV, MINIMAL

SYSTEM = "customer-analytics-x"  # 20 characters, the longest system id: prefix "<system>-dev"


def spec(model_id: str, model_version: Any = "latest_approved") -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data["system"]["id"] = SYSTEM
    model = data["models"].pop("mm")
    model["serving"]["model_version"] = model_version
    data["models"][model_id] = model
    return data


def test_an_endpoint_name_over_50_characters_is_refused_at_load_time() -> None:
    model_id = "churn-propensity-quarterly"  # customer-analytics-x-dev-<26> = 51 characters
    with pytest.raises(ValidationError) as caught:
        validate_system(spec(model_id), DEV)
    (error,) = [e for e in caught.value.errors() if "endpoint name" in e["msg"]]
    assert error["loc"] == ("models", model_id)
    assert error["input"] == f"{SYSTEM}-dev-{model_id}"
    assert "51 characters; at most 50" in error["msg"]
    assert "12-character hash" in error["msg"]


def test_the_longest_endpoint_name_allowed_is_kept_whole_and_granted() -> None:
    model_id = "churn-propensity-quarter1"  # 50 characters: allowed
    validated = validate_system(spec(model_id), DEV)
    deployment = plan(ResolvedSpec(spec=validated, environment=DEV))
    endpoint = f"{SYSTEM}-dev-{model_id}"
    assert len(endpoint) == ENDPOINT_NAME_LENGTH
    # The name the deploy function gives the Model and EndpointConfig it creates ...
    created = hashed_name(endpoint, {"ExecutionRoleArn": "arn:aws:iam::1:role/r"})
    assert created.startswith(endpoint + "-") and len(created) <= 63
    # ... is one the deploy role may create.
    deploy = deployment.retraining.function("deploy")  # type: ignore[union-attr]
    assert deploy is not None
    (serve,) = [s for s in deploy.role.policy.statements if s.sid == "ServeModel"]
    arns = {
        kind: f"arn:aws:sagemaker:eu-west-1:${{account}}:{kind}/{created}"
        for kind in ("model", "endpoint-config")
    }
    for kind, arn in arns.items():
        assert any(fnmatch.fnmatchcase(arn, pattern) for pattern in serve.resources), kind


def test_a_name_one_character_longer_would_have_been_cut_before_the_hash() -> None:
    endpoint = "e" * (ENDPOINT_NAME_LENGTH + 1)
    assert not hashed_name(endpoint, {}).startswith(endpoint + "-")
