"""The Level 2 pages a panel, tile or table links to: one Link per entity page.

`{label}` parts are filled from the series' (or row's) labels; the second field names the label (or
table column) that carries the link. `tests/unit` checks that every Link of the catalog resolves to a
registered page.
"""
from __future__ import annotations

from .model import Link

NAMESPACE = Link("/capacity/namespace/{namespace}", "namespace")
NODE = Link("/capacity/node/{node}", "node")
PVC = Link("/capacity/pvc/{persistentvolumeclaim}", "persistentvolumeclaim")
JENKINS_JOB = Link("/gitops/jenkins/{jenkins_job}", "jenkins_job")
# Argo CD "applications in any namespace": an application is its namespace and its name.
ARGOCD_APP = Link("/gitops/argocd/{namespace}/{name}", "name")
SPARK_APP = Link("/workloads/spark/{application_id}", "application_id")
AIRFLOW_DAG = Link("/workloads/airflow/{dag_id}", "dag_id")
AIRFLOW_RUN = Link("/workloads/airflow/{dag_id}/runs/{run_id}", "Run")
ICEBERG_TABLE = Link("/pipeline/iceberg/{table}", "table")
ORACLE_TABLESPACE = Link("/pipeline/oracle/{tablespace}", "tablespace")
S3_BUCKET = Link("/pipeline/s3/{bucket}", "bucket")
