"""Key-shaped values are refused. The values are assembled at run time, so that no
credential-shaped literal is ever committed (secret scanners would rightly flag it)."""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from pathlib import Path

import pytest

from mlops_spec import secrets
from mlops_spec.errors import SpecError
from mlops_spec.load import validate_file
from mlops_spec.secrets import entropy, find_secrets
from tests.conftest import ROOT

# AWS's documented example access key id, and fake API keys, split so they never appear whole.
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
API_KEYS = [
    "sk-" + "live-" + "1234567890abcdef1234",
    "sk-" + "proj-" + "abcdefghijklmnop0123456789",
]

SPEC = """\
spec_version: 1
system: {{id: shop, owner: team@example.com}}
data_sources:
  events:
    features: {{amount: numeric}}
models:
  fraud:
    training:
      image: 1.dkr.ecr.aws/x:1
      inputs: [events]
      hyperparameters: {{aws: {aws}, openai: {openai}, stripe: {stripe}}}
"""


def test_key_shaped_values_are_refused_with_their_path(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(aws=AWS_KEY_ID, openai=API_KEYS[1], stripe=API_KEYS[0]))
    with pytest.raises(SpecError) as caught:
        validate_file(path)
    report = str(caught.value)
    prefix = f"{path}:11:"
    assert prefix in report
    hp = "spec.models.fraud.training.hyperparameters"
    assert f"{hp}.aws: looks like an AWS access key id" in report
    assert f"{hp}.openai: looks like an API secret key" in report
    assert f"{hp}.stripe: looks like an API secret key" in report


@pytest.mark.parametrize("value", [AWS_KEY_ID, *API_KEYS])
def test_detection_does_not_depend_on_the_key_name(value: str) -> None:
    [(path, what)] = find_secrets({"anything": value})
    assert path == ("anything",) and what in ("an AWS access key id", "an API secret key")


def test_references_and_ordinary_values_pass() -> None:
    assert not find_secrets(
        {"webhook_url_ssm_parameter": "/team/webhook", "max_tokens": 512, "token_limit": 9}
    )


def random_key(alphabet: str, length: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


BASE64 = string.ascii_letters + string.digits + "/+"


@pytest.mark.parametrize("seed", range(200))
def test_aws_secret_keys_are_found_by_shape_under_any_key(seed: int) -> None:
    key = random_key(BASE64, 40, seed)
    assert find_secrets({"models": {"m": {"training": {"hyperparameters": {"lr": key}}}}}) == [
        (("models", "m", "training", "hyperparameters", "lr"), "an AWS secret access key")
    ]


def test_secret_keys_inside_longer_values_are_found() -> None:
    key = random_key(BASE64, 40, 7)
    [(_, what)] = find_secrets({"description": f"export AWS_SECRET_ACCESS_KEY={key} # oops"})
    assert what == "an AWS secret access key"


def test_long_random_tokens_are_found() -> None:
    token = random_key(string.ascii_letters + string.digits, 48, 3)
    [(_, what)] = find_secrets({"note": token})
    assert what.startswith("a high-entropy token")


@pytest.mark.parametrize(
    "value",
    [
        hashlib.sha1(b"commit").hexdigest(),  # 40 hex characters: at most 4 bits each
        "sha256:" + hashlib.sha256(b"image").hexdigest(),
        str(uuid.UUID(int=123456789)),
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-train:1.4.0",
        "s3://bucket/events/2024/01/01/part-0000.parquet",
        "CustomerEventsFeatureStoreTableForChurnModel",
        "cron(0 3 ? * MON *)",
    ],
)
def test_digests_ids_and_paths_are_not_secrets(value: str) -> None:
    assert find_secrets({"anything": value}) == []


def test_the_examples_hold_no_secret_shaped_value() -> None:
    from ruamel.yaml import YAML

    for example in sorted((ROOT / "examples").glob("*/mlops.yaml")):
        assert find_secrets(YAML(typ="safe").load(example.read_text())) == [], example


def _shape(value: str) -> str | None:
    for match in secrets._AWS_SECRET_KEY.finditer(value):
        token = match.group()
        if secrets._mixed(token) and entropy(token) > secrets.AWS_SECRET_MIN_ENTROPY:
            return "an AWS secret access key"
    for match in secrets._TOKEN.finditer(value):
        token = match.group()
        if secrets._mixed(token) and entropy(token) >= secrets.TOKEN_MIN_ENTROPY:
            return "a high-entropy token (an API key or password)"
    return None


def _reference(data: object) -> list[tuple[tuple[str | int, ...], str]]:
    """The scan written plainly: every leaf in document order, the value patterns in their
    order, then the shapes, then the key (``find_secrets`` prefilters and caches)."""
    leaves: list[tuple[tuple[str | int, ...], object]] = []

    def walk(value: object, loc: tuple[str | int, ...]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, (*loc, key))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, (*loc, index))
        else:
            leaves.append((loc, value))

    walk(data, ())
    found = []
    for loc, value in leaves:
        if not isinstance(value, str):
            continue
        key = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
        what = next((w for w, p in secrets._VALUE_PATTERNS if p.search(value)), None)
        what = what or _shape(value)
        named = key and secrets._SECRET_KEY.search(key) and not secrets._REFERENCE_KEY.search(key)
        if what is None and named and value:
            what = f"a literal value for {key!r}"
        if what:
            found.append((loc, what))
    return found


