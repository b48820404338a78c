"""What the soak asserts at the end (``evaluate``), and the figures it reports.

Each expectation is recorded with a clear message whether it holds or not, so one run shows every
shortfall at once (a missing feature shows up as a failing expectation, never as a skip)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from loaders.sheets.cells import LAYOUT_UPDATED_LABEL, UPDATED_LABEL

FAULTS = ("iris_outage", "api_5xx", "source_gap", "late_revision", "dbt_build_killed", "unregistered", "stalled_write")


# dbt source freshness errors the soak expects, each for a named reason (anything else is a failure):
# - raw IRIS tables of datasets the simulated IRIS client does not receive (stale_by_design)
# - every source at tick 0 (a fresh server: the first catch-up has not loaded anything yet)
# - the IRIS tables the client feeds, while the injected IRIS outage lasts
def stale_by_design() -> set[str]:
    """raw.<table> of every registry dataset on IRIS that the simulated client does not feed."""
    from loaders.registry import DATASETS
    from tests.soak.harness import IRIS_FEED

    return {f"raw.{d.iris_table}" for d in DATASETS.values() if d.iris and d.name not in IRIS_FEED}


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

    # -- 1. every record served is in the unified views exactly once, with its latest values --------
    served = landed = 0
    per_dataset: dict[str, dict] = {}
    problems: list[str] = []
    value_checked = 0
    for d in DATASETS.values():
        view = f"{d.raw_table}_unified"
        if not d.natural_key or not relation_exists(db, "analytics", view):
            continue
        u = _unified_check(soak, db, d, view)
        if u.get("error"):
            problems.append(u["error"])
            continue
        served += u["served"]
        landed += u["landed"]
        value_checked += u["values_checked"]
        per_dataset[d.name] = {k: u[k] for k in ("served", "iris_served", "landed", "missing", "wrong_values")}
        problems += u["problems"]
    iris_sent = dict(soak.client.sent)
    iris_landed = {}
    raw_problems = []
    for name, n in sorted(iris_sent.items()):
        table = DATASETS[name].iris_table
        iris_landed[name] = query(db, f"SELECT count(*) FROM raw.{table}")[0][0]
        if iris_landed[name] != n:
            raw_problems.append(f"raw.{table}: {iris_landed[name]} rows, {n} IRIS records written by the client")
    figures.update(
        records_served=served,
        records_landed=landed,
        records_value_checked=value_checked,
        iris_records_sent=sum(iris_sent.values()),
        iris_records_landed_raw=sum(iris_landed.values()),
        iris_files=soak.client.files,
        per_dataset=per_dataset,
    )
    r.expect(
        "every record served is in the unified views exactly once",
        not problems and served > 0,
        "; ".join(problems[:12])
        if problems
        else f"{served} records (API and IRIS) in {len(per_dataset)} unified views, each once, "
        f"{value_checked} with every value equal to the latest version served",
    )
    r.expect(
        "every IRIS record the client wrote landed in the raw IRIS tables",
        not raw_problems and sum(iris_sent.values()) > 0,
        "; ".join(raw_problems) if raw_problems else f"{sum(iris_sent.values())} IRIS records in raw IRIS tables",
    )

    # -- 1b. a window loaded before it was final is fetched again, and ends with the final data ----
    _early_loads(soak, db, r, figures)

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
    # dbt source freshness fails whenever a source is stale: explained only if every stale source
    # was expected (see stale_by_design)
    fresh_runs = _freshness_runs(soak)
    unexpected_stale = {k: sorted(v - _expected_stale(soak, k)) for k, v in fresh_runs.items()}
    unexpected_stale = {k: v for k, v in unexpected_stale.items() if v}
    figures["freshness_stale"] = {k: len(v) for k, v in fresh_runs.items()}
    injected["dbt-freshness"] = sum(1 for k, v in fresh_runs.items() if v and k not in unexpected_stale)
    unexplained = {j: n for j, n in failures.items() if n > injected.get(j, 0)}
    explained = [f"{j} x{min(n, injected[j])}" for j, n in failures.items() if injected.get(j)]
    r.expect(
        "no job failed other than through an injected fault",
        not unexplained,
        f"unexplained failures {unexplained}; the first said:\n{_first_words(r.runs, unexplained)}"
        if unexplained
        else "only injected faults failed jobs: " + ", ".join(explained),
    )
    r.expect(
        "dbt source freshness is stale only where the soak says why",
        not unexpected_stale and bool(fresh_runs),
        f"unexpected stale sources by tick: {unexpected_stale}"
        if unexpected_stale
        else f"{len(fresh_runs)} freshness runs; stale by design (IRIS datasets the client does not feed): "
        f"{', '.join(sorted(stale_by_design()))}; every source at tick 0 (nothing loaded yet); the fed IRIS "
        f"tables during the IRIS outage",
    )
    _sheets(soak, r, figures)
    figures["alerts_received"] = len(r.alerts)
    if soak.left_behind is not None:  # (not known when re-evaluating a finished soak)
        r.expect(
            "no process of the soak is left running",
            not soak.left_behind,
            f"left running (now killed): {soak.left_behind[:5]}" if soak.left_behind else "none left",
        )
    r.figures = figures


def _unified_check(soak, db: Path, d, view: str) -> dict[str, Any]:
    """One dataset's unified view against what was served: the natural key of every record the API
    published for a simulated day by the last tick (the store, ``published_at``) and of every record
    IRIS delivered (its raw IRIS table) is in the view exactly once, and every column equals the
    latest version served (the store's row with the newest version columns; the store holds what
    Elexon publishes last)."""
    from tests.soak.harness import published_at

    versions = d.unified.versions or d.version_columns
    end = soak.plan.at(soak.plan.ticks - 1)  # the last catch-up fetched what was published by then
    latest: dict[tuple, dict] = {}  # key -> the newest store row
    tied: set[tuple] = set()  # keys whose newest versions disagree (no single latest version)
    want: set[tuple] = set()
    folders = [(soak.store / d.name / v, v) for v in d.variants] or [(soak.store / d.name, None)]
    for folder, variant in folders:
        for path in sorted(folder.glob("*.ndjson")):
            simulated = path.stem == "snapshot" or date.fromisoformat(path.stem) >= soak.plan.first_day
            for line in path.read_text().splitlines():
                if not line.strip():
                    continue
                row = json.loads(line)
                if variant and d.variant_column:
                    row.setdefault(d.variant_column, variant)
                key = tuple(norm(row.get(c)) for c in d.natural_key)
                published = published_at(row, d.window_column)
                if simulated and (published is None or published <= end):
                    want.add(key)
                old = latest.get(key)
                if old is None or _version(row, versions) > _version(old, versions):
                    latest[key] = row
                    tied.discard(key)
                elif _version(row, versions) == _version(old, versions) and row != old:
                    tied.add(key)
    iris_keys: set[tuple] = set()
    if d.iris and relation_exists(db, "raw", d.iris_table):
        cols = ", ".join(f'"{c}"' for c in d.natural_key)
        iris_keys = {
            tuple(norm(v) for v in row) for row in query(db, f"SELECT DISTINCT {cols} FROM raw.{d.iris_table}")
        }
    want |= iris_keys
    view_cols = {c for (c,) in query(db, _COLUMNS_SQL, [view])}
    key_cols = [_unified_column(d, c) for c in d.natural_key]
    value_fields = [
        c.name for c in d.columns if c.name not in d.natural_key and _unified_column(d, c.name) in view_cols
    ]
    select = ", ".join(key_cols + [_unified_column(d, c) for c in value_fields])
    try:
        rows = query(db, f"SELECT {select} FROM analytics.{view}")
    except duckdb.Error as exc:
        return {"error": f"{view}: {exc}"}
    nk = len(key_cols)
    have: Counter = Counter()
    values: dict[tuple, tuple] = {}
    for row in rows:
        key = tuple(norm(v) for v in row[:nk])
        have[key] += 1
        values[key] = row[nk:]
    doubled = sorted(k for k in want if have[k] > 1)
    missing = sorted(k for k in want if k not in have)
    extra = sorted(k for k in have if k not in latest)
    wrong: list[str] = []
    checked = 0
    for key in want:
        if key not in values or key not in latest or key in tied:
            continue
        checked += 1
        bad = [
            f"{f}={values[key][i]!r} (served {latest[key].get(f)!r})"
            for i, f in enumerate(value_fields)
            if not _same(latest[key].get(f), values[key][i])
        ]
        if bad:
            wrong.append(f"{key}: {', '.join(bad[:3])}")
    problems = []
    if missing or doubled or extra:
        problems.append(
            f"{view}: {len(missing)} served records missing, {len(doubled)} doubled, {len(extra)} never served"
            f" (e.g. {(missing or doubled or extra)[:2]})"
        )
    if wrong:
        problems.append(f"{view}: {len(wrong)} records differ from the latest version served (e.g. {wrong[:2]})")
    return {
        "served": len(want),
        "iris_served": len(iris_keys),
        "landed": sum(1 for k in want if have[k] == 1),
        "missing": len(missing),
        "wrong_values": len(wrong),
        "values_checked": checked,
        "problems": problems,
    }


_COLUMNS_SQL = "SELECT column_name FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = ?"


def _unified_column(d, field_name: str) -> str:
    return d.unified.renames.get(field_name) or snake(field_name)


def _version(row: dict, versions) -> tuple:
    return tuple((row.get(c) is not None, norm(row.get(c))) for c in versions)


def _same(served: Any, got: Any) -> bool:
    if isinstance(served, dict | list):  # nested JSON: kept as JSON text in the warehouse
        return served == (json.loads(got) if isinstance(got, str) else got)
    a, b = norm(served), norm(got)
    numbers = [v for v in (a, b) if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) == 2:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


_STALE = re.compile(r"ERROR[^\n]*? freshness of (raw\.\w+)")
_START = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z) run-job\[\d+\] dbt-freshness: start", re.M)


def _freshness_runs(soak) -> dict[int, set[str]]:
    """Tick -> the sources ``dbt source freshness`` judged stale (error), from the job's log."""
    log = soak.base / "server" / "logs" / "dbt-freshness.log"
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace")) if log.exists() else ""
    starts = list(_START.finditer(text))
    out: dict[int, set[str]] = {}
    for i, m in enumerate(starts):
        chunk = text[m.end() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        tick = soak.plan.tick_of(datetime.fromisoformat(m.group(1).replace("Z", "+00:00")))
        out[tick] = set(_STALE.findall(chunk))
    return out


def _expected_stale(soak, tick: int) -> set[str]:
    from loaders.registry import DATASETS
    from tests.soak.harness import IRIS_FEED

    if tick == 0:
        return {f"raw.{t}" for d in DATASETS.values() for t in d.tables}
    expected = stale_by_design()
    o0, o1 = soak.plan.iris_outage
    if o0 <= tick <= o1:
        expected |= {f"raw.{DATASETS[n].iris_table}" for n in IRIS_FEED}
    return expected


def _sheets(soak, r, figures: dict[str, Any]) -> None:
    """The export job pushed the shipped config's tabs to the (fake) Google Sheets API: no request
    Google would reject, every tab there, written at the last tick."""
    import yaml

    state = getattr(soak, "sheets_state", None)
    if state is None:
        r.expect("the Sheets export wrote every tab, with no request Google would reject", False, "no Sheets state")
        return
    config = yaml.safe_load(Path(soak.settings["GBPOWER_SHEETS_CONFIG"]).read_text())
    tabs = [t["tab"] for t in config["tabs"]]
    last_day = soak.plan.at(soak.plan.ticks - 1).date()
    problems = []
    rows = {}
    for title in tabs:
        grid = state["tabs"].get(title)
        if not grid:
            problems.append(f"{title}: missing or empty")
            continue
        # a table tab's "last updated (UTC)" row; a dashboard tab's "last updated (UK)" cells
        label = next((x for x in (UPDATED_LABEL, LAYOUT_UPDATED_LABEL) if any(row and x in row for row in grid)), None)
        if label is None:
            problems.append(f"{title}: no {UPDATED_LABEL!r} or {LAYOUT_UPDATED_LABEL!r} cell")
            continue
        at = next(i for i, row in enumerate(grid) if row and label in row)
        updated = _sheet_date(grid[at][grid[at].index(label) + 1])
        rows[title] = sum(1 for row in grid[at + 2 :] if any(v is not None for v in row))
        if updated != last_day:
            problems.append(f"{title}: last updated {updated}, not on the last simulated day {last_day}")
    if not rows.get("System prices today"):
        problems.append("System prices today: no data rows")
    figures["sheets"] = {"calls": state["calls"], "rows_per_tab": rows, "rejected_requests": len(state["errors"])}
    r.expect(
        "the Sheets export wrote every tab, with no request Google would reject",
        not problems and not state["errors"],
        "; ".join(problems + state["errors"][:5])
        if problems or state["errors"]
        else f"{len(tabs)} tabs written at the last tick ({state['calls']} API calls; rows per tab {rows})",
    )


def _sheet_date(value: Any) -> date | None:
    """The date of a Sheets date-time cell (a serial number of days since 1899-12-30)."""
    try:
        return date(1899, 12, 30) + timedelta(days=int(float(value)))
    except (TypeError, ValueError):
        return None


def _early_loads(soak, db: Path, r, figures: dict[str, Any]) -> None:
    """The replay serves only what was published by the simulated now, so a window fetched while
    its data were still coming in holds part of them. Every such window (recorded after each tick,
    ``Soak.record_early_loads``) must have been fetched again after it was final (its end plus the
    catch-up's settle time), and more rows must have arrived in some: its final values are then
    checked record by record by the unified-view check."""
    from loaders.catch_up import SETTLE

    last_fetch = soak.plan.at(soak.plan.ticks - 1).replace(tzinfo=None)
    final = {
        f"{ds}|{start.isoformat()}": (count, loaded, end)
        for ds, start, end, count, loaded in query(
            db, "SELECT dataset, window_start, window_end, row_count, loaded_at FROM raw.gbpower_windows"
        )
    }
    due = {k: e for k, e in soak.early_loads.items() if datetime.fromisoformat(e["window_end"]) + SETTLE <= last_fetch}
    stale = [k for k in due if k not in final or final[k][1] < final[k][2] + SETTLE]
    grew = [k for k in due if k in final and final[k][0] > due[k]["rows"]]
    shrank = [k for k in due if k in final and final[k][0] < due[k]["rows"]]
    figures["early_loads"] = {"windows": len(due), "refetched_when_final": len(due) - len(stale), "grew": len(grew)}
    sample = ", ".join(f"{k} {due[k]['rows']}->{final[k][0]} rows" for k in grew[:3])
    r.expect(
        "a window loaded before it was final is fetched again once final, with the rest of its data",
        bool(due) and bool(grew) and not stale and not shrank,
        f"{len(due)} windows loaded before final; {len(due) - len(stale)} fetched again once final "
        f"(not: {stale[:4]}); {len(grew)} gained rows (e.g. {sample})"
        + (f"; fewer rows at the end: {shrank[:4]}" if shrank else ""),
    )


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


def _first_words(runs: list, jobs: dict[str, int]) -> str:
    """What the first failed run of one of ``jobs`` said (the soak's log has every one, where it failed)."""
    for run in runs:
        if run.rc != 0 and run.job in jobs:
            return f"tick {run.tick} {run.job} rc={run.rc} after {run.seconds}s:\n{run.said[-3000:]}"
    return ""
