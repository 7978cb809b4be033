"""An OAuth access token from the browser flow used on the real Network and Application Servers
(in-process, rights through this IS), and refused by both at once after revocation.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from applicationserver.config import ApplicationServerConfig
from applicationserver.server import build as build_as
from integration.identityserver.harness import Server
from integration.identityserver.helpers import create_app, create_user
from integration.identityserver.test_oauth import CALLBACK, Browser, make_client, pkce
from integration.identityserver.test_rights_invalidation import refused_within_a_second
from lorastack.component import Component
from lorastack.config import load
from lorastack.storage import redis as lsredis
from networkserver.config import NetworkServerConfig
from networkserver.server import build as build_ns
from support import free_port
from ttn.lorawan.v3 import identifiers_pb2, oauth_pb2, oauth_services_pb2_grpc


@asynccontextmanager
async def ns_and_as(server: Server) -> AsyncIterator[tuple[Component, Component]]:
    prefix = f"istest{uuid.uuid4().hex[:10]}"
    common = {
        "grpc_address": "127.0.0.1:0",
        "http_address": "127.0.0.1:0",
        "peers_is": f"127.0.0.1:{server.component.grpc_port}",
        "events_stream": server.config.events_stream,
        "events_subject_prefix": server.config.events_subject_prefix,
        "shutdown_grace_seconds": 0.1,
    }
    # Both follow the IS's invalidation events: their caches stay long and revocation must still
    # reach them at once.
    ns = await build_ns(
        load(NetworkServerConfig, {}, redis_prefix=f"{prefix}ns", rights_cache_seconds=60.0, **common)  # type: ignore[arg-type]
    )
    as_ = await build_as(
        load(
            ApplicationServerConfig,
            {},
            redis_prefix=f"{prefix}as",
            rights_cache_seconds=60.0,
            as_mqtt_address=f"127.0.0.1:{free_port()}",
            **common,  # type: ignore[arg-type]
        )
    )
    await ns.start()
    try:
        await as_.start()
        try:
            yield ns, as_
        finally:
            await as_.stop()
    finally:
        await ns.stop()
        redis = lsredis.connect("redis://127.0.0.1:6379/0")
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_oauth_token_on_ns_and_as_until_revoked(server: Server) -> None:
    await make_client(server)
    alice_key = await create_user(server, "alice")
    await create_app(server, "alice-app", owner="alice")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        browser = Browser(server, session)
        status, _, _ = await browser.login("/oauth/authorize")
        assert status == 302
        verifier, challenge = pkce()
        code = await browser.code(challenge)
        status, tokens = await browser.token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
        )
        assert status == 200, tokens
        access = str(tokens["access_token"])

        async with ns_and_as(server) as (ns, as_):
            urls = {
                "ns": f"http://127.0.0.1:{ns.http_port}/api/v3/ns/applications/alice-app/devices/dev-1",
                "as": f"http://127.0.0.1:{as_.http_port}/api/v3/as/applications/alice-app/devices/dev-1",
            }

            async def allowed(role: str) -> bool:
                # Rights pass and the (unregistered) device is not found; refusals are 401 or 403.
                async with session.get(urls[role], headers={"Authorization": f"Bearer {access}"}) as resp:
                    assert resp.status in (401, 403, 404), (role, resp.status, await resp.text())
                    return resp.status == 404

            assert await allowed("ns") and await allowed("as")
            async with session.get(
                urls["as"].replace("alice-app", "other-app"), headers={"Authorization": f"Bearer {access}"}
            ) as resp:
                assert resp.status in (401, 403)

            grants = oauth_services_pb2_grpc.OAuthAuthorizationRegistryStub(server.channel)
            alice = identifiers_pb2.UserIdentifiers(user_id="alice")
            console = identifiers_pb2.ClientIdentifiers(client_id="console")
            listed = await grants.ListTokens(
                oauth_pb2.ListOAuthAccessTokensRequest(user_ids=alice, client_ids=console),
                metadata=server.md(alice_key),
            )
            await grants.DeleteToken(
                oauth_pb2.OAuthAccessTokenIdentifiers(user_ids=alice, client_ids=console, id=listed.tokens[0].id),
                metadata=server.md(alice_key),
            )
            for role in ("ns", "as"):

                async def role_allowed(role: str = role) -> bool:
                    return await allowed(role)

                await refused_within_a_second(role_allowed)
