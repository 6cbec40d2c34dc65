"""``python -m mlops_runtime.proxy``: the ``mlops-proxy`` sidecar."""

from __future__ import annotations

import sys

from mlops_runtime.proxy.run import main

if __name__ == "__main__":
    sys.exit(main())
