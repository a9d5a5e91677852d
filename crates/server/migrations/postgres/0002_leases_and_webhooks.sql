-- ciba-desk-server, schema version 2 (PostgreSQL): several server instances on one database.
-- A verification carries what another instance needs to go on polling it, and a lease saying
-- which instance polls it now; final states leave webhook deliveries in an outbox.

-- sealed_request: what the agent asked (identifier, binding message), and sealed_auth_req_id:
-- the provider's request id, each AES-256-GCM under a key derived from the server's audit
-- key, so the database alone gives neither away. expires_at_ms / interval_ms: the provider's
-- deadline and polling interval. lease_owner / lease_until_ms: the instance polling it and
-- until when, unless renewed; fence grows by one with every new owner, and every write an
-- owner makes names the fence it holds, so an instance that lost its lease writes nothing.
ALTER TABLE verifications
    ADD COLUMN sealed_request     TEXT,
    ADD COLUMN sealed_auth_req_id TEXT,
    ADD COLUMN expires_at_ms      BIGINT,
    ADD COLUMN interval_ms        BIGINT,
    ADD COLUMN lease_owner        TEXT,
    ADD COLUMN lease_until_ms     BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN fence              BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN cancel_requested   BOOLEAN NOT NULL DEFAULT FALSE;

CREATE INDEX verifications_lease ON verifications (lease_until_ms) WHERE NOT final_state;

-- One row per (verification, receiver): written in the transaction that stores the final
-- state, delivered at least once; (verification_id, url) is also the idempotency key.
CREATE TABLE webhook_deliveries (
    verification_id TEXT    NOT NULL REFERENCES verifications (id),
    url             TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    -- pending, delivered or failed (gave up after the retry window)
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at_ms   BIGINT  NOT NULL,
    next_attempt_ms BIGINT  NOT NULL,
    last_error      TEXT,
    delivered_at_ms BIGINT,
    PRIMARY KEY (verification_id, url)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
    WHERE status = 'pending';
