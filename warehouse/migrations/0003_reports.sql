-- Reports: every digest and monthly summary produced, every e-mail sent, and how far each
-- monitor's digest has reached. Counts and categories only live here: never student names.

-- One row per rendered report (a monthly summary, or one monitor's digest).
CREATE TABLE report_archive (
    report_id     VARCHAR PRIMARY KEY,       -- uuid
    district_id   VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,          -- digest | monthly
    period        VARCHAR NOT NULL,          -- monthly: YYYY-MM; digest: <since>..<until> (UTC ISO)
    monitor_id    VARCHAR,                   -- digest: whose digest; monthly: NULL
    created_at    TIMESTAMPTZ NOT NULL,
    html          VARCHAR NOT NULL,          -- the rendered HTML as sent or written
    pdf           BLOB,                      -- monthly only
    html_sha256   VARCHAR NOT NULL,
    pdf_sha256    VARCHAR,
    stats_json    JSON                       -- the headline counts, for audit and trend queries
);

-- One row per message handed to the SMTP server (or refused by it).
CREATE TABLE report_deliveries (
    delivery_id   VARCHAR PRIMARY KEY,       -- uuid
    report_id     VARCHAR NOT NULL,
    district_id   VARCHAR NOT NULL,
    monitor_id    VARCHAR NOT NULL,
    recipient     VARCHAR NOT NULL,          -- e-mail address
    role          VARCHAR NOT NULL,          -- monitor | superintendent
    subject       VARCHAR NOT NULL,
    message_id    VARCHAR NOT NULL,          -- the Message-ID header
    attachments_json JSON NOT NULL,          -- [{filename, content_type, bytes, sha256}]
    status        VARCHAR NOT NULL,          -- sent | failed
    error         VARCHAR,
    sent_at       TIMESTAMPTZ NOT NULL
);

-- The digest watermark: findings first seen after `covered_until` are new for this monitor.
CREATE TABLE digest_watermarks (
    district_id   VARCHAR NOT NULL,
    monitor_id    VARCHAR NOT NULL,
    covered_until TIMESTAMPTZ NOT NULL,
    report_id     VARCHAR,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, monitor_id)
);
