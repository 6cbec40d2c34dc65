"""From ``--base``/``--head`` inputs to a :class:`Review`: load, pair, compare, price."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_spec.review.cost_table import estimate_delta
from mlops_spec.review.facts import Facts
from mlops_spec.review.inputs import PlanFn, load, pair
from mlops_spec.review.report import Review, review_stack

if TYPE_CHECKING:
    from mlops_preview.document import PlanDocument


def build_review(
    base: Sequence[Path],
    head: Sequence[Path],
    stacks: Sequence[str],
    plan: PlanFn,
    project_dir: Path | None = None,
    link_base: str | None = None,
    prices: Path | None = None,
    accept_label: str | None = None,
) -> Review:
    """Plan or read both sides, pair them by stack and review each pair."""
    cache: dict[tuple[str, str], PlanDocument] = {}

    def cached(spec: Path, stack: str, project: Path | None) -> PlanDocument:
        key = (str(spec.resolve()), stack)
        if key not in cache:
            cache[key] = plan(spec, stack, project)
        return cache[key]

    bases = load(base, stacks, cached, project_dir)
    heads = load(head, stacks, cached, project_dir)
    pairs, notes = pair(bases, heads)
    reviews = []
    for before, after in pairs:
        facts = Facts.of(after)
        delta, note = estimate_delta(before, after, facts.file if facts else None, prices)
        reviews.append(review_stack(before, after, delta, note))
    return Review(tuple(reviews), tuple(notes), link_base, accept_label)
