"""The one entry point: YAML with positions -> environment overlay -> validated spec."""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mlops_spec.checks import raise_semantic_errors
from mlops_spec.diagnostics import to_problems
from mlops_spec.errors import Problem, SpecError
from mlops_spec.models.environment import Environment, EnvironmentSettings
from mlops_spec.models.spec import ResolvedSpec, SpecFile, SystemSpec
from mlops_spec.overlay import merge, merge_positions, reroot, strip_nulls
from mlops_spec.presets import preset_layer, settings_for
from mlops_spec.secrets import find_secrets
from mlops_spec.types import suggest
from mlops_spec.yamlio import Document, Loc, Position, read

OVERLAY_SECTIONS = ("system", "notifications", "data_sources", "models")


@dataclass
class Resolution:
    """One stack's merged document, where each value came from, and the validated spec."""

    stack: str
    data: dict[str, Any]
    positions: dict[Loc, Position]
    keys: dict[Loc, Position]
    settings: EnvironmentSettings
    resolved: ResolvedSpec | None = None
    preset_paths: frozenset[Loc] = frozenset()

    @property
    def spec(self) -> ResolvedSpec:
        """The validated spec (only on a successful validation)."""
        if self.resolved is None:
            raise RuntimeError(f"stack {self.stack!r} did not validate")
        return self.resolved


@dataclass
class Validation:
    """The result of validating a file: the parsed file and each resolved stack."""

    document: Document
    spec_file: SpecFile | None
    stacks: dict[str, Resolution] = field(default_factory=dict)


def _secret_problems(document: Document) -> list[Problem]:
    problems = []
    for loc, what in find_secrets(document.data):
        pos = document.values.get(loc)
        problems.append(
            Problem(
                document.file,
                pos.line if pos else None,
                pos.column if pos else None,
                loc,
                f"looks like {what}; secrets never go in the spec file",
                hint="store it in SSM Parameter Store or Secrets Manager and reference its name "
                "(e.g. webhook_url_ssm_parameter)",
            )
        )
    return problems


def _base(document: Document) -> dict[str, Any]:
    return strip_nulls({k: v for k, v in document.data.items() if k != "environments"})


def _resolve_data(document: Document, stack: str, environment: Environment) -> Resolution:
    base = _base(document)
    settings = settings_for(stack, environment)
    overlay_data = {
        k: v
        for k, v in (document.data["environments"][stack] or {}).items()
        if k in OVERLAY_SECTIONS
    }
    # the preset follows what the stack will run (an overlay may change a model's tier)
    preset = preset_layer(merge(base, overlay_data), environment.mode)
    layered = merge(base, preset)
    merged = merge(layered, overlay_data)
    prefix: Loc = ("environments", stack)
    overlay_values = reroot(document.values, prefix, f"overlay:{stack}")
    overlay_keys = reroot(document.keys, prefix, f"overlay:{stack}")
    base_values = {k: v for k, v in document.values.items() if k[:1] != ("environments",)}
    base_keys = {k: v for k, v in document.keys.items() if k[:1] != ("environments",)}
    values = merge_positions(base_values, overlay_data, overlay_values, merged)
    keys = merge_positions(base_keys, overlay_data, overlay_keys, merged)
    preset_paths = frozenset(_leaf_paths(preset)) - frozenset(_leaf_paths(overlay_data))
    return Resolution(stack, merged, values, keys, settings, preset_paths=preset_paths)


def _leaf_paths(value: Any, loc: Loc = ()) -> list[Loc]:
    if isinstance(value, dict):
        return [p for key, child in value.items() for p in _leaf_paths(child, (*loc, key))]
    return [loc]


def validate_system(data: Any, settings: EnvironmentSettings | None) -> SystemSpec:
    """The system of one stack: field validation, then the cross-object rules of
    ``mlops_spec.checks`` (both raise pydantic's ValidationError, with every problem)."""
    spec = SystemSpec.model_validate(data)
    raise_semantic_errors(spec, settings)
    return spec


def validate_document(document: Document, stack: str | None = None) -> Validation:
    """Validate the base and the chosen stack (or every declared stack); raise SpecError."""
    problems = _secret_problems(document)
    spec_file: SpecFile | None = None
    try:
        spec_file = SpecFile.model_validate(document.data)
        raise_semantic_errors(spec_file, None)
    except ValidationError as error:
        problems += to_problems(
            error,
            root=SpecFile,
            data=document.data,
            values=document.values,
            keys=document.keys,
            file=document.file,
            fallback=Position(document.file, 1, 1),
        )
    result = Validation(document, spec_file)
    raw_envs = document.data.get("environments")
    environments: dict[str, Environment] = {}
    if isinstance(raw_envs, dict):
        for name, raw in raw_envs.items():
            with contextlib.suppress(ValidationError):  # reported through SpecFile
                environments[name] = Environment.model_validate(raw or {})
    if stack is not None and stack not in (raw_envs or {}):
        where = document.keys.get(("environments",)) or Position(document.file, 1, 1)
        problems.append(
            Problem(
                document.file,
                where.line,
                where.column,
                ("environments",),
                f"no environment {stack!r} in the spec",
                allowed=", ".join(sorted(raw_envs or {})) or "(none declared)",
                suggestion=suggest(stack, raw_envs or {}),
                hint=f"add environments.{stack} with a mode",
            )
        )
    targets = [stack] if stack is not None else sorted(environments)
    for name in targets:
        if name not in environments:
            continue
        resolution = _resolve_data(document, name, environments[name])
        try:
            spec = validate_system(resolution.data, resolution.settings)
            resolution.resolved = ResolvedSpec(spec=spec, environment=resolution.settings)
        except ValidationError as error:
            problems += to_problems(
                error,
                root=SystemSpec,
                data=resolution.data,
                values=resolution.positions,
                keys=resolution.keys,
                file=document.file,
                environment=name,
                fallback=document.keys.get(("environments", name)),
            )
        result.stacks[name] = resolution
    if problems:
        raise SpecError(problems)
    return result


def validate_file(path: Path, stack: str | None = None) -> Validation:
    """Read, overlay and validate ``path``; raise SpecError listing every problem.

    Results are cached per (file, size, modification time, stack) within a process, so
    `mlops plan` validating first and the Pulumi program resolving again cost one parse.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return validate_document(read(path), stack)  # read() reports the problem
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    return _validate_cached(str(path), key, stack)


@functools.lru_cache(maxsize=16)
def _validate_cached(shown: str, key: tuple[str, int, int], stack: str | None) -> Validation:
    del key  # (absolute path, size, mtime): part of the cache key only
    return validate_document(read(Path(shown)), stack)


def resolve(path: Path, stack: str) -> ResolvedSpec:
    """The validated spec one stack deploys (the Pulumi program's entry point)."""
    resolution = validate_file(path, stack).stacks[stack]
    assert resolution.resolved is not None
    return resolution.resolved
