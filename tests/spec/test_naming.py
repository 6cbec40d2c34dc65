"""Names are a public contract: frozen for the examples, derived from stable keys only."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mlops_spec.load import resolve
from mlops_spec.naming import LIMITS, Names, check_name, physical_names
from tests.conftest import EXAMPLES

GOLDEN = Path(__file__).parent / "golden" / "names.json"


def _names_of(path: Path, stack: str) -> list[tuple[str, str]]:
    resolved = resolve(path, stack)
    spec = resolved.spec
    names = Names(spec.system.id, stack, spec.system.region, spec.system.bucket_namespace)
    monitors = {m: list(model.monitors) for m, model in spec.models.items()}
    sources = [k for k, s in spec.data_sources.items() if s.creates_bucket]
    return sorted(
        {
            (kind, name)
            for _, kind, name in physical_names(names, list(spec.models), monitors, sources)
        }
    )


def current_names() -> dict[str, dict[str, list[str]]]:
    from mlops_spec.load import validate_file

    table: dict[str, dict[str, list[str]]] = {}
    for path in EXAMPLES:
        for stack in validate_file(path).stacks:
            kinds: dict[str, list[str]] = {}
            for kind, name in _names_of(path, stack):
                kinds.setdefault(kind, []).append(name)
            table[f"{path.parent.name}/{stack}"] = kinds
    return table


def test_example_names_are_frozen() -> None:
    """Renaming replaces resources. If this fails on purpose, add aliases and run
    `python -m tests.spec.test_naming` to refresh the golden file."""
    assert json.loads(GOLDEN.read_text()) == current_names()


def test_names_do_not_depend_on_model_order(root: Path) -> None:
    names = Names("churn", "prod", "eu-west-1")
    a = physical_names(names, ["m-one", "m-two"], {}, [])
    b = physical_names(names, ["m-two", "m-one"], {}, [])
    assert sorted(a) == sorted(b)


ids = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True).filter(lambda s: "--" not in s)


@given(ids, ids, ids)
def test_names_are_injective_in_model_id(system: str, first: str, second: str) -> None:
    names = Names(system, "dev", "us-east-1")
    if first != second:
        assert names.endpoint(first) != names.endpoint(second)
        assert names.alarm(first, "x") != names.alarm(second, "x")


@given(ids, ids)
def test_short_ids_give_valid_aws_names(system: str, model: str) -> None:
    names = Names(system, "prod", "eu-west-1")
    for _, kind, name in physical_names(names, [model], {model: ["p99-latency"]}, ["events"]):
        assert check_name(name, kind) is None, (kind, name)
        assert len(name) <= LIMITS[kind].max_length


def test_check_name_explains_the_limit() -> None:
    message = check_name("x" * 70, "sagemaker")
    assert message and "70 characters; AWS allows 63" in message
    assert check_name("Upper_Case", "bucket") and re.search("rule", check_name("A_B", "bucket"))


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(current_names(), indent=1, sort_keys=True) + "\n")
