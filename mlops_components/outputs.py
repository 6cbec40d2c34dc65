"""The stack outputs (contract in ``mlops_spec.outputs``, docs/outputs.md), from mlops_components."""

from __future__ import annotations

from typing import Any

import pulumi

from mlops_components.monitoring import Monitoring
from mlops_components.registry import Registry
from mlops_components.retraining import Retraining
from mlops_components.serving import Serving
from mlops_components.storage import Storage
from mlops_components.training import Training
from mlops_spec.outputs import CONTRACT_VERSION
from mlops_spec.plan import DeploymentPlan


def stack_outputs(
    plan: DeploymentPlan,
    storage: Storage,
    registry: Registry,
    monitoring: Monitoring,
    training: dict[str, Training],
    serving: dict[str, Serving],
    retraining: Retraining | None,
) -> dict[str, Any]:
    """Top-level output name -> value (Outputs or plain values)."""
    models: dict[str, Any] = {}
    for model in plan.models:
        serving_plan = plan.serving_for(model)
        served = serving.get(model)
        endpoint = serving_plan.endpoint if serving_plan else None
        models[model] = {
            "model_package_group": registry.group_names[model],
            "model_package_group_arn": registry.group_arns[model],
            "training_pipeline": training[model].pipeline_name,
            "dashboard_name": monitoring.dashboard_names[model],
            "health_alarm_name": monitoring.health_alarm_names.get(model),
            "serving_tier": serving_plan.tier if serving_plan else None,
            "endpoint_name": served.endpoint_name if served else None,
            "endpoint_arn": served.endpoint_arn if served else None,
            "endpoint_owner": endpoint.owner if endpoint else None,
            "batch_pipeline": served.batch_pipeline_name if served else None,
        }
    retraining_outputs = None
    if retraining is not None:
        retraining_outputs = {
            "table_name": retraining.table_name,
            "dead_letter_queue_url": retraining.queue_url,
            "trigger_function": retraining.function_names.get("trigger"),
            "deploy_function": retraining.function_names.get("deploy"),
        }
    return {
        "contract_version": CONTRACT_VERSION,
        "system": plan.system,
        "environment": plan.environment,
        "region": plan.region,
        "kms_key_arn": storage.key_arn,
        "alarm_topic_arn": monitoring.topic_arn,
        "buckets": dict(storage.bucket_names),
        "models": models,
        "retraining": retraining_outputs,
    }


def export_all(outputs: dict[str, Any]) -> None:
    for key, value in outputs.items():
        pulumi.export(key, value)
