"""`mlops validate SPEC [-s STACK] [-f FORMAT]` runs without typer (``mlops_spec.cli``'s plain
path); it must print and exit exactly as the typer command does, and leave every other command
line to typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from mlops_spec import cli
from tests.conftest import ROOT

CHURN = "examples/churn/mlops.yaml"
LTV = "examples/ltv/mlops.yaml"
BAD = "tests/spec/corpus/bad/autoscaling_backwards.yaml"

TYPER = "import sys; from mlops_spec.cli_app import run; run(sys.argv[1:])"
PLAIN = "import sys; from mlops_spec.cli import main; main()"
NO_TYPER = (
    "import atexit, sys; atexit.register(lambda: print('typer' in sys.modules, file=sys.stderr));"
    " from mlops_spec.cli import main; main()"
)


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


@pytest.mark.parametrize(
    "args",
    [
        ["validate", CHURN, "-f", "json"],
        ["validate", CHURN],
        ["validate", "--stack", "prod", "--format", "json", LTV],
        ["validate", LTV, "-s", "dev"],
        ["validate", CHURN, "-s", "nosuch", "-f", "json"],
        ["validate", BAD, "-f", "json"],
        ["validate", BAD],
        ["validate", "no/such/spec.yaml"],
    ],
)
def test_the_plain_path_prints_and_exits_as_typer_does(args: list[str]) -> None:
    assert cli.plain_validate(args) is not None
    plain, typed = _run(PLAIN, *args), _run(TYPER, *args)
    assert (plain.returncode, plain.stdout, plain.stderr) == (
        typed.returncode,
        typed.stdout,
        typed.stderr,
    )
    assert plain.returncode in (0, 1)


def test_the_plain_path_imports_no_typer() -> None:
    result = _run(NO_TYPER, "validate", CHURN, "-f", "json")
    assert result.returncode == 0 and '"valid": true' in result.stdout
    assert result.stderr.strip() == "False"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["plan", CHURN],
        ["validate"],
        ["validate", "--help"],
        ["validate", CHURN, "--format=json"],
        ["validate", CHURN, "-fjson"],
        ["validate", CHURN, "-f", "JSON"],
        ["validate", CHURN, "-f", "json", "-f", "text"],
        ["validate", CHURN, "-s"],
        ["validate", CHURN, "-s", "-f"],
        ["validate", CHURN, "--", "x"],
        ["validate", CHURN, LTV],
        ["validate", "-"],
        ["validate", ""],
        ["validate", CHURN, "--verbose"],
    ],
)
def test_any_other_command_line_is_left_to_typer(args: list[str]) -> None:
    assert cli.plain_validate(args) is None


def test_an_unreadable_spec_is_left_to_typer(tmp_path: Path) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text("spec_version: 1\n")
    spec.chmod(0)
    try:
        readable = (spec.open().close(), True)[1]
    except PermissionError:
        readable = False
    assert (cli.plain_validate(["validate", str(spec)]) is None) is not readable


def test_shell_completion_is_left_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_MLOPS_COMPLETE", "complete_bash")
    assert cli.plain_validate(["validate", CHURN]) is None


@pytest.mark.parametrize(
    ("error", "code"), [(typer.Exit(1), 1), (typer.Exit(3), 3), (KeyboardInterrupt(), 130)]
)
def test_what_the_work_raises_ends_the_process_as_typer_would(
    error: BaseException, code: int
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli._finish_as_typer(error)
    assert exited.value.code == code


def test_an_unexpected_error_is_raised_on() -> None:
    with pytest.raises(ValueError, match="boom"):
        cli._finish_as_typer(ValueError("boom"))


def test_the_app_is_still_read_through_the_entry_module() -> None:
    from mlops_spec.cli_app import app

    assert cli.app is app
