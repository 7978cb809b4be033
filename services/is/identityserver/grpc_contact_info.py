"""``ContactInfoRegistry`` servicer: request and confirm the validation of a user's e-mail address.

Validate is public (the mailed token is the credential), so it reads only the call's tenant.
"""

from __future__ import annotations

from google.protobuf.empty_pb2 import Empty

from identityserver import errors, validation
from identityserver.auth import Authorizer
from identityserver.contact_info import ContactInfo
from identityserver.grpc_common import Context, caller_of
from ttn.lorawan.v3 import contact_info_pb2, identifiers_pb2

__all__ = ["ContactInfoRegistryServicer"]


class ContactInfoRegistryServicer:
    def __init__(self, contact_info: ContactInfo, auth: Authorizer) -> None:
        self._contact_info = contact_info
        self._auth = auth

    async def RequestValidation(
        self, request: identifiers_pb2.EntityIdentifiers, context: Context
    ) -> contact_info_pb2.ContactInfoValidation:
        if request.WhichOneof("ids") != "user_ids":
            raise errors.invalid_field(field="ids", reason="only the e-mail address of a user can be validated")
        user_id = validation.check_id(request.user_ids.user_id, "user_ids.user_id")
        caller = await caller_of(self._auth, context)
        return await self._contact_info.request_validation(caller, user_id)

    async def Validate(self, request: contact_info_pb2.ContactInfoValidation, context: Context) -> Empty:
        tenant = self._auth.tenant(context.invocation_metadata())
        await self._contact_info.validate(tenant, request.id[:100], request.token[:200])
        return Empty()