def _adversarial() -> list[object]:
    """Values where two patterns match (the later pattern's match first in the string), shapes
    at the length bounds, secret-named keys with empty, reference and list values."""
    aws_secret = random_key(BASE64, 40, 11)
    token = random_key(string.ascii_letters + string.digits, 32, 5)
    pat = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K"
    url = "https://user:" + "pw@host/x"
    values = [
        f"{url} {AWS_KEY_ID}",
        f"{API_KEYS[0]} then {pat}",
        f"{pat} {url}",
        "-----BEGIN RSA PRIVATE KEY----- " + AWS_KEY_ID,
        aws_secret,
        aws_secret[:39],
        token,
        token[:31],
        "é" + token + "日本",
        "",
        "x" * 64,
        "https://hooks.slack.com/" + "services/T0/B0/abc",
        "xoxb-" + "1234567890ab",
        "eyJ" + "hbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NSJ9.",
        "-----BEGIN " + "PRIVATE KEY-----",
        "github_pat_" + "a" * 22,
        "rk_" + "test_" + "0123456789abcdefghij",
        url,
    ]
    return [
        {"a": {"b": values, "password": "hunter2", "api_key": "", "token_ssm_parameter": "/p"}},
        {"credentials": ["not", {"secret": "s"}], "client-secret": 5, "access_key": aws_secret},
        values,
        AWS_KEY_ID,
        7,
    ]


@pytest.mark.parametrize("index", range(5))
def test_the_scan_equals_the_plain_scan_on_adversarial_values(index: int) -> None:
    data = _adversarial()[index]
    assert find_secrets(data) == _reference(data)
    if index == 2:  # every value pattern is among them
        kinds = {what for _, what in _reference(data)}
        assert {what for what, _ in secrets._VALUE_PATTERNS} <= kinds


def test_the_scan_equals_the_plain_scan_on_every_spec_file() -> None:
    from ruamel.yaml import YAML

    paths = [*ROOT.glob("examples/*/mlops.yaml"), *ROOT.glob("tests/**/*.yaml")]
    compared = 0
    for path in sorted(paths):
        try:
            data = YAML(typ="safe").load(path.read_text())
        except Exception:  # unreadable test inputs (the bad YAML corpus) have nothing to scan
            continue
        assert find_secrets(data) == _reference(data), path
        compared += 1
    assert compared > 50
