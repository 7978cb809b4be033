-- Outgoing e-mail, invitations and contact info validations.
-- The outbox is both the queue a background task drains through SMTP and, without SMTP,
-- the place operators and tests read messages from. Tokens are kept only as SHA-256 hashes.
CREATE TABLE email_outbox (
    message_id      bigserial PRIMARY KEY,
    tenant_id       text NOT NULL,
    kind            text NOT NULL,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    sent_at         timestamptz
);
CREATE INDEX email_outbox_pending ON email_outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX email_outbox_recipient ON email_outbox (tenant_id, recipient);

-- One open invitation per address and tenant; `email` is stored lower-cased.
CREATE TABLE invitations (
    tenant_id   text NOT NULL REFERENCES tenants ON DELETE CASCADE,
    email       text NOT NULL,
    token_hash  bytea NOT NULL,
    invited_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, email)
);
CREATE UNIQUE INDEX invitations_token ON invitations (token_hash);

CREATE TABLE contact_info_validations (
    tenant_id     text NOT NULL,
    validation_id text NOT NULL,
    token_hash    bytea NOT NULL,
    user_id       text NOT NULL,
    email         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    PRIMARY KEY (tenant_id, validation_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users ON DELETE CASCADE
);
