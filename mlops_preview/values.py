"""Turn the protobuf values the engine receives into plain, deterministic JSON values.

Pulumi marks unknowns, secrets, assets, archives, resource references and output values with
signature keys (constants in ``pulumi.runtime.rpc``). Decoding here reads them as data, without
re-hydrating SDK objects (re-hydrating a resource reference would construct a resource).
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import rpc

COMPUTED = "<computed>"
SECRET = "<secret>"
TEXT_PREVIEW_CHARS = 4096

_SIG = rpc._special_sig_key
_ASSET = rpc._special_asset_sig
_ARCHIVE = rpc._special_archive_sig
_SECRET = rpc._special_secret_sig
_RESOURCE = rpc._special_resource_sig
_OUTPUT = rpc._special_output_value_sig


def normalise_number(value: float) -> int | float | str:
    """Protobuf numbers are doubles: integral ones become ints, non-finite ones strings."""
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return int(value)
    return value


def decode_struct(struct: struct_pb2.Struct, base_dir: Path | None = None) -> dict[str, Any]:
    """Decode a property bag (its keys are the engine's camelCase names)."""
    decoded = decode_value(struct, base_dir)
    if not isinstance(decoded, dict):  # a bare asset or secret at top level: keep it addressable
        return {"value": decoded}
    return decoded


def decode_value(value: Any, base_dir: Path | None = None) -> Any:
    """Decode one protobuf ``Value``/``Struct``/``ListValue`` (or Python scalar from one)."""
    if isinstance(value, struct_pb2.Value):
        kind = value.WhichOneof("kind")
        if kind is None or kind == "null_value":
            return None
        return decode_value(getattr(value, kind), base_dir)
    if isinstance(value, struct_pb2.Struct):
        if _SIG in value.fields:
            return _decode_special(value, base_dir)
        return {key: decode_value(value.fields[key], base_dir) for key in sorted(value.fields)}
    if isinstance(value, struct_pb2.ListValue):
        return [decode_value(item, base_dir) for item in value.values]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return normalise_number(value)
    if isinstance(value, str):
        return COMPUTED if value == rpc.UNKNOWN else value
    return value


def _field(struct: struct_pb2.Struct, key: str) -> Any:
    return decode_value(struct.fields[key]) if key in struct.fields else None


def _decode_special(struct: struct_pb2.Struct, base_dir: Path | None) -> Any:
    sig = _field(struct, _SIG)
    if sig == _SECRET:
        return SECRET
    if sig == _RESOURCE:
        return _field(struct, "urn")
    if sig == _OUTPUT:
        if _field(struct, "secret"):
            return SECRET
        if "value" not in struct.fields:
            return COMPUTED
        return decode_value(struct.fields["value"], base_dir)
    if sig == _ASSET:
        return {"asset": _asset(struct, base_dir)}
    if sig == _ARCHIVE:
        return {"archive": _archive(struct, base_dir)}
    return {key: decode_value(struct.fields[key], base_dir) for key in sorted(struct.fields)}


def _asset(struct: struct_pb2.Struct, base_dir: Path | None) -> dict[str, Any]:
    if "path" in struct.fields:
        path = str(_field(struct, "path"))
        return {"path": path, "sha256": file_sha256(_resolve(path, base_dir))}
    if "text" in struct.fields:
        text = str(_field(struct, "text"))
        shown = text if len(text) <= TEXT_PREVIEW_CHARS else text[:TEXT_PREVIEW_CHARS] + "..."
        return {"text": shown, "sha256": hashlib.sha256(text.encode()).hexdigest()}
    if "uri" in struct.fields:
        return {"uri": _field(struct, "uri")}
    return {"hash": _field(struct, "hash")}


def _archive(struct: struct_pb2.Struct, base_dir: Path | None) -> dict[str, Any]:
    if "assets" in struct.fields:
        assets = struct.fields["assets"].struct_value
        return {
            "assets": {k: decode_value(assets.fields[k], base_dir) for k in sorted(assets.fields)}
        }
    if "path" in struct.fields:
        path = str(_field(struct, "path"))
        return {"path": path, "sha256": tree_sha256(_resolve(path, base_dir))}
    if "uri" in struct.fields:
        return {"uri": _field(struct, "uri")}
    return {"hash": _field(struct, "hash")}


def _resolve(path: str, base_dir: Path | None) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() or base_dir is None else base_dir / candidate


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, or ``"<missing>"`` when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "<missing>"


def tree_sha256(path: Path) -> str:
    """Hex sha256 of an archive file, or of a directory's relative paths and file contents."""
    if path.is_file():
        return file_sha256(path)
    if not path.is_dir():
        return "<missing>"
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(file_sha256(file).encode() + b"\n")
    return digest.hexdigest()
