-- OAuth clients, login sessions, authorizations, authorization codes and access tokens.
-- Secrets are kept only as hashes; rows of a user or client go away with it.
CREATE TABLE clients (
    tenant_id   text NOT NULL REFERENCES tenants ON DELETE CASCADE,
    entity_id   text NOT NULL,
    name        text NOT NULL DEFAULT '',
    secret_hash text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    data        bytea NOT NULL,
    PRIMARY KEY (tenant_id, entity_id)
);

CREATE TABLE user_sessions (
    tenant_id   text NOT NULL,
    session_id  text NOT NULL,
    user_id     text NOT NULL,
    secret_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, session_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);
CREATE INDEX user_sessions_user ON user_sessions (tenant_id, user_id);

CREATE TABLE oauth_authorizations (
    tenant_id  text NOT NULL,
    user_id    text NOT NULL,
    client_id  text NOT NULL,
    rights     integer[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, client_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients ON DELETE CASCADE
);

-- A code is used once: redeeming deletes the row.
CREATE TABLE oauth_codes (
    tenant_id      text NOT NULL,
    code_hash      bytea NOT NULL,
    user_id        text NOT NULL,
    client_id      text NOT NULL,
    session_id     text NOT NULL,
    rights         integer[] NOT NULL,
    redirect_uri   text NOT NULL,
    state          text NOT NULL DEFAULT '',
    code_challenge text NOT NULL DEFAULT '',
    challenge_method text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, code_hash),
    FOREIGN KEY (tenant_id, user_id, client_id) REFERENCES oauth_authorizations ON DELETE CASCADE
);

CREATE TABLE oauth_tokens (
    tenant_id          text NOT NULL,
    token_id           text NOT NULL,
    user_id            text NOT NULL,
    client_id          text NOT NULL,
    session_id         text,
    access_hash        bytea NOT NULL,
    refresh_hash       bytea NOT NULL,
    rights             integer[] NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    refresh_expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, token_id),
    FOREIGN KEY (tenant_id, user_id, client_id) REFERENCES oauth_authorizations ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, session_id) REFERENCES user_sessions ON DELETE CASCADE
);
CREATE INDEX oauth_tokens_authorization ON oauth_tokens (tenant_id, user_id, client_id);
