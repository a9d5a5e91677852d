-- ciba-desk-server, schema version 1 (PostgreSQL).
-- Applied by `ciba-desk-server migrate` as the database owner, in one transaction. The runtime
-- role's privileges are granted by the migrate command itself (it knows the role's name):
-- SELECT, INSERT, UPDATE on verifications; SELECT, INSERT on audit_records; SELECT on
-- schema_migrations.

-- One row per verification; state_json is the latest state as the API shows it.
CREATE TABLE verifications (
    id                TEXT    PRIMARY KEY,
    profile           TEXT    NOT NULL,
    agent_sub         TEXT    NOT NULL,
    agent_name        TEXT,
    reference         TEXT,
    -- HMAC of the normalised identifier: finds the customer without holding their number.
    identifier_key    TEXT    NOT NULL,
    identifier_masked TEXT    NOT NULL,
    created_at_ms     BIGINT  NOT NULL,
    updated_at_ms     BIGINT  NOT NULL,
    state_json        TEXT    NOT NULL,
    final_state       BOOLEAN NOT NULL DEFAULT FALSE
);

-- At most one verification per customer that has not ended, whichever server starts it.
CREATE UNIQUE INDEX verifications_one_in_flight
    ON verifications (identifier_key) WHERE NOT final_state;

-- The per-agent rate limit counts an agent's recent starts.
CREATE INDEX verifications_agent_created ON verifications (agent_sub, created_at_ms);

-- The audit chain. Append-only: the runtime role may SELECT and INSERT, nothing else.
-- hash = HMAC-SHA256(server's key, canonical encoding of the columns above it, prev_hash last).
CREATE TABLE audit_records (
    seq               BIGINT  PRIMARY KEY CHECK (seq >= 1),
    time_ms           BIGINT  NOT NULL,
    verification_id   TEXT    NOT NULL,
    phase             TEXT    NOT NULL,
    agent_sub         TEXT    NOT NULL,
    agent_name        TEXT,
    reference         TEXT,
    profile           TEXT    NOT NULL,
    issuer            TEXT    NOT NULL,
    identifier_kind   TEXT    NOT NULL,
    identifier_masked TEXT    NOT NULL,
    id_hash           TEXT    NOT NULL,
    subject_name      TEXT,
    binding_message   TEXT    NOT NULL,
    outcome           TEXT    NOT NULL,
    acr               TEXT,
    transaction_id    TEXT,
    error_code        TEXT,
    duration_ms       BIGINT,
    prev_hash         TEXT    NOT NULL,
    hash              TEXT    NOT NULL
);

-- One "requested" and one "final" record per verification, also when two servers race.
CREATE UNIQUE INDEX audit_records_one_per_phase
    ON audit_records (verification_id, phase) WHERE phase IN ('requested', 'final');

CREATE INDEX audit_records_time ON audit_records (time_ms);
CREATE INDEX audit_records_agent_time ON audit_records (agent_sub, time_ms);
