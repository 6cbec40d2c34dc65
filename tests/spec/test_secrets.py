"""Key-shaped values are refused. The values are assembled at run time, so that no
credential-shaped literal is ever committed (secret scanners would rightly flag it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_spec.errors import SpecError
from mlops_spec.load import validate_file
from mlops_spec.secrets import find_secrets

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
