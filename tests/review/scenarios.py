"""Realistic edits of the churn example, reviewed as a pull request would be (prod stack).

Each scenario is (base spec, head spec, what a reviewer must see). The goldens in
``tests/review/golden/<name>.md`` are the comment for each, read and checked by eye when
written; refresh them, only for an intended change, with ``python -m tests.review.scenarios``.
The resource-diff blocks are left out of the goldens (they follow the components; the tests
assert on them directly), everything else of the comment is in.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.review.conftest import CHURN, edit

GOLDEN = Path(__file__).parent / "golden"

PROD = "  prod:\n    mode: production\n"
PINNED_12 = edit(
    CHURN,
    (PROD, PROD + "    models:\n      churn-classifier:\n        serving:\n"
           "          model_version: {pinned: 12}\n"),
)  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    name: str
    base: str
    head: str
    says: str


SCENARIOS = (
    Scenario(
        "six-line-edit",
        CHURN,
        edit(
            CHURN,
            ("churn-train:1.4.0", "churn-train:1.5.0"),
            ("      instance_type: ml.c5.large\n", "      instance_type: ml.c5.xlarge\n"),
            ("        min_instances: 2\n", "        min_instances: 3\n"),
            (
                "        traffic_percent: 50   # one of the two instances: traffic moves whole "
                "instances\n",
                "        traffic_percent: 34\n",  # one of the three instances
            ),
            ("        threshold: 0.2\n", "        threshold: 0.3\n"),
            (PROD, PROD + "    alarm_actions_enabled: false\n"),
        ),
        "the issue's example: paging off in prod is a danger; the rest in reviewer words",
    ),
    Scenario(
        "canary-only",
        CHURN,
        edit(CHURN, ("        strategy: canary\n", "        strategy: linear\n")),
        "a harmless canary change: info, no danger",
    ),
    Scenario(
        "pinned-version-bump",
        PINNED_12,
        edit(PINNED_12, ("{pinned: 12}", "{pinned: 13}")),
        "model v12 -> v13, to review in production",
    ),
    Scenario(
        "prod-to-serverless",
        CHURN,
        edit(
            CHURN,
            (
                PROD,
                PROD + "    models:\n      churn-classifier:\n        serving:\n"
                "          tier: serverless\n          memory_mb: 4096\n"
                "          max_concurrency: 20\n          instance_type: null\n"
                "          autoscaling: null\n          rollout: null\n"
                "          data_capture_percent: 0\n        monitors:\n"
                "          p99-latency: {action: notify}\n"
                "          server-errors: {action: notify}\n"
                "          cpu: null\n          feature-drift: null\n"
                "          prediction-drift: null\n          quality: null\n"
                "          fairness: null\n",
            ),
        ),
        "the production endpoint's last rollback monitors go with the real-time tier",
    ),
    Scenario(
        "switched-to-development",
        CHURN,
        edit(CHURN, (PROD, "  prod:\n    mode: development\n")),
        "prod in development mode: protection, paging and schedules off",
    ),
    Scenario(
        "buckets-replaced",
        CHURN,
        edit(CHURN, ("  bucket_namespace: acme\n", "  bucket_namespace: acme-ml\n")),
        "every bucket's name changes: protected stateful resources replaced",
    ),
    Scenario(
        "model-renamed",
        CHURN,
        CHURN.replace("churn-classifier:", "churn-model:"),
        "a rename without moved_from deletes and recreates the model's resources",
    ),
    Scenario(
        "retrain-loop-removed",
        CHURN,
        edit(
            CHURN,
            ("        window_hours: 24\n        action: retrain\n", "        window_hours: 24\n"),
        ),
        "drift no longer starts retraining in production",
    ),
    Scenario(
        "auto-approval-in-prod",
        CHURN,
        edit(
            CHURN,
            (
                PROD,
                PROD + "    models:\n      churn-classifier:\n        registry:\n"
                "          approval: auto\n",
            ),
        ),
        "candidates reach production without a person",
    ),
)


def without_resource_diff(markdown: str) -> str:
    """The comment without its collapsed resource-diff blocks (see the module docstring)."""
    return re.sub(
        r"<details><summary>Resource diff .*?</details>\n\n?", "", markdown, flags=re.DOTALL
    )


def update() -> None:
    """Rewrite every golden from the current code (for an intended change only)."""
    import contextlib
    import tempfile

    from mlops_spec.plan_cli import run_plan
    from mlops_spec.review.markdown import render_comment
    from mlops_spec.review.report import Review, review_stack
    from tests.conftest import ROOT
    from tests.review.conftest import LINK_BASE

    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in SCENARIOS:
            docs = []
            for side, text in (("base", scenario.base), ("head", scenario.head)):
                folder = Path(tmp) / scenario.name / side
                folder.mkdir(parents=True)
                (folder / "mlops.yaml").write_text(text)
                with contextlib.chdir(folder):
                    docs.append(run_plan(Path("mlops.yaml"), "prod", ROOT))
            review = Review(
                (review_stack(*docs),), link_base=LINK_BASE, accept_label="mlops/accept-danger"
            )
            text = without_resource_diff(render_comment(review).text)
            (GOLDEN / f"{scenario.name}.md").write_text(text)
            print(f"wrote {GOLDEN / scenario.name}.md", file=sys.stderr)


if __name__ == "__main__":
    update()
