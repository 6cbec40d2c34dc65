"""What the file as written and its stacks share within one validation.

Stacks differ in their overlays and mode presets, yet often not at all (``staging`` and
``prod`` with no overlay merge to the file's own document). A merged document equal to one
already checked -- the same values of the same types in the same key order (``_alike``) --
validates to the same spec, with the same issues wherever a rule does not read
the stack's settings. Those are computed once; the stack's own rules (its policy and derived
names, ``checks.environment_issues``) run for every stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlops_spec.checks import Issue, environment_issues, raise_issues, spec_issues
from mlops_spec.checks_k8s import platform_issues
from mlops_spec.checks_ml import ml_issues
from mlops_spec.image_checks import image_issues
from mlops_spec.models.spec import SystemSpec

if TYPE_CHECKING:
    from mlops_spec.models.environment import EnvironmentSettings


class Checked:
    """One merged document, its validated spec and the issues no stack's settings change,
    each computed on first use."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.spec: SystemSpec | None = None
        self._issues: dict[str, list[Issue]] = {}

    def issues(self, kind: str, compute: Callable[[], list[Issue]]) -> list[Issue]:
        """The issues of ``kind``, computed by ``compute`` the first time they are asked."""
        found = self._issues.get(kind)
        if found is None:
            found = self._issues[kind] = compute()
        return found


class SharedChecks:
    """The documents one validation has checked, to find an equal one."""

    def __init__(self) -> None:
        self._seen: list[Checked] = []

    def checked(self, data: Any) -> Checked:
        """The entry of a document equal to ``data`` (a new one if none is)."""
        for seen in self._seen:
            if seen.data == data and _alike(seen.data, data):
                return seen
        entry = Checked(data)
        self._seen.append(entry)
        return entry


_EXACT = (str, int, bool)
"""Scalar types whose ``==`` within the type is sameness (a float's is not: 0.0 == -0.0)."""


def _alike(a: Any, b: Any) -> bool:
    """``a`` and ``b`` hold the same values of the same types in the same key order, which
    ``==`` does not tell (``1 == 1.0 == True``, ``0.0 == -0.0``, key order). Documents of
    one file share their unchanged mappings (``merge``, ``resolve_nulls``), so this mostly
    meets the same objects; a value of any other type is alike only to itself."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return len(a) == len(b) and all(
            type(key_a) is type(key_b) and key_a == key_b and _alike(value_a, value_b)
            for (key_a, value_a), (key_b, value_b) in zip(a.items(), b.items(), strict=True)
        )
    if kind is list:
        return len(a) == len(b) and all(_alike(x, y) for x, y in zip(a, b, strict=True))
    if kind is float:
        return repr(a) == repr(b)
    return kind in _EXACT and bool(a == b)


def check_system(checked: Checked, settings: EnvironmentSettings | None) -> SystemSpec:
    """``load.validate_system`` of ``checked.data``: field validation, then the cross-object
    rules (raising pydantic's ValidationError with every problem), in the same order."""
    if checked.spec is None:
        checked.spec = SystemSpec.model_validate(checked.data)
    spec = checked.spec
    semantic = checked.issues("spec", lambda: spec_issues(spec))
    if settings is not None:
        semantic = semantic + environment_issues(spec, settings)
    production = settings is not None and settings.production  # ml_issues' only use of it
    ml = checked.issues(f"ml production={production}", lambda: ml_issues(spec, settings))
    platform = (
        checked.issues("platform", lambda: platform_issues(spec)) if settings is not None else []
    )
    images = checked.issues("images", lambda: image_issues(spec, settings))  # settings unused
    raise_issues(semantic + ml + platform + images)
    return spec


def check_file(checked: Checked, spec_file: SystemSpec) -> None:
    """The cross-object rules of the file as written (``spec_file``, validated from
    ``checked.data`` and its environments), which no stack's settings decide."""
    raise_issues(
        checked.issues("spec", lambda: spec_issues(spec_file))
        + checked.issues("ml production=False", lambda: ml_issues(spec_file, None))
        + checked.issues("images", lambda: image_issues(spec_file, None))
    )
