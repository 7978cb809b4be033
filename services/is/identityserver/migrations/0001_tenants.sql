-- Every entity belongs to a tenant; the default tenant always exists.
CREATE TABLE tenants (
    tenant_id   text PRIMARY KEY CHECK (tenant_id ~ '^[a-z0-9](?:[-]?[a-z0-9]){2,}$' AND length(tenant_id) <= 36),
    name        text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
