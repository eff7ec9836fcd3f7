"""Benchmark: a pack's full text rule set, end to end from DuckDB rows to stored findings.

    python benchmarks/text_checks.py                      # 1,000,000 posts, west-fargo-debh-ap
    python benchmarks/text_checks.py --posts 20000 --presidio

1. In a child process (so its memory is not counted), generate a fictional district with a
   5,000-student roster and N posts (deterministic seed; ~2% name a student together with a
   record or identifier, ~2% carry bare identifiers, ~1.5% offensive, a few profiles), and load
   them into a DuckDB file.
2. Timed: read the rows in batches, build Targets, run `RuleSet.for_district(config).evaluate`,
   write the findings to a DuckDB table. Prints posts/s, the time split, and peak memory
   (ru_maxrss of this process).
3. With --presidio: Microsoft Presidio's AnalyzerEngine (pattern recognizers only, offline with
   a blank spaCy pipeline saved to disk and passed by path) on the first 10,000 posts: its speed,
   and how far its e-mail, phone and date findings agree with ours.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIRST = (
    "Emma Olivia Ava Sophia Mia Amelia Harper Evelyn Abigail Ella Scarlett Grace Chloe Lily "
    "Nora Zoey Hannah Aria Layla Riley Zoë Sofía Liam Noah Oliver Elijah James William Ben "
    "Lucas Henry Mason Ethan Jacob Logan Jackson Levi Sebastian Mateo Jack Owen Theo Aiden "
    "Samuel Joseph John David Wyatt Matthew Luke Asher Carter Julian Grayson Leo Jayden "
    "Gabriel Isaac Lincoln Anthony Hudson Dylan Ezra Thomas Charles Christopher Jaxon Maverick "
    "Josiah Isaiah Andrew Elias Joshua Nathan Caleb Ryan Adrian Miles Eli Nolan Christian Aaron "
    "Cameron Ezekiel Colton Luca Landon Hunter Jonathan Santiago Axel Easton Cooper Jeremiah "
    "Angel Roman Connor Jameson Robert Greyson Jordan Ian Carson Jaxson Leonardo Nicholas "
    "Dominic Austin Everett Brooks Xavier Kai Jose Parker Adam Jace Wesley Kayden Silas"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White "
    "Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres "
    "Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts "
    "Olson Larson Peterson Hanson Johnsen Lund Berg Dahl Strand Solberg Halvorsen Haugen "
    "Lindqvist Iverson Thorson Mattson Bergstrom Lindgren Engel Fischer Schultz Kowalski "
    "Novak Petrov Okafor Abara Yazzie Haddad Patel Kim Sandoval Ortega Wolfe Brooks Gray Price "
    "Moreau Martínez O'Brien Washington Ramírez Ortiz Brandt Rasmussen Hunter Lindberg Sorensen "
    "Nygaard Aasen Bakken Holm Eide Moen Vik Rud Tvedt Skaar Hagen Aune Foss Lie Dale"
).split()
SCHOOLS = [
    ("hs", "Red River High School"),
    ("ms", "Prairie Rose Middle School"),
    ("e1", "Willow Creek Elementary"),
    ("e2", "Stone Bridge Elementary"),
    ("e3", "Maple Grove Elementary"),
]
RECORDS = (
    "got an F on the algebra final",
    "has an IEP meeting on Tuesday",
    "was suspended for fighting",
    "missed 14 days this quarter",
    "is on a 504 plan for ADHD",
    "failed the state reading test",
    "got detention again",
    "scored 1450 on the SAT",
    "is seeing the counselor about anxiety",
    "has a severe peanut allergy",
)
IDENTIFIERS = (
    "call me at 701-555-{n:04d}",
    "text (218) 555-{n:04d} for rides",
    "email me at coach{n}@gmail.com",
    "born {m}/{d}/2011",
    "lives at {n} Elm Street",
)
BENIGN_SCHOOL = (
    "Great {event} tonight at {school}! Go Rivercats!",
    "Proud of our {grade} graders for finishing the reading challenge.",
    "Reminder: {event} is Thursday at 7 in the {school} gym.",
    "Picture day at {school} went smoothly, thanks to all our volunteers.",
    "Our {grade} grade science fair projects are amazing this year.",
    "Snow day tomorrow! Stay warm, {school} families.",
    "The {school} band sounded fantastic at the fall concert.",
    "Teacher workshop day, lots to learn about literacy and math.",
)
BENIGN_PERSONAL = (
    "Weekend at the lake with the family.",
    "Best tacos in town, no contest.",
    "Finally finished that 1000-piece puzzle!",
    "Fall colors on the drive home.",
    "Marathon training, week 9. Legs are toast.",
    "New recipe: apple crisp.",
    "Vikings lost again. Why do I do this to myself.",
    "Garden is done for the year.",
)
CONGRATS = (
    "Congrats to {name} on making the varsity team!",
    "{name} gave a great speech today.",
    "Shoutout to {name} for helping a classmate.",
)
OFFENSIVE = (
    "This fucking school board can't schedule a bus.",
    "Some of my students are lazy brats honestly.",
    "Let's get wasted after the staff meeting Friday!",
    "That ref at the {school} game was a total idiot.",
)
OTHER = (
    "We at {school} have decided to move the dance to May.",
    "{school} teachers endorse Jane Doe for state senate!",
    "Official statement: the {school} buses will run late Monday.",
)
EVENTS = (
    "volleyball game",
    "homecoming parade",
    "pep rally",
    "choir concert",
    "open house",
    "book fair",
    "football game",
    "science night",
)


def write_district(base: Path, rng: random.Random, students: int) -> None:
    """A fictional district directory that flows.district.load_district accepts."""
    (base / "roster").mkdir(parents=True, exist_ok=True)
    schools = "\n".join(f"  - {{id: {sid}, name: {name}}}" for sid, name in SCHOOLS)
    (base / "district.yaml").write_text(
        "id: bench\nname: Red River Public Schools\npolicy: west-fargo-debh-ap\n"
        "timezone: America/Chicago\nnames: [Red River Public Schools, RRPS]\n"
        "email_domains: [redriver.k12.nd.us]\nhomepage: https://www.redriver.k12.nd.us\n"
        f'phone: "(701) 555-0100"\nschools:\n{schools}\n',
        encoding="utf-8",
    )
    lines = ["employee_id,first_name,last_name,email,school,role"]
    for i in range(300):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        lines.append(
            f"S{i:04d},{first},{last},s{i}@redriver.k12.nd.us,{rng.choice(SCHOOLS)[0]},teacher"
        )
    (base / "roster" / "staff.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = [
        "student_id,first_name,last_name,preferred_name,school,grade,media_opt_out,photo_consent"
    ]
    for i in range(students):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        lines.append(
            f"{3000000 + i},{first},{last},,{rng.choice(SCHOOLS)[0]},"
            f"{rng.randint(1, 12)},{str(rng.random() < 0.03).lower()},"
            f"{str(rng.random() < 0.8).lower()}"
        )
    (base / "roster" / "students.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    accounts = ["accounts:"]
    for i in range(50):
        accounts.append(
            f"  - {{id: page{i}, kind: sponsored, platform: facebook, locator: page{i}, "
            f"responsible: S{i:04d}}}"
        )
    for i in range(200):
        accounts.append(
            f"  - {{id: emp{i}, kind: employee, platform: facebook, locator: emp{i}, "
            f"owner: S{i + 50:04d}, permission: {{basis: written consent, "
            f"granted: 2026-08-01, expires: 2027-08-01}}}}"
        )
    (base / "accounts.yaml").write_text("\n".join(accounts) + "\n", encoding="utf-8")


def _post_text(rng: random.Random, roll: float, names: list[str]) -> str:
    school = rng.choice(SCHOOLS)[1]
    if roll < 0.02:  # a student named with a record or an identifier
        name = rng.choice(names)
        if rng.random() < 0.7:
            return f"{name} {rng.choice(RECORDS)}."
        ident = rng.choice(IDENTIFIERS).format(
            n=rng.randint(100, 9999), m=rng.randint(1, 12), d=rng.randint(1, 28)
        )
        return f"{name}'s mom says {ident}."
    if roll < 0.04:  # bare identifiers, nobody named
        return "Practice moved! " + rng.choice(IDENTIFIERS).format(
            n=rng.randint(100, 9999), m=rng.randint(1, 12), d=rng.randint(1, 28)
        )
    if roll < 0.055:
        return rng.choice(OFFENSIVE).format(school=school)
    if roll < 0.065:
        return rng.choice(OTHER).format(school=school)
    if roll < 0.10:
        return rng.choice(CONGRATS).format(name=rng.choice(names))
    if roll < 0.70:
        return rng.choice(BENIGN_SCHOOL).format(
            event=rng.choice(EVENTS), school=school, grade=rng.choice(("3rd", "5th", "7th", "8th"))
        )
    return rng.choice(BENIGN_PERSONAL)


def generate(base: Path, db_path: Path, posts: int, students: int, seed: int) -> None:
    import duckdb
    import pandas as pd

    rng = random.Random(seed)
    write_district(base, rng, students)
    with (base / "roster" / "students.csv").open(encoding="utf-8") as handle:
        rows = [line.split(",") for line in handle.read().splitlines()[1:]]
    names = [f"{r[1]} {r[2]}" for r in rows]
    start = datetime(2026, 9, 1, tzinfo=UTC)
    con = duckdb.connect(str(db_path))
    con.execute("SET TimeZone='UTC'")
    con.execute(
        "CREATE TABLE bench_posts (seq BIGINT, post_id VARCHAR, account_id VARCHAR, "
        "kind VARCHAR, text VARCHAR, published_at TIMESTAMPTZ, extra_json VARCHAR)"
    )
    chunk = 100_000
    for offset in range(0, posts, chunk):
        batch: dict[str, list[Any]] = defaultdict(list)
        for seq in range(offset, min(offset + chunk, posts)):
            roll = rng.random()
            employee = rng.random() < 0.6
            account = f"emp{rng.randrange(200)}" if employee else f"page{rng.randrange(50)}"
            kind, extra = "post", None
            if rng.random() < 0.01:
                kind = "profile"
                extra = json.dumps(
                    {
                        "display_name": "x",
                        "emails": [
                            f"a{seq}@redriver.k12.nd.us"
                            if rng.random() < 0.3
                            else f"a{seq}@gmail.com"
                        ],
                    }
                )
                text = f"Teacher at {rng.choice(SCHOOLS)[1]}. Coffee first."
            else:
                text = _post_text(rng, roll, names)
            batch["seq"].append(seq)
            batch["post_id"].append(f"p{seq}")
            batch["account_id"].append(account)
            batch["kind"].append(kind)
            batch["text"].append(text)
            batch["published_at"].append(start + timedelta(minutes=rng.randrange(270 * 24 * 60)))
            batch["extra_json"].append(extra)
        frame = pd.DataFrame(batch)
        con.register("frame_view", frame)
        con.execute("INSERT INTO bench_posts SELECT * FROM frame_view")
    con.execute(
        "CREATE TABLE bench_findings (finding_id VARCHAR, post_id VARCHAR, "
        "rule_id VARCHAR, check_name VARCHAR, level VARCHAR, severity VARCHAR, "
        "category VARCHAR, summary VARCHAR, evidence_json VARCHAR)"
    )
    con.close()


# Timestamps leave DuckDB as microseconds since the epoch: converting TIMESTAMPTZ values to
# aware datetimes inside DuckDB's Python client costs ~2 µs a row, the sum below ~0.5 µs.
SELECT_POSTS = (
    "SELECT post_id, account_id, kind, text, epoch_us(published_at), extra_json FROM bench_posts"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_targets(rows: list[tuple[Any, ...]], accounts: dict[str, Any]) -> list[Any]:
    """DuckDB rows -> Targets as the audit flow builds them (aware UTC times, parsed extra)."""
    from rules.base import Target

    return [
        Target(
            pid,
            1,
            accounts[aid],
            "facebook",
            kind,
            f"https://example.test/{pid}",
            text or "",
            None if us is None else EPOCH + timedelta(microseconds=us),
            extra=json.loads(extra) if extra else {},
        )
        for pid, aid, kind, text, us, extra in rows
    ]


def _settle() -> None:
    """After start-up: move every object built so far (roster, automata, model, config) out of
    the garbage collector's sight, so its full collections do not walk them again and again
    while the batch loop allocates (worth ~3 µs a post here); the audit flow can do the same."""
    gc.collect()
    gc.freeze()


def run(base: Path, db_path: Path, pack: str, batch_size: int, per_check: bool) -> dict[str, Any]:
    import duckdb
    import pandas as pd

    from flows.district import load_district
    from rules.base import CheckContext, Target
    from rules.engine import RuleSet

    config = load_district(base)
    config.district = config.district.model_copy(update={"policy": pack})
    ruleset = RuleSet.for_district(config)
    timings: defaultdict[str, float] = defaultdict(float)
    if per_check:
        _time_checks(ruleset, timings)
    ctx = CheckContext(config, datetime(2027, 6, 1, tzinfo=UTC))
    accounts = {a.id: a for a in config.accounts}
    # One-off start-up (roster automaton, lexicons, scikit-learn import for the classifier) is
    # paid here and reported apart from throughput.
    t = time.perf_counter()
    warm = [
        Target(
            post_id="warm",
            version=1,
            account=accounts[a],
            platform="facebook",
            kind="post",
            permalink="https://example.test/warm",
            text=text,
            published_at=None,
        )
        for a in ("emp0", "page0")
        for text in (
            "This fucking school board",
            "Emma Smith got an F on the final. idiot",
            "Official statement: the district announces",
        )
    ]
    ruleset.evaluate(warm, ctx)
    startup = time.perf_counter() - t
    timings.clear()
    _settle()
    con = duckdb.connect(str(db_path))
    con.execute("SET TimeZone='UTC'")
    reader = con.cursor()
    phases: defaultdict[str, float] = defaultdict(float)
    total = findings = 0
    started = time.perf_counter()
    result = reader.execute(SELECT_POSTS + " ORDER BY seq")
    while True:
        t0 = time.perf_counter()
        rows = result.fetchmany(batch_size)
        if not rows:
            break
        targets = to_targets(rows, accounts)
        t1 = time.perf_counter()
        drafts = ruleset.evaluate(targets, ctx)
        t2 = time.perf_counter()
        if drafts:
            frame = pd.DataFrame(
                {
                    "finding_id": [d.finding_id for d in drafts],
                    "post_id": [d.post_id for d in drafts],
                    "rule_id": [d.rule_id for d in drafts],
                    "check_name": [d.check_name for d in drafts],
                    "level": [d.level for d in drafts],
                    "severity": [d.severity for d in drafts],
                    "category": [d.category for d in drafts],
                    "summary": [d.summary for d in drafts],
                    "evidence_json": [json.dumps(d.evidence) for d in drafts],
                }
            )
            con.register("frame_view", frame)
            con.execute("INSERT INTO bench_findings SELECT * FROM frame_view")
        t3 = time.perf_counter()
        phases["read+targets"] += t1 - t0
        phases["rules"] += t2 - t1
        phases["store"] += t3 - t2
        total += len(rows)
        findings += len(drafts)
    elapsed = time.perf_counter() - started
    gc.unfreeze()  # give the objects back, so the interpreter can free them at exit
    stored = con.execute("SELECT count(*) FROM bench_findings").fetchone()
    by_check = dict(
        con.execute(
            "SELECT check_name, count(*) FROM bench_findings GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    con.close()
    return {
        "posts": total,
        "seconds": elapsed,
        "startup": startup,
        "findings": findings,
        "stored": stored[0] if stored else 0,
        "phases": dict(phases),
        "by_check": by_check,
        "check_seconds": dict(timings),
        "rules": len(ruleset.active),
    }


_STATE: dict[str, Any] = {}


def _init_worker(base: str, pack: str) -> None:
    """Per worker, before timing: config, rule set, and the one-off start-up costs."""
    from flows.district import load_district
    from rules.base import CheckContext, Target
    from rules.engine import RuleSet

    config = load_district(base)
    config.district = config.district.model_copy(update={"policy": pack})
    ruleset = RuleSet.for_district(config)
    ctx = CheckContext(config, datetime(2027, 6, 1, tzinfo=UTC))
    accounts = {a.id: a for a in config.accounts}
    ruleset.evaluate(
        [
            Target(
                "warm",
                1,
                accounts["emp0"],
                "facebook",
                "post",
                "u",
                "fucking idiot Emma Smith got an F",
                None,
            )
        ],
        ctx,
    )
    _settle()
    _STATE.update(ruleset=ruleset, ctx=ctx, accounts=accounts)


def _worker(job: tuple[str, int, int, int]) -> tuple[list[tuple[Any, ...]], float, int, float]:
    """Evaluate posts with seq in [lo, hi) read-only; return finding rows for the parent."""
    import duckdb

    db_path, lo, hi, batch_size = job
    ruleset, ctx, accounts = _STATE["ruleset"], _STATE["ctx"], _STATE["accounts"]
    con = duckdb.connect(db_path, read_only=True)
    con.execute("SET TimeZone='UTC'")
    result = con.execute(SELECT_POSTS + " WHERE seq >= ? AND seq < ? ORDER BY seq", [lo, hi])
    out: list[tuple[Any, ...]] = []
    started, total = time.perf_counter(), 0
    while rows := result.fetchmany(batch_size):
        targets = to_targets(rows, accounts)
        total += len(rows)
        out.extend(
            (
                d.finding_id,
                d.post_id,
                d.rule_id,
                d.check_name,
                d.level,
                d.severity,
                d.category,
                d.summary,
                json.dumps(d.evidence),
            )
            for d in ruleset.evaluate(targets, ctx)
        )
    con.close()
    elapsed = time.perf_counter() - started
    gc.unfreeze()
    return out, elapsed, total, _own_peak_mib()


def _own_peak_mib() -> float:
    """This process's peak resident memory. ru_maxrss of a spawned worker starts from its
    parent's at the fork before exec; the kernel's VmHWM is the worker's own."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_parallel(
    base: Path, db_path: Path, pack: str, batch_size: int, posts: int, workers: int
) -> dict[str, Any]:
    """Rows split by seq across worker processes; the parent stores every finding (DuckDB
    has one writer). Timed from dispatch to the last finding stored."""
    import multiprocessing

    import duckdb
    import pandas as pd

    step = -(-posts // workers)
    jobs = [
        (str(db_path), i * step, min(posts, (i + 1) * step), batch_size) for i in range(workers)
    ]
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(str(base), pack)) as pool:
        pool.map(_noop, range(workers), chunksize=1)  # wait for every initializer
        started = time.perf_counter()
        results = pool.map(_worker, jobs)
    rows = [r for part, _, _, _ in results for r in part]
    con = duckdb.connect(str(db_path))
    con.execute("DELETE FROM bench_findings")  # the single-process run's rows
    if rows:
        frame = pd.DataFrame(
            rows,
            columns=[
                "finding_id",
                "post_id",
                "rule_id",
                "check_name",
                "level",
                "severity",
                "category",
                "summary",
                "evidence_json",
            ],
        )
        con.register("frame_view", frame)
        con.execute("INSERT INTO bench_findings SELECT * FROM frame_view")
    stored = con.execute("SELECT count(*) FROM bench_findings").fetchone()
    con.close()
    elapsed = time.perf_counter() - started
    return {
        "posts": sum(n for _, _, n, _ in results),
        "seconds": elapsed,
        "findings": len(rows),
        "stored": stored[0] if stored else 0,
        "worker_peak_mib": max(peak for _, _, _, peak in results),  # each worker's own
    }


