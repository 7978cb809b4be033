"""The OAuth authorization-code flow with PKCE, walked as a browser would, and the token's life:
use as a Bearer token here and on another service, refresh, listing, revocation, login rate limits.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import grpc
import pytest

from integration.identityserver.harness import Server, running_server
from integration.identityserver.helpers import app_ids, create_app, create_user
from integration.identityserver.peer import other_service
from integration.identityserver.test_rights_invalidation import refused_within_a_second
from ttn.lorawan.v3 import (
    application_pb2,
    application_services_pb2_grpc,
    client_pb2,
    client_services_pb2_grpc,
    identifiers_pb2,
    oauth_pb2,
    oauth_services_pb2_grpc,
)
from ttn.lorawan.v3 import rights_pb2 as r

CALLBACK = "http://localhost:9999/callback"
PASSWORD = "a good password"


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server(is_login_attempts=3) as srv:
        yield srv


async def make_client(server: Server) -> None:
    stub = client_services_pb2_grpc.ClientRegistryStub(server.channel)
    await stub.Create(
        client_pb2.CreateClientRequest(
            client=client_pb2.Client(
                ids=identifiers_pb2.ClientIdentifiers(client_id="console"),
                name="Console",
                secret="console-secret",
                redirect_uris=[CALLBACK],
                grants=[client_pb2.GRANT_AUTHORIZATION_CODE, client_pb2.GRANT_REFRESH_TOKEN],
                rights=[r.RIGHT_APPLICATION_ALL, r.RIGHT_USER_ALL],
            ),
            collaborator=identifiers_pb2.OrganizationOrUserIdentifiers(
                user_ids=identifiers_pb2.UserIdentifiers(user_id="admin")
            ),
        ),
        metadata=server.md(),
    )


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class Browser:
    def __init__(self, server: Server, session: aiohttp.ClientSession) -> None:
        self.root = f"http://127.0.0.1:{server.component.http_port}"
        self.http = session

    async def get(self, path: str) -> tuple[int, str, str]:
        async with self.http.get(self.root + path, allow_redirects=False) as resp:
            return resp.status, resp.headers.get("Location", ""), await resp.text()

    async def post(self, path: str, form: dict[str, str], **kw: object) -> tuple[int, str, str]:
        async with self.http.post(self.root + path, data=form, allow_redirects=False, **kw) as resp:  # type: ignore[arg-type]
            return resp.status, resp.headers.get("Location", ""), await resp.text()

    async def login(self, next_url: str, password: str = PASSWORD) -> tuple[int, str, str]:
        return await self.post("/oauth/login", {"user_id": "alice", "password": password, "next": next_url})

    async def code(self, challenge: str, state: str = "st-1") -> str:
        """Authorize (consenting when asked) and return the code from the redirect."""
        query = urlencode(
            {
                "client_id": "console",
                "redirect_uri": CALLBACK,
                "response_type": "code",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        status, location, page = await self.get("/oauth/authorize?" + query)
        if status == 200:
            fields = {k: html.unescape(v) for k, v in re.findall(r"name='(\w+)' value='([^']*)'", page)}
            assert "RIGHT_APPLICATION_ALL" in page
            status, location, _ = await self.post("/oauth/authorize", {**fields, "decision": "allow"})
        assert status == 302 and location.startswith(CALLBACK), (status, location)
        params = parse_qs(urlsplit(location).query)
        assert params["state"] == [state]
        return params["code"][0]

    async def token(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        basic = base64.b64encode(b"console:console-secret").decode()
        headers = {"Authorization": f"Basic {basic}"}
        async with self.http.post(self.root + "/oauth/token", data=form, headers=headers) as resp:
            return resp.status, await resp.json()


async def test_authorization_code_flow_with_pkce(server: Server) -> None:
    await make_client(server)
    alice_key = await create_user(server, "alice")
    await create_app(server, "alice-app", owner="alice")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        browser = Browser(server, session)
        verifier, challenge = pkce()
        query = urlencode({"client_id": "console", "redirect_uri": CALLBACK, "response_type": "code"})
        status, location, _ = await browser.get("/oauth/authorize?" + query)
        assert status == 302 and location.startswith("/oauth/login?next=")
        next_url = parse_qs(urlsplit(location).query)["next"][0]
        status, _, page = await browser.get(location)
        assert status == 200 and "<form" in page
        assert (await browser.login(next_url, "wrong password"))[0] == 401
        status, location, _ = await browser.login(next_url)
        assert status == 302 and location == next_url

        code = await browser.code(challenge)
        status, tokens = await browser.token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
        )
        assert status == 200 and tokens["token_type"] == "bearer", tokens
        access = str(tokens["access_token"])
        status, reused = await browser.token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
        )
        assert status == 400 and reused["error"] == "invalid_grant"

        # A second authorization skips consent; a wrong verifier is refused.
        other_code = await browser.code(pkce()[1], state="st-2")
        status, wrong = await browser.token(
            {
                "grant_type": "authorization_code",
                "code": other_code,
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            }
        )
        assert status == 400 and wrong["error"] == "invalid_grant"
        bad_uri = urlencode({"client_id": "console", "redirect_uri": "http://evil/cb", "response_type": "code"})
        status, location, _ = await browser.get("/oauth/authorize?" + bad_uri)
        assert status == 400 and not location

        # The token works on the IS (gRPC and REST) and is reported as an OAuth token.
        registry = application_services_pb2_grpc.ApplicationRegistryStub(server.channel)
        got = await registry.Get(
            application_pb2.GetApplicationRequest(application_ids=app_ids("alice-app")), metadata=server.md(access)
        )
        assert got.ids.application_id == "alice-app"
        status, info, _ = await server.rest("GET", "/auth_info", key=access)
        assert status == 200 and info["oauth_access_token"]["client_ids"]["client_id"] == "console"
        assert "access_token" not in info["oauth_access_token"]

        # Refresh rotates the pair: the old access and refresh tokens die.
        status, refreshed = await browser.token(
            {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
        )
        assert status == 200, refreshed
        status, again = await browser.token(
            {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
        )
        assert status == 400 and again["error"] == "invalid_grant"
        status, _, _ = await server.rest("GET", "/applications/alice-app", key=access)
        assert status == 401
        access = str(refreshed["access_token"])

        async with other_service(server) as other:
            url = f"http://127.0.0.1:{other.http_port}/api/v3/as/pubsub/alice-app"

            async def allowed() -> bool:
                async with session.get(url, headers={"Authorization": f"Bearer {access}"}) as resp:
                    assert resp.status in (200, 401, 403), await resp.text()
                    return resp.status == 200

            assert await allowed()
            status, listed, headers = await server.rest(
                "GET", "/users/alice/authorizations/console/tokens", key=alice_key
            )
            assert status == 200 and headers["X-Total-Count"] == "1"
            token_id = listed["tokens"][0]["id"]
            assert "access_token" not in listed["tokens"][0]
            grants = oauth_services_pb2_grpc.OAuthAuthorizationRegistryStub(server.channel)
            await grants.DeleteToken(
                oauth_pb2.OAuthAccessTokenIdentifiers(
                    user_ids=identifiers_pb2.UserIdentifiers(user_id="alice"),
                    client_ids=identifiers_pb2.ClientIdentifiers(client_id="console"),
                    id=token_id,
                ),
                metadata=server.md(alice_key),
            )
            status, _, _ = await server.rest("GET", "/applications/alice-app", key=access)
            assert status == 401
            await refused_within_a_second(allowed)

        status, auths, _ = await server.rest("GET", "/users/alice/authorizations", key=alice_key)
        assert status == 200 and auths["authorizations"][0]["client_ids"]["client_id"] == "console"
        status, sessions, headers = await server.rest("GET", "/users/alice/sessions", key=alice_key)
        assert status == 200 and headers["X-Total-Count"] == "1"
        session_id = sessions["sessions"][0]["session_id"]
        assert "session_secret" not in sessions["sessions"][0]
        status, _, _ = await server.rest("DELETE", f"/users/alice/sessions/{session_id}", key=alice_key)
        assert status == 200
        status, location, _ = await browser.get("/oauth/authorize?" + query)
        assert status == 302 and location.startswith("/oauth/login")
        status, _, _ = await server.rest("DELETE", "/users/alice/authorizations/console", key=alice_key)
        assert status == 200
        status, auths, _ = await server.rest("GET", "/users/alice/authorizations", key=alice_key)
        assert status == 200 and not auths.get("authorizations")


async def test_login_is_rate_limited_and_grants_need_rights(server: Server) -> None:
    await create_user(server, "alice")
    bob_key = await create_user(server, "bob")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        browser = Browser(server, session)
        for _ in range(3):
            assert (await browser.login("/oauth/authorize", "wrong password"))[0] == 401
        status, _, page = await browser.login("/oauth/authorize")
        assert status == 429 and "too many" in page
    grants = oauth_services_pb2_grpc.OAuthAuthorizationRegistryStub(server.channel)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await grants.List(
            oauth_pb2.ListOAuthClientAuthorizationsRequest(user_ids=identifiers_pb2.UserIdentifiers(user_id="alice")),
            metadata=server.md(bob_key),
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    status, _, _ = await server.rest("GET", "/users/alice/sessions", key=bob_key)
    assert status == 403
