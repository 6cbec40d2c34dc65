"""Read YAML into plain Python values with the line and column of every key and value.

Bounded against hostile input: file size, nesting depth and node count (which also stops
alias bombs, since aliases are expanded while counting).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_spec.errors import Problem, SpecError, file_error
from mlops_spec.yaml_document import MAX_BYTES, MAX_DEPTH, MAX_NODES, Document, Loc, Position

if TYPE_CHECKING:
    from ruamel.yaml.reader import ReaderError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "Document", "Loc", "Position", "parse", "read"]


class _Walker:
    def __init__(self, file: str) -> None:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        self.mapping, self.sequence = CommentedMap, CommentedSeq
        self.file = file
        self.nodes = 0
        self.values: dict[Loc, Position] = {}
        self.keys: dict[Loc, Position] = {}

    def _pos(self, line: int, col: int) -> Position:
        return Position(self.file, line + 1, col + 1)

    def walk(self, node: Any, loc: Loc) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise SpecError(
                [
                    Problem(
                        self.file,
                        None,
                        None,
                        loc,
                        f"document has more than "
                        f"{MAX_NODES} nodes (an alias bomb or a generated file?)",
                        allowed=f"at most {MAX_NODES} nodes",
                    )
                ]
            )
        if len(loc) > MAX_DEPTH:
            where = self.keys.get(loc) or self.values.get(loc)
            raise SpecError(
                [
                    Problem(
                        self.file,
                        where.line if where else None,
                        where.column if where else None,
                        loc,
                        f"nesting deeper than {MAX_DEPTH} levels",
                        allowed=f"{MAX_DEPTH} levels",
                    )
                ]
            )
        if isinstance(node, self.mapping):
            out: dict[str, Any] = {}
            for key in node:
                child = (*loc, str(key))
                try:
                    kl, kc = node.lc.key(key)
                    vl, vc = node.lc.value(key)
                    self.keys[child] = self._pos(kl, kc)
                    self.values[child] = self._pos(vl, vc)
                except (KeyError, TypeError, AttributeError):
                    pass
                out[str(key)] = self.walk(node[key], child)
            return out
        if isinstance(node, self.sequence):
            items = []
            for index, item in enumerate(node):
                child = (*loc, index)
                try:
                    il, ic = node.lc.item(index)
                    self.values[child] = self.keys[child] = self._pos(il, ic)
                except (KeyError, TypeError, AttributeError):
                    pass
                items.append(self.walk(item, child))
            return items
        return _plain(node)


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value if value is None else bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise SpecError(
            [
                Problem(
                    file,
                    line,
                    column,
                    (),
                    f"the file is not UTF-8 (byte 0x{raw[error.start]:02x})",
                    allowed="UTF-8 text",
                    hint="re-save the file as UTF-8",
                )
            ]
        ) from None


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _character_error(text: str, file: str, error: ReaderError) -> SpecError:
    """A character YAML does not allow (NUL, other control characters), located."""
    line, column = _line_column(text, error.position)
    code = error.character if isinstance(error.character, int) else ord(str(error.character))
    kind = "control character" if unicodedata.category(chr(code)) == "Cc" else "character"
    return SpecError(
        [
            Problem(
                file,
                line,
                column,
                (),
                f"{kind} U+{code:04X} is not allowed in YAML",
                hint="delete it (invisible characters are often pasted from other tools)",
            )
        ]
    )


def _flow_depth_position(text: str) -> tuple[int | None, int | None]:
    """Where ``[``/``{`` nesting first exceeds MAX_DEPTH (quoted text aside), if it does."""
    depth, quote = 0, ""
    for offset, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _line_column(text, offset)
        elif char in "]}":
            depth -= 1
    return None, None


def parse(text: str, file: str) -> Document:
    """Parse YAML text; raise SpecError with a position for any syntax problem.

    Plain specs take libyaml's C parser (:mod:`mlops_spec.yaml_fast`, about ten times
    faster); anything it declines, every error included, takes ruamel's round-trip reader."""
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise SpecError(
            [
                Problem(
                    file,
                    1,
                    1,
                    (),
                    "the spec file is empty",
                    hint="run `mlops init` to scaffold one",
                )
            ]
        )
    from mlops_spec import yaml_fast  # PyYAML, imported when a file is read

    return yaml_fast.load(text, file) or _parse_round_trip(text, file)


def _parse_round_trip(text: str, file: str) -> Document:
    """Parse YAML text with ruamel's round-trip reader (every error message, every rule)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        documents = list(yaml.load_all(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(p for p in (error.context, error.problem) if p)
        if "\\t" in message or "'\\t'" in message or "tab" in message.lower():
            message += " (YAML forbids tabs for indentation; use spaces)"
        if "duplicate key" in message.lower() or "found duplicate" in message.lower():
            message = message.split("\n")[0]
        raise SpecError(
            [
                Problem(
                    file,
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                    (),
                    f"YAML syntax: {message}",
                )
            ]
        ) from None
    except ReaderError as error:
        raise _character_error(text, file, error) from None
    except YAMLError as error:
        raise file_error(file, f"YAML syntax: {error}") from None
    except RecursionError:
        line, column = _flow_depth_position(text)
        raise SpecError(
            [
                Problem(
                    file,
                    line,
                    column,
                    (),
                    f"nesting deeper than {MAX_DEPTH} levels",
                    allowed=f"{MAX_DEPTH} levels",
                )
            ]
        ) from None
    if len(documents) != 1:
        raise file_error(
            file,
            f"expected one YAML document, found {len(documents)}",
            hint="remove extra '---' separators",
        )
    root = documents[0]
    if not isinstance(root, CommentedMap):
        raise SpecError(
            [
                Problem(
                    file,
                    1,
                    1,
                    (),
                    "the spec must be a mapping at the top level",
                    got="a list" if isinstance(root, list) else "a scalar value",
                )
            ]
        )
    walker = _Walker(file)
    data = walker.walk(root, ())
    return Document(file, data, walker.values, walker.keys)


def read(path: Path) -> Document:
    """Read and parse a spec file with all bounds applied."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise file_error(
                file, f"the file is {size} bytes", allowed=f"at most {MAX_BYTES} bytes"
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise file_error(file, "no such file") from None
    except IsADirectoryError:
        raise file_error(file, "is a directory, not a spec file") from None
    except OSError as error:
        raise file_error(file, f"cannot read: {error.strerror}") from None
    return parse(_decode(raw, file), file)
