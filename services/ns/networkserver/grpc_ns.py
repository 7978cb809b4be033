"""ttn.lorawan.v3.Ns: DevAddr allocation from the configured NetID and prefixes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf import empty_pb2

from lorastack.lorawan import DevAddrPrefix
from networkserver.registry import generate_dev_addr
from ttn.lorawan.v3 import networkserver_pb2, networkserver_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]

__all__ = ["NsServicer"]


class NsServicer(networkserver_pb2_grpc.NsServicer):
    def __init__(self, prefixes: Sequence[DevAddrPrefix]) -> None:
        self._prefixes = tuple(prefixes)

    async def GenerateDevAddr(
        self, request: empty_pb2.Empty, context: Context
    ) -> networkserver_pb2.GenerateDevAddrResponse:
        # Any authenticated caller may ask: the interceptor already refused anonymous calls.
        return networkserver_pb2.GenerateDevAddrResponse(dev_addr=generate_dev_addr(self._prefixes).value)
