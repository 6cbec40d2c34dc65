"""promtool and amtool (Debian's builds, no daemon): rule groups, rule unit tests, Alertmanager
configuration and routing, each from plain data written to temporary files (``check_rules``, ``rule_tests``,
``check_alertmanager``, ``receivers``).

A PrometheusRule's ``spec.groups`` is exactly a Prometheus rule file's ``groups``
(``rule_file``); an AlertmanagerConfig is not an Alertmanager configuration (the operator
converts it), so ``check_alertmanager`` and ``receivers`` take the Alertmanager configuration
the test derives from it.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.k8s.manifests import clean
from tests.k8s.tools import require

TIMEOUT = 60


@dataclass(frozen=True)
class ToolResult:
    """What one run of promtool or amtool said."""

    ok: bool
    """Exit code 0."""
    returncode: int
    output: str
    """stdout then stderr, with the temporary directory's path removed."""
    stdout: str

    @property
    def problems(self) -> list[str]:
        """The lines reporting a failure or an error."""
        return [
            line.strip()
            for line in self.output.splitlines()
            if re.search(r"FAILED|error|err:|could not|unexpected|expected", line, re.IGNORECASE)
        ]


def _run(tool: str, args: list[str], files: dict[str, Any]) -> ToolResult:
    """Run ``tool`` in a temporary directory holding ``files`` (name -> data, dumped as YAML)."""
    binary = require(tool)
    with tempfile.TemporaryDirectory(prefix=f"{tool}-") as folder:
        for file_name, data in files.items():
            text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
            (Path(folder) / file_name).write_text(text, encoding="utf-8")
        done = subprocess.run(
            [binary, *args], cwd=folder, capture_output=True, text=True, timeout=TIMEOUT
        )
        output = (done.stdout + done.stderr).replace(folder + "/", "")
    return ToolResult(done.returncode == 0, done.returncode, output, done.stdout)


def rule_file(prometheus_rule: dict[str, Any]) -> dict[str, Any]:
    """The Prometheus rule file of a PrometheusRule manifest (its ``spec.groups``)."""
    return {"groups": clean(prometheus_rule)["spec"]["groups"]}


def check_rules(*rule_files: dict[str, Any]) -> ToolResult:
    """``promtool check rules`` on each rule file, with every lint (duplicate rules) fatal."""
    files = {f"rules-{i}.yml": clean(data) for i, data in enumerate(rule_files)}
    return _run("promtool", ["check", "rules", "--lint=all", "--lint-fatal", *files], files)


def rules_found(result: ToolResult) -> int:
    """How many rules ``check_rules`` read (summed over its files)."""
    return sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", result.output))


def rule_tests(
    rule_files: list[dict[str, Any]],
    tests: list[dict[str, Any]],
    evaluation_interval: str = "1m",
) -> ToolResult:
    """``promtool test rules``: ``tests`` (promtool's ``tests:`` entries: ``interval``,
    ``input_series``, ``alert_rule_test``, ``promql_expr_test``) against ``rule_files``."""
    files: dict[str, Any] = {f"rules-{i}.yml": clean(data) for i, data in enumerate(rule_files)}
    files["tests.yml"] = {
        "rule_files": list(files),
        "evaluation_interval": evaluation_interval,
        "tests": tests,
    }
    return _run("promtool", ["test", "rules", "tests.yml"], files)


def check_alertmanager(config: dict[str, Any]) -> ToolResult:
    """``amtool check-config`` on an Alertmanager configuration."""
    return _run("amtool", ["check-config", "alertmanager.yml"], {"alertmanager.yml": config})


def receivers(config: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The receivers an alert with ``labels`` is routed to (``amtool config routes test``)."""
    args = ["config", "routes", "test", "--config.file=alertmanager.yml"]
    args += [f"{key}={value}" for key, value in labels.items()]
    result = _run("amtool", args, {"alertmanager.yml": config})
    if not result.ok:
        raise RuntimeError(
            f"amtool config routes test failed ({result.returncode}): {result.output}"
        )
    return [name.strip() for name in result.stdout.strip().split(",") if name.strip()]
