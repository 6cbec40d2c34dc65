"""The pull-request review the workflow runs: ``python -m mlops_spec.review.pr --base-sha SHA``.

Run from the head checkout (the code the pull request would merge, installed in the running
environment). For the base commit it makes a git worktree and a virtual environment of its
own, installs the base's own requirements there (``requirements.txt``, else the checkout's
``pyproject.toml``), and plans each spec and stack with that code; the head is planned with
the head's code. So a change in the code (a component, a pinned package version) shows up as
well as a change in the spec. Then ``mlops review`` compares them and writes, in ``--out``:

* ``comment.md``: the pull-request comment (within the ``--max-chars`` budget);
* ``report.md``: the full report (the artifact); ``summary.md``: what the job summary gets
  (the full report when it fits GitHub's 1 MiB step-summary limit, else the comment);
* ``review.json``: the review as JSON; ``plans/base`` and ``plans/head``: the plan documents.

With ``GITHUB_OUTPUT`` set it also writes ``has_danger=true|false`` there. Exit 0 (1 with
``--fail-on-danger`` and a danger; 1 with a message in ``comment.md`` when planning fails).

Environment: ``MLOPS_REVIEW_PYTHON=/path/to/python`` uses that interpreter for both sides
instead of creating the base's virtual environment, with each side's checkout first on
``PYTHONPATH`` so its own packages are imported (for a repository that is mlops-spec itself,
as in this project's tests; a team's repository pins mlops-spec and needs the venv).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import venv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SUMMARY_LIMIT = 1_000_000
"""Bytes of Markdown a job's step summary may hold (GitHub: 1 MiB per step)."""


class ReviewFailed(Exception):
    """Planning one side failed; the message says which command and why."""


@dataclass(frozen=True)
class Side:
    """A checkout and the interpreter (with its environment) that plans it."""

    name: str
    checkout: Path
    python: str
    env: dict[str, str]

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [self.python, "-m", "mlops_spec.cli", *args],
            cwd=self.checkout,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            shown = " ".join(args)
            raise ReviewFailed(
                f"`mlops {shown}` failed on the {self.name} ({self.checkout.name}):\n"
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result.stdout


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@contextlib.contextmanager
def worktree(root: Path, sha: str, where: Path) -> Iterator[Path]:
    """The base commit checked out beside the head (removed afterwards)."""
    _git(root, "worktree", "add", "--detach", "--force", str(where), sha)
    try:
        yield where
    finally:
        subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(where)])


def _shared_python(checkout: Path) -> tuple[str, dict[str, str]] | None:
    python = os.environ.get("MLOPS_REVIEW_PYTHON")
    if not python:
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(checkout), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    return python, env


def base_side(checkout: Path, venv_dir: Path) -> Side:
    """The base's interpreter: its own venv with its own requirements installed."""
    shared = _shared_python(checkout)
    if shared is not None:
        return Side("base", checkout, *shared)
    venv.create(venv_dir, with_pip=True, clear=True)
    python = str(venv_dir / ("Scripts" if os.name == "nt" else "bin") / "python")
    requirements = checkout / "requirements.txt"
    install = ["-r", str(requirements)] if requirements.is_file() else [str(checkout)]
    subprocess.run([python, "-m", "pip", "install", "--quiet", *install], check=True)
    return Side("base", checkout, python, dict(os.environ))


def head_side(checkout: Path) -> Side:
    shared = _shared_python(checkout)
    if shared is not None:
        return Side("head", checkout, *shared)
    return Side("head", checkout, sys.executable, dict(os.environ))


def stacks_of(side: Side, spec: str, wanted: Sequence[str]) -> list[str]:
    """The spec's environments on this side (limited to ``wanted``); none if it is absent."""
    if not (side.checkout / spec).is_file():
        return []
    names = list(json.loads(side.run("validate", spec, "--format", "json"))["stacks"])
    return [n for n in names if not wanted or n in wanted]


def plan_side(side: Side, specs: Sequence[str], wanted: Sequence[str], out: Path) -> None:
    """Plan every spec and stack of one side into ``out`` (one JSON document each)."""
    out.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        if side.name == "head" and not (side.checkout / spec).is_file():
            raise ReviewFailed(f"{spec}: no such spec file in the head checkout")
        stacks = list(wanted) if wanted and (side.checkout / spec).is_file() else None
        for stack in stacks if stacks is not None else stacks_of(side, spec, wanted):
            slug = re.sub(r"[^A-Za-z0-9]+", "-", spec).strip("-")
            target = out / f"{slug}--{stack}.json"
            side.run("plan", spec, "--stack", stack, "--format", "json", "--output", str(target))


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mlops_spec.review.pr", description=__doc__)
    parser.add_argument("--base-sha", required=True, help="The pull request's base commit.")
    parser.add_argument("--spec", action="append", default=[], help="Spec file (repeatable).")
    parser.add_argument("--stack", action="append", default=[], help="Only these stacks.")
    parser.add_argument("--out", type=Path, default=Path("mlops-review"), help="Output folder.")
    parser.add_argument("--link-base", help="URL of the head's files, e.g. .../blob/<sha>/.")
    parser.add_argument("--accept-label", help="The label that accepts dangers.")
    parser.add_argument("--max-chars", type=int, default=60_000, help="Comment budget.")
    parser.add_argument("--fail-on-danger", action="store_true", help="Exit 1 on a danger.")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    root = Path(_git(Path.cwd(), "rev-parse", "--show-toplevel"))
    out = args.out.resolve()
    specs = args.spec or ["mlops.yaml"]
    try:
        with worktree(root, args.base_sha, out / "base-checkout") as base_checkout:
            base = base_side(base_checkout, out / "base-venv")
            plan_side(base, specs, args.stack, out / "plans" / "base")
        plan_side(head_side(root), specs, args.stack, out / "plans" / "head")
    except (ReviewFailed, subprocess.CalledProcessError) as error:
        message = f"{error}" if isinstance(error, ReviewFailed) else f"{error}\n{error.stderr}"
        _write(
            out / "comment.md",
            f"<!-- mlops-review -->\n## mlops review failed\n\n```\n{message}\n```\n",
        )
        sys.stderr.write(message + "\n")
        return 1
    with contextlib.chdir(root):
        has_danger = _review(args, out)
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(f"has_danger={'true' if has_danger else 'false'}\n")
    return 1 if args.fail_on_danger and has_danger else 0


def _review(args: argparse.Namespace, out: Path) -> bool:
    from mlops_spec.review.build import build_review
    from mlops_spec.review.json_out import review_dict
    from mlops_spec.review.markdown import render_comment, render_full

    def no_planning(spec: Path, stack: str, project: Path | None) -> object:
        raise AssertionError("the pull-request review compares plan documents only")

    review = build_review(
        [out / "plans" / "base"],
        [out / "plans" / "head"],
        [],
        no_planning,  # type: ignore[arg-type]
        link_base=args.link_base,
        accept_label=args.accept_label,
    )
    comment = render_comment(review, args.max_chars)
    full = render_full(review)
    _write(out / "comment.md", comment.text)
    _write(out / "report.md", full)
    summary = full if len(full.encode()) <= SUMMARY_LIMIT else comment.text
    _write(out / "summary.md", summary)
    _write(out / "review.json", json.dumps(review_dict(review, comment), indent=2) + "\n")
    return review.has_danger


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
