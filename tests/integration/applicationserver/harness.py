"""The Application Server under test: a real component started and stopped in-process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from applicationserver.config import ApplicationServerConfig
from applicationserver.server import build
from integration.applicationserver.fakes import FakePeers
from lorastack.component import Component

CLUSTER_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
KEK_LABEL = "as-kek"
KEK = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
DEVICE_KEK_LABEL = "as-device"
DEVICE_KEK = bytes.fromhex("5f3b9c0e7a21d4486b0c9e11f2a3d7c4")


@dataclass
class ASHarness:
    peers: FakePeers
    config: ApplicationServerConfig
    component: Component | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def grpc_target(self) -> str:
        assert self.component is not None
        return f"127.0.0.1:{self.component.grpc_port}"

    @property
    def base_url(self) -> str:
        assert self.component is not None
        return f"http://127.0.0.1:{self.component.http_port}/api/v3"

    async def start(self) -> Component:
        self.component = await build(self.config)
        await self.component.start()
        return self.component

    async def stop(self) -> None:
        if self.component is not None:
            await self.component.stop()
            self.component = None
