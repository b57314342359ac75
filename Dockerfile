# DataOps Monitor: serves the app against DATAOPS_PROMETHEUS_URL (Thanos Query or Prometheus).
# Exporters of docs/metric-contract.md (`docker build --target exporters .`): the same code with the
# pyiceberg extra; `dataops-monitor exporter iceberg|bitbucket|journey` (README "Exporters"). Listed
# first because a plain `docker build .` builds the last stage: the app.
FROM python:3.11-slim AS exporters
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATAOPS_EXPORTER_HOST=0.0.0.0
COPY pyproject.toml README.md ./
COPY webapp ./webapp
COPY pages ./pages
COPY components ./components
RUN pip install --no-cache-dir -e '.[iceberg]' && useradd --system --uid 10001 dataops
USER 10001
EXPOSE 9560 9561 9562
ENTRYPOINT ["dataops-monitor"]
CMD ["exporter", "--help"]

FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATAOPS_HOST=0.0.0.0 DATAOPS_PORT=8050
COPY pyproject.toml README.md ./
COPY webapp ./webapp
COPY pages ./pages
COPY components ./components
COPY assets ./assets
COPY deploy ./deploy
RUN pip install --no-cache-dir -e '.[redis]' && useradd --system --uid 10001 dataops
USER 10001
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8050/healthz')" || exit 1
ENTRYPOINT ["dataops-monitor"]
CMD ["serve"]
