"""``python -m mlops_runtime.k8s.schedule_client``: a training schedule's tick.

The container of a model's schedule CronJob: ``POST $MLOPS_CONTROLLER_URL`` with
``{"model": $MLOPS_MODEL, "scheduled_time": $MLOPS_SCHEDULED_JOB}`` (the Job's name, which the
CronJob controller derives from the scheduled minute), so the controller decides the start
like any other (claim, cooldown, daily cap). Exit 0 when the controller answered 2xx (also
for ``cooldown`` or ``duplicate``: the tick was decided), 1 otherwise (the Job retries).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import urllib.error
import urllib.request

from mlops_runtime.core.logs import get_logger, log

_LOG = get_logger("schedule")
TIMEOUT_SECONDS = 60


def main() -> int:
    url, model = os.environ.get("MLOPS_CONTROLLER_URL"), os.environ.get("MLOPS_MODEL")
    if not url or not model:
        log(_LOG, "MLOPS_CONTROLLER_URL and MLOPS_MODEL are required", logging.ERROR)
        return 2
    body = {"model": model, "scheduled_time": os.environ.get("MLOPS_SCHEDULED_JOB") or None}
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            decided = json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError) as error:
        log(
            _LOG,
            "the controller did not decide the scheduled start",
            logging.ERROR,
            error=str(error),
        )
        return 1
    log(
        _LOG,
        "scheduled start decided",
        model=model,
        decisions=[d.get("decision") for d in decided.get("decisions", [])],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
