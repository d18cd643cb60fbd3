"""The UI's HTTP server: a Starlette app served by uvicorn from a daemon thread of the driver.

Settings are Spark's: ``spark.ui.enabled`` (default true), ``spark.ui.port`` (4040; when
taken, the next port up, up to ``spark.port.maxRetries`` = 16 more tries, as Spark does),
``spark.ui.host`` (127.0.0.1 here, so nothing listens beyond the machine unless asked) and
``spark.streaming.ui.retainedBatches`` (1000).  The URL is logged once at start.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
import threading
from importlib.resources import files

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ember_ui.api import StreamingApi
from ember_ui.metrics import JobMetrics
from ember_ui.recorder import DEFAULT_RETAINED_BATCHES, JobRecorder

_log = logging.getLogger("ember.ui")

DEFAULT_PORT = 4040
DEFAULT_MAX_RETRIES = 16
DEFAULT_HOST = "127.0.0.1"


def ui_enabled(conf) -> bool:
    return conf.get("spark.ui.enabled", "true").strip().lower() != "false"


def bind_ui_socket(host: str, port: int, max_retries: int) -> socket.socket:
    """A listening socket on ``port``, or the first free one of the next ``max_retries``
    (Spark's Utils.startServiceOnPort; port 0 asks the system for any free port)."""
    last_error: OSError | None = None
    for attempt in range(max_retries + 1):
        candidate = 0 if port == 0 else port + attempt
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((host, candidate))
            sock.listen(128)
            return sock
        except OSError as error:
            sock.close()
            if error.errno != errno.EADDRINUSE:
                raise
            last_error = error
    raise OSError(
        errno.EADDRINUSE,
        f"ember-ui: no free port for the UI in {port}..{port + max_retries} "
        f"on {host} (spark.ui.port, spark.port.maxRetries): {last_error}",
    )


class UIServer:
    """The UI of one StreamingContext: its recorder (a listener), its metrics and its server."""

    def __init__(self, ssc):
        conf = ssc.sparkContext.getConf()
        self.host = conf.get("spark.ui.host", DEFAULT_HOST)
        self.requested_port = int(conf.get("spark.ui.port", str(DEFAULT_PORT)))
        self.max_retries = int(conf.get("spark.port.maxRetries", str(DEFAULT_MAX_RETRIES)))
        retained = int(conf.get("spark.streaming.ui.retainedBatches", str(DEFAULT_RETAINED_BATCHES)))
        self.recorder = JobRecorder(retained)
        self.metrics = JobMetrics(ssc, self.recorder)
        sc = ssc.sparkContext
        self.api = StreamingApi(ssc, self.recorder, sc.applicationId, sc.appName)
        ssc.addStreamingListener(self.recorder)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        sock = bind_ui_socket(self.host, self.requested_port, self.max_retries)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            build_app(self.api, self.metrics), log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(sock, started), daemon=True, name=f"ember-ui-{self.port}"
        )
        self._thread.start()
        started.wait(10)
        _announce(f"Spark UI (ember-ui) for {self.api.app_name} at {self.url}")

    def _serve(self, sock: socket.socket, started: threading.Event) -> None:
        async def serve():
            serving = asyncio.ensure_future(self._server.serve(sockets=[sock]))
            while not self._server.started and not serving.done():
                await asyncio.sleep(0.01)
            started.set()
            await serving

        try:
            asyncio.run(serve())
        finally:
            started.set()
            sock.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)


def _announce(line: str) -> None:
    """Once, on the ``ember.ui`` logger when logging would show it, else on stderr."""
    if _log.isEnabledFor(logging.INFO) and logging.getLogger().handlers:
        _log.info(line)
    else:
        print(line, file=sys.stderr, flush=True)


def build_app(api: StreamingApi, metrics: JobMetrics) -> Starlette:
    static = files("ember_ui") / "static"
    prefix = f"/api/v1/applications/{api.app_id}/streaming"

    def json(value) -> Response:
        return JSONResponse(value) if value is not None else JSONResponse({"error": "not found"}, 404)

    async def index(request: Request) -> Response:
        page = (static / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(page.replace("{{APP_ID}}", api.app_id).replace("{{APP_NAME}}", api.app_name))

    def batch_id(request: Request) -> int:
        return int(request.path_params["batch_id"])

    routes = [
        Route("/", index),
        Route("/streaming/", index),
        Route("/streaming/batch/", index),
        Route("/api/v1/applications", lambda r: json(api.applications())),
        Route(prefix + "/statistics", lambda r: json(api.statistics())),
        Route(prefix + "/batches", lambda r: json(api.batches(r.query_params.get("status")))),
        Route(prefix + "/batches/{batch_id:int}", lambda r: json(api.batch(batch_id(r)))),
        Route(prefix + "/batches/{batch_id:int}/operations", lambda r: json(api.operations(batch_id(r)))),
        Route(prefix + "/receivers", lambda r: json(api.receivers())),
        Route(prefix + "/ember/sources", lambda r: json(api.sources())),
        Route(prefix + "/ember/state", lambda r: json(api.state())),
        Route(prefix + "/ember/executors", lambda r: json(api.executors())),
        Route("/metrics", lambda r: Response(metrics.exposition(), media_type="text/plain; version=0.0.4")),
        Mount("/static", StaticFiles(directory=str(static)), name="static"),
    ]
    return Starlette(routes=routes)
