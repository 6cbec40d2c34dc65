"""The teardown of what the deploy function created: a Pulumi dynamic resource whose delete
removes the stack's ``latest_approved`` endpoints, their configs and models.

The deploy function creates those at run time, so they are no Pulumi resources and
``pulumi destroy`` would leave them running (and billing). ``EndpointTeardown`` (type
``pulumi-python:dynamic/mlops:EndpointTeardown``) does nothing on create and update; its
delete lists the endpoints, endpoint configs and models whose names contain the stack's prefix
(``<system>-<environment>``) and whose tags hold the stack's ``system`` and ``environment`` and
``mlops:endpoint-owner: deploy-function`` (the tags the deploy function's requests carry), and
deletes them: each endpoint's autoscaling is deregistered first. An endpoint a pinned endpoint
adopted carries ``mlops:endpoint-owner: pulumi`` and is left alone.

``MlSystem`` creates it before the deploy function (which depends on it), so on destroy the
function and its rules go first and nothing recreates an endpoint behind the teardown. It is
protected in production like the other stateful resources: ``pulumi destroy`` refuses until
it is unprotected. Its diff never replaces it (a replacement would run the delete).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

if TYPE_CHECKING:  # boto3 and the SageMaker adapters are imported by the delete that uses them
    from mlops_components.endpoint_admin import EndpointAdmin
    from mlops_runtime.core.ports import EndpointDeployer

    Backends = Callable[[str], tuple[EndpointDeployer, EndpointAdmin]]

TYPE = "pulumi-python:dynamic/mlops:EndpointTeardown"
INPUTS = ("region", "prefix", "tags", "endpoints")


class TeardownProvider(ResourceProvider):
    """Deletes, on delete only, what the stack's deploy function created (found by tags)."""

    serialize_as_secret_always = False

    def __init__(self, backends: Backends | None = None) -> None:
        super().__init__()
        self.backends = backends

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=f"{props['prefix']}-endpoint-teardown", outs=_inputs_of(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_inputs_of(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(olds.get(key) != news.get(key) for key in INPUTS)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from mlops_components.endpoint_admin import aws_backends

        _, admin = (self.backends or aws_backends)(str(props["region"]))
        owned = admin.owned(str(props["prefix"]), dict(props["tags"]))
        for endpoint in owned.endpoints:
            admin.delete_endpoint(endpoint)
        for config in owned.configs:
            admin.delete_config(config)
        for model in owned.models:
            admin.delete_model(model)


def _inputs_of(props: Mapping[str, Any]) -> dict[str, Any]:
    return {key: props[key] for key in INPUTS if key in props}


class EndpointTeardown(pulumi.dynamic.Resource, module="mlops", name="EndpointTeardown"):
    """Deletes the stack's deploy-function endpoints, configs and models when it is deleted."""

    def __init__(
        self,
        name: str,
        props: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        provider: TeardownProvider | None = None,
    ) -> None:
        unknown = sorted(set(props) - set(INPUTS))
        if unknown:
            raise ValueError(f"EndpointTeardown {name}: unknown inputs {unknown}")
        super().__init__(provider or TeardownProvider(), name, dict(props), opts)
