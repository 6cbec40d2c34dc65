"""The price table: a CSV the team commits and refreshes (``mlops prices fetch``).

::

    # source: AWS Price List API (pricing get_products), service AmazonSageMaker, OnDemand USD
    # fetched: 2025-01-31
    region,component,instance_type,usd_per_hour,usd_per_gb_second
    eu-west-1,hosting,ml.c5.large,0.122,
    eu-west-1,serverless,2048,,0.00002

``component`` is one of :data:`COMPONENTS`; instance components give ``usd_per_hour`` (on-demand,
per instance), ``serverless`` gives ``usd_per_gb_second`` with the memory size in MB as
``instance_type``. The column that does not apply stays empty. Lines starting with ``#`` are
comments (the source and the date); the package ships no prices.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mlops_spec.errors import Problem, SpecError, file_error

PRICES_FILE = "mlops-prices.csv"
"""The table ``mlops cost`` looks for beside the spec."""
HEADER = ("region", "component", "instance_type", "usd_per_hour", "usd_per_gb_second")
INSTANCE_COMPONENTS = ("hosting", "training", "processing", "transform")
COMPONENTS = (*INSTANCE_COMPONENTS, "serverless")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_INSTANCE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")


@dataclass(frozen=True)
class Price:
    """One row of the table."""

    region: str
    component: str
    instance_type: str
    usd_per_hour: float | None = None
    usd_per_gb_second: float | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return self.region, self.component, self.instance_type


@dataclass(frozen=True)
class PriceTable:
    """Prices by (region, component, instance type), and the table's ``#`` comment lines."""

    prices: tuple[Price, ...]
    comments: tuple[str, ...] = ()
    path: str | None = None
    _index: dict[tuple[str, str, str], Price] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._index.update({price.key: price for price in self.prices})

    def get(self, region: str, component: str, instance_type: str) -> Price | None:
        return self._index.get((region, component, instance_type))

    @property
    def source(self) -> str:
        """The comment lines, joined (where the prices come from and when)."""
        return "; ".join(self.comments)


def _row_problems(row: list[str], file: str, line: int) -> list[Problem]:
    """Every problem of one data row (empty when it is valid)."""

    def problem(column: str, message: str, got: str, allowed: str) -> Problem:
        return Problem(file, line, None, (), f"{column}: {message}", got=got, allowed=allowed)

    if len(row) != len(HEADER):
        allowed = ",".join(HEADER)
        return [problem("row", f"expected {len(HEADER)} columns", ",".join(row), allowed)]
    region, component, instance_type, hourly, per_gb_second = (cell.strip() for cell in row)
    problems = []
    if not _REGION.match(region):
        problems.append(problem("region", "not an AWS region code", region, "e.g. eu-west-1"))
    if component not in COMPONENTS:
        problems.append(problem("component", "unknown", component, ", ".join(COMPONENTS)))
        return problems
    serverless = component == "serverless"
    if serverless and not instance_type.isdigit():
        allowed = "the memory size in MB for serverless, e.g. 2048"
        problems.append(problem("instance_type", "not a memory size", instance_type, allowed))
    elif not serverless and not _INSTANCE.match(instance_type):
        allowed = "a SageMaker instance type, e.g. ml.m5.large"
        problems.append(problem("instance_type", "not an instance type", instance_type, allowed))
    columns = {"usd_per_hour": hourly, "usd_per_gb_second": per_gb_second}
    used = "usd_per_gb_second" if serverless else "usd_per_hour"
    for column, value in columns.items():
        if column != used and value:
            allowed = f"empty for {component} (its price is {used})"
            problems.append(problem(column, "does not apply", value, allowed))
    if not _is_price(columns[used]):
        problems.append(problem(used, "not a price in USD", columns[used], "a number >= 0"))
    return problems


def _is_price(value: str) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return math.isfinite(number) and number >= 0


def parse_prices(text: str, file: str) -> PriceTable:
    """Read a price table; every bad row is reported at once (``SpecError``, file:line)."""
    comments: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            comments.append(line.lstrip()[1:].strip())
        elif line.strip():
            rows.append((number, next(csv.reader([line]))))
    if not rows or tuple(cell.strip() for cell in rows[0][1]) != HEADER:
        got = ",".join(rows[0][1]) if rows else "no rows"
        raise SpecError(
            [
                Problem(
                    file,
                    rows[0][0] if rows else None,
                    None,
                    (),
                    "not a price table header",
                    got=got,
                    allowed=",".join(HEADER),
                )
            ]
        )
    problems: list[Problem] = []
    prices: dict[tuple[str, str, str], tuple[int, Price]] = {}
    for number, row in rows[1:]:
        found = _row_problems(row, file, number)
        if found:
            problems += found
            continue
        region, component, instance_type, hourly, per_gb_second = (cell.strip() for cell in row)
        price = Price(
            region,
            component,
            instance_type,
            float(hourly) if hourly else None,
            float(per_gb_second) if per_gb_second else None,
        )
        if price.key in prices:
            first = prices[price.key][0]
            problems.append(
                Problem(
                    file,
                    number,
                    None,
                    (),
                    f"duplicate row (first on line {first})",
                    got=",".join(row),
                )
            )
            continue
        prices[price.key] = (number, price)
    if problems:
        raise SpecError(problems)
    return PriceTable(tuple(p for _, p in prices.values()), tuple(comments), file)


def read_prices(path: Path) -> PriceTable:
    """Read the price table at ``path`` (``SpecError`` if unreadable or invalid)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise file_error(str(path), f"cannot read the price table: {error.strerror}") from None
    return parse_prices(text, str(path))


def _cell(value: float | None) -> str:
    """A price without exponent or trailing zeros: 0.00002, 0.122."""
    return "" if value is None else (f"{value:.10f}".rstrip("0").rstrip(".") or "0")


def render_prices(prices: Iterable[Price], comments: Iterable[str]) -> str:
    """The CSV text of a table: ``#`` comments, the header, rows sorted by key."""
    out = io.StringIO()
    for comment in comments:
        out.write(f"# {comment}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for price in sorted(prices, key=lambda p: (p.region, p.component, _sort_key(p.instance_type))):
        writer.writerow([*price.key, _cell(price.usd_per_hour), _cell(price.usd_per_gb_second)])
    return out.getvalue()


def _sort_key(instance_type: str) -> tuple[int, str]:
    return (int(instance_type), "") if instance_type.isdigit() else (0, instance_type)
