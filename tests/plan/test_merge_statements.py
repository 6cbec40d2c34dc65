"""``merge_statements`` gathers each group's resources (and condition values) with a set instead
of rescanning the merged tuple per statement; its result must be the pairwise merge's, item for
item: first-seen order, repeats inside one statement kept as the pairwise merge keeps them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_spec.plan.documents import Condition, Statement
from mlops_spec.plan.policy_size import merge_statements


def pairwise(statements: Iterable[Statement]) -> tuple[Statement, ...]:
    """The merge as first written: each statement folded into its group's merged one."""

    def same(s: Statement) -> tuple:
        return (s.sid, s.actions, s.effect, s.principals)

    merged: dict[tuple, Statement] = {}
    for s in statements:
        k = (*same(s), s.conditions)
        if k in merged:
            kept = merged[k]
            extra = tuple(r for r in s.resources if r not in kept.resources)
            merged[k] = replace(kept, resources=kept.resources + extra)
        else:
            merged[k] = s
    result: dict[tuple, Statement] = {}
    for s in merged.values():
        if len(s.conditions) != 1:
            k = (*same(s), s.resources, s.conditions)
        else:
            k = (*same(s), s.resources, s.conditions[0].operator, s.conditions[0].key)
        if k in result:
            kept = result[k]
            (old,), (added,) = kept.conditions, s.conditions
            values = old.values + tuple(v for v in added.values if v not in old.values)
            result[k] = replace(kept, conditions=(replace(old, values=values),))
        else:
            result[k] = s
    return tuple(result.values())


ITEMS = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4).map(tuple)
CONDITIONS = st.lists(
    st.builds(Condition, st.sampled_from(["StringLike", "ArnLike"]), st.just("k"), ITEMS),
    max_size=2,
).map(tuple)
STATEMENTS = st.builds(
    Statement,
    sid=st.sampled_from(["ListData", "ServeModel"]),
    actions=st.sampled_from([("s3:ListBucket",), ("a:B", "a:C")]),
    resources=ITEMS,
    conditions=CONDITIONS,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(STATEMENTS, max_size=8))
def test_the_same_as_merging_pair_by_pair(statements: list[Statement]) -> None:
    assert merge_statements(statements) == pairwise(statements)


def test_repeats_inside_one_statement_stay_as_before() -> None:
    first = Statement("S", ("a:B",), ("x",))
    later = Statement("S", ("a:B",), ("y", "y", "x"))
    assert merge_statements([first, later]) == (Statement("S", ("a:B",), ("x", "y", "y")),)
    assert merge_statements([first, later]) == pairwise([first, later])
    alone = Statement("T", ("a:B",), ("z", "z"))
    assert merge_statements([alone])[0] is alone  # a group of one is left as it is
