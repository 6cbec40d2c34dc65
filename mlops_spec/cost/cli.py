"""``mlops cost`` and ``mlops prices fetch``. Importing this module costs only typer: the
planner, the estimator and boto3 are imported inside the commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlops_spec.cli_common import Format, err, fail, out, print_json, write_output
from mlops_spec.errors import Problem, SpecError

if TYPE_CHECKING:
    from mlops_spec.cost.prices import PriceTable
    from mlops_spec.cost.usage import Usage

NO_TABLE_EXIT = 2


def _no_table(path: Path, region: str, fmt: Format) -> typer.Exit:
    """Exit 2: there is no price table, and how to get one (never a made-up number)."""
    hint = (
        f"get one with `mlops prices fetch --region {region} -o {path}` (AWS credentials "
        "allowed pricing:GetProducts) and commit it, or pass --prices FILE"
    )
    message = "no price table: the package ships no prices"
    if fmt is Format.JSON:
        print_json({"error": message, "file": str(path), "hint": hint})
    else:
        err.print(f"{path}: {message}; {hint}", markup=False)
    return typer.Exit(NO_TABLE_EXIT)


def _usage(spec: Path, option: Path | None) -> Usage | None:
    from mlops_spec.cost.usage import USAGE_FILE, read_usage

    path = option or spec.parent / USAGE_FILE
    if option is None and not path.is_file():
        return None
    return read_usage(path)


def _prices(spec: Path, option: Path | None, region: str, fmt: Format) -> PriceTable:
    from mlops_spec.cost.prices import PRICES_FILE, read_prices

    path = option or spec.parent / PRICES_FILE
    if not path.is_file():
        raise _no_table(path, region, fmt)
    return read_prices(path)


def cost(
    spec: Annotated[Path, typer.Argument(help="The spec file.", metavar="SPEC")],
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack (environment).")],
    prices: Annotated[
        Path | None,
        typer.Option(help="Price table CSV. Default: mlops-prices.csv beside the spec."),
    ] = None,
    usage: Annotated[
        Path | None,
        typer.Option(help="Usage file. Default: mlops-usage.yaml beside the spec, if present."),
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.TEXT,
) -> None:
    """Monthly cost estimate of a stack from its plan and the committed price table."""
    from mlops_spec.cost.estimator import estimate
    from mlops_spec.cost.render import render_estimate
    from mlops_spec.load import validate_file
    from mlops_spec.plan import PlanError, plan

    try:
        resolved = validate_file(spec, stack).stacks[stack].resolved
        assert resolved is not None
        table = _prices(spec, prices, resolved.spec.system.region, format)
        result = estimate(plan(resolved), table, _usage(spec, usage))
    except SpecError as error:
        raise fail(error.problems, format) from None
    except PlanError as error:
        problem = Problem(str(spec), None, None, (), str(error), environment=stack)
        raise fail([problem], format) from None
    if format is Format.JSON:
        print_json(result.to_dict())
    else:
        out.print(render_estimate(result), soft_wrap=False)
    if result.missing_prices:
        rows = ", ".join(" ".join(key) for key in result.missing_prices)
        err.print(
            f"[yellow]not priced[/yellow]: the price table has no row for {rows}; refresh it "
            f"with `mlops prices fetch --region {result.region}`",
            markup=True,
        )
        raise typer.Exit(NO_TABLE_EXIT)


prices_app = typer.Typer(help="The price table mlops cost reads.", no_args_is_help=True)


@prices_app.command("fetch")
def fetch_prices(
    region: Annotated[
        list[str], typer.Option("--region", "-r", help="AWS region to price (repeatable).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The CSV to write.")],
    pricing_region: Annotated[
        str,
        typer.Option(
            help="Region of the Price List API endpoint (us-east-1, eu-central-1, ap-south-1)."
        ),
    ] = "us-east-1",
) -> None:
    """Write a dated price table from the AWS Price List (needs pricing:GetProducts)."""
    from datetime import UTC, datetime

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from mlops_spec.cost.fetch import FetchError, fetch, table_text

    try:
        client = boto3.client("pricing", region_name=pricing_region)
        with err.status(f"reading the AWS Price List for {', '.join(region)}…"):
            fetched = fetch(client, region)
    except (BotoCoreError, ClientError, FetchError) as error:
        raise fail(
            [
                Problem(
                    str(output),
                    None,
                    None,
                    (),
                    f"cannot read the AWS Price List: {error}",
                    hint="needs AWS credentials allowed pricing:GetProducts and internet access",
                )
            ]
        ) from None
    text = table_text(fetched, region, datetime.now(UTC).date())
    write_output(output, text)
    err.print(f"wrote {output} ({len(fetched.prices)} prices)")


def register(app: typer.Typer) -> None:
    """Add ``cost`` and ``prices fetch`` to the CLI app."""
    app.command()(cost)
    app.add_typer(prices_app, name="prices")
