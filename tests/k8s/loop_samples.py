"""The loop's plans for the Kubernetes tests: a churn model trained on a GPU spot pool with
Kueue, an ltv model, their schedule and the controller (an S3-compatible store)."""

from __future__ import annotations

import json
from typing import Any

from mlops_runtime.contract.controller import ControllerConfig
from mlops_spec.plan.k8s import controller, training

NAMESPACE = "ml-churn"
CONFIG = ControllerConfig.from_dict(
    {
        "system": "shop",
        "namespace": NAMESPACE,
        "store": {
            "uri": "s3://shop-mlops-state/mlops/",
            "endpoint_url": "http://minio.storage:9000",
        },
        "models": {
            "churn": {
                "job_template": "shop-dev-churn-train",
                "rollout": "churn-classifier",
                "rollout_template": "shop-dev-churn-rollout",
            },
            "ltv": {"job_template": "shop-dev-ltv-train"},
        },
        "alerts": {"shop-dev-churn-feature-drift": "churn"},
    }
)


def job(**overrides: Any) -> training.TrainingJobPlan:
    fields: dict[str, Any] = {
        "name": "shop-dev-churn-train",
        "namespace": NAMESPACE,
        "model": "churn",
        "image": "registry.example/churn-train:1.4.0",
        "runtime_image": "registry.example/mlops-runtime:1",
        "entry_point": "train.py",
        "channels": (
            ("customer-events", "s3://shop-data/events/"),
            ("holdout", "s3://shop-data/holdout/"),
        ),
        "hyperparameters": (("max_depth", "6"), ("eta", "0.3")),
        "cpu": 1.5,
        "memory_gib": 6.5,
        "gpu": 1,
        "volume_gib": 30,
        "max_runtime_minutes": 90,
        "finish_config": json.dumps({"model_id": "churn"}),
        "node_selector": (
            ("karpenter.sh/capacity-type", "spot"),
            ("nvidia.com/gpu.present", "true"),
        ),
        "tolerations": (
            (("key", "nvidia.com/gpu"), ("operator", "Exists"), ("effect", "NoSchedule")),
        ),
        "kueue_queue": "ml-training",
        "service_account": "shop-dev-training",
        "credentials_secret": "shop-store",
    }
    return training.training_job(**{**fields, **overrides})


def schedule(suspend: bool = False) -> training.ScheduleCronJobPlan:
    return training.schedule_cronjob(
        name="shop-dev-churn-train-schedule",
        namespace=NAMESPACE,
        model="churn",
        schedule="0 3 * * 1",
        suspend=suspend,
        runtime_image="registry.example/mlops-runtime:1",
        controller_url=controller.schedule_url("shop-dev-mlops-controller", NAMESPACE),
    )


def plan() -> controller.ControllerPlan:
    return controller.controller(
        "shop-dev-mlops-controller",
        CONFIG,
        "registry.example/mlops-runtime:1",
        credentials_secret="shop-store",
    )


def loop_plan() -> controller.LoopPlan:
    from tests.k8s import samples

    return controller.LoopPlan(
        controller=plan(),
        jobs=(job(), job(name="shop-dev-ltv-train", model="ltv", gpu=0, kueue_queue=None)),
        schedules=(schedule(),),
        rollout_templates=(
            ("shop-dev-churn-rollout", json.dumps(samples.rollout("churn-classifier"))),
        ),
    )
