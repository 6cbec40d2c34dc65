"""Whether a lineage record's inputs still exist unchanged (``mlops lineage --verify``).

Each object of the data manifest is compared with the key's current version (one listing per
source); an object that is no longer current is read at its recorded version (``head`` with the
version id) to tell a newer version (the recorded bytes are still there: ``replaced`` or
``deleted``) from a recorded version that is gone or whose ETag differs (``gone``). The image's
digest must still exist, and its tag is read again (``retagged`` when it moved).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_runtime.core.lineage import InputReader, ObjectVersion, parse_image

UNCHANGED, CHANGED, GONE, UNVERIFIED = "unchanged", "changed", "gone", "unverified"
"""Overall verdicts: every input as recorded and current; some changed but every recorded
version can still be read (the run can be repeated on the same data); something recorded is
gone (it cannot). An image of another registry than ECR is ``unverified`` (said, not counted)."""
EXIT_CODES = {UNCHANGED: 0, CHANGED: 3, GONE: 4}
"""``mlops lineage --verify`` exit status per verdict (1: the record could not be read)."""


def verify(record: Mapping[str, Any], reader: InputReader) -> dict[str, Any]:
    """The verification report: ``verdict``, ``image`` and one entry per data source."""
    image = _image(record["image"], reader)
    data = [_source(source, reader) for source in record["data"]]
    statuses = ({image["status"]} | {s["status"] for s in data}) - {UNVERIFIED}
    verdict = GONE if GONE in statuses else CHANGED if statuses - {UNCHANGED} else UNCHANGED
    return {"verdict": verdict, "image": image, "data": data}


def _image(section: Mapping[str, Any], reader: InputReader) -> dict[str, Any]:
    name = parse_image(section["resolved_uri"])
    recorded = section["digest"]
    report: dict[str, Any] = {"digest": recorded, "tag": section.get("tag")}
    if name is None:  # another registry's image: nothing this reader can look at
        return {**report, "status": UNVERIFIED, "detail": "not an ECR image: not checked"}
    if reader.image_digest(name, None) != recorded:
        return {**report, "status": GONE, "detail": "the recorded digest no longer exists"}
    if section.get("tag"):
        now = reader.image_digest(name, section["tag"])
        report["tag_digest"] = now
        if now != recorded:
            detail = f"tag {section['tag']} now points at {now or 'nothing'}"
            return {**report, "status": CHANGED, "detail": detail}
    return {**report, "status": UNCHANGED}


def _source(source: Mapping[str, Any], reader: InputReader) -> dict[str, Any]:
    bucket = source["bucket"]
    current = {o.key: o for o in reader.list_latest(bucket, source["prefix"])}
    recorded = {o["key"]: o for o in source["objects"]}
    found: dict[str, list[str]] = {"replaced": [], "deleted": [], "gone": []}
    for key, entry in recorded.items():
        now = current.get(key)
        if now is not None and _same(now, entry):
            continue
        kept = reader.head(bucket, key, entry["version_id"]) if entry["version_id"] else None
        if kept is None or kept.etag != entry["etag"]:
            found["gone"].append(key)
        else:
            found["deleted" if now is None else "replaced"].append(key)
    added = sorted(set(current) - set(recorded))
    status = GONE if found["gone"] else CHANGED if added or any(found.values()) else UNCHANGED
    return {
        "source": source["source"],
        "uri": source["uri"],
        "status": status,
        "objects": len(recorded),
        "unchanged": len(recorded) - sum(len(v) for v in found.values()),
        **found,
        "added": added,
    }


def _same(now: ObjectVersion, entry: Mapping[str, Any]) -> bool:
    return (now.version_id, now.etag, now.size) == (
        entry["version_id"],
        entry["etag"],
        entry["size"],
    )
