"""Identity Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lorastack.config import ServiceConfig, host_port

__all__ = ["IdentityServerConfig"]


@dataclass(frozen=True, slots=True)
class IdentityServerConfig(ServiceConfig):
    grpc_address: str = field(default="0.0.0.0:1884", metadata={"parse": host_port})
    http_address: str = field(default="0.0.0.0:1885", metadata={"parse": host_port})
    database_url: str = field(default="postgresql://postgres@127.0.0.1:5432/lorastack", metadata={"secret": True})
    database_pool_size: int = 10
    is_tenant_admin_keys: tuple[str, ...] = field(default=(), metadata={"secret": True})
    is_admin_password: str | None = field(default=None, metadata={"secret": True})
    # Failed OAuth logins allowed per user id and address within the window.
    is_login_attempts: int = 5
    is_login_window_seconds: float = 300.0

    def validate(self) -> dict[str, str]:
        problems = {}
        if not self.database_url.startswith(("postgresql://", "postgres://")):
            problems["LORASTACK_DATABASE_URL"] = "must be a postgresql:// URL"
        if self.database_pool_size < 1:
            problems["LORASTACK_DATABASE_POOL_SIZE"] = "must be at least 1"
        if self.is_login_attempts < 1:
            problems["LORASTACK_IS_LOGIN_ATTEMPTS"] = "must be at least 1"
        return problems
