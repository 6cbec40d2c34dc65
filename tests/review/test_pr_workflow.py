"""The workflow's review script against a temporary git repository: the base is planned with
the base commit's own code (a git worktree), so a component change with no spec change shows.

The venv per side is replaced by this interpreter (``MLOPS_REVIEW_PYTHON``, documented in
``mlops_spec/review/pr.py``); the worktree, the checkout on ``PYTHONPATH`` and the planning
subprocesses are real.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_spec.review import pr
from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("review")

KEEP = ("Pulumi.yaml", "pyproject.toml", "infra/", "mlops_", "stacks/", "examples/churn/")
ANCHOR = 'object_ownership="BucketOwnerEnforced"'


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def _copy_project(target: Path) -> None:
    """The project as it is in the working tree (tracked and new files), without tests."""
    listed = _git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for name in listed:
        source = ROOT / name
        if name.startswith(KEEP) and source.is_file() and "__pycache__" not in name:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A repository whose head changes a component (bucket ownership), not the spec."""
    repo = tmp_path_factory.mktemp("team-repo")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "ci@example.com")
    _git(repo, "config", "user.name", "ci")
    _copy_project(repo)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD").strip()
    storage = repo / "mlops_components" / "storage.py"
    text = storage.read_text()
    assert ANCHOR in text, "the test's anchor moved: pick another literal of a component"
    storage.write_text(text.replace(ANCHOR, 'object_ownership="BucketOwnerPreferred"'))
    _git(repo, "commit", "-q", "-am", "head: a component change only")
    return repo, base


def test_a_component_change_shows_when_the_base_is_planned_with_its_own_code(
    repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, base = repo
    out = path.parent / "review-out"
    monkeypatch.setenv("MLOPS_REVIEW_PYTHON", sys.executable)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.chdir(path)
    code = pr.main(
        [
            "--base-sha", base,
            "--spec", "examples/churn/mlops.yaml",
            "--stack", "dev",
            "--out", str(out),
            "--link-base", "https://github.com/acme/team/blob/HEAD/",
        ]
    )  # fmt: skip
    assert code == 0
    comment = (out / "comment.md").read_text()
    # every bucket's ownership control changed, grouped in one line, values kept
    assert "BucketOwnershipControls" in comment
    assert '`"BucketOwnerEnforced"` -> `"BucketOwnerPreferred"`' in comment
    review = json.loads((out / "review.json").read_text())
    (stack,) = review["stacks"]
    assert stack["stack"] == "dev" and stack["file"] == "examples/churn/mlops.yaml"
    assert stack["changes"] == []  # no spec change: no ML row
    assert stack["resources"]["summary"]["changed"] >= 1
    changed = {e["type"] for e in stack["resources"]["entries"]}
    assert changed == {"aws:s3/bucketOwnershipControls:BucketOwnershipControls"}
    # both sides carried facts (format_version 2), and the worktree is gone
    for side in ("base", "head"):
        (document,) = (out / "plans" / side).glob("*.json")
        assert json.loads(document.read_text())["format_version"] == 2
    assert not (out / "base-checkout").exists()
    assert (out / "report.md").read_text().startswith("<!-- mlops-review -->")


def test_a_spec_missing_from_the_head_fails_with_the_reason_in_the_comment(
    repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, base = repo
    out = path.parent / "review-missing"
    monkeypatch.setenv("MLOPS_REVIEW_PYTHON", sys.executable)
    monkeypatch.chdir(path)
    code = pr.main(
        ["--base-sha", base, "--spec", "nowhere.yaml", "--stack", "dev", "--out", str(out)]
    )
    assert code == 1
    comment = (out / "comment.md").read_text()
    assert "mlops review failed" in comment
    assert "nowhere.yaml: no such spec file in the head checkout" in comment
