-- Idempotency keys remember what their create made (issue 21, crash matrix finding): the create's
-- own transaction writes the kind and id of the resource next to the key, so a retry after a
-- crash between that commit and the stored response is answered from the resource, never by a
-- second create. Same conventions as 0001_core.sql.
ALTER TABLE idempotency_keys ADD COLUMN resource_kind TEXT;
ALTER TABLE idempotency_keys ADD COLUMN resource_id BIGINT;
