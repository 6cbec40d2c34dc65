"""A mock resource monitor that records every registration request in full.

``Mocks.new_resource`` only sees a resource's type, name and inputs. The monitor sees the whole
``RegisterResourceRequest``: parent, options, dependencies and aliases. It also returns the URNs
the real engine would (see :mod:`mlops_preview.urns`), so parents, dependencies and property
dependencies recorded from later requests are engine URNs without any rewriting. A dynamic
resource's pickled provider is recorded as its class and a hash of its source
(:mod:`mlops_preview.dynamic`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import get_project, get_stack
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from mlops_preview.dynamic import describe_dynamic
from mlops_preview.mocks import UnknownInvokeError
from mlops_preview.urns import ROOT_STACK_TYPE, inherited_child_alias, make_urn, urn_name, urn_type
from mlops_preview.values import decode_struct


@dataclass
class Registration:
    """One ``RegisterResource`` request, decoded to plain data."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    aliases: list[str]
    provider: str | None
    ignore_changes: list[str]
    replace_on_changes: list[str]
    delete_before_replace: bool
    outputs: dict[str, Any] = field(default_factory=dict)


class RegistrationError(Exception):
    """Registering one resource failed; names the resource and where user code created it."""

    def __init__(self, request: Any, cause: BaseException) -> None:
        super().__init__(f"registering {request.type} {request.name!r} failed: {cause}")
        self.type = request.type
        self.name = request.name
        position = request.sourcePosition
        self.location = (
            f"{unquote(urlparse(position.uri).path)}:{position.line}" if position.uri else None
        )


class RecordingMonitor(MockMonitor):
    """Records registrations, component and stack outputs, and failed invokes.

    The SDK calls the monitor from executor threads, so every shared write holds a lock.
    """

    def __init__(self, mocks: Mocks, base_dir: Path | None = None) -> None:
        super().__init__(mocks)
        self.base_dir = base_dir
        self.registrations: dict[str, Registration] = {}
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}
        self.failures: list[RegistrationError] = []
        self.invoke_failures: list[str] = []
        self._urns: set[str] = set()
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return make_urn(get_stack(), get_project(), type_, name, parent or None)

    def RegisterResource(self, request: Any) -> Any:
        try:
            return self._register(request)
        except Exception as exc:
            error = RegistrationError(request, exc)
            with self._lock:
                self.failures.append(error)
            raise error from exc

    def _register(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == ROOT_STACK_TYPE:
            with self._lock:
                self.stack_urn = urn
            return resource_pb2.RegisterResourceResponse(urn=urn)
        with self._lock:
            if urn in self._urns:
                raise ValueError(f"duplicate resource URN {urn}; names must be unique per type")
            self._urns.add(urn)
        _ensure_event_loop()  # deserialising resource references needs a loop on this thread
        record = self._record(request, urn)
        resource_id: str = ""
        state: dict[str, Any] = {}
        if request.custom:
            args = MockResourceArgs(
                typ=request.type,
                name=request.name,
                inputs=rpc.deserialize_properties(request.object),
                provider=request.provider,
                resource_id=request.importId,
                custom=True,
            )
            new_id, state = self.mocks.new_resource(args)
            resource_id = new_id or ""
        response_object = _sync_await(rpc.serialize_properties(state, {}))
        with self._lock:
            self.registrations[urn] = record
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=resource_id, object=response_object
        )

    def _record(self, request: Any, urn: str) -> Registration:
        property_dependencies = {
            key: sorted(set(deps.urns))
            for key, deps in request.propertyDependencies.items()
            if deps.urns
        }
        provider = request.provider.rsplit("::", 1)[0] if request.provider else None
        return Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=describe_dynamic(
                request.type, request.object, decode_struct(request.object, self.base_dir)
            ),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            dependencies=sorted(set(request.dependencies)),
            property_dependencies=dict(sorted(property_dependencies.items())),
            aliases=self._aliases(request, urn),
            provider=provider,
            ignore_changes=sorted(set(request.ignoreChanges)),
            replace_on_changes=sorted(set(request.replaceOnChanges)),
            delete_before_replace=bool(request.deleteBeforeReplace),
        )

    def _aliases(self, request: Any, urn: str) -> list[str]:
        """Old URNs of this resource, resolved as the engine resolves them (incl. inherited)."""
        stack, project, parent = get_stack(), get_project(), request.parent or None
        own: list[str] = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.WhichOneof("alias") == "urn":
                own.append(alias.urn)
                continue
            spec = alias.spec
            alias_parent = parent
            if spec.WhichOneof("parent") == "noParent" and spec.noParent:
                alias_parent = None
            elif spec.WhichOneof("parent") == "parentUrn" and spec.parentUrn:
                alias_parent = spec.parentUrn
            own.append(
                make_urn(
                    spec.stack or stack,
                    spec.project or project,
                    spec.type or request.type,
                    spec.name or request.name,
                    alias_parent,
                )
            )
        found = set(own)
        if parent is not None:
            with self._lock:
                parent_record = self.registrations.get(parent)
            parent_aliases = parent_record.aliases if parent_record else []
            for parent_alias in parent_aliases:
                parent_name = urn_name(parent)
                found.add(
                    inherited_child_alias(request.type, request.name, parent_name, parent_alias)
                )
                for alias_urn in own:
                    found.add(
                        inherited_child_alias(
                            urn_type(alias_urn), urn_name(alias_urn), parent_name, parent_alias
                        )
                    )
        found.discard(urn)
        return sorted(found)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = decode_struct(request.outputs, self.base_dir)
        with self._lock:
            if request.urn == self.stack_urn:
                self.stack_outputs = outputs
            elif request.urn in self.registrations:
                self.registrations[request.urn].outputs = outputs
        return empty_pb2.Empty()

    def Invoke(self, request: Any) -> Any:
        try:
            return super().Invoke(request)
        except Exception as exc:
            message = (
                str(exc)
                if isinstance(exc, UnknownInvokeError)
                else f"invoke {request.tok!r} failed: {exc}"
            )
            with self._lock:
                self.invoke_failures.append(message)
            raise
