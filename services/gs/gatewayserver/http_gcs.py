"""HTTP routes of the gateway configuration: ``GET /api/v3/gcs/gateways/{gateway_id}/semtechudp/global_conf.json``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from google.protobuf import descriptor_pool

from gatewayserver import errors
from gatewayserver.gateways import GatewayResolver
from gatewayserver.gcs import global_conf
from lorastack.errors import LorastackError
from lorastack.httpapi.errors import from_lorastack_error
from lorastack.lorawan.frequencyplans import FrequencyPlanError, get_plan
from lorastack.rights import RightsClient
from lorastack.rpc.auth import current_credentials, parse_authorization
from ttn.lorawan.v3 import identifiers_pb2, rights_pb2

__all__ = ["add_gcs_routes"]

GLOBAL_CONF_PATH = "/api/v3/gcs/gateways/{gateway_id}/semtechudp/global_conf.json"


def _error(err: LorastackError) -> web.Response:
    body = from_lorastack_error(err, descriptor_pool.Default())
    return web.json_response(body.json, status=body.status)


def add_gcs_routes(
    app: web.Application, rights: RightsClient, resolver: GatewayResolver, udp_host: Callable[[], tuple[str, int]]
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        gateway_id = request.match_info["gateway_id"]
        try:
            credentials = parse_authorization(request.headers.items())
            if credentials is None:
                raise errors.no_credentials()
            current_credentials.set(credentials)
            await rights.require("gateway", gateway_id, rights_pb2.RIGHT_GATEWAY_INFO)
            info = await resolver.by_ids(identifiers_pb2.GatewayIdentifiers(gateway_id=gateway_id))
            try:
                plan = get_plan(info.frequency_plan_id)
            except FrequencyPlanError:
                raise errors.unknown_frequency_plan(id=info.frequency_plan_id) from None
        except LorastackError as err:
            return _error(err)
        host, port = udp_host()
        return web.json_response(global_conf(plan, info.eui, host or request.url.host or "", port))

    route: Callable[[web.Request], Awaitable[web.StreamResponse]] = handler
    app.router.add_get(GLOBAL_CONF_PATH, route)
