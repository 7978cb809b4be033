"""Which server role serves which gRPC service, and which services are cluster-only."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CLUSTER_ONLY_SERVICES", "PUBLIC_METHODS", "ROLE_NAMES", "SERVICE_ROLES", "role_of_service"]

ROLE_NAMES: Mapping[str, str] = {
    "is": "Identity Server",
    "gs": "Gateway Server",
    "ns": "Network Server",
    "as": "Application Server",
    "js": "Join Server",
}

_BY_ROLE: Mapping[str, tuple[str, ...]] = {
    "is": (
        "ttn.lorawan.v3.ApplicationAccess",
        "ttn.lorawan.v3.ApplicationRegistry",
        "ttn.lorawan.v3.ClientAccess",
        "ttn.lorawan.v3.ClientRegistry",
        "ttn.lorawan.v3.ContactInfoRegistry",
        "ttn.lorawan.v3.EndDeviceRegistry",
        "ttn.lorawan.v3.EndDeviceRegistrySearch",
        "ttn.lorawan.v3.EntityAccess",
        "ttn.lorawan.v3.EntityRegistrySearch",
        "ttn.lorawan.v3.Events",
        "ttn.lorawan.v3.GatewayAccess",
        "ttn.lorawan.v3.GatewayRegistry",
        "ttn.lorawan.v3.OAuthAuthorizationRegistry",
        "ttn.lorawan.v3.OrganizationAccess",
        "ttn.lorawan.v3.OrganizationRegistry",
        "ttn.lorawan.v3.UserAccess",
        "ttn.lorawan.v3.UserInvitationRegistry",
        "ttn.lorawan.v3.UserRegistry",
        "ttn.lorawan.v3.UserSessionRegistry",
        "tti.lorawan.v3.TenantRegistry",
    ),
    "gs": (
        "ttn.lorawan.v3.Configuration",
        "ttn.lorawan.v3.GatewayConfigurator",
        "ttn.lorawan.v3.Gs",
        "ttn.lorawan.v3.GtwGs",
        "ttn.lorawan.v3.NsGs",
    ),
    "ns": (
        "ttn.lorawan.v3.AsNs",
        "ttn.lorawan.v3.GsNs",
        "ttn.lorawan.v3.Ns",
        "ttn.lorawan.v3.NsEndDeviceRegistry",
    ),
    "as": (
        "ttn.lorawan.v3.AppAs",
        "ttn.lorawan.v3.ApplicationPubSubRegistry",
        "ttn.lorawan.v3.ApplicationWebhookRegistry",
        "ttn.lorawan.v3.As",
        "ttn.lorawan.v3.AsEndDeviceRegistry",
        "ttn.lorawan.v3.DownlinkMessageProcessor",
        "ttn.lorawan.v3.UplinkMessageProcessor",
    ),
    "js": (
        "ttn.lorawan.v3.ApplicationCryptoService",
        "ttn.lorawan.v3.AsJs",
        "ttn.lorawan.v3.Js",
        "ttn.lorawan.v3.JsEndDeviceRegistry",
        "ttn.lorawan.v3.NetworkCryptoService",
        "ttn.lorawan.v3.NsJs",
    ),
}

SERVICE_ROLES: Mapping[str, str] = {svc: role for role, svcs in _BY_ROLE.items() for svc in svcs}

# Services only other cluster components may call: they carry the cluster key.
CLUSTER_ONLY_SERVICES: frozenset[str] = frozenset(
    {
        "ttn.lorawan.v3.GsNs",
        "ttn.lorawan.v3.NsGs",
        "ttn.lorawan.v3.AsNs",
        "ttn.lorawan.v3.NsJs",
        "ttn.lorawan.v3.AsJs",
        "ttn.lorawan.v3.NetworkCryptoService",
        "ttn.lorawan.v3.ApplicationCryptoService",
    }
)

# Methods anyone may call without credentials (full method paths).
PUBLIC_METHODS: frozenset[str] = frozenset(
    {
        "/ttn.lorawan.v3.Js/GetJoinEUIPrefixes",
        "/ttn.lorawan.v3.Configuration/ListFrequencyPlans",
        "/ttn.lorawan.v3.Configuration/GetPhyVersions",
        "/ttn.lorawan.v3.Configuration/ListBands",
        "/ttn.lorawan.v3.EntityAccess/AuthInfo",
        # Registration (open, or with an invitation token) and the mailed e-mail validation token.
        "/ttn.lorawan.v3.UserRegistry/Create",
        "/ttn.lorawan.v3.ContactInfoRegistry/Validate",
        "/grpc.health.v1.Health/Check",
    }
)


def role_of_service(full_name: str) -> str | None:
    """The role serving a fully qualified gRPC service name, or None."""
    return SERVICE_ROLES.get(full_name)


def services_of_role(role: str) -> tuple[str, ...]:
    return _BY_ROLE[role]
