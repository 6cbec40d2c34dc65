"""The one entry point: YAML with positions -> environment overlay -> validated spec."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mlops_spec.checks_shared import Checked, SharedChecks, check_file, check_system
from mlops_spec.diagnostics import accepts_null, to_problems
from mlops_spec.errors import Problem, SpecError
from mlops_spec.models.environment import Environment, EnvironmentSettings
from mlops_spec.models.spec import ResolvedSpec, SpecFile, SystemSpec
from mlops_spec.overlay import MergedPositions, lookup, merge, replaced, resolve_nulls
from mlops_spec.presets import preset_layer, settings_for
from mlops_spec.secrets import find_secrets
from mlops_spec.types import suggest
from mlops_spec.verdict import Located, Note, merge_notes, plan_stack, stack_notes
from mlops_spec.yamlio import Document, Loc, Position, read

if TYPE_CHECKING:
    from mlops_spec.plan import DeploymentPlan

OVERLAY_SECTIONS = ("system", "notifications", "data_sources", "models")


@dataclass
class Resolution:
    """One stack's merged document, where each value came from, and the validated spec."""

    stack: str
    data: dict[str, Any]
    positions: Mapping[Loc, Position]
    """Where each path of ``data`` is written (its value), looked up when asked."""
    keys: Mapping[Loc, Position]
    settings: EnvironmentSettings
    resolved: ResolvedSpec | None = None
    preset_paths: frozenset[Loc] = frozenset()
    unset: dict[Loc, Position] = field(default_factory=dict)
    """Paths a ``null`` unset, and where that null is written."""
    plan: DeploymentPlan | None = None
    """The stack's deployment plan (only when it validates)."""
    notes: list[Note] = field(default_factory=list)
    """The planner's notes for this stack, located."""
    problems: list[Problem] = field(default_factory=list)

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

    @property
    def notes(self) -> list[Note]:
        """Every stack's notes, each once (naming the stacks it holds in)."""
        return merge_notes({name: r.notes for name, r in self.stacks.items()})


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
    return _without_environments(document.data)


def _without_environments(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "environments"}


def _resolve_base_nulls(document: Document) -> tuple[dict[str, Any], dict[Loc, Position]]:
    """The file as its base validation reads it: nulls outside ``environments`` resolved
    (``overlay.resolve_nulls``), and where each was written."""
    base = _base(document)
    resolved, nulled = resolve_nulls(base, _nullable(SpecFile, base))
    if "environments" in document.data:
        resolved["environments"] = document.data["environments"]
    return resolved, {loc: document.values[loc] for loc in nulled if loc in document.values}


def _nullable(root: type[SystemSpec], data: Any) -> Callable[[Loc], bool]:
    return lambda loc: accepts_null(root, data, loc)


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
    layered = merge(base, preset, lower_nulls_win=True)  # a null in the file beats the preset
    merged = merge(layered, overlay_data)
    prefix: Loc = ("environments", stack)
    layer = f"overlay:{stack}"
    values = MergedPositions(document.values, prefix, layer, overlay_data, merged)
    keys = MergedPositions(document.keys, prefix, layer, overlay_data, merged)
    data, nulled = resolve_nulls(merged, _nullable(SystemSpec, merged))
    preset_paths = frozenset(
        loc
        for loc in _leaf_paths(preset)
        if not replaced(overlay_data, loc) and lookup(layered, loc) == lookup(preset, loc)
    )
    unset = {loc: values[loc] for loc in nulled if loc in values}
    return Resolution(stack, data, values, keys, settings, None, preset_paths, unset)


def _leaf_paths(value: Any, loc: Loc = ()) -> list[Loc]:
    if isinstance(value, dict):
        return [p for key, child in value.items() for p in _leaf_paths(child, (*loc, key))]
    return [loc]


def validate_system(data: Any, settings: EnvironmentSettings | None) -> SystemSpec:
    """The system of one stack: field validation, then the cross-object rules of
    ``mlops_spec.checks`` and ``mlops_spec.checks_ml`` (both raise pydantic's
    ValidationError, with every problem)."""
    return check_system(Checked(data), settings)


def _required_after_null(problems: list[Problem], unset: dict[Loc, Position]) -> list[Problem]:
    """A required key that a ``null`` removed says so."""
    return [
        replace(p, hint="`null` unsets it, and this key has no default: give it a value")
        if p.loc in unset and p.message.startswith("required key")
        else p
        for p in problems
    ]


