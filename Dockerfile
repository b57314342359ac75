# DataOps Monitor: serves the app against DATAOPS_PROMETHEUS_URL (Thanos Query or Prometheus).
# Dependencies are installed from requirements.lock (exact versions and hashes; `make lock` writes it
# from pyproject.toml), so two builds of one commit get the same packages. The image runs as uid
# 10001 and needs no writable path but /dev/shm (gunicorn heartbeats, multiprocess metrics): it
# runs with a read-only root filesystem (see deploy/helm/dataops-monitor).

# Exporters of docs/metric-contract.md (`docker build --target exporters .`): the same code with the
# pyiceberg extra; `dataops-monitor exporter iceberg|bitbucket|journey` (README "Exporters"). Listed
# first because a plain `docker build .` builds the last stage: the app.
FROM python:3.11-slim AS exporters
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 DATAOPS_EXPORTER_HOST=0.0.0.0
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY webapp ./webapp
COPY pages ./pages
COPY components ./components
# the locked app dependencies above, plus the `iceberg` extra (pyiceberg with its SQL catalog and pyarrow)
RUN pip install --no-cache-dir -e '.[iceberg]' \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin dataops
USER 10001
EXPOSE 9560 9561 9562
ENTRYPOINT ["dataops-monitor"]
CMD ["exporter", "--help"]

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATAOPS_HOST=0.0.0.0 DATAOPS_PORT=8050
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY webapp ./webapp
COPY pages ./pages
COPY components ./components
COPY assets ./assets
COPY deploy/prometheus ./deploy/prometheus
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e . \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin dataops
USER 10001
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"]
ENTRYPOINT ["dataops-monitor"]
CMD ["serve"]
