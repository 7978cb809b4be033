"""``UserRegistry`` servicer: accounts and passwords (UserAccess is :class:`AccessServicer`)."""

from __future__ import annotations

from google.protobuf.empty_pb2 import Empty

from identityserver import validation
from identityserver.auth import Authorizer, Caller
from identityserver.grpc_common import Context, caller_of
from identityserver.users import Users
from lorastack.rpc.auth import current_credentials
from ttn.lorawan.v3 import identifiers_pb2, user_pb2

__all__ = ["UserRegistryServicer"]


class UserRegistryServicer:
    def __init__(self, users: Users, auth: Authorizer) -> None:
        self._users = users
        self._auth = auth

    async def Create(self, request: user_pb2.CreateUserRequest, context: Context) -> user_pb2.User:
        validation.check_id(request.user.ids.user_id, "user_id")
        if current_credentials.get() is None:
            # Registration without an account: the invitation token (or open registration) decides.
            caller = Caller(self._auth.tenant(context.invocation_metadata()))
        else:
            caller = await caller_of(self._auth, context)
        return await self._users.create(caller, request.user, request.invitation_token)

    async def Get(self, request: user_pb2.GetUserRequest, context: Context) -> user_pb2.User:
        user_id = validation.check_id(request.user_ids.user_id, "user_id")
        caller = await caller_of(self._auth, context)
        return await self._users.registry.get(caller, user_id, list(request.field_mask.paths))

    async def Update(self, request: user_pb2.UpdateUserRequest, context: Context) -> user_pb2.User:
        validation.check_id(request.user.ids.user_id, "user_id")
        caller = await caller_of(self._auth, context)
        return await self._users.update(caller, request.user, list(request.field_mask.paths))

    async def CreateTemporaryPassword(
        self, request: user_pb2.CreateTemporaryPasswordRequest, context: Context
    ) -> Empty:
        user_id = validation.check_id(request.user_ids.user_id, "user_id")
        caller = await caller_of(self._auth, context)
        await self._users.create_temporary_password(caller, user_id)
        return Empty()

    async def UpdatePassword(self, request: user_pb2.UpdateUserPasswordRequest, context: Context) -> Empty:
        user_id = validation.check_id(request.user_ids.user_id, "user_id")
        caller = await caller_of(self._auth, context)
        await self._users.update_password(caller, user_id, request.new, request.old)
        return Empty()

    async def Delete(self, request: identifiers_pb2.UserIdentifiers, context: Context) -> Empty:
        user_id = validation.check_id(request.user_id, "user_id")
        caller = await caller_of(self._auth, context)
        await self._users.registry.delete(caller, user_id)
        return Empty()
