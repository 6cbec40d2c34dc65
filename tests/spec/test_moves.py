"""``moved_from``: which names a renamed model or data source keeps, and the former logical
names its resources alias."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from mlops_spec.naming import Names, Renames, former_logical_name

IDS = ("churn", "churn-classifier", "events", "events-holdout", "labels")


def _former(name: str, models: dict[str, str] | None = None, sources: dict[str, str] | None = None):
    return former_logical_name(name, models=models or {}, sources=sources or {}, ids=IDS)


def test_a_moved_model_keeps_its_stateful_names_only() -> None:
    moved = Names("shop", "prod", "eu-west-1", "acme", moved_models=(("scorer", "churn"),))
    plain = Names("shop", "prod", "eu-west-1", "acme")
    assert moved.model_package_group("scorer") == plain.model_package_group("churn")
    assert moved.endpoint("scorer") == "shop-prod-churn"
    assert moved.endpoint_config("scorer", "ab12") == "shop-prod-churn-ab12"
    assert moved.sagemaker_model("scorer", "ab12") == "shop-prod-churn-ab12"
    # stateless names follow the new id
    assert moved.pipeline("scorer") == "shop-prod-scorer-train"
    assert moved.role("serve", "scorer") == "shop-prod-scorer-serve"
    assert moved.alarm("scorer", "latency") == "shop-prod-scorer-latency"
    assert moved.dashboard("scorer") == "shop-prod-scorer"


def test_a_moved_source_keeps_its_bucket() -> None:
    names = Names("shop", "prod", "eu-west-1", "acme", moved_sources=(("activity", "events"),))
    assert names.data_bucket("activity") == "acme-shop-prod-data-events-eu-west-1"
    assert names.rule("new-data-activity") == "shop-prod-new-data-activity"


def test_former_names_replace_the_whole_id_where_it_stands() -> None:
    moved = {"churn-classifier": "scorer"}
    assert _former("churn-classifier-training-pipeline", moved) == "scorer-training-pipeline"
    assert _former("retraining-churn-classifier-schedule-dlq", moved) == (
        "retraining-scorer-schedule-dlq"
    )
    assert _former("retraining-endpoint-in-service-churn-classifier-rule", moved) == (
        "retraining-endpoint-in-service-scorer-rule"
    )
    assert _former("storage-artifacts-policy", moved) is None


def test_the_longest_id_wins() -> None:
    """``churn`` moved does not touch ``churn-classifier``'s names, nor ``events`` moved
    ``events-holdout``'s bucket."""
    assert _former("churn-classifier-packages", {"churn": "old"}) is None
    assert _former("churn-packages", {"churn": "old"}) == "old-packages"
    assert _former("storage-data-events-holdout-policy", sources={"events": "raw"}) is None
    assert _former("storage-data-events-policy", sources={"events": "raw"}) == (
        "storage-data-raw-policy"
    )


def test_source_ids_follow_data_and_model_ids_stand_elsewhere() -> None:
    """A model and a data source may share an id: each rename touches its own names."""
    models, sources = {"events": "clicks"}, {"events": "raw"}
    assert _former("retraining-new-data-events-rule", models, sources) == (
        "retraining-new-data-raw-rule"
    )
    assert _former("events-training", models, sources) == "clicks-training"
    assert _former("storage-data-events", models) is None


def test_renames_without_moves_are_false() -> None:
    assert not Renames(ids=IDS)
    assert Renames(models=(("a", "b"),), ids=IDS).former("a-training") == "b-training"


segment = st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True)
ident = st.lists(segment, min_size=1, max_size=3).map("-".join)


@given(ident, ident, st.lists(segment, max_size=3), st.lists(segment, max_size=3))
def test_a_moved_id_is_swapped_back(new: str, old: str, before: list[str], after: list[str]):
    """Among other words, the former name is the name with the former id in its place."""
    assume(new != old and "data" not in before[-1:])
    assume(not set(new.split("-")) & {*before, *after})  # no other word reads as the id
    name = "-".join([*before, new, *after])
    former = former_logical_name(name, models={new: old}, sources={}, ids=(new,))
    assert former == "-".join([*before, old, *after])
