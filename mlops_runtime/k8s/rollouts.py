"""``EndpointDeployer`` on Kubernetes: an Argo ``Rollout`` per model (serving
``latest_approved``).

As on AWS, Pulumi does not create a ``latest_approved`` Rollout (no version is approved at the
first ``pulumi up``): the planner renders it into a ConfigMap (key ``rollout.json``), and the
controller creates it on the first approval and patches its pod template on later ones, with
its own field manager. A **revision** is ``<model>-v<version>``, recorded in the pod template's
annotations with the package; the Rollout's own annotation ``mlops.dev/previous-revision``
remembers what was served when the patch started.

| Rollout | ``EndpointState`` |
|---|---|
| absent | None |
| the patch not yet observed, or ``Progressing`` / ``Paused`` | ``Updating`` on the previous revision (pending: the template's) |
| ``status.abort`` (the analysis failed, or ``progressDeadlineAbort``) | ``InService`` on the previous revision: Argo scaled the canary down and the stable pods serve; ``status.message`` is the reason |
| ``Healthy`` | ``InService`` on the template's revision |
| ``Degraded`` without an abort | ``Failed`` |

So the shared decisions (``core.rollout``, ``core.rollback``) read an aborted canary exactly as
a SageMaker auto-rollback: recorded, announced and never retried. Argo leaves the aborted
template in the spec; ``restore`` puts the served revision back (Argo then goes straight back
to Healthy on its stable ReplicaSet). Scaling is KEDA's (a ``ScaledObject`` Pulumi owns), so
the autoscaling calls change nothing here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from mlops_runtime.contract.config import AutoscalingTarget, EndpointTarget
from mlops_runtime.contract.controller import RESOURCES_SHAPE
from mlops_runtime.core.ports import (
    AlreadyExists,
    EndpointDeployer,
    EndpointState,
    Release,
    Served,
    UpdateInProgress,
)
from mlops_runtime.k8s.kube import ApiError, ApiServer
from mlops_runtime.k8s.registry import ObjectRegistry

GROUP_VERSION = "argoproj.io/v1alpha1"
TEMPLATE_KEY = "rollout.json"
REVISION = "mlops.dev/revision"
PACKAGE = "mlops.dev/package"
PREVIOUS = "mlops.dev/previous-revision"
MODEL_DATA_ENV = "MLOPS_MODEL_DATA_URL"
"""Set to the version's artifact URI in every container of the pod template that declares it
(the model container, or an init container that fetches the artifact into /opt/ml/model)."""


def revision(model: str, version: int) -> str:
    return f"{model}-v{version}"


def _escape(name: str) -> str:
    """A map key as a JSON pointer token."""
    return name.replace("~", "~0").replace("/", "~1")


class RolloutEndpoints(EndpointDeployer):
    """Rollouts in ``namespace``; their templates in ConfigMaps ``templates[rollout]``."""

    def __init__(
        self,
        api: ApiServer,
        namespace: str,
        registry: ObjectRegistry,
        templates: dict[str, str],
    ) -> None:
        self.api = api
        self.namespace = namespace
        self.registry = registry
        self.templates = templates

    # --- what the decisions read ------------------------------------------------------------

    def release(self, target: EndpointTarget, package_arn: str) -> Release:
        manifest = self.registry.manifest(package_arn)
        name = revision(str(manifest["model"]), int(manifest["version"]))
        settings = {
            "image": manifest["image"],
            "model_data_url": manifest.get("artifact_uri"),
            "package": package_arn,
            "revision": name,
            "container": target.variant_name,
        }
        return Release(
            endpoint=target.endpoint_name,
            variant=target.variant_name,
            package_arn=package_arn,
            model_name=name,
            config_name=name,
            instance_type=RESOURCES_SHAPE,
            strategy="rollout",
            autoscaling=None,
            requests={"template": settings},
        )

    def describe(self, endpoint: str) -> EndpointState | None:
        rollout = self._get(endpoint)
        if rollout is None:
            return None
        return state_of(endpoint, rollout)

    def served(self, config_name: str) -> Served:
        model, _, version = config_name.rpartition("-v")
        if not model or not version.isdigit():
            return Served(frozenset(), {})
        arn = self.registry.bucket.uri(f"registry/{model}/versions/{int(version)}")
        return Served(frozenset({arn}), {})

    # --- what the decisions do --------------------------------------------------------------

    def prepare(self, release: Release) -> None:
        return None  # the image is in its registry; nothing to create beforehand

    def create(self, release: Release) -> None:
        config_map = self.api.get(
            f"/api/v1/namespaces/{self.namespace}/configmaps/{self.templates[release.endpoint]}"
        )
        if config_map is None or TEMPLATE_KEY not in (config_map.get("data") or {}):
            raise LookupError(
                f"ConfigMap {self.namespace}/{self.templates[release.endpoint]} with key "
                f"{TEMPLATE_KEY!r} (the Rollout template) does not exist"
            )
        rollout = fill(json.loads(config_map["data"][TEMPLATE_KEY]), release)
        self.api.create(self._collection(), rollout)  # AlreadyExists propagates

    def update(self, release: Release) -> None:
        rollout = self._get(release.endpoint)
        if rollout is None:
            raise UpdateInProgress(f"Rollout {release.endpoint} disappeared")
        current = state_of(release.endpoint, rollout)
        if current.status != "InService":
            raise UpdateInProgress(f"Rollout {release.endpoint} is {current.status}")
        operations = patch(rollout, release, previous=current.config_name)
        try:
            self.api.patch(self._path(release.endpoint), operations)
        except ApiError as error:
            if error.status in (409, 422):  # changed since it was read (a test op failed)
                raise UpdateInProgress(f"Rollout {release.endpoint} changed: {error}") from error
            raise

    def restore(self, endpoint: str, release: Release) -> bool:
        """Put ``release`` (the served revision) back into an aborted Rollout's template;
        True when it was patched."""
        rollout = self._get(endpoint)
        if rollout is None or not (rollout.get("status") or {}).get("abort"):
            return False
        if _template_annotations(rollout).get(REVISION) == release.config_name:
            return False
        self.api.patch(self._path(endpoint), patch(rollout, release, previous=release.config_name))
        return True

    def apply_autoscaling(self, endpoint: str, variant: str, scaling: AutoscalingTarget) -> bool:
        return False  # KEDA's ScaledObject (Pulumi's) scales the Rollout

    def remove_autoscaling(self, endpoint: str, variant: str) -> bool:
        return False

    # --- helpers ----------------------------------------------------------------------------

    def _collection(self) -> str:
        return f"/apis/{GROUP_VERSION}/namespaces/{self.namespace}/rollouts"

    def _path(self, name: str) -> str:
        return f"{self._collection()}/{name}"

    def _get(self, name: str) -> dict[str, Any] | None:
        return self.api.get(self._path(name))


def _template_annotations(rollout: dict[str, Any]) -> dict[str, str]:
    template = (rollout.get("spec") or {}).get("template") or {}
    return dict((template.get("metadata") or {}).get("annotations") or {})


def state_of(name: str, rollout: dict[str, Any]) -> EndpointState:
    """What a Rollout object says, in the decisions' words (see the module's table)."""
    status = rollout.get("status") or {}
    metadata = rollout.get("metadata") or {}
    wanted = _template_annotations(rollout).get(REVISION, "")
    previous = (metadata.get("annotations") or {}).get(PREVIOUS, "")
    observed = str(status.get("observedGeneration", "")) == str(metadata.get("generation", ""))
    phase = status.get("phase")
    message = status.get("message") or None
    if status.get("abort"):
        return EndpointState(name, "InService", previous, message)
    if not observed or phase in ("Progressing", "Paused", None):
        return EndpointState(name, "Updating", previous, message, pending_config=wanted or None)
    if phase == "Healthy":
        return EndpointState(name, "InService", wanted)
    return EndpointState(name, "Failed", previous, message or f"Rollout phase is {phase}")


def fill(template: dict[str, Any], release: Release) -> dict[str, Any]:
    """A new Rollout from its template, serving ``release`` (pure)."""
    rollout = copy.deepcopy(template)
    settings = release.requests["template"]
    metadata = rollout.setdefault("metadata", {})
    metadata.setdefault("annotations", {})[PREVIOUS] = ""
    pod_template = rollout["spec"]["template"]
    pod_template.setdefault("metadata", {}).setdefault("annotations", {}).update(
        {REVISION: settings["revision"], PACKAGE: settings["package"]}
    )
    pod = pod_template["spec"]
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        if container["name"] == settings["container"]:
            container["image"] = settings["image"]
        for variable in container.get("env", []):
            if variable["name"] == MODEL_DATA_ENV:
                variable["value"] = settings["model_data_url"]
    return rollout


def patch(rollout: dict[str, Any], release: Release, *, previous: str) -> list[dict[str, Any]]:
    """The JSON patch moving ``rollout`` onto ``release``: each replaced value is guarded by a
    ``test`` of what was read (the container's name), so a concurrent change fails it."""
    settings = release.requests["template"]
    ops: list[dict[str, Any]] = []
    if not (rollout.get("metadata") or {}).get("annotations"):
        ops.append({"op": "add", "path": "/metadata/annotations", "value": {}})
    ops.append(
        {"op": "add", "path": f"/metadata/annotations/{_escape(PREVIOUS)}", "value": previous}
    )
    template = rollout["spec"]["template"]
    if "metadata" not in template:
        ops.append({"op": "add", "path": "/spec/template/metadata", "value": {"annotations": {}}})
    elif not template["metadata"].get("annotations"):
        ops.append({"op": "add", "path": "/spec/template/metadata/annotations", "value": {}})
    for key, value in ((REVISION, settings["revision"]), (PACKAGE, settings["package"])):
        path = f"/spec/template/metadata/annotations/{_escape(key)}"
        ops.append({"op": "add", "path": path, "value": value})
    pod = template["spec"]
    for kind in ("initContainers", "containers"):
        for index, container in enumerate(pod.get(kind, [])):
            base = f"/spec/template/spec/{kind}/{index}"
            ops += _container_ops(base, container, settings)
    return ops


def _container_ops(
    base: str, container: dict[str, Any], settings: Mapping[str, Any]
) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    if container["name"] == settings["container"]:
        ops.append({"op": "test", "path": f"{base}/name", "value": container["name"]})
        ops.append({"op": "replace", "path": f"{base}/image", "value": settings["image"]})
    for index, variable in enumerate(container.get("env", [])):
        if variable["name"] == MODEL_DATA_ENV:
            path = f"{base}/env/{index}"
            ops.append({"op": "test", "path": f"{path}/name", "value": MODEL_DATA_ENV})
            ops.append(
                {"op": "replace", "path": f"{path}/value", "value": settings["model_data_url"]}
            )
    return ops


__all__ = ["AlreadyExists", "RolloutEndpoints", "fill", "patch", "revision", "state_of"]
