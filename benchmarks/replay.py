"""A bare Pulumi program that registers the resources a plan recorded, and nothing else.

Two forms, for ``benchmarks/plan.py``:

* **typed** (what a hand-written program of the same resources is): each custom resource
  through its provider class (``aws:s3/bucket:Bucket`` -> ``pulumi_aws.s3.Bucket``,
  ``kubernetes:apps/v1:Deployment`` -> ``pulumi_kubernetes.apps.v1.Deployment``, a custom
  kind such as ``kubernetes:argoproj.io/v1alpha1:Rollout`` -> ``pulumi_kubernetes``'s
  ``apiextensions.CustomResource``), with the recorded inputs under the class's own argument
  names; a type without a class (a dynamic provider's) is registered untyped;
* **untyped**: every resource as a plain ``pulumi.CustomResource`` with the type token.

Both register every resource with its recorded name, parent, dependencies, protect,
retain-on-delete, ignore-changes, delete-before-replace and aliases (what it depends on
first); components as ``pulumi.ComponentResource``, each registering its recorded outputs
once its children are registered (``register_outputs``, as a component does), and export the
recorded stack outputs (``pulumi.export``, as the program of the outputs contract does). The
inputs and outputs are the recorded values, with assets and archives revived as such, so the
bare program does no ``apply``/``Output`` wiring of its own.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pulumi
from pulumi import _types

from mlops_preview import PlannedResource

Factory = Callable[[str, dict[str, Any], pulumi.ResourceOptions], pulumi.Resource]


def _aws_class(module: str, name: str) -> type | None:
    package = importlib.import_module("pulumi_aws")
    sub = module.split("/")[0]
    target = getattr(package, f"{sub}_", None) or getattr(package, sub, None)
    return getattr(target, name, None) if target is not None else None


def _kubernetes_class(module: str, name: str) -> type | None:
    group, _, version = module.partition("/")
    if "." in group and not group.endswith(".k8s.io"):
        return None  # a custom kind (argoproj.io, keda.sh ...): apiextensions.CustomResource
    target = importlib.import_module(f"pulumi_kubernetes.{group.split('.')[0]}.{version}")
    return getattr(target, name, None)


@functools.cache
def typed_class(type_token: str) -> type | None:
    """The provider class registering ``type_token`` (None: no class for it)."""
    if type_token == "pulumi:providers:aws":
        return importlib.import_module("pulumi_aws").Provider  # type: ignore[no-any-return]
    package, module, name = type_token.split(":")
    if package == "aws":
        return _aws_class(module, name)
    if package == "kubernetes":
        return _kubernetes_class(module, name)
    return None


@functools.cache
def _argument_names(cls: type) -> dict[str, str]:
    """Recorded (engine) input name -> the class's keyword argument, from its ``*Args`` class
    (the first ``*Args`` its module exports: ``BucketArgs``, ``BucketVersioningInitArgs``)."""
    module = importlib.import_module(cls.__module__)
    exported = [getattr(module, n) for n in getattr(module, "__all__", ()) if n.endswith("Args")]
    if not exported:
        return {}
    names = _types.input_type_py_to_pulumi_names(exported[0])
    return {engine: py for py, engine in names.items()}


def _kwargs(cls: type, inputs: dict[str, Any]) -> dict[str, Any]:
    names = _argument_names(cls)
    kwargs = {names.get(key, key): value for key, value in inputs.items()}
    if cls.__module__.startswith("pulumi_kubernetes."):
        kwargs.pop("api_version", None)  # the class sets apiVersion and kind itself
        kwargs.pop("kind", None)
    return kwargs


def _typed(resource: PlannedResource) -> Factory | None:
    package = resource.type.split(":")[0]
    cls = typed_class(resource.type)
    if cls is not None:
        return lambda name, inputs, opts: cls(name, opts=opts, **_kwargs(cls, inputs))
    if package == "kubernetes":
        custom = importlib.import_module("pulumi_kubernetes.apiextensions").CustomResource
        return lambda name, inputs, opts: custom(
            name,
            api_version=inputs["apiVersion"],
            kind=inputs["kind"],
            metadata=inputs.get("metadata"),
            spec=inputs.get("spec"),
            opts=opts,
        )
    return None


def revive(value: Any) -> Any:
    """Recorded inputs back into what a program passes: ``{"asset": {"path": ...}}`` ->
    ``pulumi.FileAsset``, ``{"archive": {"assets": {...}}}`` -> ``pulumi.AssetArchive`` (the
    preview records assets and archives in that shape, :mod:`mlops_preview.values`)."""
    if isinstance(value, list):
        return [revive(item) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"asset"} and isinstance(value["asset"], dict):
        asset = value["asset"]
        if "path" in asset:
            return pulumi.FileAsset(asset["path"])
        if "text" in asset:
            return pulumi.StringAsset(asset["text"])
    if set(value) == {"archive"} and isinstance(value["archive"], dict):
        archive = value["archive"]
        if "assets" in archive:
            return pulumi.AssetArchive(revive(archive["assets"]))
        if "path" in archive:
            return pulumi.FileArchive(archive["path"])
    return {key: revive(item) for key, item in value.items()}


def _untyped(resource: PlannedResource) -> Factory:
    return lambda name, inputs, opts: pulumi.CustomResource(resource.type, name, inputs, opts=opts)


def dependencies_first(resources: Iterable[PlannedResource]) -> list[PlannedResource]:
    """``resources`` ordered so that each comes after its parent and what it depends on."""
    by_urn = {r.urn: r for r in resources}
    ordered: list[PlannedResource] = []
    seen: set[str] = set()

    def visit(resource: PlannedResource) -> None:
        if resource.urn in seen:
            return
        seen.add(resource.urn)
        for urn in (resource.parent or "", *resource.depends_on):
            if urn in by_urn:
                visit(by_urn[urn])
        ordered.append(resource)

    for resource in by_urn.values():
        visit(resource)
    return ordered


def _options(
    resource: PlannedResource, created: dict[str, pulumi.Resource]
) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(
        parent=created.get(resource.parent or ""),
        depends_on=[created[urn] for urn in resource.depends_on if urn in created] or None,
        protect=resource.protect or None,
        retain_on_delete=resource.retain_on_delete or None,
        ignore_changes=list(resource.ignore_changes) or None,
        delete_before_replace=resource.delete_before_replace or None,
        aliases=list(resource.aliases) or None,
    )


def factories(resources: Iterable[PlannedResource], typed: bool) -> list[Factory | None]:
    """One factory per resource, in order (None for a component)."""
    made: list[Factory | None] = []
    for resource in resources:
        if not resource.custom:
            made.append(None)
        else:
            made.append((_typed(resource) if typed else None) or _untyped(resource))
    return made


def bare_program(
    resources: tuple[PlannedResource, ...],
    typed: bool,
    outputs: Mapping[str, Any] | None = None,
) -> Callable[[], None]:
    """A program registering ``resources`` (typed or untyped), their components' outputs and
    the stack ``outputs``, and nothing else. The classes are resolved (their modules imported)
    and the inputs revived here, before it runs."""
    ordered = dependencies_first(resources)
    steps = list(
        zip(ordered, factories(ordered, typed), [revive(r.inputs) for r in ordered], strict=True)
    )
    exports = dict(outputs or {})

    def program() -> None:
        created: dict[str, pulumi.Resource] = {}
        components: list[tuple[pulumi.ComponentResource, dict[str, Any]]] = []
        for resource, factory, inputs in steps:
            opts = _options(resource, created)
            if factory is None:
                component = pulumi.ComponentResource(resource.type, resource.name, None, opts=opts)
                created[resource.urn] = component
                if resource.outputs:
                    components.append((component, resource.outputs))
            else:
                created[resource.urn] = factory(resource.name, dict(inputs), opts)
        for component, registered in components:  # after their children, as components do
            component.register_outputs(registered)
        for name, value in exports.items():
            pulumi.export(name, value)

    return program
