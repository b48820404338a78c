"""What the soak asserts at the end (``evaluate``), and the figures it reports.

Each expectation is recorded with a clear message whether it holds or not, so one run shows every
shortfall at once (a missing feature shows up as a failing expectation, never as a skip)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

FAULTS = ("iris_outage", "api_5xx", "source_gap", "late_revision", "dbt_build_killed", "unregistered", "stalled_write")
# Failing jobs the soak does not inject, with the reason they fail anyway (listed, not hidden).
KNOWN_NOISE = {
    "export-sheets": "no Google account in the soak: the exporter's key file does not exist",
    "dbt-freshness": "the simulated IRIS client receives 6 datasets, so the other datasets' raw *_iris "
    "sources stay empty and dbt source freshness errors on them",
}


# Marts that list problems (empty on a day without any), left out of the every-day check.
PROBLEM_LISTS = {"rpt_settlement_period_gaps"}


def snake(name: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def norm(value: Any) -> Any:
    """One comparable form for a key value from the store (JSON) or from DuckDB."""
    if isinstance(value, datetime):
        v = value if value.tzinfo else value.replace(tzinfo=UTC)
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, str):
        if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return norm(ts)
        if re.match(r"^-?\d+$", value):
            return int(value)
        return value.lower() if value in ("bid", "offer", "Bid", "Offer", "BID", "OFFER") else value
    return value


def store_keys(store: Path, dataset, first_day: date | None = None) -> Counter:
    """Natural keys of every row the replay API serves for ``dataset`` (its final store), from the
    store days on or after ``first_day``."""
    keys: Counter = Counter()
    folders = [(store / dataset.name / v, v) for v in dataset.variants] or [(store / dataset.name, None)]
    for folder, variant in folders:
        for path in sorted(folder.glob("*.ndjson")):
            if first_day and path.stem != "snapshot" and date.fromisoformat(path.stem) < first_day:
                continue
            for line in path.read_text().splitlines():
                if not line.strip():
                    continue
                row = json.loads(line)
                if variant and dataset.variant_column:
                    row.setdefault(dataset.variant_column, variant)
                keys[tuple(norm(row.get(c)) for c in dataset.natural_key)] += 1
    return keys


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def relation_exists(db: Path, schema: str, name: str) -> bool:
    return bool(
        query(db, "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, name])
    )


def evaluate(soak) -> None:
    from loaders.registry import DATASETS

    r = soak.result
    plan = soak.plan
    db = Path(soak.settings["GBPOWER_DUCKDB"])
    figures: dict[str, Any] = {"simulated_days": plan.days, "wall_s": r.wall_s}

    # -- 1. every record served is in the unified views exactly once --------------------------------
    served = landed = 0
    per_dataset: dict[str, dict] = {}
    problems = []
    for d in DATASETS.values():
        view = f"{d.raw_table}_unified"
        if not d.natural_key or not relation_exists(db, "analytics", view):
            continue
        # the simulated days (the history before them was loaded by the first catch-up, before any
        # build, and is older than the incremental models' lookback: it never reaches them)
        want = store_keys(soak.store, d, plan.first_day)
        everything = store_keys(soak.store, d)
        cols = ", ".join(snake(c) for c in d.natural_key)
        try:
            rows = query(db, f"SELECT {cols} FROM analytics.{view}")
        except duckdb.Error as exc:
            problems.append(f"{view}: {exc}")
            continue
        have = Counter(tuple(norm(v) for v in row) for row in rows)
        doubled = sum(1 for n in have.values() if n > 1)
        missing = len(set(want) - set(have))
        extra = len(set(have) - set(everything))
        landed_n = sum(n for k, n in have.items() if k in want)
        served += len(want)  # distinct natural keys (a store row repeating a key is one record)
        landed += landed_n
        per_dataset[d.name] = {"served": len(want), "landed": landed_n, "missing": missing}
        if doubled or missing or extra:
            sample = sorted(set(want) - set(have))[:2] or sorted(set(have) - set(everything))[:2]
            problems.append(f"{view}: {missing} missing, {extra} not served, {doubled} doubled (e.g. {sample})")
    iris_sent = dict(soak.client.sent)
    iris_landed = {}
    for name, n in sorted(iris_sent.items()):
        table = DATASETS[name].iris_table
        iris_landed[name] = query(db, f"SELECT count(*) FROM raw.{table}")[0][0]
        if iris_landed[name] != n:
            problems.append(f"raw.{table}: {iris_landed[name]} rows, {n} IRIS records written by the client")
    figures.update(
        records_served=served,
        records_landed=landed,
        iris_records_sent=sum(iris_sent.values()),
        iris_records_landed_raw=sum(iris_landed.values()),
        iris_files=soak.client.files,
        per_dataset=per_dataset,
    )
    r.expect(
        "every record served is in the unified views exactly once",
        not problems and served > 0,
        "; ".join(problems)
        if problems
        else f"{served} API records in {len(per_dataset)} unified views, "
        f"{sum(iris_sent.values())} IRIS records in raw IRIS tables",
    )

    # -- 2. the late revision of system prices wins --------------------------------------------------
    rev_day = plan.first_day + timedelta(days=plan.revision[0])
    if soak.revised:
        rows = query(
            db,
            "SELECT settlement_period, system_sell_price, system_buy_price FROM analytics.bmrs_costs "
            "WHERE settlement_date = ?",
            [rev_day],
        )
        got = {int(p): (float(s), float(b)) for p, s, b in rows}
        wrong = [p for p, v in soak.revised.items() if got.get(p) != tuple(v)]
        r.expect(
            "a late revision of system prices ends in bmrs_costs",
            not wrong,
            f"{len(soak.revised) - len(wrong)}/{len(soak.revised)} periods of {rev_day} carry the re-published prices"
            + (f"; old or missing: periods {wrong[:8]}" if wrong else ""),
        )

    # -- 3. the marts are complete except the declared source gap ------------------------------------
    _marts_complete(soak, db, r)

    # -- 4. every fault reported within one schedule cycle -------------------------------------------
    reported = _faults(soak, r)
    figures["faults_injected"] = len(reported)
    figures["faults_reported"] = sum(1 for v in reported.values() if v is not None)
    figures["alert_latency_cycles"] = reported

    # -- 5. nothing valid in quarantine; unregistered messages kept ----------------------------------
    _quarantine(soak, db, r)

    # -- jobs: what failed that we did not break on purpose --------------------------------------------
    failures = Counter(x.job for x in r.runs if x.rc != 0)
    figures["job_runs"] = Counter(x.job for x in r.runs)
    figures["job_failures"] = dict(failures)
    figures["job_seconds"] = {
        j: round(sum(x.seconds for x in r.runs if x.job == j), 1) for j in sorted({x.job for x in r.runs})
    }
    injected = {"dbt-build": 1 if soak.killed_build else 0, "api-catch-up": 1}
    unexplained = {j: n for j, n in failures.items() if j not in KNOWN_NOISE and n > injected.get(j, 0)}
    r.expect(
        "no job failed other than through an injected fault",
        not unexplained,
        f"unexplained failures {unexplained}"
        if unexplained
        else "only injected faults failed jobs"
        + (
            " (plus known noise: "
            + ", ".join(f"{j} x{failures[j]}: {why}" for j, why in KNOWN_NOISE.items() if failures.get(j))
            + ")"
            if any(failures.get(j) for j in KNOWN_NOISE)
            else ""
        ),
    )
    figures["alerts_received"] = len(r.alerts)
    r.figures = figures


def _marts_complete(soak, db: Path, r) -> None:
    from loaders.settlement import periods_in_day

    plan = soak.plan
    target = Path(soak.settings["DBT_TARGET_PATH"])
    last_build = [x for x in r.runs if x.job == "dbt-build"]
    ok_build = bool(last_build) and last_build[-1].rc == 0
    results = json.loads((target / "run_results.json").read_text())["results"] if ok_build else []
    bad = [x["unique_id"] for x in results if x["status"] in ("error", "fail", "runtime error")]
    warned = [x["unique_id"] for x in results if x["status"] == "warn"]
    gap_name = plan.source_gap[0].lower()
    other_warn = [u for u in warned if gap_name not in u.lower()]
    r.expect(
        "the last dbt build succeeded with no failing test",
        ok_build and not bad,
        f"last build rc={last_build[-1].rc if last_build else None}; failed: {bad[:6]}"
        if not (ok_build and not bad)
        else f"{len(results)} nodes ok; warnings: {warned[:6]}",
    )
    r.expect(
        "dbt warns only about the declared source gap",
        ok_build and not other_warn,
        f"warnings not about {plan.source_gap[0]}: {other_warn[:6]}" if other_warn else f"warnings: {warned[:6]}",
    )
    # every settlement period of every simulated day has a system price
    days = [plan.first_day + timedelta(days=i) for i in range(plan.days)]
    rows = query(
        db,
        "SELECT settlement_date, count(DISTINCT settlement_period) FROM analytics.bmrs_costs "
        "WHERE settlement_date BETWEEN ? AND ? GROUP BY 1",
        [days[0], days[-1]],
    )
    have = {d if isinstance(d, date) else date.fromisoformat(str(d)): n for d, n in rows}
    short = [f"{d}: {have.get(d, 0)}/{periods_in_day(d)}" for d in days if have.get(d, 0) != periods_in_day(d)]
    r.expect(
        "bmrs_costs has every settlement period of every simulated day",
        not short,
        f"short days: {short[:6]}" if short else f"{len(days)} days complete",
    )
    # every mart with a settlement date has rows for every simulated day
    marts = [
        p.stem
        for p in (Path(__file__).resolve().parents[2] / "models" / "marts").rglob("*.sql")
        if p.stem not in PROBLEM_LISTS
    ]
    empty_days = {}
    for m in marts:
        cols = {
            c
            for (c,) in query(
                db,
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'analytics' AND table_name = ?",
                [m],
            )
        }
        if "settlement_date" not in cols:
            continue
        got = {
            d if isinstance(d, date) else date.fromisoformat(str(d))
            for (d,) in query(
                db,
                f"SELECT DISTINCT settlement_date FROM analytics.{m} WHERE settlement_date BETWEEN ? AND ?",
                [days[0], days[-1]],
            )
        }
        missing = [d.isoformat() for d in days if d not in got]
        if missing:
            empty_days[m] = missing[:5]
    r.expect(
        "every mart with a settlement date has rows for every simulated day",
        not empty_days,
        f"days with no rows: {empty_days}" if empty_days else "all marts cover all days",
    )


def _first(alerts, since: int, *needles: str, kind: str = "NEW") -> tuple[int, str] | None:
    for tick, line in alerts:
        if tick >= since and line.startswith(kind) and all(n.lower() in line.lower() for n in needles):
            return tick, line
    return None


def _health_check(soak, tick: int, check: str, needle: str = "", quiet=("ok", "info")) -> dict | None:
    """The first ``check`` of the health report at ``tick`` whose status is not in ``quiet`` and
    whose subject or message names ``needle``."""
    for rep in soak.result.health:
        if rep.get("tick") != tick:
            continue
        for c in rep.get("checks", []):
            text = f"{c.get('subject')} {c.get('message')}"
            if c.get("check") == check and c.get("status") not in quiet and needle.lower() in text.lower():
                return c
    return None


def _faults(soak, r) -> dict[str, int | None]:
    """Fault -> latency in schedule cycles (ticks) until it was reported, None if never."""
    from loaders.settlement import day_bounds

    plan = soak.plan
    alerts = r.alerts
    out: dict[str, int | None] = {}

    def record(name: str, injected: int, found: tuple[int, str] | None, how: str) -> None:
        latency = None if found is None else found[0] - injected
        out[name] = latency
        ok = latency is not None and 0 <= latency <= 1
        detail = f"injected at tick {injected}; " + (
            f"reported at tick {found[0]} ({how}): {found[1][:160]}" if found else f"never reported ({how})"
        )
        r.expect(f"fault reported within one cycle: {name}", ok, detail)

    # IRIS outage: no client files from tick o0 on
    o0 = plan.iris_outage[0]
    record("iris_outage", o0, _first(alerts, o0, "iris"), "an alert naming IRIS")
    # API 5xx spell
    a = plan.api_fault_tick
    record("api_5xx", a, _first(alerts, a, "job api-catch-up"), "job api-catch-up alert")
    rec = _first(alerts, a + 1, "api-catch-up", kind="RECOVERED")
    r.expect("API 5xx spell: the catch-up recovered", rec is not None, f"recovery alert: {rec}")
    # dbt build killed
    k = plan.kill_build_tick
    killed = soak.killed_build or {}
    r.expect(
        "a dbt build was killed with SIGKILL half-way",
        bool(killed.get("pid")) and killed.get("rc") not in (0, None) and killed.get("progress") != "no node",
        f"killed build: {killed}",
    )
    record("dbt_build_killed", k, _first(alerts, k, "job dbt-build"), "job dbt-build alert")
    later = [x for x in r.runs if x.job == "dbt-build" and x.tick > k]
    recovered = _first(alerts, k + 1, "dbt-build", kind="RECOVERED")
    r.expect(
        "the next dbt build after the kill recovered",
        bool(later) and later[0].rc == 0 and recovered is not None,
        f"next build: {later[0] if later else None}; recovery alert: {recovered}",
    )
    # source gap: reported once its periods are due, and as a *source* gap
    name, day_n, _p0, p1 = plan.source_gap
    gap_day = plan.first_day + timedelta(days=day_n)
    start, _ = day_bounds(gap_day)
    due_tick = plan.tick_of(start + timedelta(minutes=30 * p1) + timedelta(hours=1))
    found = _first(alerts, due_tick, "gaps", name)
    record("source_gap", due_tick, found, f"a health gaps alert naming {name}")
    text = found[1].lower() if found else ""
    r.expect(
        "the source gap is reported as a source gap, not an ingestion gap",
        "source" in text and "ingestion" not in text,
        f"alert: {found[1][:200] if found else None}",
    )
    # late revision: a data fault, checked in the marts (expectation 2); counted as injected
    out["late_revision"] = 0 if soak.revised else None
    # unregistered dataset: kept, and health says so at that tick
    u = plan.unregistered_ticks[0]
    c = _health_check(soak, u, "iris kept", getattr(soak.client, "unregistered", None) or "?")
    record("unregistered", u, (u, c["message"]) if c else _first(alerts, u, "iris kept"), "health 'iris kept' check")
    # stalled client write: quarantined in that pass, health shows it, later taken back
    s = plan.stall_tick
    c = _health_check(soak, s, "quarantine", "FREQ", quiet=("ok",))  # a few items are information
    record("stalled_write", s, (s, c["message"]) if c else _first(alerts, s, "quarantine"), "health 'quarantine' check")
    return out


def _quarantine(soak, db: Path, r) -> None:
    iris_q = soak.iris_dir / "quarantine"
    left = [p for p in iris_q.rglob("*") if p.is_file() and not p.name.endswith(".reason")] if iris_q.exists() else []
    q = Path(soak.settings["GBPOWER_QUARANTINE_DIR"])
    left += [p for p in q.rglob("*") if p.is_file()] if q.exists() else []
    r.expect(
        "nothing sits in quarantine",
        not left,
        f"quarantined: {[str(p) for p in left[:5]]}" if left else "IRIS and loader quarantine empty",
    )
    stalled = getattr(soak, "stalled_path", None)
    if stalled is not None:
        processed = soak.iris_dir / "processed" / stalled.parent.name / stalled.name
        r.expect("the stalled client write was loaded once it completed", processed.exists(), f"{processed}")
    written = getattr(soak, "unregistered_written", 0)
    name = getattr(soak.client, "unregistered", None)
    kept = (
        query(db, "SELECT count(*) FROM raw.iris_kept_messages WHERE dataset = ?", [name])[0][0]
        if name and relation_exists(db, "raw", "iris_kept_messages")
        else None
    )
    r.expect(
        "messages of an unregistered dataset are kept, not quarantined",
        kept == written and written > 0,
        f"{written} {name} messages written, {kept} kept in raw.iris_kept_messages",
    )
