"""``python -m mlops_runtime.k8s``: the loop controller (one replica, ``Recreate``).

Configuration from ``MLOPS_RUNTIME_CONFIG`` (``ControllerConfig``). Before it listens it checks
that the object store honours conditional writes and refuses to start otherwise (exit 1, one
JSON log line saying why): without them claims, ledgers and version numbers are not safe.
"""

from __future__ import annotations

import sys

from mlops_runtime.k8s.main import main

if __name__ == "__main__":
    sys.exit(main())
