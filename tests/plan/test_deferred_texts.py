"""The dashboards' bodies, the batch and monitoring-job pipeline definitions and the
monitoring jobs' and functions' runtime configurations are built when first read
(``pipelines.Deferred``): validation builds none, a read builds each once, and every way of
reading or copying a record sees the text."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from mlops_runtime.contract.config import RuntimeConfig
from mlops_spec.load import validate_document
from mlops_spec.plan import DeploymentPlan, monitoring, monitoring_job, pipelines
from mlops_spec.yamlio import read
from tests.conftest import EXAMPLES
from tests.plan.conftest import FULL_SPEC

SPECS = [*EXAMPLES, FULL_SPEC]


def _count(monkeypatch: pytest.MonkeyPatch, calls: list[str], module: Any, name: str) -> None:
    """Record each call of ``module.name`` in ``calls`` (what a deferred field calls when
    read)."""
    build = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> str:
        calls.append(name)
        return str(build(*args, **kwargs))

    monkeypatch.setattr(module, name, counted)


def _records(plan: DeploymentPlan) -> list[tuple[Any, str]]:
    """(record, deferred field) of every dashboard, batch pipeline and monitoring job."""
    found: list[tuple[Any, str]] = [(m, "dashboard_body") for m in plan.monitoring.models]
    found += [(s.batch, "definition") for s in plan.serving if s.batch]
    found += [(j, "definition") for j in plan.monitoring.jobs]
    found += [(j, "config") for j in plan.monitoring.jobs]
    found += [(j.config_files[0], "content") for j in plan.monitoring.jobs]
    functions = [*plan.retraining.functions] if plan.retraining else []
    functions += [plan.monitoring.notifier.function] if plan.monitoring.notifier else []
    found += [(f.config_file, "content") for f in functions]
    return found


DEFERRED_CONFIGS = {"MonitorConfig", "DeployConfig", "TriggerConfig", "NotifyConfig"}
"""The runtime configurations whose JSON validation does not encode."""


def _count_configs(monkeypatch: pytest.MonkeyPatch, calls: list[str]) -> None:
    encode = RuntimeConfig.to_json

    def counted(self: RuntimeConfig) -> str:
        calls.append(type(self).__name__)
        return encode(self)

    monkeypatch.setattr(RuntimeConfig, "to_json", counted)


@pytest.mark.parametrize(
    "path", SPECS, ids=lambda p: p.parent.name if p.stem == "mlops" else p.stem
)
def test_validation_builds_none_and_a_read_builds_each_once(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    _count(monkeypatch, built, monitoring, "dashboard_body")
    _count(monkeypatch, built, monitoring_job, "_definition")
    _count(monkeypatch, built, pipelines, "definition")
    encoded: list[str] = []
    _count_configs(monkeypatch, encoded)
    validation = validate_document(read(path))
    plans = [stack.plan for stack in validation.stacks.values() if stack.plan]
    records = [r for p in plans if p.kubernetes is None for r in _records(p)]
    assert not built
    if not records:  # a cluster's plans read the monitoring jobs' configurations
        assert all(p.kubernetes for p in plans)
        return
    assert not DEFERRED_CONFIGS & set(encoded)
    encoded.clear()
    texts = [getattr(record, field) for record, field in records]
    kinds = [(type(record).__name__, field) for record, field in records]
    jobs = kinds.count(("MonitoringJobPlan", "definition"))
    assert built.count("dashboard_body") == kinds.count(("ModelMonitoringPlan", "dashboard_body"))
    assert built.count("_definition") == jobs  # each job's encodes through definition
    assert built.count("definition") == kinds.count(("BatchPlan", "definition")) + jobs
    configs = [r for r, f in records if f in ("config", "content")]
    assert len([c for c in encoded if c in DEFERRED_CONFIGS]) == len(configs)
    reads = len(built)
    assert [getattr(record, field) for record, field in records] == texts
    assert len(built) == reads  # kept: a second read builds nothing
    for text, (_, field) in zip(texts, records, strict=True):
        document = json.loads(text)
        if field == "dashboard_body":
            assert "widgets" in document
        elif field == "definition":
            assert "Steps" in document
        else:
            assert isinstance(document, dict) and document


def _unbuilt_and_built(record: Any, field: str) -> tuple[Any, Any]:
    unbuilt = copy.copy(record)  # the copy keeps the field deferred
    assert not isinstance(unbuilt.__dict__[field], str)
    built = dataclasses.replace(unbuilt, **{field: getattr(copy.copy(record), field)})
    assert isinstance(built.__dict__[field], str)
    return unbuilt, built


def test_a_deferred_text_reads_like_a_text_field() -> None:
    validation = validate_document(read(FULL_SPEC))
    plan = validation.stacks[sorted(validation.stacks)[0]].plan
    assert plan is not None
    kinds = {(type(r).__name__, f) for r, f in _records(plan)}
    # a dashboard, a batch pipeline, a monitoring job and its config (file)
    assert len(kinds) == 5, kinds
    for record, field in {(type(r), f): (r, f) for r, f in _records(plan)}.values():
        unbuilt, built = _unbuilt_and_built(record, field)
        assert repr(unbuilt) == repr(built)
        unbuilt, built = _unbuilt_and_built(record, field)
        assert unbuilt == built and hash(unbuilt) == hash(built)
        unbuilt, built = _unbuilt_and_built(record, field)
        assert dataclasses.asdict(unbuilt) == dataclasses.asdict(built)
        unbuilt, built = _unbuilt_and_built(record, field)
        assert pickle.loads(pickle.dumps(unbuilt)) == built
        unbuilt, built = _unbuilt_and_built(record, field)
        assert copy.deepcopy(unbuilt) == built
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(unbuilt, field, "{}")
