"""structlog set-up: JSON lines in production, a readable console on a terminal.

Context variables (RPC method, request id, correlation id, dev_eui, ...) are
bound with ``structlog.contextvars`` and appear on every line of one request.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

__all__ = ["configure", "get_logger"]


def configure(*, fmt: str = "console", level: str = "info", stream: Any = None) -> None:
    """Configure structlog and the standard library logging of the process."""
    numeric = logging.getLevelNamesMapping()[level.upper()]
    out = stream if stream is not None else sys.stderr
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        # Plain tracebacks: rich ones print local variables, and a frame may hold key bytes.
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    # Libraries (grpc, aiohttp, nats) log through the standard library: same level, same stream.
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.WARNING))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    """A structlog logger carrying ``logger=name``."""
    return structlog.get_logger(logger_name=name)
