-- Platform-as-code ledger (issue 20), for SQLite and PostgreSQL alike: what `graph-olap platform
-- apply` recorded, the intents it writes before every change (crash safety), the apply lock and
-- the digest-bound approvals of destructive changes. Same conventions as 0001_core.sql.

-- One row per managed resource (`mapping/<name>`, `setting/<group>`, `user/<username>`).
CREATE TABLE platform_resources (
    resource_key   TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    live_id        TEXT,
    applied_digest TEXT NOT NULL,
    observed_digest TEXT,
    status         TEXT NOT NULL,
    applied_at     BIGINT NOT NULL,
    applied_by     TEXT NOT NULL,
    observed_at    BIGINT
);

-- Every change an apply makes is announced here first; the next apply completes or retires it.
CREATE TABLE platform_intents (
    id            TEXT PRIMARY KEY,
    lock_id       TEXT NOT NULL,
    step          BIGINT NOT NULL,
    resource_key  TEXT NOT NULL,
    action        TEXT NOT NULL,
    request_id    TEXT NOT NULL UNIQUE,
    payload       TEXT NOT NULL,
    actor         TEXT NOT NULL,
    status        TEXT NOT NULL,
    outcome       TEXT,
    created_at    BIGINT NOT NULL,
    resolved_at   BIGINT
);
CREATE INDEX platform_intents_status ON platform_intents(status, created_at);

-- At most one apply at a time: the row named 'apply' is the lock.
CREATE TABLE platform_locks (
    name        TEXT PRIMARY KEY,
    lock_id     TEXT NOT NULL,
    holder      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    acquired_at BIGINT NOT NULL
);

-- Approvals of destructive changes, bound to the digest of exactly the planned change. Consumed
-- approvals are kept for audit.
CREATE TABLE platform_approvals (
    id            TEXT PRIMARY KEY,
    resource_key  TEXT NOT NULL,
    action        TEXT NOT NULL,
    change_digest TEXT NOT NULL,
    approved_by   TEXT NOT NULL,
    approved_at   BIGINT NOT NULL,
    consumed_at   BIGINT,
    consumed_by   TEXT
);
CREATE INDEX platform_approvals_resource ON platform_approvals(resource_key, approved_at);

-- Recovery asks "did the request with this id change anything?"; the audit row answers.
CREATE INDEX audit_log_request ON audit_log(request_id);
