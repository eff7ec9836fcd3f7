-- Hallmonitor warehouse, first schema. Never edit an applied migration: add 0002_*.sql instead.
-- All timestamps are TIMESTAMPTZ stored in UTC.

CREATE TABLE districts (
    district_id   VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    policy        VARCHAR NOT NULL,
    timezone      VARCHAR NOT NULL,
    config_json   JSON,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Account configuration as last loaded. Tokens are never stored: only the NAME of the variable.
CREATE TABLE accounts (
    district_id   VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,          -- sponsored | employee
    platform      VARCHAR NOT NULL,
    locator       VARCHAR NOT NULL,
    display_name  VARCHAR,
    school        VARCHAR,
    responsible   VARCHAR,
    owner         VARCHAR,
    permission_json JSON,
    config_json   JSON,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, account_id)
);

CREATE TABLE fetch_runs (
    run_id        VARCHAR PRIMARY KEY,
    district_id   VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,          -- running | completed | failed
    trigger       VARCHAR,                   -- cli | schedule | demo | test
    pack_id       VARCHAR,
    pack_version  VARCHAR,
    stats_json    JSON
);

-- One row per account per run: was it captured, and if not, why.
CREATE TABLE coverage (
    run_id        VARCHAR NOT NULL,
    district_id   VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,          -- complete | gap | not_permitted | quarantined
    reason        VARCHAR,                   -- machine code: auth, rate_limited, malformed, ...
    error         VARCHAR,                   -- readable message (never a token)
    items_fetched INTEGER DEFAULT 0,
    items_new     INTEGER DEFAULT 0,
    items_changed INTEGER DEFAULT 0,
    items_deleted INTEGER DEFAULT 0,
    media_new     INTEGER DEFAULT 0,
    requests      INTEGER DEFAULT 0,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    PRIMARY KEY (run_id, account_id)
);

CREATE SEQUENCE access_log_seq;
-- Every request made on an account's behalf, with the basis that allowed it.
CREATE TABLE access_log (
    id            BIGINT PRIMARY KEY DEFAULT nextval('access_log_seq'),
    run_id        VARCHAR NOT NULL,
    district_id   VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    requested_at  TIMESTAMPTZ NOT NULL,
    basis         VARCHAR NOT NULL,
    method        VARCHAR NOT NULL,
    url           VARCHAR NOT NULL,          -- secrets redacted
    status_code   INTEGER,
    outcome       VARCHAR NOT NULL,
    bytes         BIGINT,
    elapsed_ms    INTEGER
);

CREATE TABLE cursors (
    district_id   VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    cursor_json   JSON,
    high_water    TIMESTAMPTZ,               -- newest published_at seen
    last_full_scan TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, account_id)
);

-- The current state of each item (post, comment, share, profile, page). post_id is a hash of
-- (district, platform, account, native id): stable across runs.
CREATE TABLE posts (
    post_id       VARCHAR PRIMARY KEY,
    district_id   VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    platform      VARCHAR NOT NULL,
    native_id     VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    parent_post_id VARCHAR,
    permalink     VARCHAR NOT NULL,
    author        VARCHAR,
    published_at  TIMESTAMPTZ,
    edited_at     TIMESTAMPTZ,
    title         VARCHAR,
    text          VARCHAR,
    media_json    JSON,
    extra_json    JSON,
    raw_json      JSON,
    current_version INTEGER NOT NULL,
    content_hash  VARCHAR NOT NULL,
    first_seen    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ,               -- gone from the platform; evidence kept
    UNIQUE (district_id, platform, account_id, native_id)
);

-- Every distinct content of an item: an edit becomes a new version.
CREATE TABLE post_versions (
    post_id       VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    content_hash  VARCHAR NOT NULL,
    title         VARCHAR,
    text          VARCHAR,
    media_json    JSON,
    extra_json    JSON,
    raw_json      JSON,
    edited_at     TIMESTAMPTZ,
    captured_at   TIMESTAMPTZ NOT NULL,
    run_id        VARCHAR,
    PRIMARY KEY (post_id, version)
);

