"""Hostile and broken YAML gets one clear, located problem, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_spec.errors import SpecError
from mlops_spec.load import validate_file
from mlops_spec.yamlio import MAX_BYTES


def _problems(tmp_path: Path, content: bytes | str) -> list[str]:
    path = tmp_path / "spec.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SpecError) as caught:
        validate_file(path)
    return [p.render() for p in caught.value.problems]


def test_empty_file(tmp_path: Path) -> None:
    assert "spec.yaml:1:1: the spec file is empty" in _problems(tmp_path, "# only a comment\n")[0]


def test_tabs(tmp_path: Path) -> None:
    (message,) = _problems(tmp_path, "spec_version: 1\nsystem:\n\tid: x\n")
    assert ":3:" in message and "YAML syntax" in message and "tab" in message


def test_duplicate_keys(tmp_path: Path) -> None:
    (message,) = _problems(tmp_path, "spec_version: 1\nsystem: {}\nsystem: {}\n")
    assert ":3:" in message and "duplicate key" in message


def test_not_utf8(tmp_path: Path) -> None:
    (message,) = _problems(tmp_path, b"spec_version: 1\nsystem:\n  id: caf\xe9\n")
    assert "spec.yaml:3:" in message and "not UTF-8" in message


def test_syntax_error_is_located(tmp_path: Path) -> None:
    (message,) = _problems(tmp_path, "spec_version: 1\nsystem: [unclosed\n")
    assert "YAML syntax" in message and "spec.yaml:" in message


def test_alias_bomb_is_bounded(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for index in range(1, 8):
        prev = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    (message,) = _problems(tmp_path, "\n".join(lines) + "\n")
    assert "more than" in message and "nodes" in message


def test_deep_nesting_is_bounded(tmp_path: Path) -> None:
    (message,) = _problems(tmp_path, "a: " + "[" * 200 + "]" * 200 + "\n")
    assert "nesting deeper than" in message


def test_deep_flow_nesting_names_where_it_happens(tmp_path: Path) -> None:
    # Deep enough that the YAML parser itself gives up (RecursionError), not the walker.
    text = "spec_version: 1\nsystem:\n  id: " + "[" * 3000 + "]" * 3000 + "\n"
    (message,) = _problems(tmp_path, text)
    # "  id: " is 6 columns; the 33rd bracket (one past the limit) is in column 7 + 32 = 39
    assert message.startswith(f"{tmp_path / 'spec.yaml'}:3:39: nesting deeper than 32 levels")


def test_deep_block_nesting_names_the_key_where_it_happens(tmp_path: Path) -> None:
    lines, indent = ["spec_version: 1", "a:"], ""
    for level in range(40):
        indent += "  "
        lines.append(f"{indent}b{level}:")
    (message,) = _problems(tmp_path, "\n".join([*lines, indent + "  x: 1", ""]))
    # the 32nd nested key, b31, sits on line 34 after 64 spaces of indentation
    assert f"{tmp_path / 'spec.yaml'}:34:65: spec.a.b0." in message
    assert "nesting deeper than 32 levels" in message


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_located(tmp_path: Path, char: str) -> None:
    (message,) = _problems(tmp_path, f"spec_version: 1\nsystem:\n  id: ab{char}c\n")
    code = f"U+{ord(char):04X}"
    assert message.startswith(f"{tmp_path / 'spec.yaml'}:3:9: control character {code} is not")


def test_huge_file_is_refused(tmp_path: Path) -> None:
    (message,) = _problems(tmp_path, "# " + "x" * (MAX_BYTES + 10) + "\n")
    assert f"at most {MAX_BYTES} bytes" in message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    (message,) = _problems(tmp_path, "- a\n- b\n")
    assert "must be a mapping" in message


def test_many_errors_reported_at_once(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "spec_version: 3\nsystem: {id: X, owner: nope, colour: red}\n")
    assert len(problems) >= 5  # version, id, owner, unknown key, missing sections


def test_an_edited_file_is_validated_again(tmp_path: Path) -> None:
    """validate_file caches per (path, size, mtime): an edit must never serve a stale result."""
    import os

    from tests.conftest import EXAMPLES

    path = tmp_path / "spec.yaml"
    text = EXAMPLES[0].read_text().replace("../../schema/", "")
    path.write_text(text)
    assert validate_file(path).stacks
    path.write_text(text.replace("spec_version: 1", "spec_version: 7"))
    os.utime(path, ns=(1, 1))  # even with an old modification time, the size differs
    with pytest.raises(SpecError):
        validate_file(path)


def test_one_file_named_two_ways_is_validated_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mlops plan mlops.yaml` validates the file as typed, then its Pulumi program resolves
    it by absolute path: the second is the first's validation, not a second parse."""
    from tests.conftest import EXAMPLES

    path = tmp_path / "mlops.yaml"
    path.write_text(EXAMPLES[0].read_text().replace("../../schema/", ""))
    monkeypatch.chdir(tmp_path)
    assert validate_file(Path("mlops.yaml"), "prod") is validate_file(path, "prod")


def test_errors_name_the_file_as_each_call_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mlops.yaml"
    path.write_text("spec_version: 7\n")
    monkeypatch.chdir(tmp_path)
    for named in (Path("mlops.yaml"), path):
        with pytest.raises(SpecError) as caught:
            validate_file(named)
        assert str(caught.value).startswith(f"{named}:")
