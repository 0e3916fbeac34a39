-- Failed authentications per client address, shared by every control plane on this database
-- (issue 21: a guesser behind a load balancer must not get the limit once per replica).
-- Same conventions as 0001_core.sql: instants are milliseconds since the epoch.
CREATE TABLE auth_failures (
    peer       TEXT PRIMARY KEY,
    opened_at  BIGINT NOT NULL,
    failures   BIGINT NOT NULL
);
