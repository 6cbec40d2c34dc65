"""The gate's candidate model: deleted once the holdout's transform has run.

The training pipeline's ``CandidateModel`` step creates a SageMaker model of the candidate's
serving container for the ``ScoreHoldout`` batch transform; SageMaker names it
(``pipelines-<execution>-CandidateModel-<suffix>``: a pipeline's Model step takes no
``ModelName``). The Evaluate step gets that name (the step property
``Steps.CandidateModel.ModelName``, in ``MLOPS_CANDIDATE_MODEL``) and deletes exactly that model
before it scores the predictions; the transform is over by then (Evaluate reads its output).
A deleted model changes nothing the package serves: the package names its own image and
artifact.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from mlops_runtime.aws.clients import error_code
from mlops_runtime.contract.holdout import CANDIDATE_MODEL_ENV
from mlops_runtime.core.logs import get_logger, log

PREFIX = "pipelines-"
"""The names SageMaker gives pipeline-created models; the only ones this deletes (and the
pipeline role's ``sagemaker:DeleteModel`` is scoped to ``model/pipelines-*``)."""
DELETED = "deleted"
GONE = "already-gone"
REFUSED = "refused"

logger = get_logger(__name__)


def delete_candidate(sagemaker: Any, name: str) -> str:
    """Delete the model ``name``; ``already-gone`` when a describe shows it does not exist (a
    retried step). A name without the pipelines' prefix is refused, not deleted."""
    if not name.startswith(PREFIX):
        return REFUSED
    try:
        sagemaker.delete_model(ModelName=name)
    except Exception as error:
        if error_code(error) != "ValidationException" or _exists(sagemaker, name):
            raise
        return GONE
    return DELETED


def _exists(sagemaker: Any, name: str) -> bool:
    try:
        sagemaker.describe_model(ModelName=name)
    except Exception as error:
        if error_code(error) == "ValidationException":
            return False
        raise
    return True


def delete_from_env(sagemaker_client: Any) -> str | None:
    """The Evaluate step's clean-up: delete the model ``MLOPS_CANDIDATE_MODEL`` names (None when
    unset). A failure is logged, not raised: the verdict does not depend on it, and a model
    left behind costs nothing while it serves no endpoint or job."""
    name = os.environ.get(CANDIDATE_MODEL_ENV, "")
    if not name:
        return None
    try:
        outcome = delete_candidate(sagemaker_client(), name)
    except Exception as error:
        log(logger, "candidate model not deleted", logging.ERROR, model=name, error=str(error))
        return f"error: {error}"
    log(logger, f"candidate model {outcome}", model=name)
    return outcome
