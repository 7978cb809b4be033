"""Wiring of the Identity Server: the PostgreSQL pool, stores, domain objects and servicers on a Component."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from psycopg_pool import AsyncConnectionPool

from identityserver import errors, specs
from identityserver.access import Access
from identityserver.auth import Authorizer
from identityserver.clients import CLIENT, Clients
from identityserver.config import IdentityServerConfig
from identityserver.contact_info import ContactInfo
from identityserver.devices import Devices
from identityserver.email import Mailer, OutboxDrainer, SmtpSender
from identityserver.event_stream import EventStreams
from identityserver.grants import Grants
from identityserver.grpc_access import AccessServicer
from identityserver.grpc_client import ClientRegistryServicer
from identityserver.grpc_contact_info import ContactInfoRegistryServicer
from identityserver.grpc_end_device import EndDeviceRegistryServicer
from identityserver.grpc_entity_access import EntityAccessServicer
from identityserver.grpc_events import EventsServicer
from identityserver.grpc_invitation import UserInvitationRegistryServicer
from identityserver.grpc_oauth import OAuthAuthorizationRegistryServicer, UserSessionRegistryServicer
from identityserver.grpc_registry import GatewayRegistryServicer, RegistryServicer
from identityserver.grpc_search import EndDeviceRegistrySearchServicer, EntityRegistrySearchServicer
from identityserver.grpc_tenant import TenantRegistryServicer
from identityserver.grpc_user import UserRegistryServicer
from identityserver.invitations import Invitations
from identityserver.oauth import OAuth
from identityserver.oauth_http import LoginLimiter, OAuthPages
from identityserver.observability import EventNotifier
from identityserver.pgstore import AccessStore, EntityStore, UserSecrets
from identityserver.pgstore.clients import ClientSecrets
from identityserver.pgstore.devices import DeviceStore
from identityserver.pgstore.invitations import InvitationStore
from identityserver.pgstore.oauth import OAuthStore
from identityserver.pgstore.outbox import OutboxStore
from identityserver.pgstore.tenants import TenantStore
from identityserver.pgstore.validations import ValidationStore
from identityserver.registry import Notify, Registry, _silent
from identityserver.search import Search
from identityserver.tenants import Tenants
from identityserver.users import Users
from lorastack.component import Component
from lorastack.events import EventBus
from lorastack.service import connect_events, connect_nats
from lorastack.storage import postgres
from ttn.lorawan.v3 import application_pb2, gateway_pb2, organization_pb2

__all__ = ["IdentityServer", "build", "wire"]


@dataclass(frozen=True, slots=True)
class IdentityServer:
    """The domain objects of one process (tests and the bootstrap command use them directly)."""

    auth: Authorizer
    access: Access
    users: Users
    applications: Registry[application_pb2.Application]
    gateways: Registry[gateway_pb2.Gateway]
    organizations: Registry[organization_pb2.Organization]
    devices: Devices
    tenants: Tenants
    clients: Clients
    oauth: OAuth
    grants: Grants
    outbox: OutboxStore
    contact_info: ContactInfo
    invitations: Invitations


def wire(config: IdentityServerConfig, pool: AsyncConnectionPool, notify: Notify = _silent) -> IdentityServer:
    access_store = AccessStore(pool)
    secrets = UserSecrets(pool)
    oauth_store = OAuthStore(pool)
    auth = Authorizer(
        access_store,
        secrets,
        default_tenant=config.default_tenant,
        cluster_keys=config.cluster_keys,
        tokens=oauth_store,
    )
    user_store = EntityStore(
        pool, kind="user", table="users", message=specs.USER.message, columns=specs.user_columns, account=True
    )
    org_store = EntityStore(
        pool,
        kind="organization",
        table="organizations",
        message=specs.ORGANIZATION.message,
        columns=specs.named,
        account=True,
    )
    app_store = EntityStore(
        pool, kind="application", table="applications", message=specs.APPLICATION.message, columns=specs.named
    )
    gateway_store = EntityStore(
        pool,
        kind="gateway",
        table="gateways",
        message=specs.GATEWAY.message,
        columns=specs.gateway_columns,
        unique_messages={"gateways_eui": lambda g: errors.eui_taken(eui=bytes(g.ids.eui).hex().upper())},
    )
    outbox = OutboxStore(pool)
    mailer = Mailer(outbox)
    invitations = Invitations(
        InvitationStore(pool),
        auth,
        mailer,
        ttl=timedelta(seconds=config.is_invitation_ttl_seconds),
        link_base=config.is_email_link_base,
        notify=notify,
    )
    users = Users(
        Registry(specs.USER, user_store, auth, notify),
        secrets,
        auth,
        invitations=invitations,
        self_registration=config.is_self_registration,
    )
    client_store = EntityStore(pool, kind="client", table="clients", message=CLIENT.message, columns=specs.named)
    clients = Clients(Registry(CLIENT, client_store, auth, notify), ClientSecrets(pool), auth)
    return IdentityServer(
        auth=auth,
        access=Access(access_store, auth, notify),
        users=users,
        applications=Registry(specs.APPLICATION, app_store, auth, notify),
        gateways=Registry(specs.GATEWAY, gateway_store, auth, notify),
        organizations=Registry(specs.ORGANIZATION, org_store, auth, notify),
        devices=Devices(DeviceStore(pool), auth, notify),
        tenants=Tenants(TenantStore(pool), users, config.is_tenant_admin_keys, config.default_tenant),
        clients=clients,
        oauth=OAuth(oauth_store, secrets, clients, notify),
        grants=Grants(oauth_store, auth, notify),
        outbox=outbox,
        contact_info=ContactInfo(
            ValidationStore(pool),
            user_store,
            auth,
            mailer,
            ttl=timedelta(seconds=config.is_validation_token_ttl_seconds),
            link_base=config.is_email_link_base,
            notify=notify,
        ),
        invitations=invitations,
    )


def register(
    component: Component, server: IdentityServer, bus: EventBus | None = None, limiter: LoginLimiter | None = None
) -> None:
    auth = server.auth
    v3 = "ttn.lorawan.v3."
    if bus is not None:
        component.add_service(v3 + "Events", EventsServicer(EventStreams(bus, auth), auth))
    component.add_service(v3 + "EntityAccess", EntityAccessServicer(auth))
    component.add_service(v3 + "UserRegistry", UserRegistryServicer(server.users, auth))
    component.add_service(
        v3 + "ApplicationRegistry", RegistryServicer(server.applications, auth, application_pb2.Applications)
    )
    component.add_service(v3 + "GatewayRegistry", GatewayRegistryServicer(server.gateways, auth, gateway_pb2.Gateways))
    component.add_service(
        v3 + "OrganizationRegistry", RegistryServicer(server.organizations, auth, organization_pb2.Organizations)
    )
    component.add_service("tti.lorawan.v3.TenantRegistry", TenantRegistryServicer(server.tenants))
    component.add_service(v3 + "EndDeviceRegistry", EndDeviceRegistryServicer(server.devices, auth))
    component.add_service(v3 + "ClientRegistry", ClientRegistryServicer(server.clients, auth))
    component.add_service(v3 + "OAuthAuthorizationRegistry", OAuthAuthorizationRegistryServicer(server.grants, auth))
    component.add_service(v3 + "UserSessionRegistry", UserSessionRegistryServicer(server.grants, auth))
    search = Search(
        {
            "application": server.applications,
            "client": server.clients.registry,
            "gateway": server.gateways,
            "organization": server.organizations,
            "user": server.users.registry,
        },
        server.devices,
        auth,
    )
    component.add_service(v3 + "EntityRegistrySearch", EntityRegistrySearchServicer(search, auth))
    component.add_service(v3 + "EndDeviceRegistrySearch", EndDeviceRegistrySearchServicer(search, auth))
    component.add_service(v3 + "UserInvitationRegistry", UserInvitationRegistryServicer(server.invitations, auth))
    component.add_service(v3 + "ContactInfoRegistry", ContactInfoRegistryServicer(server.contact_info, auth))
    OAuthPages(server.oauth, component.config.default_tenant, limiter).add_routes(component.http_app)
    for kind, service in (
        ("client", "ClientAccess"),
        ("user", "UserAccess"),
        ("application", "ApplicationAccess"),
        ("gateway", "GatewayAccess"),
        ("organization", "OrganizationAccess"),
    ):
        component.add_service(v3 + service, AccessServicer(kind, server.access, auth))


async def build(config: IdentityServerConfig) -> Component:
    component = Component("is", config)
    pool = postgres.open_pool(config.database_url, max_size=config.database_pool_size)
    await pool.open(wait=False)

    async def database_ready() -> None:
        async with pool.connection(timeout=1.5) as conn:
            await conn.execute("SELECT 1")

    component.health.add("postgresql", database_ready)
    component.on_stop(pool.close)
    nats_client = await connect_nats(component)
    bus = await connect_events(component, nats_client)
    limiter = LoginLimiter(config.is_login_attempts, config.is_login_window_seconds)
    server = wire(config, pool, EventNotifier(bus))
    register(component, server, bus, limiter)
    smtp = config.smtp
    if smtp is not None:
        drainer = OutboxDrainer(server.outbox, SmtpSender(smtp))
        component.spawn(lambda: drainer.run(config.is_email_poll_seconds), "is-email-outbox")
    return component
