"""The model pod: the model's image under the SageMaker hosting contract, behind mlops-proxy.

```
fetch-model (init, runtime image)  ->  /opt/ml/model  (emptyDir)
model      (training image, `serve`, :8080 /ping /invocations)
mlops-proxy (runtime image, :8081 clients, :8090 /metrics, capture to the object store)
```

Every container runs without root, privilege escalation or capabilities, on a read-only root
filesystem with an ``emptyDir`` at ``/tmp``; the pod's service account token is not mounted
(IRSA and EKS Pod Identity inject their own). The model container sleeps in ``preStop`` so the
proxy (stopped at the same time) finishes its requests and writes its capture while the
endpoints are updated (docs/kubernetes.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mlops_runtime.contract.config import ENV_VAR
from mlops_runtime.contract.proxy import DEFAULT_METRICS_PORT, DEFAULT_PORT, ProxyConfig
from mlops_spec.models.kubernetes import KubernetesProfile, NodePool

MODEL_PORT = 8080
"""The SageMaker hosting contract's port (``/ping``, ``/invocations``)."""
RUNTIME_UID = 10001
"""The runtime image's user (docker/runtime.Dockerfile)."""
MODEL_DIR = "/opt/ml/model"
PRESTOP_SECONDS = 10
"""The model container's preStop sleep: the proxy drains and flushes its capture meanwhile."""
GRACE_SECONDS = 60
"""terminationGracePeriodSeconds: the preStop sleep, then up to the proxy's 60 s upstream
timeout for requests in flight."""
FETCH_MODULE = "mlops_runtime.k8s.model_fetch"
PACKAGE_ENV = "MLOPS_MODEL_PACKAGE_ARN"
"""The fetcher reads the package's artifact (ModelDataUrl) from the SageMaker registry."""


@dataclass(frozen=True)
class PodSizes:
    """Requests (= limits) of the model container."""

    cpu: float
    memory_gib: float
    gpu: int

    def resources(self) -> dict[str, Any]:
        limits: dict[str, str] = {"cpu": _cpu(self.cpu), "memory": _memory(self.memory_gib)}
        if self.gpu:
            limits["nvidia.com/gpu"] = str(self.gpu)
        return {"requests": dict(limits), "limits": limits}


def _cpu(cores: float) -> str:
    millis = round(cores * 1000)
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def _memory(gib: float) -> str:
    mib = round(gib * 1024)
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


SIDECAR_SIZES = {"requests": {"cpu": "100m", "memory": "128Mi"}}
SIDECAR_LIMITS = {"cpu": "1", "memory": "512Mi"}


def _security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _env(config: str, extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": ENV_VAR, "value": config}, *extra]


def store_env(profile: KubernetesProfile) -> list[dict[str, Any]]:
    """Credentials and endpoint of an S3-compatible store (none for AWS S3: the role)."""
    store = profile.object_store
    if store.kind == "s3":
        return []
    secret = store.credentials_secret_name
    return [
        {"name": "AWS_ENDPOINT_URL_S3", "value": store.endpoint},
        *(
            {"name": key, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        ),
    ]


def fetch_container(profile: KubernetesProfile, package_arn: str, region: str) -> dict[str, Any]:
    """The init container that unpacks the served package's artifact into /opt/ml/model."""
    config = json.dumps({"destination": MODEL_DIR}, separators=(",", ":"))
    return {
        "name": "fetch-model",
        "image": profile.runtime_image,
        "args": [FETCH_MODULE],
        "env": _env(
            config,
            [
                {"name": PACKAGE_ENV, "value": package_arn},
                {"name": "AWS_DEFAULT_REGION", "value": region},
            ],
        ),
        "resources": {**SIDECAR_SIZES, "limits": SIDECAR_LIMITS},
        "securityContext": _security(),
        "volumeMounts": [
            {"name": "model", "mountPath": MODEL_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def model_container(image: str, sizes: PodSizes) -> dict[str, Any]:
    """The model's own image, serving under the SageMaker hosting contract."""
    return {
        "name": "model",
        "image": image,
        "args": ["serve"],
        "ports": [{"name": "model", "containerPort": MODEL_PORT, "protocol": "TCP"}],
        "resources": sizes.resources(),
        "securityContext": _security(),
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRESTOP_SECONDS)]}}},
        "volumeMounts": [
            {"name": "model", "mountPath": MODEL_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def proxy_container(profile: KubernetesProfile, config: ProxyConfig, region: str) -> dict[str, Any]:
    """mlops-proxy: the clients' port, metrics, capture (``contract.proxy``)."""
    ping = {"path": "/ping", "port": "http"}
    return {
        "name": "mlops-proxy",
        "image": profile.runtime_image,
        "env": _env(config.to_json(), [{"name": "AWS_DEFAULT_REGION", "value": region}])
        + store_env(profile),
        "ports": [
            {"name": "http", "containerPort": DEFAULT_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": DEFAULT_METRICS_PORT, "protocol": "TCP"},
        ],
        "readinessProbe": {"httpGet": ping, "periodSeconds": 5, "failureThreshold": 2},
        "livenessProbe": {
            "httpGet": {"path": "/metrics", "port": "metrics"},
            "periodSeconds": 20,
            "failureThreshold": 3,
        },
        "resources": {**SIDECAR_SIZES, "limits": SIDECAR_LIMITS},
        "securityContext": _security(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def placement(pool: NodePool) -> dict[str, Any]:
    """nodeSelector and tolerations of a node pool (nothing for an empty pool)."""
    spec: dict[str, Any] = {}
    if pool.node_selector:
        spec["nodeSelector"] = dict(pool.node_selector)
    if pool.tolerations:
        spec["tolerations"] = [t.model_dump(exclude_none=True) for t in pool.tolerations]
    return spec


def pod_template(
    labels: dict[str, str],
    profile: KubernetesProfile,
    containers: list[dict[str, Any]],
    init_containers: list[dict[str, Any]],
    pool: NodePool,
) -> dict[str, Any]:
    """A hardened pod template around ``containers``."""
    spec: dict[str, Any] = {
        "serviceAccountName": profile.service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": GRACE_SECONDS,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUNTIME_UID,
            "runAsGroup": RUNTIME_UID,
            "fsGroup": RUNTIME_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "initContainers": init_containers,
        "containers": containers,
        "volumes": [
            {"name": "model", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {}},
        ],
        **placement(pool),
    }
    return {"metadata": {"labels": labels}, "spec": spec}
