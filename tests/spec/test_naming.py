"""Names are a public contract: frozen for the examples, derived from stable keys only."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mlops_spec.checks import name_facts
from mlops_spec.load import resolve
from mlops_spec.naming import LIMITS, ModelNames, Names, check_name, physical_names
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
            for _, kind, name in physical_names(
                names,
                list(spec.models),
                monitors,
                sources,
                models=name_facts(spec),
                notifier=bool(spec.notifications.webhook_url_ssm_parameter),
                retrain_sources=[k for k, s in spec.data_sources.items() if s.retrain_on_new_data],
            )
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


def test_only_names_that_will_exist_are_checked() -> None:
    names = Names("churn", "prod", "eu-west-1")
    facts = {
        "rt": ModelNames(tier="realtime", monitoring_job=True),
        "bt": ModelNames(tier="batch"),
        "reg": ModelNames(),
    }
    found = {
        name
        for _, _, name in physical_names(names, list(facts), {}, [], models=facts)
        if name.startswith("churn-prod-")
    }
    assert {"churn-prod-rt-monitor", "churn-prod-rt-scheduler", "churn-prod-bt-batch"} <= found
    assert "churn-prod-bt-scheduler" in found  # the batch schedule's role
    for absent in ("churn-prod-rt-batch", "churn-prod-bt-monitor", "churn-prod-reg-scheduler"):
        assert absent not in found
    assert "churn-prod-rt-in-service" not in found  # pinned: no deploy function
    assert "churn-prod-reg-train" in found and "churn-prod-notify" not in found
    with_webhook = {n for *_, n in physical_names(names, [], {}, [], notifier=True)}
    assert {"churn-prod-notify", "churn-prod-notify-dlq"} <= with_webhook


def test_a_long_id_only_fails_names_its_model_has() -> None:
    """A batch model has no endpoint, endpoint config or in-service rule: their limits do not
    apply to its id."""
    names = Names("churn", "prod", "eu-west-1")
    model = "m" * 44  # churn-prod-<44>-<8 hex> is a 64-character endpoint config name

    def failing(**facts: ModelNames) -> set[str]:
        return {
            name
            for _, kind, name in physical_names(names, [model], {}, [], models=facts)
            if check_name(name, kind)
        }

    assert failing(**{model: ModelNames(tier="batch")}) == {names.role("scheduler", model)}
    assert failing() == {
        names.role("scheduler", model),
        names.endpoint(model),  # 55 characters: over the 50 an endpoint name may have
        names.endpoint_config(model, "0" * 8),
        names.sagemaker_model(model, "0" * 8),
        names.endpoint_in_service_rule(model),
    }


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


_IDS = st.text(alphabet="ab-1", max_size=4)


@given(_IDS, st.one_of(st.none(), _IDS), st.sampled_from(["dev", "prod"]))
def test_role_names_join_the_written_parts(purpose: str, model: str | None, env: str) -> None:
    names = Names("sys", env, "eu-west-1")
    assert names.role(purpose, model) == "-".join(p for p in (f"sys-{env}", model, purpose) if p)


def test_names_keep_their_prefix_and_moves_without_changing_equality() -> None:
    """The prefix and the moved-id tables are kept once computed: equality, hashing, repr,
    copies and ``replace`` still see the fields only."""
    moved = (("new", "old"),)
    names = Names("sys", "dev", "eu-west-1", "acme", moved, (("src", "was"),))
    assert (names.prefix, names.endpoint("new"), names.data_bucket("src")) == (
        "sys-dev",
        "sys-dev-old",
        "acme-sys-dev-data-was-eu-west-1",
    )
    twin = Names("sys", "dev", "eu-west-1", "acme", moved, (("src", "was"),))
    assert names == twin and hash(names) == hash(twin) and repr(names) == repr(twin)
    assert dataclasses.asdict(names) == dataclasses.asdict(twin)
    assert pickle.loads(pickle.dumps(names)) == names
    other = dataclasses.replace(names, environment="prod", moved_models=())
    assert (other.prefix, other.endpoint("new")) == ("sys-prod", "sys-prod-new")


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(current_names(), indent=1, sort_keys=True) + "\n")
