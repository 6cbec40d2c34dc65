"""The plan document: what an offline preview registered, as stable, diffable JSON.

Format (``format_version`` 2; a document without ``facts`` is written as version 1)::

    {
      "format_version": 2,
      "project": "mlops", "stack": "dev",
      "resources": [                      # sorted by urn
        {"urn", "type", "name", "parent", "custom", "inputs", "outputs", "protect",
         "retain_on_delete", "depends_on", "property_dependencies", "ignore_changes",
         "replace_on_changes", "delete_before_replace", "aliases", "provider"}
      ],
      "outputs": {...},                   # stack outputs (pulumi.export)
      "warnings": [...],                  # warnings the program logged
      "facts": {...}                      # version 2: what the spec said (see below)
    }

``inputs`` and the keys of ``property_dependencies`` are the engine's (camelCase) property names.
Values are normalised: integral numbers are ints, unknowns ``"<computed>"``, secrets
``"<secret>"``, assets ``{"asset": {"path"|"text"|"uri": ..., "sha256": ...}}`` and archives
``{"archive": {...}}``. ``outputs`` of a resource holds a component's ``register_outputs``; custom
resources have ``{}`` (their outputs would come from AWS). The root stack resource is not listed;
top-level resources name it as their ``parent``. Keys are sorted, so the same program gives a
byte-identical document.

``facts`` (version 2) is written by ``mlops plan`` from the validated spec, so a review can
compare two plans made by different code versions in ML terms: the resolved spec with the
file and line of each leaf, the environment policy and who owns each endpoint. The preview
engine stores it as given (``mlops_spec.review.facts`` defines it); version 1 documents are
still read, with ``facts`` None.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

FORMAT_VERSION = 2
"""The newest format written (2 adds ``facts``)."""
READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class PlannedResource:
    """One registered resource, as the engine would receive it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    depends_on: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignore_changes: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()
    delete_before_replace: bool = False
    aliases: tuple[str, ...] = ()
    provider: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("depends_on", "ignore_changes", "replace_on_changes", "aliases"):
            data[key] = list(data[key])
        data["property_dependencies"] = {k: list(v) for k, v in self.property_dependencies.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlannedResource:
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            parent=data.get("parent"),
            custom=bool(data.get("custom", True)),
            inputs=dict(data.get("inputs", {})),
            outputs=dict(data.get("outputs", {})),
            protect=bool(data.get("protect", False)),
            retain_on_delete=bool(data.get("retain_on_delete", False)),
            depends_on=tuple(data.get("depends_on", ())),
            property_dependencies={
                k: tuple(v) for k, v in data.get("property_dependencies", {}).items()
            },
            ignore_changes=tuple(data.get("ignore_changes", ())),
            replace_on_changes=tuple(data.get("replace_on_changes", ())),
            delete_before_replace=bool(data.get("delete_before_replace", False)),
            aliases=tuple(data.get("aliases", ())),
            provider=data.get("provider"),
        )


@dataclass(frozen=True)
class PlanDocument:
    """Every resource a program registers for one project and stack, sorted by URN."""

    project: str
    stack: str
    resources: tuple[PlannedResource, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    facts: dict[str, Any] | None = None

    @property
    def format_version(self) -> int:
        """2 when the document carries facts, else 1 (byte-identical to what version 1 wrote)."""
        return FORMAT_VERSION if self.facts is not None else 1

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.resources, key=lambda r: r.urn))
        object.__setattr__(self, "resources", ordered)

    def resource(self, urn: str) -> PlannedResource:
        """The resource with this URN (``KeyError`` if absent)."""
        for res in self.resources:
            if res.urn == urn:
                return res
        raise KeyError(urn)

    def find(self, type_: str | None = None, name: str | None = None) -> list[PlannedResource]:
        """Resources matching a type and/or logical name."""
        return [
            r
            for r in self.resources
            if (type_ is None or r.type == type_) and (name is None or r.name == name)
        ]

    def counts_by_type(self) -> dict[str, int]:
        """Number of resources per type, sorted by type."""
        return dict(sorted(Counter(r.type for r in self.resources).items()))

    def to_dict(self) -> dict[str, Any]:
        data = {
            "format_version": self.format_version,
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_dict() for r in self.resources],
            "outputs": self.outputs,
            "warnings": list(self.warnings),
        }
        if self.facts is not None:
            data["facts"] = self.facts
        return data

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, two-space indent, trailing newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanDocument:
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
            raise ValueError(f"the top level is {kind}, not an object")
        version = data.get("format_version")
        if version not in READABLE_VERSIONS:
            raise ValueError(
                f"plan document format_version {version!r} is not supported "
                f"(this version reads {', '.join(map(str, READABLE_VERSIONS))})"
            )
        facts = data.get("facts") if version >= 2 else None
        return cls(
            project=data["project"],
            stack=data["stack"],
            resources=tuple(PlannedResource.from_dict(r) for r in data.get("resources", [])),
            outputs=dict(data.get("outputs", {})),
            warnings=tuple(data.get("warnings", ())),
            facts=dict(facts) if isinstance(facts, dict) else None,
        )

    @classmethod
    def from_json(cls, text: str) -> PlanDocument:
        return cls.from_dict(json.loads(text))
