# The runtime image of the Kubernetes back end: the project's data plane (mlops_runtime) and the
# libraries it imports, nothing of the control plane (no pulumi, pydantic, typer, rich).
# One image, several units: the mlops-proxy sidecar by default, or any runtime module given as
# the container's args (e.g. args: ["mlops_runtime.monitoring_job"]).
#
#   docker build -f docker/runtime.Dockerfile -t <registry>/mlops-runtime:<version> .
#
# Runs as a non-root user on a read-only root filesystem: mount an emptyDir at /tmp.
# The library specifiers are pyproject.toml's (tests/k8s/test_runtime_image.py keeps them equal).

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN pip install --no-cache-dir \
        "boto3>=1.34" \
        "numpy>=1.26" \
        "scipy>=1.11" \
        "pandas>=2.1" \
        "pyarrow>=15" \
        "scikit-learn>=1.4" \
        "aiohttp>=3.9,<4" \
        "httptools>=0.6" \
        "prometheus-client>=0.20" \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin mlops

WORKDIR /app
COPY mlops_runtime/ /app/mlops_runtime/
RUN python -m compileall -q /app/mlops_runtime

USER 10001
# mlops-proxy: clients on 8081, /metrics on 8090 (mlops_runtime.contract.proxy).
EXPOSE 8081 8090
ENTRYPOINT ["python", "-m"]
CMD ["mlops_runtime.proxy"]
