-- The run lease of a background job (issue 21, load with faults): which control plane runs the
-- job and until when its claim holds unless renewed. It replaces the session advisory lock as
-- the fence between replicas: a lock tied to a database session is freed by PostgreSQL when the
-- session's connection drops, while its holder still runs the job. Instants are milliseconds
-- since the epoch, as in 0001_core.sql.
ALTER TABLE background_jobs ADD COLUMN lease_holder TEXT;
ALTER TABLE background_jobs ADD COLUMN lease_until BIGINT;
