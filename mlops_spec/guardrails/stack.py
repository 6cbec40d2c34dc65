"""The view the guardrail rules read: resources with their inputs, from a plan document
(``mlops plan -f json``) or from Pulumi CrossGuard's arguments (``policy/``).

Values a preview cannot know are ``"<computed>"`` (as in plan documents); rules treat them as
set but unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

COMPUTED = "<computed>"
TRIGGER_HANDLER = "mlops_runtime.trigger.handler"
DEPLOY_HANDLER = "mlops_runtime.deploy.handler"
PINNED_ENDPOINT = "pulumi-python:dynamic/mlops:Endpoint"
MONITOR_CONFIG_KEYS = frozenset({"model_id", "source", "endpoint_name", "profile_uri"})
"""Keys that identify a monitoring job's ``MonitorConfig`` object."""


@dataclass(frozen=True)
class Resource:
    """One resource as the rules see it."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    protect: bool | None = None
    """None when the source does not say."""
    retain_on_delete: bool | None = None
    """None when the source does not say (CrossGuard does not)."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, path: str, default: Any = None) -> Any:
        """The input at a dotted path (``"serverSideEncryption.enabled"``)."""
        value: Any = self.inputs
        for part in path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        return value

    def json_input(self, key: str) -> Any:
        """An input holding JSON text (a policy, a runtime config), parsed; None if not JSON."""
        return parse_json(self.inputs.get(key))

    @property
    def label(self) -> str:
        """The physical name when the inputs give one, else the logical name (also for inline
        role policies, whose ``name`` is only unique within their role)."""
        if self.type == "aws:iam/rolePolicy:RolePolicy":
            return self.name
        keys = ("name", "bucket", "alarmName", "pipelineName", "modelPackageGroupName")
        for key in (*keys, "endpointName"):
            value = self.inputs.get(key)
            if isinstance(value, str) and value and value != COMPUTED:
                return value
        return self.name


def parse_json(text: Any) -> Any:
    if not isinstance(text, str):
        return text if isinstance(text, Mapping | list) else None
    try:
        return json.loads(text)
    except ValueError:
        return None


def is_set(value: Any) -> bool:
    """A value that is present (``"<computed>"`` counts: it is an output not known yet)."""
    return value not in (None, "", [], {})


@dataclass(frozen=True)
class Stack:
    """All resources of one stack, and whether it is a production stack."""

    resources: tuple[Resource, ...]
    production: bool = True
    outputs: Mapping[str, Any] = field(default_factory=dict)

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def linked(self, type_: str, target: Resource, prop: str = "bucket") -> list[Resource]:
        """Resources of ``type_`` whose ``prop`` comes from ``target`` (by dependency, or by the
        target's physical name when dependencies are not recorded)."""
        names = {target.label, f"{target.label}-id"}
        return [
            r
            for r in self.of_type(type_)
            if target.urn in r.property_dependencies.get(prop, ())
            or (not r.property_dependencies and r.inputs.get(prop) in names)
        ]

    def function_config(self, handler: str) -> tuple[Resource, dict[str, Any]] | None:
        """(function, its parsed configuration) for the function running ``handler``: the
        content of the object its ``MLOPS_RUNTIME_CONFIG_OBJECT`` names (uploaded in the same
        stack), or an inline ``MLOPS_RUNTIME_CONFIG`` (plans made before the objects)."""
        for function in self.of_type("aws:lambda/function:Function"):
            if function.inputs.get("handler") == handler:
                text = function.get("environment.variables.MLOPS_RUNTIME_CONFIG")
                uri = function.get("environment.variables.MLOPS_RUNTIME_CONFIG_OBJECT")
                if isinstance(uri, str):
                    text = next((o.inputs.get("content") for o in self._objects(uri)), None)
                config = parse_json(text)
                return function, config if isinstance(config, dict) else {}
        return None

    def _objects(self, uri: str) -> list[Resource]:
        """The uploaded objects at ``s3://<bucket>/<key>``."""
        return [
            o
            for o in self.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
            if f"s3://{o.inputs.get('bucket')}/{o.inputs.get('key')}" == uri
        ]

    def pinned_endpoints(self) -> Iterator[tuple[Resource, str, Mapping[str, Any]]]:
        """(endpoint resource, endpoint name, EndpointTarget) for pinned endpoints: the one
        rollout's dynamic resource, whose ``target`` input is the same contract the deploy
        function reads."""
        for endpoint in self.of_type(PINNED_ENDPOINT):
            target = endpoint.inputs.get("target")
            if isinstance(target, Mapping):
                yield endpoint, endpoint.label, target

    def deploy_endpoints(self) -> Iterator[tuple[Resource, str, Mapping[str, Any]]]:
        """(deploy function, endpoint name, EndpointTarget) for endpoints the deploy function
        creates (``latest_approved``): they are no Pulumi resources."""
        found = self.function_config(DEPLOY_HANDLER)
        if found is None:
            return
        function, config = found
        for name, target in sorted((config.get("endpoints") or {}).items()):
            if isinstance(target, Mapping):
                yield function, name, target

    def monitor_configs(self) -> Iterator[tuple[Resource, Mapping[str, Any]]]:
        """(object, MonitorConfig) for every monitoring job configuration uploaded."""
        for item in self.of_type("aws:s3/bucketObjectv2:BucketObjectv2"):
            config = item.json_input("content")
            if isinstance(config, Mapping) and set(config) >= MONITOR_CONFIG_KEYS:
                yield item, config


def production_of_document(data: Mapping[str, Any]) -> bool | None:
    """The stack's mode from a version 2 document's facts; None when it does not say."""
    facts = data.get("facts")
    if not isinstance(facts, Mapping):
        return None
    mode = (facts.get("environment") or {}).get("mode")
    return None if mode is None else mode == "production"


def from_document(data: Mapping[str, Any], production: bool) -> Stack:
    """The stack of a plan document (``format_version`` 1 or 2)."""
    resources = []
    for item in data.get("resources") or ():
        if not item.get("custom", True):
            continue  # component resources hold no settings
        resources.append(
            Resource(
                urn=str(item["urn"]),
                type=str(item["type"]),
                name=str(item.get("name", "")),
                inputs=item.get("inputs") or {},
                protect=bool(item.get("protect", False)),
                retain_on_delete=bool(item.get("retain_on_delete", False)),
                property_dependencies={
                    k: tuple(v) for k, v in (item.get("property_dependencies") or {}).items()
                },
            )
        )
    return Stack(tuple(resources), production, data.get("outputs") or {})