def _validate_base(document: Document, result: Validation, shared: SharedChecks) -> list[Problem]:
    """The file as written (nulls resolved), environments' overlays unmerged."""
    data, unset = _resolve_base_nulls(document)
    try:
        result.spec_file = SpecFile.model_validate(data)
        check_file(shared.checked(_without_environments(data)), result.spec_file)
    except ValidationError as error:
        problems = to_problems(
            error,
            root=SpecFile,
            data=data,
            values=document.values,
            keys=document.keys,
            file=document.file,
            fallback=Position(document.file, 1, 1),
        )
        return _required_after_null(problems, unset)
    return []


def _unknown_stack(document: Document, stack: str, declared: Any) -> Problem:
    where = document.keys.get(("environments",)) or Position(document.file, 1, 1)
    return Problem(
        document.file,
        where.line,
        where.column,
        ("environments",),
        f"no environment {stack!r} in the spec",
        allowed=", ".join(sorted(declared or {})) or "(none declared)",
        suggestion=suggest(stack, declared or {}),
        hint=f"add environments.{stack} with a mode",
    )


def _validate_stack(
    document: Document, name: str, environment: Environment, shared: SharedChecks
) -> Resolution:
    """One stack: overlay, field and cross-object rules, then the planner (one verdict)."""
    resolution = _resolve_data(document, name, environment)
    where = Located(
        document.file,
        name,
        resolution.positions,
        resolution.keys,
        document.keys.get(("environments", name)),
    )
    try:
        spec = check_system(shared.checked(resolution.data), resolution.settings)
    except ValidationError as error:
        problems = to_problems(
            error,
            root=SystemSpec,
            data=resolution.data,
            values=resolution.positions,
            keys=resolution.keys,
            file=document.file,
            environment=name,
            fallback=where.fallback,
        )
        resolution.problems = _required_after_null(problems, resolution.unset)
        return resolution
    resolved = ResolvedSpec(spec=spec, environment=resolution.settings)
    resolution.plan, resolution.problems = plan_stack(resolved, where)
    if resolution.plan is not None:
        resolution.resolved = resolved
        resolution.notes = stack_notes(resolution.plan, where)
    return resolution


def validate_document(document: Document, stack: str | None = None) -> Validation:
    """Validate the base and the chosen stack (or every declared stack), and plan each
    stack; raise SpecError with every problem."""
    result = Validation(document, None)
    shared = SharedChecks()
    problems = _secret_problems(document) + _validate_base(document, result, shared)
    raw_envs = document.data.get("environments")
    environments: dict[str, Environment] = {}
    if isinstance(raw_envs, dict):
        for name, raw in raw_envs.items():
            with contextlib.suppress(ValidationError):  # reported through SpecFile
                environments[name] = Environment.model_validate(raw or {})
    if stack is not None and stack not in (raw_envs or {}):
        problems.append(_unknown_stack(document, stack, raw_envs))
    for name in [stack] if stack is not None else sorted(environments):
        if name in environments:
            resolution = _validate_stack(document, name, environments[name], shared)
            result.stacks[name] = resolution
            problems += resolution.problems
    if problems:
        raise SpecError(problems)
    return result


def validate_file(path: Path, stack: str | None = None) -> Validation:
    """Read, overlay and validate ``path``; raise SpecError listing every problem.

    Results are cached per (file, size, modification time, stack) within a process, so
    `mlops plan` validating first and the Pulumi program resolving again cost one parse,
    however each names the file (the CLI as typed, the program absolute). Errors are never
    cached: their messages name the file as this call names it.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return validate_document(read(path), stack)  # read() reports the problem
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    cached = _VALIDATIONS.get((key, stack))
    if cached is None:
        cached = _VALIDATIONS[(key, stack)] = validate_document(read(path), stack)
        while len(_VALIDATIONS) > _KEEP:
            del _VALIDATIONS[next(iter(_VALIDATIONS))]  # the oldest first
    return cached


def forget_validations() -> None:
    """Empty :func:`validate_file`'s per-process cache (a benchmark times each run as the
    fresh process it stands for)."""
    _VALIDATIONS.clear()


_KEEP = 16
"""Validations :func:`validate_file` keeps per process."""
_VALIDATIONS: dict[tuple[tuple[str, int, int], str | None], Validation] = {}
"""(absolute path, size, modification time), stack -> its validation."""


def resolve(path: Path, stack: str) -> ResolvedSpec:
    """The validated spec one stack deploys (the Pulumi program's entry point)."""
    resolution = validate_file(path, stack).stacks[stack]
    assert resolution.resolved is not None
    return resolution.resolved
