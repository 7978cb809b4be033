"""The API console at /api: a small page from local assets (no CDN) that drives /api/v3/openapi.json."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

__all__ = ["STATIC_DIR", "add_routes"]

STATIC_DIR = Path(__file__).with_name("static")
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
_ASSETS = ("console.js", "console.css")


async def _index(request: web.Request) -> web.Response:
    return _asset("index.html")


def _asset(name: str) -> web.Response:
    path = STATIC_DIR / name
    return web.Response(
        body=path.read_bytes(),
        content_type=_TYPES[path.suffix],
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def _asset_handler(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        return _asset(name)

    return handler


def add_routes(app: web.Application) -> None:
    """GET /api, /api/ and the console's script and stylesheet under /api/console/."""
    app.router.add_get("/api", _index)
    app.router.add_get("/api/", _index)
    for name in _ASSETS:
        app.router.add_get(f"/api/console/{name}", _asset_handler(name))