def _noop(_: int) -> None:
    return None


def _time_checks(ruleset: Any, timings: defaultdict[str, float]) -> None:
    """Wrap every check's `run` and `prepare` to add their time, per check (rules sharing a
    check share one instance, so it is wrapped once). Gating happens in the engine and is not
    counted here; the wrapping slows the run a little."""
    seen: set[int] = set()
    for bound in ruleset.rules:
        check = bound.check
        if id(check) in seen:
            continue
        seen.add(id(check))
        for method in ("run", "prepare"):
            original = getattr(check, method, None)
            if original is None:
                continue

            def timed(*args: Any, _call: Any = original, _name: str = check.name) -> Any:
                t = time.perf_counter()
                try:
                    return _call(*args)
                finally:
                    timings[_name] += time.perf_counter() - t

            object.__setattr__(check, method, timed)


_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b")


def presidio_compare(base: Path, db_path: Path, limit: int) -> dict[str, Any]:
    """Presidio's pattern recognizers vs our identifier detector on the first `limit` posts."""
    import duckdb
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from rules.detect import identifiers as ids
    from rules.detect.lexicons import fold

    # Presidio's e-mail recognizer validates domains with tldextract, which by default fetches the
    # public suffix list from the internet; use the snapshot bundled in the package instead.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # type: ignore[assignment]
    model_dir = base / "spacy-blank-en"
    spacy.blank("en").to_disk(model_dir)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": str(model_dir)}],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    analyzer.registry.remove_recognizer("SpacyRecognizer")  # NER: nothing with a blank pipeline
    entities = ["EMAIL_ADDRESS", "PHONE_NUMBER", "DATE_TIME"]
    con = duckdb.connect(str(db_path), read_only=True)
    texts = [
        r[0] or ""
        for r in con.execute(
            "SELECT text FROM bench_posts ORDER BY seq LIMIT ?", [limit]
        ).fetchall()
    ]
    con.close()
    t = time.perf_counter()
    theirs = [
        {r.entity_type for r in analyzer.analyze(text=x, language="en", entities=entities)}
        for x in texts
    ]
    presidio_seconds = time.perf_counter() - t
    t = time.perf_counter()
    ours = []
    for x in texts:
        kinds = {term.label for term in ids.scan(fold(x))}
        found = set()
        if "id_email" in kinds:
            found.add("EMAIL_ADDRESS")
        if "id_phone" in kinds:
            found.add("PHONE_NUMBER")
        if "id_dob" in kinds or _DATE.search(x):
            found.add("DATE_TIME")
        ours.append(found)
    ours_seconds = time.perf_counter() - t
    agreement = {}
    for entity in entities:
        both = sum(1 for a, b in zip(ours, theirs, strict=True) if entity in a and entity in b)
        only_ours = sum(
            1 for a, b in zip(ours, theirs, strict=True) if entity in a and entity not in b
        )
        only_theirs = sum(
            1 for a, b in zip(ours, theirs, strict=True) if entity not in a and entity in b
        )
        agreement[entity] = (both, only_ours, only_theirs)
    examples = [texts[i] for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b][:3]
    return {
        "posts": len(texts),
        "presidio_seconds": presidio_seconds,
        "ours_seconds": ours_seconds,
        "agreement": agreement,
        "examples": examples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--students", type=int, default=5_000)
    parser.add_argument("--pack", default="west-fargo-debh-ap")
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the district and DuckDB file here (default: a temp folder)",
    )
    parser.add_argument("--presidio", action="store_true")
    parser.add_argument("--presidio-posts", type=int, default=10_000)
    parser.add_argument("--per-check", action="store_true", help="time each rule (slower)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="also measure with this many processes (rows split by seq)",
    )
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="hallmonitor-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    base, db_path = work / "district", work / "bench.duckdb"
    if args.generate_only:
        generate(base, db_path, args.posts, args.students, args.seed)
        return 0
    if db_path.exists():
        db_path.unlink()
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--generate-only",
            "--posts",
            str(args.posts),
            "--students",
            str(args.students),
            "--seed",
            str(args.seed),
            "--workdir",
            str(work),
        ],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    print(
        f"generated {args.posts:,} posts, {args.students:,} students in "
        f"{time.perf_counter() - t:.1f} s -> {db_path}"
    )
    out = run(base, db_path, args.pack, args.batch, args.per_check)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = out["posts"] / out["seconds"]
    print(
        f"pack {args.pack}: {out['rules']} active rules, {out['posts']:,} posts in "
        f"{out['seconds']:.1f} s = {rate:,.0f} posts/s end to end (DuckDB rows -> findings stored)"
    )
    print(f"start-up (once per run): {out['startup']:.1f} s")
    print("time split: " + ", ".join(f"{k} {v:.1f} s" for k, v in out["phases"].items()))
    print(
        f"findings: {out['findings']:,} ({out['stored']:,} rows stored) "
        + ", ".join(f"{k} {v:,}" for k, v in out["by_check"].items())
    )
    print(f"peak memory (ru_maxrss): {peak_mib:,.0f} MiB")
    if args.workers > 1:
        par = run_parallel(base, db_path, args.pack, args.batch, args.posts, args.workers)
        print(
            f"with {args.workers} worker processes: {par['posts']:,} posts in "
            f"{par['seconds']:.1f} s = {par['posts'] / par['seconds']:,.0f} posts/s end to end; "
            f"{par['stored']:,} finding rows stored; peak memory per worker "
            f"{par['worker_peak_mib']:,.0f} MiB (sum over workers and parent < "
            f"{peak_mib + args.workers * par['worker_peak_mib']:,.0f} MiB)"
        )
    if out["check_seconds"]:
        for rule, seconds in sorted(out["check_seconds"].items(), key=lambda kv: -kv[1]):
            print(f"  {rule:45s} {seconds:7.2f} s")
    if args.presidio:
        cmp = presidio_compare(work, db_path, args.presidio_posts)
        n = cmp["posts"]
        print(
            f"presidio (pattern recognizers, blank spaCy): {n:,} posts in "
            f"{cmp['presidio_seconds']:.1f} s = {n / cmp['presidio_seconds']:,.0f} posts/s; "
            f"ours (identifier scan) {n / cmp['ours_seconds']:,.0f} posts/s"
        )
        for entity, (both, only_ours, only_theirs) in cmp["agreement"].items():
            print(
                f"  {entity:14s} both {both:5d}  only ours {only_ours:5d}  only presidio "
                f"{only_theirs:5d}"
            )
        for example in cmp["examples"]:
            print(f"  differs: {example!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