-- Content-addressed media: the file lives at <db>.media/<sha[:2]>/<sha> beside the database.
CREATE TABLE media (
    sha256        VARCHAR PRIMARY KEY,
    content_type  VARCHAR,
    bytes         BIGINT,
    path          VARCHAR NOT NULL,          -- relative to the media folder
    first_seen    TIMESTAMPTZ NOT NULL
);

-- Where each media file came from; a URL already here is never downloaded again.
CREATE TABLE media_sources (
    url           VARCHAR PRIMARY KEY,
    sha256        VARCHAR,                   -- NULL when the download failed
    status        VARCHAR NOT NULL,          -- ok | skipped | failed
    error         VARCHAR,
    fetched_at    TIMESTAMPTZ NOT NULL
);

-- Media referenced by an item (current version).
CREATE TABLE post_media (
    post_id       VARCHAR NOT NULL,
    position      INTEGER NOT NULL,
    url           VARCHAR NOT NULL,
    role          VARCHAR NOT NULL,          -- image | video_thumbnail | avatar | banner
    alt           VARCHAR,
    sha256        VARCHAR,
    PRIMARY KEY (post_id, position)
);

CREATE TABLE findings (
    finding_id    VARCHAR PRIMARY KEY,       -- hash of (district, post, rule, hit key)
    district_id   VARCHAR NOT NULL,
    account_id    VARCHAR NOT NULL,
    post_id       VARCHAR,                   -- the post or profile item; NULL for account-level
    post_version  INTEGER,
    subject       VARCHAR NOT NULL,          -- post | profile | account | media
    check_name    VARCHAR NOT NULL,
    rule_id       VARCHAR NOT NULL,
    clause_id     VARCHAR,
    citation_json JSON NOT NULL,             -- {policy, section, quote}
    level         VARCHAR NOT NULL,          -- violation | advisory
    severity      VARCHAR NOT NULL,          -- low | medium | high | critical
    category      VARCHAR NOT NULL,          -- safe for summaries: never names or quotes
    summary       VARCHAR NOT NULL,          -- for monitors (behind sign-in)
    evidence_json JSON NOT NULL,
    pack_id       VARCHAR NOT NULL,
    pack_version  VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,          -- open | confirmed | dismissed | escalated | superseded
    status_reason VARCHAR,
    first_seen    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    first_run_id  VARCHAR,
    last_run_id   VARCHAR
);

CREATE SEQUENCE reviews_seq;
CREATE TABLE reviews (
    review_id     BIGINT PRIMARY KEY DEFAULT nextval('reviews_seq'),
    finding_id    VARCHAR NOT NULL,
    disposition   VARCHAR NOT NULL,          -- confirm | dismiss | escalate
    reviewer      VARCHAR NOT NULL,
    note          VARCHAR,
    decided_at    TIMESTAMPTZ NOT NULL
);

-- A batch that failed its data-quality suite: kept for inspection, not loaded.
CREATE SEQUENCE quarantine_seq;
CREATE TABLE quarantine (
    id            BIGINT PRIMARY KEY DEFAULT nextval('quarantine_seq'),
    run_id        VARCHAR NOT NULL,
    district_id   VARCHAR NOT NULL,
    account_id    VARCHAR,
    batch_kind    VARCHAR NOT NULL,          -- posts | findings
    failed_json   JSON NOT NULL,             -- the failed expectations with examples
    rows_json     JSON NOT NULL,
    quarantined_at TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE audit_log_seq;
-- Who did what: runs, reviews, report deliveries, configuration loads.
CREATE TABLE audit_log (
    id            BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    logged_at     TIMESTAMPTZ NOT NULL,
    actor         VARCHAR NOT NULL,
    action        VARCHAR NOT NULL,
    object_type   VARCHAR,
    object_id     VARCHAR,
    detail_json   JSON
);
