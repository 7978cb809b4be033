"""The lifecycle of one server process: a gRPC server, an HTTP server, peers,
health checks, metrics and background tasks, started and stopped in order.

``__main__`` modules build a :class:`Component`, register their servicers and
checks on it, and call :meth:`Component.run`, which stops gracefully on SIGTERM:
new calls are refused, in-flight calls get ``shutdown_grace_seconds`` to finish.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import grpc
import structlog
from aiohttp import web

from lorastack.cluster.peers import Peers, dial_address
from lorastack.cluster.roles import services_of_role
from lorastack.config import ServiceConfig
from lorastack.health import HealthChecks
from lorastack.httpapi import RestGateway
from lorastack.metrics import CONTENT_TYPE, Metrics
from lorastack.rpc import protos
from lorastack.rpc.interceptor import CallInterceptor

__all__ = ["Component"]

log = structlog.get_logger(logger_name="lorastack.component")

_SERVER_OPTIONS = (
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10000),
    ("grpc.so_reuseport", 0),
)


class Component:
    """One running role (is, gs, ns, as, js)."""

    def __init__(self, role: str, config: ServiceConfig, *, metrics: Metrics | None = None) -> None:
        self.role = role
        self.config = config
        self.metrics = metrics or Metrics(role)
        self.health = HealthChecks()
        self.peers = Peers(config, role)
        self.grpc_server = grpc.aio.server(
            interceptors=[CallInterceptor(metrics=self.metrics, cluster_keys=config.cluster_keys)],
            options=_SERVER_OPTIONS,
        )
        self.http_app = web.Application(client_max_size=4 * 1024 * 1024)
        self.http_app.router.add_get("/metrics", self._metrics)
        self.http_app.router.add_get("/healthz/live", self._live)
        self.http_app.router.add_get("/healthz/ready", self._ready)
        self.grpc_port = 0
        self.http_port = 0
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._on_start: list[Callable[[], Awaitable[None]]] = []
        self._on_stop: list[Callable[[], Awaitable[None]]] = []
        self._stopped = asyncio.Event()
        self._up = self.metrics.gauge("up", "1 while the process serves")
        self.servicers: dict[str, Any] = {}

    # Registration -------------------------------------------------------

    def add_service(self, full_name: str, servicer: Any) -> None:
        """Serve the gRPC service ``full_name`` (e.g. ``ttn.lorawan.v3.Js``) with ``servicer``."""
        short = full_name.rpartition(".")[2]
        register = getattr(protos.grpc_module(full_name), f"add_{short}Servicer_to_server")
        register(servicer, self.grpc_server)
        self.servicers[full_name] = servicer

    def _serve_remaining(self) -> None:
        """Services of the role without logic yet answer UNIMPLEMENTED, with details."""
        for full_name in services_of_role(self.role):
            if full_name not in self.servicers:
                short = full_name.rpartition(".")[2]
                base = getattr(protos.grpc_module(full_name), f"{short}Servicer")
                self.add_service(full_name, base())

    def on_start(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` after the servers listen (in registration order)."""
        self._on_start.append(hook)

    def on_stop(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` after the servers stopped (in reverse registration order)."""
        self._on_stop.append(hook)

    def spawn(self, factory: Callable[[], Coroutine[Any, Any, None]], name: str) -> None:
        """Run a background task from start to stop; a crash is logged, not silent."""

        async def guarded() -> None:
            try:
                await factory()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task crashed", task=name)

        self.on_start(lambda: self._start_task(guarded(), name))

    async def _start_task(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    # HTTP endpoints -----------------------------------------------------

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def _live(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "live", "role": self.role})

    async def _ready(self, _request: web.Request) -> web.Response:
        ok, report = await self.health.ready()
        return web.json_response(
            {"status": "ready" if ok else "not ready", "role": self.role, "checks": report},
            status=200 if ok else 503,
        )

    # Lifecycle ----------------------------------------------------------

    async def start(self) -> None:
        self._serve_remaining()
        protos.import_all()  # every process serves the whole /api/v3 surface, forwarding what it does not own
        RestGateway(channel_for_service=self.peers.channel_for_service).add_routes(self.http_app)
        self.grpc_port = self.grpc_server.add_insecure_port(self.config.grpc_address)
        if self.grpc_port == 0:
            raise OSError(f"cannot listen for gRPC on {self.config.grpc_address}")
        host = self.config.grpc_address.rpartition(":")[0]
        self.peers.set_own_address(f"{host}:{self.grpc_port}")
        await self.grpc_server.start()
        self._runner = web.AppRunner(self.http_app, access_log=None, handle_signals=False)
        await self._runner.setup()
        http_host, _, http_port = self.config.http_address.rpartition(":")
        sock = socket.socket(socket.AF_INET6 if ":" in http_host.strip("[]") else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((http_host.strip("[]") or "0.0.0.0", int(http_port)))
        self.http_port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        for hook in self._on_start:
            await hook()
        self._up.set(1)
        log.info(
            "started",
            role=self.role,
            grpc=dial_address(f"{host}:{self.grpc_port}"),
            http=f"{http_host or '0.0.0.0'}:{self.http_port}",
        )

    async def stop(self) -> None:
        """Refuse new work, drain in-flight calls, then release everything."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.health.stopping = True
        self._up.set(0)
        grace = self.config.shutdown_grace_seconds
        await self.grpc_server.stop(grace)
        if self._runner is not None:
            await self._runner.cleanup()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=grace)
            if stuck:
                log.warning("background tasks did not stop in time", tasks=sorted(t.get_name() for t in stuck))
        for hook in reversed(self._on_stop):
            # A hook that hangs (a peer that never answers) must not keep the process alive.
            try:
                await asyncio.wait_for(hook(), grace)
            except TimeoutError:
                log.warning("stop hook did not finish in time", hook=getattr(hook, "__qualname__", repr(hook)))
            except Exception:
                log.exception("stop hook failed")
        await self.peers.close()
        log.info("stopped", role=self.role)

    async def run(self) -> None:
        """Start, serve until SIGTERM or SIGINT, stop gracefully."""
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop_requested.set)
        await self.start()
        await stop_requested.wait()
        log.info("stopping", role=self.role)
        await self.stop()
