"""Small, correct manifests of every kind the harness checks; tests break one field at a time."""

from __future__ import annotations

import copy
from typing import Any

NAMESPACE = "ml-churn"
LABELS = {"app.kubernetes.io/name": "churn-classifier"}


def container(name: str = "model", image: str = "registry.example/churn:1.4.0") -> dict[str, Any]:
    """A container that runs as non-root, read-only, with every capability dropped."""
    return {
        "name": name,
        "image": image,
        "ports": [{"name": "http", "containerPort": 8080.0}],  # floats, as the mocks record
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001.0,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def pod_template() -> dict[str, Any]:
    return {
        "metadata": {"labels": dict(LABELS)},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container(), container("mlops-proxy", "registry.example/runtime:1")],
        },
    }


def deployment(name: str = "churn-classifier") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(LABELS)},
        "spec": {
            "replicas": 2.0,
            "selector": {"matchLabels": dict(LABELS)},
            "template": pod_template(),
            "progressDeadlineSeconds": None,  # an optional input left unset
        },
    }


def rollout(name: str = "churn-classifier") -> dict[str, Any]:
    """An Argo Rollout: canary steps and a background analysis."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(LABELS)},
        "spec": {
            "selector": {"matchLabels": dict(LABELS)},
            "template": pod_template(),
            "progressDeadlineAbort": True,
            "strategy": {
                "canary": {
                    "steps": [
                        {"setWeight": 10.0},
                        {"pause": {"duration": "10m"}},
                        {"setWeight": 100.0},
                    ],
                    "analysis": {"templates": [{"templateName": f"{name}-rollback-alerts"}]},
                }
            },
        },
    }


def knative_service(name: str = "churn-classifier") -> dict[str, Any]:
    template = pod_template()
    template["spec"]["containerConcurrency"] = 1.0
    del template["spec"]["containers"][0]["name"]
    template["metadata"]["annotations"] = {"autoscaling.knative.dev/max-scale": "5"}
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"template": template},
    }


def scaled_object(name: str = "churn-classifier") -> dict[str, Any]:
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Rollout",
                "name": name,
            },
            "minReplicaCount": 2.0,
            "maxReplicaCount": 6.0,
            "triggers": [
                {
                    "type": "prometheus",
                    "metadata": {
                        "serverAddress": "http://prometheus.monitoring:9090",
                        "query": "sum(rate(mlops_proxy_requests_total[1m])) * 60",
                        "threshold": "1000",
                    },
                }
            ],
        },
    }


LATENCY_RULE = {
    "alert": "churn-dev-churn-classifier-latency",
    "expr": (
        "histogram_quantile(0.99, sum by (le) (rate("
        'mlops_proxy_request_duration_seconds_bucket{mlops_model="churn-classifier"}[5m]'
        "))) > 0.25"
    ),
    "for": "5m",
    "labels": {"severity": "warning", "mlops_action": "rollback"},
}
ERROR_RULE = {
    "alert": "churn-dev-churn-classifier-errors",
    "expr": 'sum(rate(mlops_proxy_requests_total{code=~"5.."}[5m])) > 0',
    "labels": {"severity": "critical", "mlops_action": "notify"},
}


def prometheus_rule(name: str = "churn-classifier") -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"release": "prom"}},
        "spec": {
            "groups": [
                {"name": name, "rules": [copy.deepcopy(LATENCY_RULE), copy.deepcopy(ERROR_RULE)]}
            ]
        },
    }


def alertmanager_config(name: str = "churn") -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1alpha1",
        "kind": "AlertmanagerConfig",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "route": {
                "receiver": "null",
                "routes": [
                    {
                        "receiver": "email",
                        "matchers": [{"name": "mlops_action", "value": "notify", "matchType": "="}],
                    }
                ],
            },
            "receivers": [
                {"name": "null"},
                {
                    "name": "email",
                    "emailConfigs": [
                        {
                            "to": "ml-oncall@example.com",
                            "authPassword": {"name": "smtp", "key": "password"},
                        }
                    ],
                },
            ],
        },
    }


def alertmanager_yml() -> dict[str, Any]:
    """The Alertmanager configuration an AlertmanagerConfig like the above amounts to."""
    return {
        "route": {
            "receiver": "null",
            "routes": [{"receiver": "email", "matchers": ['mlops_action="notify"']}],
        },
        "receivers": [
            {"name": "null"},
            {
                "name": "email",
                "email_configs": [
                    {
                        "to": "ml-oncall@example.com",
                        "from": "mlops@example.com",
                        "smarthost": "smtp.example.com:587",
                    }
                ],
            },
        ],
    }
