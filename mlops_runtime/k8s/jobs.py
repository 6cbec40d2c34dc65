"""``RunStarter`` on Kubernetes: one ``batch/v1`` Job per run, from the template ConfigMap.

The planner renders each model's training Job as JSON into a ConfigMap (key ``job.json``);
``RunRequest.pipeline`` names it. A run is that Job named ``<template name>-<first 10 hex of
the run token>``, so a second start with one token meets ``AlreadyExists`` and returns the
same Job (SageMaker's ``ClientRequestToken``). The run's parameters reach every container as
environment variables (``TriggerReason`` -> ``MLOPS_TRIGGER_REASON``), and the Job records
its token and reason in annotations.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from typing import Any

from mlops_runtime.core.ports import AlreadyExists, RunRequest, RunStarter
from mlops_runtime.k8s.kube import ApiServer

TEMPLATE_KEY = "job.json"
TOKEN_CHARS = 10
RUN_TOKEN = "mlops.dev/run-token"
REASON = "mlops.dev/trigger-reason"


class TemplateMissing(LookupError):
    """The Job template ConfigMap (or its ``job.json``) does not exist."""


def parameter_env(name: str) -> str:
    """``TriggerReason`` -> ``MLOPS_TRIGGER_REASON``."""
    return "MLOPS_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def job_name(template: dict[str, Any], token: str) -> str:
    return f"{template['metadata']['name']}-{token[:TOKEN_CHARS]}"


def render(template: dict[str, Any], request: RunRequest) -> dict[str, Any]:
    """The Job of one run (pure)."""
    job = copy.deepcopy(template)
    metadata = job["metadata"]
    metadata["name"] = job_name(template, request.token)
    metadata.setdefault("annotations", {}).update(
        {RUN_TOKEN: request.token, REASON: request.description}
    )
    env = [{"name": parameter_env(k), "value": v} for k, v in sorted(request.parameters.items())]
    pod = job["spec"]["template"]["spec"]
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        container["env"] = [*container.get("env", []), *env]
    return job


class JobRuns(RunStarter):
    """Creates training Jobs in ``namespace``."""

    def __init__(self, api: ApiServer, namespace: str) -> None:
        self.api = api
        self.namespace = namespace

    def start(self, request: RunRequest) -> str:
        config_map = self.api.get(
            f"/api/v1/namespaces/{self.namespace}/configmaps/{request.pipeline}"
        )
        if config_map is None or TEMPLATE_KEY not in (config_map.get("data") or {}):
            raise TemplateMissing(
                f"ConfigMap {self.namespace}/{request.pipeline} with key {TEMPLATE_KEY!r} "
                "(the training Job template) does not exist"
            )
        job = render(json.loads(config_map["data"][TEMPLATE_KEY]), request)
        with contextlib.suppress(AlreadyExists):  # started before with this token: that run
            self.api.create(f"/apis/batch/v1/namespaces/{self.namespace}/jobs", job)
        return str(job["metadata"]["name"])
