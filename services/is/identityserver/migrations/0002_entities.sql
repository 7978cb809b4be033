-- Entities of the registry. Each row carries its tenant; the primary keys make ids
-- unique per tenant. The registry record itself is a serialized protobuf in `data`;
-- the columns beside it exist for uniqueness, look-ups, ordering and secrets.
INSERT INTO tenants (tenant_id) VALUES ('default') ON CONFLICT DO NOTHING;

-- Users and organizations share one id space within a tenant (both are accounts).
CREATE TABLE accounts (
    tenant_id  text NOT NULL REFERENCES tenants ON DELETE CASCADE,
    account_id text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('user', 'organization')),
    PRIMARY KEY (tenant_id, account_id)
);

CREATE TABLE users (
    tenant_id                     text NOT NULL,
    entity_id                     text NOT NULL,
    name                          text NOT NULL DEFAULT '',
    admin                         boolean NOT NULL DEFAULT false,
    primary_email_address         text NOT NULL DEFAULT '',
    password_hash                 text NOT NULL DEFAULT '',
    temporary_password_hash       text NOT NULL DEFAULT '',
    temporary_password_expires_at timestamptz,
    created_at                    timestamptz NOT NULL DEFAULT now(),
    updated_at                    timestamptz NOT NULL DEFAULT now(),
    data                          bytea NOT NULL,
    PRIMARY KEY (tenant_id, entity_id),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES accounts ON DELETE CASCADE
);
CREATE UNIQUE INDEX users_email ON users (tenant_id, lower(primary_email_address))
    WHERE primary_email_address <> '';

CREATE TABLE organizations (
    tenant_id  text NOT NULL,
    entity_id  text NOT NULL,
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    data       bytea NOT NULL,
    PRIMARY KEY (tenant_id, entity_id),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES accounts ON DELETE CASCADE
);

CREATE TABLE applications (
    tenant_id  text NOT NULL REFERENCES tenants ON DELETE CASCADE,
    entity_id  text NOT NULL,
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    data       bytea NOT NULL,
    PRIMARY KEY (tenant_id, entity_id)
);

CREATE TABLE gateways (
    tenant_id  text NOT NULL REFERENCES tenants ON DELETE CASCADE,
    entity_id  text NOT NULL,
    eui        bytea,
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    data       bytea NOT NULL,
    PRIMARY KEY (tenant_id, entity_id)
);
CREATE UNIQUE INDEX gateways_eui ON gateways (tenant_id, eui) WHERE eui IS NOT NULL;

CREATE TABLE end_devices (
    tenant_id      text NOT NULL,
    application_id text NOT NULL,
    device_id      text NOT NULL,
    dev_eui        bytea,
    join_eui       bytea,
    name           text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    data           bytea NOT NULL,
    PRIMARY KEY (tenant_id, application_id, device_id),
    FOREIGN KEY (tenant_id, application_id) REFERENCES applications ON DELETE CASCADE
);
CREATE UNIQUE INDEX end_devices_euis ON end_devices (tenant_id, join_eui, dev_eui)
    WHERE dev_eui IS NOT NULL AND join_eui IS NOT NULL;

-- Rights of users and organizations on entities (memberships of organizations included).
-- Rows go away with their entity or member in the same transaction (no polymorphic FKs).
CREATE TABLE collaborators (
    tenant_id   text NOT NULL REFERENCES tenants ON DELETE CASCADE,
    entity_kind text NOT NULL,
    entity_id   text NOT NULL,
    member_kind text NOT NULL CHECK (member_kind IN ('user', 'organization')),
    member_id   text NOT NULL,
    rights      integer[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, entity_kind, entity_id, member_kind, member_id)
);
CREATE INDEX collaborators_member ON collaborators (tenant_id, member_kind, member_id);

-- API keys: only a SHA-256 of the random secret is kept, the secret is shown once.
CREATE TABLE api_keys (
    tenant_id   text NOT NULL REFERENCES tenants ON DELETE CASCADE,
    key_id      text NOT NULL,
    entity_kind text NOT NULL,
    entity_id   text NOT NULL,
    name        text NOT NULL DEFAULT '',
    secret_hash bytea NOT NULL,
    rights      integer[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    PRIMARY KEY (tenant_id, key_id)
);
CREATE INDEX api_keys_entity ON api_keys (tenant_id, entity_kind, entity_id);
