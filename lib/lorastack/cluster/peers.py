"""gRPC channels to the other roles of the cluster, created on first use."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from lorastack.cluster.roles import role_of_service
from lorastack.config import ServiceConfig
from lorastack.rpc.auth import CLUSTER_AUTH_TYPE, PEER_ROLE_KEY

__all__ = ["Peers", "dial_address"]

# Reconnect quickly after a peer restarts, and keep idle links alive.
_CHANNEL_OPTIONS: Sequence[tuple[str, int]] = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 5000),
    ("grpc.keepalive_time_ms", 30000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
)


def dial_address(listen: str) -> str:
    """The address to dial for a listen address (wildcard hosts become loopback)."""
    host, _, port = listen.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    return f"{host}:{port}"


class Peers:
    """Channels by role; the process's own role is dialled on its own gRPC port."""

    def __init__(self, config: ServiceConfig, role: str, *, own_address: str | None = None) -> None:
        self._config = config
        self._role = role
        self._own_address = own_address
        self._channels: dict[str, grpc.aio.Channel] = {}

    def set_own_address(self, address: str) -> None:
        self._own_address = address

    def address(self, role: str) -> str | None:
        if role == self._role and self._own_address is not None:
            return dial_address(self._own_address)
        return self._config.peer(role)

    def channel(self, role: str) -> grpc.aio.Channel | None:
        """The channel to ``role``, or None when no peer is configured for it."""
        existing = self._channels.get(role)
        if existing is not None:
            return existing
        address = self.address(role)
        if address is None:
            return None
        created = grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)
        self._channels[role] = created
        return created

    def channel_for_service(self, full_service_name: str) -> grpc.aio.Channel | None:
        role = role_of_service(full_service_name)
        return None if role is None else self.channel(role)

    def cluster_metadata(self) -> tuple[tuple[str, str], ...]:
        """Call metadata that authenticates this process to its peers and names its role."""
        keys = self._config.cluster_keys
        if not keys:
            return ()
        return (("authorization", f"{CLUSTER_AUTH_TYPE} {keys[0].hex()}"), (PEER_ROLE_KEY, self._role))

    async def close(self) -> None:
        channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            await channel.close(None)
