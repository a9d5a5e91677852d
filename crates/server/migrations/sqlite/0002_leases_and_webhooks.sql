-- ciba-desk-server, schema version 2 (SQLite): the columns and table of
-- migrations/postgres/0002_leases_and_webhooks.sql (see there). SQLite serves one instance,
-- which uses the same leases to go on polling what it left when it restarts.

ALTER TABLE verifications ADD COLUMN sealed_request     TEXT;
ALTER TABLE verifications ADD COLUMN sealed_auth_req_id TEXT;
ALTER TABLE verifications ADD COLUMN expires_at_ms      INTEGER;
ALTER TABLE verifications ADD COLUMN interval_ms        INTEGER;
ALTER TABLE verifications ADD COLUMN lease_owner        TEXT;
ALTER TABLE verifications ADD COLUMN lease_until_ms     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE verifications ADD COLUMN fence              INTEGER NOT NULL DEFAULT 0;
ALTER TABLE verifications ADD COLUMN cancel_requested   INTEGER NOT NULL DEFAULT 0
    CHECK (cancel_requested IN (0, 1));

CREATE INDEX verifications_lease ON verifications (lease_until_ms) WHERE NOT final_state;

CREATE TABLE webhook_deliveries (
    verification_id TEXT    NOT NULL REFERENCES verifications (id),
    url             TEXT    NOT NULL,
    event           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at_ms   INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT,
    delivered_at_ms INTEGER,
    PRIMARY KEY (verification_id, url)
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms)
    WHERE status = 'pending';
