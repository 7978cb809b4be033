"""``UserInvitationRegistry`` servicer over :class:`Invitations`."""

from __future__ import annotations

from google.protobuf.empty_pb2 import Empty

from identityserver.auth import Authorizer
from identityserver.grpc_common import Context, caller_of, send_total
from identityserver.invitations import Invitations
from identityserver.pgstore.common import Page
from ttn.lorawan.v3 import user_pb2

__all__ = ["UserInvitationRegistryServicer"]


class UserInvitationRegistryServicer:
    def __init__(self, invitations: Invitations, auth: Authorizer) -> None:
        self._invitations = invitations
        self._auth = auth

    async def Send(self, request: user_pb2.SendInvitationRequest, context: Context) -> user_pb2.Invitation:
        caller = await caller_of(self._auth, context)
        return await self._invitations.send(caller, request.email)

    async def List(self, request: user_pb2.ListInvitationsRequest, context: Context) -> user_pb2.Invitations:
        caller = await caller_of(self._auth, context)
        found, total = await self._invitations.listing(caller, Page(limit=request.limit, page=request.page))
        await send_total(context, total)
        return user_pb2.Invitations(invitations=found)

    async def Delete(self, request: user_pb2.DeleteInvitationRequest, context: Context) -> Empty:
        caller = await caller_of(self._auth, context)
        await self._invitations.delete(caller, request.email)
        return Empty()
