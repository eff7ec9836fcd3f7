-- What the image pipeline found in each stored media file (rules/detect/media_pipeline.py).
-- One row per file content: a file shared by many posts is analysed once. A row is stale, and is
-- analysed again, when analyser_version differs from media_pipeline.ANALYSER_VERSION or marks_key
-- differs from the district's current marks (logos.marks_key).
CREATE TABLE media_analysis (
    sha256            VARCHAR PRIMARY KEY,     -- = media.sha256
    analyser_version  VARCHAR NOT NULL,
    marks_key         VARCHAR NOT NULL,        -- content hash of the marks searched for ('' = none)
    ok                BOOLEAN NOT NULL,        -- false: could not be decoded safely, see error
    error             VARCHAR,                 -- too_large | bomb | corrupt: message
    phash             VARCHAR,                 -- 64-bit DCT hash, 16 hex digits (re-share matching)
    exif_time         VARCHAR,                 -- ISO 8601; naive when the camera wrote no offset
    exif_source       VARCHAR,                 -- which EXIF tags it came from
    face_count        INTEGER NOT NULL DEFAULT 0,
    marks_found       VARCHAR[],               -- names of the marks found
    analysis_json     JSON NOT NULL,           -- MediaAnalysis.to_json()
    analysed_at       TIMESTAMPTZ NOT NULL
);

CREATE INDEX media_analysis_phash ON media_analysis (phash);
