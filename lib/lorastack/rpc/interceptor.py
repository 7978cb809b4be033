"""The one server interceptor of every process: auth gate, errors, logs, metrics.

Per call it binds the method and a request id to the log context, parses the
credentials, refuses cluster-only methods without a valid cluster key and
non-public methods without any credentials, turns :class:`LorastackError` into a
status with details and anything unexpected into ``internal`` with a
correlation id (logged, never sent as a traceback), and counts the call.
"""

from __future__ import annotations

import contextlib
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
import structlog

from lorastack.cluster.roles import CLUSTER_ONLY_SERVICES, PUBLIC_METHODS
from lorastack.errors import LorastackError, define
from lorastack.metrics import Metrics
from lorastack.rpc.auth import (
    PEER_ROLE_KEY,
    TENANT_KEY,
    current_credentials,
    current_peer_role,
    current_tenant,
    errors,
    is_valid_cluster_key,
    parse_authorization,
)
from lorastack.rpc.status import status_trailers

__all__ = ["CallInterceptor", "internal_error", "unimplemented"]

log = structlog.get_logger(logger_name="lorastack.rpc")

internal_error = define(
    "pkg/rpc",
    "internal",
    "internal error, see the server log (correlation id in details)",
    grpc.StatusCode.INTERNAL,
)
unimplemented = define(
    "pkg/rpc", "unimplemented", "method `{method}` is not implemented", grpc.StatusCode.UNIMPLEMENTED
)

Handler = Callable[..., Any]
Context = grpc.aio.ServicerContext[Any, Any]


class _Abort(Exception):
    """Raised inside the wrapper once the status has been set on the context."""


class CallInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """See the module docstring."""

    def __init__(self, *, metrics: Metrics, cluster_keys: Sequence[bytes]) -> None:
        self._keys = tuple(cluster_keys)
        self._calls = metrics.counter("grpc_requests_total", "gRPC calls handled", ("method", "code"))
        self._latency = metrics.histogram("grpc_request_duration_seconds", "gRPC call duration", ("method",))

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method: str = handler_call_details.method
        metadata = tuple(handler_call_details.invocation_metadata or ())
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(method, metadata, handler.unary_unary),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, metadata, handler.unary_stream),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(method, metadata, handler.stream_unary),
                handler.request_deserializer,
                handler.response_serializer,
            )
        return grpc.stream_stream_rpc_method_handler(
            self._wrap_stream(method, metadata, handler.stream_stream),  # type: ignore[arg-type]
            handler.request_deserializer,
            handler.response_serializer,
        )

    def _admit(self, method: str, metadata: Sequence[tuple[str, Any]]) -> None:
        credentials = parse_authorization(metadata)
        current_credentials.set(credentials)
        is_peer = is_valid_cluster_key(credentials, self._keys)
        current_peer_role.set(next((str(v) for k, v in metadata if k == PEER_ROLE_KEY), None) if is_peer else None)
        current_tenant.set(next((str(v) for k, v in metadata if k == TENANT_KEY), None))
        service = method[1:].rpartition("/")[0]
        if service in CLUSTER_ONLY_SERVICES:
            if not is_peer:
                raise errors.cluster_only(method=method)
        elif credentials is None and method not in PUBLIC_METHODS:
            raise errors.unauthenticated()

    def _begin(self, method: str, metadata: Sequence[tuple[str, Any]]) -> str:
        request_id = next((str(v) for k, v in metadata if k == "x-request-id"), None) or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(grpc_method=method, request_id=request_id[:64])
        return request_id

    async def _fail(self, context: Context, method: str, exc: BaseException) -> str:
        """Set the status for ``exc`` on the context; returns the code name for metrics."""
        if isinstance(exc, NotImplementedError):
            err: LorastackError = unimplemented(method=method)
        elif isinstance(exc, LorastackError):
            err = exc
        else:
            err = internal_error()
            log.error("unexpected error", correlation_id=err.correlation_id, exc_info=exc)
        if err.code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN) and err is exc:
            log.error("internal error", error=str(err), correlation_id=err.correlation_id)
        else:
            log.debug("call failed", error=str(err))
        context.set_code(err.code)
        context.set_details(str(err))
        # Without generated code the status alone still says enough.
        with contextlib.suppress(ImportError):
            context.set_trailing_metadata(status_trailers(err))
        return err.code.name

    def _done(self, method: str, code: str, started: float) -> None:
        self._calls.labels(method, code).inc()
        self._latency.labels(method).observe(time.perf_counter() - started)

    def _wrap_unary(self, method: str, metadata: Sequence[tuple[str, Any]], behavior: Handler) -> Handler:
        async def wrapper(request: Any, context: Context) -> Any:
            started = time.perf_counter()
            self._begin(method, metadata)
            code = "OK"
            try:
                self._admit(method, metadata)
                return await behavior(request, context)
            except (grpc.aio.AbortError, _Abort):
                code = "ABORTED_BY_HANDLER"
                raise
            except Exception as exc:  # every failure becomes a status
                code = await self._fail(context, method, exc)
                return None
            finally:
                self._done(method, code, started)

        return wrapper

    def _wrap_stream(self, method: str, metadata: Sequence[tuple[str, Any]], behavior: Handler) -> Handler:
        async def wrapper(request: Any, context: Context) -> AsyncIterator[Any]:
            started = time.perf_counter()
            self._begin(method, metadata)
            code = "OK"
            try:
                self._admit(method, metadata)
                result = behavior(request, context)
                if inspect.isasyncgen(result):
                    async for item in result:
                        yield item
                else:
                    await result
            except (grpc.aio.AbortError, _Abort):
                code = "ABORTED_BY_HANDLER"
                raise
            except Exception as exc:  # every failure becomes a status
                code = await self._fail(context, method, exc)
            finally:
                self._done(method, code, started)

        return wrapper
