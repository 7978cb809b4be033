"""Identity Server configuration (``LORASTACK_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from identityserver.email import SmtpSettings
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
    # E-mail: SMTP when a host is set, otherwise messages stay in the email_outbox table.
    is_email_smtp_host: str = ""
    is_email_smtp_port: int = 587
    is_email_smtp_user: str = ""
    is_email_smtp_password: str = field(default="", metadata={"secret": True})
    is_email_smtp_starttls: bool = True
    is_email_from: str = "Lorastack <noreply@localhost>"
    is_email_poll_seconds: float = 2.0
    # Where links in e-mails point (the console or the IS's HTTP address).
    is_email_link_base: str = "http://localhost:1885"
    is_validation_token_ttl_seconds: float = 86400.0
    is_invitation_ttl_seconds: float = 7 * 86400.0
    # Closed by default: then only administrators create users, or people holding an invitation.
    is_self_registration: bool = False

    def validate(self) -> dict[str, str]:
        problems = {}
        if not self.database_url.startswith(("postgresql://", "postgres://")):
            problems["LORASTACK_DATABASE_URL"] = "must be a postgresql:// URL"
        if self.database_pool_size < 1:
            problems["LORASTACK_DATABASE_POOL_SIZE"] = "must be at least 1"
        if self.is_login_attempts < 1:
            problems["LORASTACK_IS_LOGIN_ATTEMPTS"] = "must be at least 1"
        if not 0 < self.is_email_smtp_port < 65536:
            problems["LORASTACK_IS_EMAIL_SMTP_PORT"] = "must be a TCP port"
        if self.is_email_poll_seconds <= 0:
            problems["LORASTACK_IS_EMAIL_POLL_SECONDS"] = "must be positive"
        for name in ("is_validation_token_ttl_seconds", "is_invitation_ttl_seconds"):
            if getattr(self, name) <= 0:
                problems["LORASTACK_" + name.upper()] = "must be positive"
        return problems

    @property
    def smtp(self) -> SmtpSettings | None:
        if not self.is_email_smtp_host:
            return None
        return SmtpSettings(
            host=self.is_email_smtp_host,
            port=self.is_email_smtp_port,
            user=self.is_email_smtp_user,
            password=self.is_email_smtp_password,
            sender=self.is_email_from,
            starttls=self.is_email_smtp_starttls,
        )
