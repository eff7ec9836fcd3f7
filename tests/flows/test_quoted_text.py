"""A quote post's checks read the quoted post's words too (Bluesky and Mastodon `extra.quoted`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.steps.checking import load_targets, with_quoted
from rules.base import CheckContext
from rules.engine import RuleSet
from tests.rules.helpers import config
from warehouse.db import connect

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
QUOTED = {
    "uri": "at://did:plc:other/app.bsky.feed.post/3k",
    "author": "someone.bsky.social",
    "text": "Maya Johnson's IEP meeting moved to Tuesday",
    "images": [],
}


@pytest.mark.parametrize(
    ("text", "extra", "expected"),
    [
        ("so true", {"quoted": QUOTED}, "so true\n\nMaya Johnson's IEP meeting moved to Tuesday"),
        ("", {"quoted": QUOTED}, "Maya Johnson's IEP meeting moved to Tuesday"),
        (
            "Maya Johnson's IEP meeting moved to Tuesday",
            {"quoted": QUOTED},
            "Maya Johnson's IEP meeting moved to Tuesday",
        ),  # already in the words: not doubled
        ("so true", {"quoted": {"native_id": "1", "state": "pending"}}, "so true"),  # shallow
        ("so true", {}, "so true"),
    ],
    ids=["quote with words", "bare quote", "already said", "quote not readable", "no quote"],
)
def test_with_quoted(text: str, extra: dict[str, object], expected: str) -> None:
    assert with_quoted(text, extra) == expected


def test_a_quoted_record_is_found_on_the_quoting_post(tmp_path: Path) -> None:
    cfg = config("moorhead-447-1")
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        for post_id, extra in (("q-quote", {"quoted": QUOTED}), ("q-plain", {})):
            con.execute(
                "INSERT INTO posts (post_id, district_id, account_id, platform, native_id, kind, "
                "permalink, author, published_at, text, media_json, extra_json, raw_json, "
                "current_version, content_hash, first_seen, last_seen, deleted_at) VALUES "
                "(?, 'prairie', 'emp-ortiz', 'bluesky', ?, 'post', ?, 'me', ?, 'so true', '[]', "
                "?, '{}', 1, 'hash', ?, ?, NULL)",
                [
                    post_id,
                    post_id,
                    f"https://bsky.test/{post_id}",
                    NOW,
                    json.dumps(extra),
                    NOW,
                    NOW,
                ],
            )
        targets = {t.post_id: t for t in load_targets(con, cfg, ["q-quote", "q-plain"])}
    assert targets["q-quote"].text.endswith("Maya Johnson's IEP meeting moved to Tuesday")
    assert targets["q-quote"].extra["quoted"]["author"] == "someone.bsky.social"
    assert targets["q-plain"].text == "so true"
    ruleset = RuleSet.for_district(cfg)
    found = {
        (d.post_id, d.check_name)
        for d in ruleset.evaluate(list(targets.values()), CheckContext(cfg, NOW))
    }
    assert ("q-quote", "confidentiality") in found
    assert ("q-plain", "confidentiality") not in found
