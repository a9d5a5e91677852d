-- ciba-desk-server, schema version 1 (SQLite). The same tables, columns and indexes as
-- migrations/postgres/0001_initial.sql; STRICT tables so a value of the wrong type is refused
-- as PostgreSQL would. SQLite has no roles: protect the file (mode 600, the server's user).

CREATE TABLE verifications (
    id                TEXT    PRIMARY KEY NOT NULL,
    profile           TEXT    NOT NULL,
    agent_sub         TEXT    NOT NULL,
    agent_name        TEXT,
    reference         TEXT,
    identifier_key    TEXT    NOT NULL,
    identifier_masked TEXT    NOT NULL,
    created_at_ms     INTEGER NOT NULL,
    updated_at_ms     INTEGER NOT NULL,
    state_json        TEXT    NOT NULL,
    final_state       INTEGER NOT NULL DEFAULT 0 CHECK (final_state IN (0, 1))
) STRICT;

CREATE UNIQUE INDEX verifications_one_in_flight
    ON verifications (identifier_key) WHERE NOT final_state;

CREATE INDEX verifications_agent_created ON verifications (agent_sub, created_at_ms);

CREATE TABLE audit_records (
    seq               INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    time_ms           INTEGER NOT NULL,
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
    duration_ms       INTEGER,
    prev_hash         TEXT    NOT NULL,
    hash              TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX audit_records_one_per_phase
    ON audit_records (verification_id, phase) WHERE phase IN ('requested', 'final');

CREATE INDEX audit_records_time ON audit_records (time_ms);
CREATE INDEX audit_records_agent_time ON audit_records (agent_sub, time_ms);
