-- graph-olap metadata schema, version 1, for SQLite and PostgreSQL alike.
-- Timestamps are BIGINT milliseconds since the Unix epoch (UTC); flags are BIGINT 0/1; JSON is TEXT.
-- The one dialect difference is the ID_PRIMARY_KEY placeholder (in double braces), filled in by
-- migrate.rs when it runs: an
-- auto-incrementing 64-bit key (SQLite's INTEGER … AUTOINCREMENT, PostgreSQL's BIGSERIAL).

CREATE TABLE users (
    username         TEXT PRIMARY KEY,
    email            TEXT UNIQUE,
    display_name     TEXT NOT NULL,
    role             TEXT NOT NULL,
    is_active        BIGINT NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    last_login_at    BIGINT,
    role_changed_at  BIGINT,
    role_changed_by  TEXT
);

CREATE TABLE api_keys (
    key_id         TEXT PRIMARY KEY,
    owner_username TEXT NOT NULL REFERENCES users(username),
    name           TEXT NOT NULL,
    secret_sha256  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    expires_at     BIGINT,
    last_used_at   BIGINT,
    revoked_at     BIGINT
);
CREATE INDEX api_keys_owner ON api_keys(owner_username);

CREATE TABLE mappings (
    id                 {{ID_PRIMARY_KEY}},
    owner_username     TEXT NOT NULL,
    name               TEXT NOT NULL,
    description        TEXT,
    current_version    BIGINT NOT NULL,
    ttl                TEXT,
    inactivity_timeout TEXT,
    expires_at         BIGINT,
    last_used_at       BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX mappings_owner ON mappings(owner_username);
CREATE INDEX mappings_created ON mappings(created_at, id);

CREATE TABLE mapping_versions (
    mapping_id         BIGINT NOT NULL REFERENCES mappings(id) ON DELETE CASCADE,
    version            BIGINT NOT NULL,
    change_description TEXT,
    node_definitions   TEXT NOT NULL,
    edge_definitions   TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    created_by         TEXT NOT NULL,
    PRIMARY KEY (mapping_id, version)
);

CREATE TABLE snapshots (
    id                 {{ID_PRIMARY_KEY}},
    mapping_id         BIGINT NOT NULL,
    mapping_version    BIGINT NOT NULL,
    owner_username     TEXT NOT NULL,
    name               TEXT NOT NULL,
    description        TEXT,
    status             TEXT NOT NULL,
    storage_path       TEXT NOT NULL,
    prestaged          BIGINT NOT NULL DEFAULT 0,
    size_bytes         BIGINT,
    node_counts        TEXT,
    edge_counts        TEXT,
    quality            TEXT,
    error_message      TEXT,
    ttl                TEXT,
    inactivity_timeout TEXT,
    expires_at         BIGINT,
    last_used_at       BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    ready_at           BIGINT
);
CREATE INDEX snapshots_mapping ON snapshots(mapping_id, mapping_version);
CREATE INDEX snapshots_status ON snapshots(status);

CREATE TABLE export_jobs (
    id                 {{ID_PRIMARY_KEY}},
    snapshot_id        BIGINT NOT NULL,
    mapping_id         BIGINT NOT NULL,
    job_type           TEXT NOT NULL,
    entity_name        TEXT NOT NULL,
    ordinal            BIGINT NOT NULL,
    sql_text           TEXT NOT NULL,
    columns            TEXT NOT NULL,
    output_uri         TEXT NOT NULL,
    status             TEXT NOT NULL,
    attempts           BIGINT NOT NULL DEFAULT 0,
    max_attempts       BIGINT NOT NULL,
    claimed_by         TEXT,
    claimed_at         BIGINT,
    lease_token        TEXT,
    lease_expires_at   BIGINT,
    started_at         BIGINT,
    deadline_at        BIGINT,
    available_at       BIGINT NOT NULL,
    completed_at       BIGINT,
    row_count          BIGINT,
    size_bytes         BIGINT,
    files              TEXT,
    quality            TEXT,
    progress_rows      BIGINT,
    progress_bytes     BIGINT,
    warehouse_query_id TEXT,
    error_code         TEXT,
    error_message      TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX export_jobs_claim ON export_jobs(status, available_at, id);
CREATE INDEX export_jobs_snapshot ON export_jobs(snapshot_id);

CREATE TABLE snapshot_file_deletions (
    storage_path TEXT PRIMARY KEY,
    requested_at BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT
);

CREATE TABLE instances (
    id                    {{ID_PRIMARY_KEY}},
    snapshot_id           BIGINT NOT NULL,
    mapping_id            BIGINT NOT NULL,
    mapping_version       BIGINT NOT NULL,
    owner_username        TEXT NOT NULL,
    name                  TEXT NOT NULL,
    description           TEXT,
    wrapper_type          TEXT NOT NULL,
    status                TEXT NOT NULL,
    url_slug              TEXT NOT NULL UNIQUE,
    internal_url          TEXT,
    pod_name              TEXT,
    cpu_cores             BIGINT NOT NULL,
    memory_gb             BIGINT,
    error_code            TEXT,
    error_message         TEXT,
    stack_trace           TEXT,
    ttl                   TEXT,
    inactivity_timeout    TEXT,
    expires_at            BIGINT,
    last_activity_at      BIGINT,
    started_at            BIGINT,
    terminated_at         BIGINT,
    termination_reason    TEXT,
    memory_usage_bytes    BIGINT,
    disk_usage_bytes      BIGINT,
    graph_stats           TEXT,
    progress              TEXT,
    stop_requested_at     BIGINT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX instances_status ON instances(status);
CREATE INDEX instances_owner ON instances(owner_username, status);
CREATE INDEX instances_snapshot ON instances(snapshot_id);

CREATE TABLE instance_events (
    id          {{ID_PRIMARY_KEY}},
    instance_id BIGINT NOT NULL,
    event_type  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    details     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX instance_events_instance ON instance_events(instance_id, id);

CREATE TABLE favorites (
    username      TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (username, resource_type, resource_id)
);
CREATE INDEX favorites_resource ON favorites(resource_type, resource_id);

CREATE TABLE platform_config (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT,
    updated_by TEXT
);

CREATE TABLE audit_log (
    id            {{ID_PRIMARY_KEY}},
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT,
    details       TEXT NOT NULL,
    request_id    TEXT
);
CREATE INDEX audit_log_at ON audit_log(at, id);
CREATE INDEX audit_log_actor ON audit_log(actor);

CREATE TABLE idempotency_keys (
    username      TEXT NOT NULL,
    method        TEXT NOT NULL,
    path          TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    body_sha256   TEXT NOT NULL,
    status_code   BIGINT,
    response_body TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (username, method, path, idem_key)
);

CREATE TABLE schema_cache (
    id               BIGINT PRIMARY KEY,
    payload          TEXT NOT NULL,
    refreshed_at     BIGINT,
    status           TEXT NOT NULL,
    duration_ms      BIGINT,
    error            TEXT
);

CREATE TABLE background_jobs (
    name                 TEXT PRIMARY KEY,
    running              BIGINT NOT NULL DEFAULT 0,
    next_run_at          BIGINT,
    last_run_at          BIGINT,
    last_success_at      BIGINT,
    last_failure_at      BIGINT,
    last_duration_ms     BIGINT,
    last_error           TEXT,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    trigger_pending      BIGINT NOT NULL DEFAULT 0,
    last_trigger_at      BIGINT,
    last_trigger_by      TEXT,
    last_trigger_reason  TEXT
);

-- One row per serialisation point: creation of instances locks 'instance_quota' FOR UPDATE.
CREATE TABLE serial_locks (
    name TEXT PRIMARY KEY
);
INSERT INTO serial_locks(name) VALUES ('instance_quota');
