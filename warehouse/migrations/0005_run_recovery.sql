-- Recovery bookkeeping: what each run left undone is found and finished by the next one.
-- Checks run on what has not been checked (check_state), not on what is new; a failed or killed
-- run is recorded as such (fetch_runs); one post, image or check raising is a recorded error
-- (item_errors), not the end of the run.

-- Who ran the run (a `running` row whose process is gone is closed as `abandoned` at the next
-- start), why it failed, and how long it waited for another process to release the file.
-- status is now: running | completed | failed | abandoned
ALTER TABLE fetch_runs ADD COLUMN host VARCHAR;
ALTER TABLE fetch_runs ADD COLUMN pid INTEGER;
ALTER TABLE fetch_runs ADD COLUMN error VARCHAR;             -- failed/abandoned: why (redacted)
ALTER TABLE fetch_runs ADD COLUMN lock_wait_seconds DOUBLE;  -- waiting for the DuckDB file lock

-- One row per item version that the rule set has been run over, and with what: the pack and its
-- version, and the analyses of its media at the time (media_key: a hash of each media file's
-- sha256 with its analyser version and marks key, or '-' for a file not analysed then). An item
-- is due again when its current version has no row, the pack changed, or its media_key differs
-- from today's (an image analysed since, or analysed again by a newer analyser).
CREATE TABLE check_state (
    post_id           VARCHAR NOT NULL,
    version           INTEGER NOT NULL,
    pack_id           VARCHAR NOT NULL,
    pack_version      VARCHAR NOT NULL,
    analyser_version  VARCHAR NOT NULL,
    media_key         VARCHAR NOT NULL,
    run_id            VARCHAR NOT NULL,
    checked_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (post_id, version)
);

-- A post, image or check that raised: recorded and skipped, so the run goes on. The work stays
-- due (the post unchecked, the image unanalysed) and the next run tries it again; resolved_at is
-- set when it then succeeds. Visible to monitors and in the digest's health section.
CREATE SEQUENCE item_errors_seq;
CREATE TABLE item_errors (
    id            BIGINT PRIMARY KEY DEFAULT nextval('item_errors_seq'),
    run_id        VARCHAR NOT NULL,
    district_id   VARCHAR NOT NULL,
    stage         VARCHAR NOT NULL,          -- analyse | check
    subject       VARCHAR NOT NULL,          -- media (sha256) | post (post_id)
    subject_id    VARCHAR NOT NULL,
    account_id    VARCHAR,
    error_type    VARCHAR NOT NULL,          -- the exception's class name
    error         VARCHAR NOT NULL,          -- its message, secrets masked, shortened
    occurred_at   TIMESTAMPTZ NOT NULL,
    resolved_at   TIMESTAMPTZ
);
