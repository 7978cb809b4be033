"""``EntityAccess.AuthInfo``: the presented API key or OAuth access token, its entity, and whether it is an admin's."""

from __future__ import annotations

from google.protobuf.empty_pb2 import Empty

from identityserver.access import api_key_message
from identityserver.auth import Authorizer
from identityserver.grpc_common import Context, caller_of
from identityserver.grpc_oauth import token_message
from lorastack.rpc.auth import current_credentials
from ttn.lorawan.v3 import identifiers_pb2, identityserver_pb2, rights_pb2

__all__ = ["EntityAccessServicer", "entity_ids"]


def entity_ids(kind: str, entity_id: str) -> identifiers_pb2.EntityIdentifiers:
    ids = identifiers_pb2.EntityIdentifiers()
    if kind == "application":
        ids.application_ids.application_id = entity_id
    elif kind == "gateway":
        ids.gateway_ids.gateway_id = entity_id
    elif kind == "organization":
        ids.organization_ids.organization_id = entity_id
    elif kind == "user":
        ids.user_ids.user_id = entity_id
    elif kind == "client":
        ids.client_ids.client_id = entity_id
    return ids


class EntityAccessServicer:
    def __init__(self, auth: Authorizer) -> None:
        self._auth = auth

    async def AuthInfo(self, request: Empty, context: Context) -> identityserver_pb2.AuthInfoResponse:
        # A public method: without credentials the answer is simply empty.
        if current_credentials.get() is None:
            return identityserver_pb2.AuthInfoResponse()
        caller = await caller_of(self._auth, context)
        out = identityserver_pb2.AuthInfoResponse(is_admin=caller.is_admin)
        if caller.oauth is not None:
            out.oauth_access_token.CopyFrom(token_message(caller.oauth))
        elif caller.key is not None:
            out.api_key.api_key.CopyFrom(api_key_message(caller.key))
            out.api_key.entity_ids.CopyFrom(entity_ids(caller.key.entity_kind, caller.key.entity_id))
        if caller.universal:
            out.universal_rights.CopyFrom(rights_pb2.Rights(rights=[rights_pb2.RIGHT_ALL]))
        return out
