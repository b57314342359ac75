"""The production server of `serve` and `demo`: gunicorn (gthread workers) with the app's hooks.

What it takes care of, so the same command runs in a container with a read-only root filesystem:

* gunicorn's heartbeat files go to ``worker_tmp_dir`` (``DATAOPS_WORKER_TMP_DIR``, default
  ``/dev/shm`` when writable): with no writable temporary directory gunicorn stops with "No usable
  temporary directory found";
* prometheus_client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` (taken from the environment,
  else a fresh folder under the worker tmp dir) is emptied at start, set before any worker imports
  prometheus_client, and a worker's live gauges are dropped when it exits (``child_exit``), so
  ``/metrics`` adds up every worker and counters never go back between scrapes;
* logs: gunicorn's own lines go through the app's formatter (JSON by default).

Errors: `SettingsError` when no writable folder can be found for either.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
from collections.abc import Callable

from .metrics import MULTIPROC_ENV
from .settings import Settings, SettingsError


def _writable_dir(path: str | os.PathLike) -> bool:
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def worker_tmp_dir(settings: Settings) -> str:
    """Where gunicorn keeps its worker heartbeat files: the setting, else /dev/shm, else TMPDIR."""
    if settings.worker_tmp_dir:
        if not _writable_dir(settings.worker_tmp_dir):
            raise SettingsError(f"DATAOPS_WORKER_TMP_DIR {settings.worker_tmp_dir!r} is not a writable directory")
        return settings.worker_tmp_dir
    if _writable_dir("/dev/shm"):
        return "/dev/shm"
    try:
        return tempfile.gettempdir()
    except FileNotFoundError:
        raise SettingsError("no writable temporary directory: set DATAOPS_WORKER_TMP_DIR "
                            "(for example to an emptyDir or tmpfs mount)") from None


def prepare_multiproc_dir(tmp_dir: str) -> tuple[str, bool]:
    """Set up ``PROMETHEUS_MULTIPROC_DIR``: the environment's folder emptied, or a new one in `tmp_dir`.

    Must run before prometheus_client creates any metric in a worker. Returns the folder and
    whether it was created here (and so is removed at exit)."""
    folder = os.environ.get(MULTIPROC_ENV)
    created = not folder
    if folder:
        path = pathlib.Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        # Files of a previous run would add their counts to this one's.
        for old in path.glob("*.db"):
            old.unlink()
    else:
        folder = tempfile.mkdtemp(prefix="dataops-metrics-", dir=tmp_dir)
    if not _writable_dir(folder):
        raise SettingsError(f"{MULTIPROC_ENV} {folder!r} is not a writable directory")
    os.environ[MULTIPROC_ENV] = folder
    return folder, created


def run(settings: Settings, load_app: Callable[[], object], workers: int, threads: int,
        on_fork: Callable[[], None] | None = None) -> None:
    """Serve the WSGI app that `load_app()` returns (called in each worker) until stopped.

    `on_fork` runs in each new worker before it loads the app (the demo drops its exit hooks)."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger

    if not 1 <= workers <= 64 or not 1 <= threads <= 256:
        raise SettingsError(f"--workers must be 1..64 and --threads 1..256, got {workers} and {threads}")
    tmp_dir = worker_tmp_dir(settings)
    metrics_dir, created = prepare_multiproc_dir(tmp_dir)
    owner = os.getpid()
    log_format = settings.log_format

    class _Logger(Logger):
        def setup(self, cfg):
            super().setup(cfg)
            if log_format == "json":
                from .telemetry import JsonFormatter
                for handler in self.error_log.handlers:
                    handler.setFormatter(JsonFormatter())

    def post_fork(_server, _worker):
        # prometheus_client picks its value class at import; the master may have imported it first.
        from prometheus_client import values
        values.ValueClass = values.get_value_class()
        if on_fork is not None:
            on_fork()

    def child_exit(_server, worker):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)

    def on_exit(_server):
        if created and os.getpid() == owner:
            shutil.rmtree(metrics_dir, ignore_errors=True)

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{settings.host}:{settings.port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", int(settings.query_timeout_seconds * 3) + 10)
            self.cfg.set("worker_tmp_dir", tmp_dir)
            self.cfg.set("logger_class", _Logger)
            self.cfg.set("post_fork", post_fork)
            self.cfg.set("child_exit", child_exit)
            self.cfg.set("on_exit", on_exit)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn 24+ opens a control socket under $HOME: read-only in a container, and
                # shared by every replica started by one user.
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return load_app()

    _App().run()
