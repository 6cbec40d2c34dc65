"""What ``mlops review`` compares: spec files (planned here) or plan documents, paired by stack.

Each ``--base``/``--head`` is a spec file (planned for each ``--stack``, default every
environment it declares), a plan document written by ``mlops plan -f json``, or a directory of
such documents. A base and a head pair when they name the same spec file and stack (from their
facts), else the same stack. A head without a base is a new stack (everything is added).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from mlops_preview.document import PlanDocument
from mlops_spec.errors import file_error
from mlops_spec.review.facts import Facts

PlanFn = Callable[[Path, str, Path | None], PlanDocument]
"""Plans a spec file for a stack (``mlops_spec.plan_cli.run_plan``)."""


def read_plan(path: Path) -> PlanDocument:
    """A plan document, or a clear error naming the file."""
    try:
        return PlanDocument.from_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise file_error(str(path), f"cannot read plan: {error.strerror}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise file_error(
            str(path), f"not a plan JSON document (from `mlops plan -f json`): {error}"
        ) from None


def _spec_stacks(spec: Path) -> list[str]:
    from mlops_spec.load import validate_file

    return list(validate_file(spec).stacks)


def load(
    paths: Sequence[Path], stacks: Sequence[str], plan: PlanFn, project_dir: Path | None
) -> list[PlanDocument]:
    """Every document ``paths`` stand for, limited to ``stacks`` when given."""
    documents: list[PlanDocument] = []
    for path in paths:
        if path.is_dir():
            documents += [read_plan(p) for p in sorted(path.glob("*.json"))]
        elif path.suffix == ".json" or _looks_like_json(path):
            documents.append(read_plan(path))
        else:
            names = _spec_stacks(path)
            for stack in [s for s in stacks if s in names] if stacks else names:
                documents.append(plan(path, stack, project_dir))
    return [d for d in documents if not stacks or d.stack in stacks]


def _looks_like_json(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.read(1) == "{"
    except OSError:
        return False


def _key(document: PlanDocument) -> tuple[str | None, str]:
    facts = Facts.of(document)
    return (facts.file if facts else None, document.stack)


def pair(
    bases: Sequence[PlanDocument], heads: Sequence[PlanDocument]
) -> tuple[list[tuple[PlanDocument, PlanDocument]], list[str]]:
    """(base, head) pairs in head order, and notes on what could not be paired."""
    left = list(bases)
    pairs, notes = [], []
    for head in heads:
        file, stack = _key(head)
        match = next((b for b in left if _key(b) == (file, stack)), None)
        if match is None:
            same_stack = [b for b in left if b.stack == stack]
            match = same_stack[0] if len(same_stack) == 1 else None
        if match is None:
            notes.append(f"{stack}: new stack, no base plan: every resource is added")
            match = PlanDocument(head.project, head.stack)
        else:
            left.remove(match)
        pairs.append((match, head))
    notes += [
        f"{b.stack}: only in the base ({_key(b)[0] or 'plan'}): not reviewed; removing a stack "
        "is `pulumi destroy`, not a merge"
        for b in left
    ]
    return pairs, notes
