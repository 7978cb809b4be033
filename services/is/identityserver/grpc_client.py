"""``ClientRegistry`` servicer (ClientAccess is :class:`AccessServicer` for kind ``client``)."""

from __future__ import annotations

from typing import Any

from identityserver.auth import Authorizer
from identityserver.clients import Clients
from identityserver.grpc_common import Context, account_ids, account_of, caller_of
from identityserver.grpc_registry import RegistryServicer
from ttn.lorawan.v3 import client_pb2

__all__ = ["ClientRegistryServicer"]


class ClientRegistryServicer(RegistryServicer):
    def __init__(self, clients: Clients, auth: Authorizer) -> None:
        super().__init__(clients.registry, auth, client_pb2.Clients)
        self._clients = clients

    async def Create(self, request: Any, context: Context) -> client_pb2.Client:
        self._id(request.client.ids)
        collaborator = account_of(request.collaborator)
        caller = await caller_of(self._auth, context)
        for contact in ("administrative_contact", "technical_contact"):
            if not request.client.HasField(contact):
                getattr(request.client, contact).CopyFrom(account_ids(collaborator))
        return await self._clients.create(caller, request.client, collaborator)

    async def Update(self, request: Any, context: Context) -> client_pb2.Client:
        self._id(request.client.ids)
        caller = await caller_of(self._auth, context)
        return await self._clients.update(caller, request.client, list(request.field_mask.paths))
