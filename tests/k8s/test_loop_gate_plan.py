"""A gated model trained on the cluster, planned from the spec: the churn-k8s example's gate on
churn-classifier, scoring JSON Lines probabilities. The training Job runs the model server sidecar and lineage-inputs;
the register container's FinishConfig carries the AWS planner's holdout and evaluation
configurations with the cluster's locations, and the lineage record's facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mlops_runtime.contract.controller import FinishConfig
from mlops_spec.errors import SpecError
from mlops_spec.load import resolve, validate_file
from mlops_spec.plan import plan
from mlops_spec.plan.lineage import spec_sha256, stamp_commit
from tests.conftest import ROOT
from tests.k8s import harness

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"
MODEL = "churn-classifier"
DIGEST = "sha256:" + "e" * 64
HOLDOUT = "customer-events-holdout"


def gated_spec(tmp_path: Path, **gate: Any) -> Path:
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    holdout = dict(data["data_sources"]["customer-events"], prefix="holdout/")
    holdout.pop("retrain_on_new_data", None)
    data["data_sources"][HOLDOUT] = holdout
    training = data["models"][MODEL]["training"]
    training["holdout"] = HOLDOUT
    training["gate"] = gate or {"metric": "auc", "min": 0.7}
    training["evaluation"] = {"content_type": "application/jsonlines", "output": "probability"}
    training["image"] = training["image"].split("@")[0] + "@" + DIGEST
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    return path


@pytest.fixture
def planned(tmp_path: Path) -> tuple[Any, Any]:
    resolved = resolve(gated_spec(tmp_path), "prod")
    return resolved, plan(resolved)


def job_of(deployment: Any) -> Any:
    loop = deployment.kubernetes.loop
    (job,) = [j for j in loop.jobs if j.model == MODEL]
    return job


def test_the_gated_job_has_the_sidecar_and_lineage_inputs_and_validates(
    planned: tuple[Any, Any],
) -> None:
    _, deployment = planned
    job = job_of(deployment)
    assert (job.score_holdout, job.record_lineage) == (True, True)
    manifest = job.manifest()
    names = [c["name"] for c in manifest["spec"]["template"]["spec"]["initContainers"]]
    assert names == ["lineage-inputs", "fetch-inputs", "train", "model"]
    assert harness.errors([manifest, job.config_map()]) == []


def test_the_finish_config_is_the_aws_gate_with_the_clusters_locations(
    planned: tuple[Any, Any],
) -> None:
    resolved, deployment = planned
    job = job_of(deployment)
    config = FinishConfig.from_json(job.finish_config)
    assert config.gate is not None
    spec_features = resolved.spec.data_sources["customer-events"].features
    assert list(config.gate.holdout.features) == list(spec_features)  # the model's order
    assert config.gate.holdout.label == "churned"
    assert config.gate.holdout.content_type == "application/jsonlines"
    assert config.gate.holdout_uri.endswith("-data-customer-events-holdout-eu-west-1/holdout/")
    assert config.lineage is not None
    assert config.lineage.config.sources[1].uri == config.gate.holdout_uri
    evaluation = config.gate.evaluation
    assert (evaluation.model_package_group, evaluation.output) == (MODEL, "probability")
    assert (evaluation.gate.metric, evaluation.gate.min_value) == ("auc", 0.7)
    assert config.profile is not None and config.profile.copy_predictions is True


def test_the_lineage_facts_come_from_the_planner(planned: tuple[Any, Any]) -> None:
    resolved, deployment = planned
    config = FinishConfig.from_json(job_of(deployment).finish_config)
    assert config.lineage is not None
    assert (config.lineage.spec_sha256, config.lineage.stack) == (spec_sha256(resolved), "prod")
    assert config.lineage.commit == "unknown"
    record = config.lineage.config
    assert record.image.endswith("@" + DIGEST)
    assert [(s.name, s.roles) for s in record.sources] == [
        ("customer-events", ("train",)),
        (HOLDOUT, ("holdout",)),
    ]
    assert record.records_uri.endswith(f"models/{MODEL}/lineage/")
    assert record.instance_type == "kubernetes: cpu 2, memory 8 GiB, gpu 0"

    stamped = job_of(stamp_commit(deployment, "4c1d9e7"))
    again = FinishConfig.from_json(stamped.finish_config)
    assert again.lineage is not None and again.lineage.commit == "4c1d9e7"
    assert (
        json.loads(stamped.finish_config)["gate"]
        == json.loads(job_of(deployment).finish_config)["gate"]
    )


def test_an_ungated_cluster_model_scores_nothing_but_records_its_lineage(tmp_path: Path) -> None:
    data: dict[str, Any] = YAML(typ="safe").load(SPEC.read_text())
    for key in ("gate", "evaluation"):  # evaluation says how the gate scores
        del data["models"][MODEL]["training"][key]
    path = tmp_path / "mlops.yaml"
    with path.open("w") as handle:
        YAML().dump(data, handle)
    deployment = plan(resolve(path, "prod"))
    job = job_of(deployment)
    assert (job.score_holdout, job.record_lineage) == (False, True)
    config = FinishConfig.from_json(job.finish_config)
    assert config.gate is None and config.lineage is not None


def test_the_transforms_instance_type_is_refused_on_the_cluster(tmp_path: Path) -> None:
    path = gated_spec(tmp_path)
    text = path.read_text().replace(
        "content_type: application/jsonlines",
        "content_type: application/jsonlines\n        instance_type: ml.g5.xlarge",
    )
    path.write_text(text)
    with pytest.raises(SpecError) as raised:
        validate_file(path, "prod")
    (problem,) = raised.value.problems
    assert problem.loc[-3:] == ("training", "evaluation", "instance_type")
    assert "training size" in problem.message and problem.got == "ml.g5.xlarge"
