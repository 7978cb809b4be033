"""The OAuth server's HTTP face under ``/oauth/``: login and consent pages (plain HTML, no scripts),
the token and revocation endpoints (RFC 6749 section 5, RFC 7009), logout.
"""

from __future__ import annotations

import base64
import hmac
import time
from collections import deque
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from identityserver import tenancy
from identityserver.oauth import OAuth, OAuthError, TokenPair
from identityserver.pgstore.oauth import SessionRow
from ttn.lorawan.v3 import client_pb2, rights_pb2

__all__ = ["COOKIE", "LoginLimiter", "OAuthPages"]

COOKIE = "_lorastack_session"
_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
    "<body><main><h1>{title}</h1>{body}</main></body></html>"
)


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = _PAGE.format(title=escape(title), body=body)
    return web.Response(text=text, status=status, content_type="text/html", headers={"Cache-Control": "no-store"})


def _hidden(fields: dict[str, str]) -> str:
    return "".join(f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>" for k, v in fields.items())


class LoginLimiter:
    """At most ``attempts`` failed logins per user id and address in ``window`` seconds."""

    def __init__(self, attempts: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._attempts = attempts
        self._window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        entries = self._failures.setdefault(key, deque())
        while entries and entries[0] <= self._clock() - self._window:
            entries.popleft()
        return entries

    def blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self._attempts

    def failed(self, key: str) -> None:
        if len(self._failures) > 100_000:
            self._failures.clear()
        self._recent(key).append(self._clock())

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


def _safe_next(value: str) -> str:
    """Only our own OAuth pages are valid targets after login (no open redirect)."""
    return value if value.startswith("/oauth/") and not value.startswith("//") else "/oauth/authorize"


def _with_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode({k: v for k, v in params.items() if v})


class OAuthPages:
    def __init__(self, oauth: OAuth, default_tenant: str, limiter: LoginLimiter | None = None) -> None:
        self._oauth = oauth
        self._default_tenant = default_tenant
        self._limiter = limiter or LoginLimiter()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/oauth/login", self.login_page)
        app.router.add_post("/oauth/login", self.login)
        app.router.add_post("/oauth/logout", self.logout)
        app.router.add_get("/oauth/authorize", self.authorize)
        app.router.add_post("/oauth/authorize", self.consent)
        app.router.add_post("/oauth/token", self.token)
        app.router.add_post("/oauth/revoke", self.revoke)

    def _tenant(self, request: web.Request) -> str:
        return tenancy.tenant_of(request.headers.items(), self._default_tenant)

    async def _session(self, request: web.Request) -> SessionRow | None:
        return await self._oauth.session(self._tenant(request), request.cookies.get(COOKIE))

    # Login ----------------------------------------------------------------------

    @staticmethod
    def _login_form(next_url: str, message: str = "", status: int = 200) -> web.Response:
        note = f"<p role='alert'>{escape(message)}</p>" if message else ""
        body = (
            f"{note}<form method='post' action='/oauth/login'>{_hidden({'next': next_url})}"
            "<label>User ID <input name='user_id' autocomplete='username' required></label>"
            "<label>Password <input type='password' name='password' autocomplete='current-password' required>"
            "</label><button type='submit'>Log in</button></form>"
        )
        return _page("Log in", body, status)

    async def login_page(self, request: web.Request) -> web.Response:
        return self._login_form(_safe_next(request.query.get("next", "")))

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        user_id, password = str(form.get("user_id", "")).strip().lower(), str(form.get("password", ""))
        next_url = _safe_next(str(form.get("next", "")))
        tenant = self._tenant(request)
        limit_key = f"{tenant}|{request.remote}|{user_id}"
        if self._limiter.blocked(limit_key):
            return self._login_form(next_url, "too many failed attempts, try again later", 429)
        cookie = await self._oauth.login(tenant, user_id, password) if user_id and password else None
        if cookie is None:
            self._limiter.failed(limit_key)
            return self._login_form(next_url, "wrong user ID or password", 401)
        self._limiter.succeeded(limit_key)
        response = web.HTTPFound(next_url)
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="Lax", path="/oauth", secure=request.secure)
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        await self._oauth.logout(self._tenant(request), request.cookies.get(COOKIE))
        response = web.HTTPFound("/oauth/login")
        response.del_cookie(COOKIE, path="/oauth")
        raise response

    # Authorization --------------------------------------------------------------

    async def _client(self, request: web.Request, params: Any) -> tuple[client_pb2.Client, str]:
        try:
            return await self._oauth.client_for(
                self._tenant(request), str(params.get("client_id", "")), str(params.get("redirect_uri", ""))
            )
        except OAuthError as err:
            # Without a trusted redirect URI the error can only be shown, never sent back.
            text = _PAGE.format(title="Authorization failed", body=f"<p>{escape(err.description)}</p>")
            raise web.HTTPBadRequest(text=text, content_type="text/html") from None

    async def authorize(self, request: web.Request) -> web.Response:
        params = request.query
        client, redirect_uri = await self._client(request, params)
        state = params.get("state", "")
        if params.get("response_type") != "code":
            raise web.HTTPFound(_with_query(redirect_uri, {"error": "unsupported_response_type", "state": state}))
        session = await self._session(request)
        if session is None:
            raise web.HTTPFound("/oauth/login?" + urlencode({"next": request.path_qs}))
        tenant = self._tenant(request)
        challenge, method = params.get("code_challenge", ""), params.get("code_challenge_method", "")
        if not await self._oauth.needs_consent(tenant, session.user_id, client):
            return await self._grant(tenant, session, client, redirect_uri, state, challenge, method)
        rights = "".join(f"<li>{escape(rights_pb2.Right.Name(r))}</li>" for r in client.rights)
        fields = {
            "client_id": client.ids.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": method,
            "csrf": OAuth.csrf_token(session),
        }
        body = (
            f"<p>{escape(client.name or client.ids.client_id)} asks to act as <b>{escape(session.user_id)}</b>"
            f" with these rights:</p><ul>{rights}</ul><form method='post' action='/oauth/authorize'>"
            f"{_hidden(fields)}<button name='decision' value='allow'>Allow</button>"
            "<button name='decision' value='deny'>Deny</button></form>"
        )
        return _page("Authorize", body)

    async def consent(self, request: web.Request) -> web.Response:
        form = await request.post()
        client, redirect_uri = await self._client(request, form)
        session = await self._session(request)
        if session is None:
            raise web.HTTPFound("/oauth/login")
        if not hmac.compare_digest(str(form.get("csrf", "")), OAuth.csrf_token(session)):
            return _page("Authorization failed", "<p>the form expired, start again</p>", 400)
        state = str(form.get("state", ""))
        if form.get("decision") != "allow":
            raise web.HTTPFound(_with_query(redirect_uri, {"error": "access_denied", "state": state}))
        challenge, method = str(form.get("code_challenge", "")), str(form.get("code_challenge_method", ""))
        return await self._grant(self._tenant(request), session, client, redirect_uri, state, challenge, method)

    async def _grant(
        self,
        tenant: str,
        session: SessionRow,
        client: client_pb2.Client,
        redirect_uri: str,
        state: str,
        challenge: str,
        method: str,
    ) -> web.Response:
        try:
            code = await self._oauth.grant_code(tenant, session, client, redirect_uri, state, challenge, method)
        except OAuthError as err:
            raise web.HTTPFound(_with_query(redirect_uri, {"error": err.code, "state": state})) from None
        raise web.HTTPFound(_with_query(redirect_uri, {"code": code, "state": state}))

    # Token endpoint -------------------------------------------------------------

    async def _authenticated_client(self, request: web.Request, form: Any) -> client_pb2.Client:
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
        return await self._oauth.authenticate_client(self._tenant(request), client_id, secret)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        tenant = self._tenant(request)
        try:
            client = await self._authenticated_client(request, form)
            grant = form.get("grant_type")
            pair: TokenPair
            if grant == "authorization_code":
                pair = await self._oauth.exchange_code(
                    tenant,
                    client,
                    str(form.get("code", "")),
                    str(form.get("redirect_uri", "")),
                    str(form.get("code_verifier", "")),
                )
            elif grant == "refresh_token":
                pair = await self._oauth.refresh(tenant, client, str(form.get("refresh_token", "")))
            else:
                raise OAuthError("unsupported_grant_type", "use authorization_code or refresh_token")
        except OAuthError as err:
            return _oauth_error(err)
        body = {
            "access_token": pair.access_token,
            "token_type": "bearer",
            "expires_in": pair.expires_in,
            "refresh_token": pair.refresh_token,
        }
        return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            client = await self._authenticated_client(request, form)
        except OAuthError as err:
            return _oauth_error(err)
        await self._oauth.revoke(self._tenant(request), client, str(form.get("token", "")))
        return web.Response(status=200)


def _oauth_error(err: OAuthError) -> web.Response:
    headers = {"Cache-Control": "no-store"}
    if err.status == 401:
        headers["WWW-Authenticate"] = "Basic"
    return web.json_response(
        {"error": err.code, "error_description": err.description}, status=err.status, headers=headers
    )
