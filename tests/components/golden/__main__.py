"""``python -m tests.components.golden [--update]``: check or rewrite the golden plans."""

from __future__ import annotations

import argparse
import sys

from tests.components.conftest import STACKS, Stack
from tests.components.golden import GOLDEN_DIR, difference, golden_path, stable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.components.golden")
    parser.add_argument("--update", action="store_true", help="rewrite the golden files")
    args = parser.parse_args(argv)
    stale = 0
    for key in STACKS:
        doc = Stack(key).doc
        if args.update:
            golden_path(key).write_text(stable(doc).to_json(), encoding="utf-8")
            print(f"wrote {golden_path(key).relative_to(GOLDEN_DIR.parent.parent.parent)}")
        elif (problem := difference(key, doc)) is not None:
            stale += 1
            print(problem)
    known = {f"{key}.json" for key in STACKS}
    for orphan in sorted(p for p in GOLDEN_DIR.glob("*.json") if p.name not in known):
        if args.update:
            orphan.unlink()
            print(f"removed {orphan.name} (no such stack)")
        else:
            stale += 1
            print(f"{orphan.name}: no such stack (run with --update to remove it)")
    if stale:
        print("refresh with: python -m tests.components.golden --update", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
