"""One docs-site page per dataset, generated from its entry in ``loaders/datasets/``.

Each page is a dbt doc block ``dataset_<code>`` (``models/docs/datasets/<code>.md``): what the
dataset is, its route, key, versions and raw tables, its cadence (the policy: how it is kept
current, freshness, completeness), its tests, known quirks, and its path raw → staging → unified →
marts → Google Sheets tabs. The sources, staging and unified models embed it with
``{{ doc('dataset_<code>') }}``. The marts are found by scanning ``models/**/*.sql`` for ``ref()``
(downstream of the dataset's staging/unified models, transitively) and the tabs from
``config/sheets.yml``, so a page goes out of date (and ``gen_staging --check`` fails) when a mart
or a tab starts or stops reading the dataset.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from loaders.datasets import home
from loaders.datasets.spec import Dataset, Freshness, TimeParams
from loaders.sheets.config import load_config

_REF = re.compile(r"""\bref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)""")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\(.*?%\}(.*?)\{%-?\s*endmacro", re.S)


def without_jinja_comments(sql: str) -> str:
    return _JINJA_COMMENT.sub("", sql)


def macros_that_ref(root: Path) -> dict[str, str]:
    """{name: body} of the project's macros whose body calls ``ref()`` (e.g. ``reconciliation_acceptances``
    in macros/acceptances/reconciliation.sql): a model that calls one reads those models too."""
    bodies = {}
    for path in sorted((root / "macros").rglob("*.sql")):
        for m in _MACRO.finditer(without_jinja_comments(path.read_text())):
            if "ref(" in m.group(2):
                bodies[m.group(1)] = m.group(2)
    return bodies


def model_refs(sql: str, macros: dict[str, str]) -> list[str]:
    """The models ``sql`` reads: its own literal ``ref()`` calls, then those of the macros it calls."""
    sql = without_jinja_comments(sql)
    found = _REF.findall(sql)
    for name, body in macros.items():
        if re.search(rf"\b{name}\(", sql):
            found += _REF.findall(body)
    return list(dict.fromkeys(found))


UPKEEP_TEXT = {
    "iris": "the IRIS stream (real time)",
    "api_catchup": "the API catch-up (re-polls recent days: IRIS messages expire after 3 days)",
    "api_revisions": "API revisions (the last {revision_days} days are re-loaded regularly: Elexon revises them)",
    "api_snapshot": "API snapshots (the whole current list is re-fetched regularly)",
}

TIME_PARAMS_TEXT = {
    TimeParams.FROM_TO: "`from`/`to` on {window}",
    TimeParams.SETTLEMENT_RANGE: "`from`/`to` settlement dates with periods 1..50",
    TimeParams.PUBLISH: "`publishDateTimeFrom`/`publishDateTimeTo`",
    TimeParams.MEASUREMENT: "`measurementDateTimeFrom`/`measurementDateTimeTo`",
    TimeParams.SUBMISSION: "`submissionDateTimeFrom`/`submissionDateTimeTo`",
    TimeParams.SETTLEMENT_DATE_RANGE: "`settlementDateFrom`/`settlementDateTo` with periods 1..50",
    TimeParams.SETTLEMENT_DATE_PATH: "one settlement date per request (in the path)",
    TimeParams.SETTLEMENT_PERIOD_PATH: (
        "one settlement period per request (date and period in the path; the day's 46/48/50 periods "
        "from the settlement calendar; a 404 is recorded as no such period)"
    ),
    TimeParams.SNAPSHOT: "no time window (the current list)",
}


def block(dataset: Dataset) -> str:
    return f"dataset_{dataset.name.lower()}"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _code(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{_snake(n)}`" for n in names) or "none"


def human(limit: timedelta) -> str:
    for unit, size in (("days", timedelta(days=1)), ("h", timedelta(hours=1)), ("min", timedelta(minutes=1))):
        if limit % size == timedelta(0) and (unit != "days" or limit >= timedelta(days=2)):
            return f"{limit // size} {unit}"
    return str(limit)


def _freshness(f: Freshness) -> str:
    return f"warn after {human(f.warn_after)}, error after {human(f.error_after)}"


@dataclass(frozen=True)
class Lineage:
    """Which models read which (``ref``), and which Sheets tabs read which models."""

    readers: dict[str, list[str]]  # model -> models that ref it
    marts: frozenset[str]  # models under models/marts/
    tabs: dict[str, list[str]]  # model -> tabs (config/sheets.yml) that read it

    @classmethod
    def scan(cls, root: Path) -> Lineage:
        readers: dict[str, list[str]] = {}
        marts = set()
        macros = macros_that_ref(root)
        for path in sorted((root / "models").rglob("*.sql")):
            for ref in model_refs(path.read_text(), macros):
                readers.setdefault(ref, []).append(path.stem)
            if "marts" in path.relative_to(root / "models").parts[:1]:
                marts.add(path.stem)
        tabs: dict[str, list[str]] = {}
        for tab in load_config(root / "config" / "sheets.yml").tabs:
            for ref in dict.fromkeys(_REF.findall(tab.sql)):
                tabs.setdefault(ref, []).append(tab.tab)
        return cls(readers, frozenset(marts), tabs)

    def downstream(self, start: list[str]) -> list[str]:
        """Every model reading ``start`` models, directly or not, nearest first."""
        seen, out, queue = set(start), [], deque(start)
        while queue:
            for reader in sorted(self.readers.get(queue.popleft(), [])):
                if reader not in seen:
                    seen.add(reader)
                    out.append(reader)
                    queue.append(reader)
        return out

    def tabs_of(self, models: list[str]) -> list[str]:
        return list(dict.fromkeys(t for m in models for t in self.tabs.get(m, [])))


def path_lines(dataset: Dataset, lineage: Lineage) -> list[str]:
    staging = ["stg_bmrs__" + t.removeprefix("bmrs_") for t in dataset.tables]
    unified = [f"bmrs_{dataset.raw_table.removeprefix('bmrs_')}_unified"]
    later = lineage.downstream(staging + unified)
    marts = [m for m in later if m in lineage.marts]
    tabs = lineage.tabs_of([*staging, *unified, *later])
    raw = ", ".join(f"`raw.{t}` ({'IRIS' if t.endswith('_iris') and dataset.iris else 'API'})" for t in dataset.tables)
    lines = [f"- raw: {raw}", f"- staging: {', '.join(f'`{s}`' for s in staging)}"]
    if unified:
        lines.append(f"- unified: `{unified[0]}`")
    lines.append(f"- marts: {', '.join(f'`{m}`' for m in marts) or 'none yet'}")
    lines.append(f"- Google Sheets tabs: {', '.join(f'“{t}”' for t in tabs) or 'none yet'}")
    return lines


def _layout(d: Dataset) -> str:
    parts = [
        f"raw tables partitioned by day on {_code([d.partition_column])}" if d.partition_column else "not partitioned"
    ]
    if d.bm_unit_column:
        parts.append(f"clustered by {_code([d.bm_unit_column])}")
    return ", ".join(parts)


def page(dataset: Dataset, lineage: Lineage) -> str:
    d, p = dataset, dataset.policy
    window = TIME_PARAMS_TEXT[d.time_params].format(window=f"`{d.window_column}`")
    if d.max_window and d.time_params not in (
        TimeParams.SNAPSHOT,
        TimeParams.SETTLEMENT_DATE_PATH,
        TimeParams.SETTLEMENT_PERIOD_PATH,
    ):
        window += f", at most {human(d.max_window)} per request"
    if d.variants:
        window += f"; once per {d.variant_column} ({', '.join(d.variants)})"
    upkeep = "; ".join(UPKEEP_TEXT[u].format(revision_days=p.revision_days) for u in p.upkeep)
    fresh = f"API {_freshness(p.api_freshness)}"
    if p.iris_freshness:
        fresh += f"; IRIS {_freshness(p.iris_freshness)}"
    judged = f"`{d.freshness_column}`" if d.freshness_column else "the load time"
    fresh += f" (dbt: age of the newest `_ingested_at`; `gbpower health`: of the newest {judged}, or of the load"
    fresh += " time for data ahead of now)"
    if p.every_period:
        where = f"`{d.unified.completeness_model}`" if d.unified.completeness_model else "the unified view"
        complete = f"yes: dbt's settlement_period_completeness (on {where}) and `gbpower health`'s gap check"
    else:
        complete = "no (event-driven or not per period)"
    tests = [f"`{_snake(r.column)}` in [{r.min_value}, {r.max_value}] ({r.severity})" for r in d.accepted_ranges]
    if d.time_gaps:
        tests.append(f"a row every {d.time_gaps.interval_seconds} s on `{_snake(d.time_gaps.column)}` (warn)")
    versions = _code(d.version_columns)
    if d.unified.versions is not None:
        versions += f" (the unified view orders by {_code(d.unified.versions)})"
    rows = [
        ("Declared in", f'`{home(d.name)}` (`name="{d.name}"`)'),
        ("Route", f"`GET {d.route}` ({d.envelope.value} envelope); window: {window}"),
        ("Natural key", _code(d.natural_key)),
        ("Versions", versions),
        ("BigQuery layout", _layout(d)),
        ("Kept current by", upkeep),
        ("Freshness", fresh),
        ("Every settlement period", complete),
        ("Tests beyond the key", "; ".join(tests) or "none"),
    ]
    if d.aliases:
        rows.insert(1, ("Also known as", ", ".join(d.aliases)))
    out = [
        "<!-- Generated by `python -m loaders.dev.gen_staging` from the dataset's entry; do not edit by hand. -->",
        f"{{% docs {block(d)} %}}",
        f"**{d.name}** — {d.description}",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in rows),
        "",
        "Path:",
        "",
        *path_lines(d, lineage),
    ]
    if d.key_evidence:
        out += ["", f"Why this key: {d.key_evidence}"]
    if d.quirks:
        out += ["", "Known quirks:", "", *(f"- {q}" for q in d.quirks)]
    out += ["{% enddocs %}", ""]
    return "\n".join(out)
