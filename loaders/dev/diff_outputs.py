"""Prove a refactor changes no output: build the same data with two versions of the project and diff
every table.

``python -m loaders.dev.diff_outputs [--base REV] [--data demo|bench]``

* ``--data demo`` (default): each version runs ``gbpower demo`` (its own loader and its own models)
  into its own DuckDB file, so the raw tables are compared too.
* ``--data bench``: ``--bench-days`` production-scale synthetic days (the bench's generator) are
  landed once with the working tree's loader; each version then runs ``dbt seed`` + ``dbt build`` of
  every model on its own copy of that warehouse.

The base version (default ``HEAD``) is checked out into a git worktree under ``--workdir``; its
warehouse is cached by commit, so comparing again after another edit only rebuilds the working tree.
Every relation of the ``raw`` and ``analytics`` schemas is compared as a multiset of rows
(``EXCEPT ALL`` both ways) over the columns both sides have (rows that differ only in the last bits of
a double — DuckDB's parallel sums are not bit-reproducible run to run — are paired and accepted within
1e-9 + 1e-12 × the value, and counted as such), leaving out load-time columns
(``_ingested_at``/``ingested_at``, ``_batch_id``/``batch_id`` and the window log's timestamps), which
differ between any two loads. Exit 0 when every relation is identical, 1 otherwise (the differing
relations and a few example rows are printed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ("raw", "analytics")
# Columns whose values depend on when and in which batch a row was loaded, not on the data.
VOLATILE_COLUMNS = frozenset(
    {"_ingested_at", "ingested_at", "_batch_id", "batch_id", "loaded_at", "started_at", "finished_at"}
)


FLOAT_TYPES = frozenset({"DOUBLE", "FLOAT", "REAL"})
FLOAT_ABS_TOLERANCE = 1e-9  # far below any unit we report (MWh to 6 dp, GBP to 2 dp)
FLOAT_REL_TOLERANCE = 1e-12  # a double carries ~16 significant digits
MAX_PAIRED_ROWS = 200_000


@dataclass
class RelationDiff:
    name: str
    base_rows: int = 0
    new_rows: int = 0
    only_base: int = 0
    only_new: int = 0
    columns_only_base: list[str] = field(default_factory=list)
    columns_only_new: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    float_noise: int = 0  # rows that differ only by float noise (parallel summation order)

    @property
    def identical(self) -> bool:
        return not (self.only_base or self.only_new or self.columns_only_base or self.columns_only_new)


@dataclass
class Report:
    missing: list[str] = field(default_factory=list)  # in base only
    added: list[str] = field(default_factory=list)  # in new only
    relations: list[RelationDiff] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.missing and all(r.identical for r in self.relations)


def _sort_key(row: tuple, floats: list[int]) -> tuple:
    return tuple(
        (v is None, round(v, 6) if i in floats and v is not None else (v if v is not None else 0))
        for i, v in enumerate(row)
    )


def _equal_within_tolerance(left: list[tuple], right: list[tuple], floats: list[int]) -> bool:
    """Rows equal but for float noise: DuckDB sums in parallel, so the last bits of a double depend on
    the order threads finish in, even for the same SQL on the same data. Pairs the rows in sorted order;
    every non-float value must be equal and every float within 1e-9 + 1e-12 × its magnitude."""
    for a, b in zip(
        sorted(left, key=lambda r: _sort_key(r, floats)),
        sorted(right, key=lambda r: _sort_key(r, floats)),
        strict=True,
    ):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if i in floats and x is not None and y is not None:
                if abs(x - y) > FLOAT_ABS_TOLERANCE + FLOAT_REL_TOLERANCE * max(abs(x), abs(y)):
                    return False
            elif x != y:
                return False
    return True


def _relations(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema in ('raw', 'analytics') order by table_schema, table_name, "
        "ordinal_position",
        [catalog],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        out.setdefault(f"{schema}.{table}", []).append((column, dtype))
    return out


def _expr(column: str, dtype: str) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    # JSON and nested values compare as their text; everything else as itself.
    if dtype.upper() in ("JSON",) or dtype.upper().startswith(("STRUCT", "MAP")) or dtype.endswith("[]"):
        return f"cast({quoted} as varchar) as {quoted}"
    return quoted


def compare(base_db: Path, new_db: Path, examples: int = 3) -> Report:
    """Compare every raw/analytics relation of two DuckDB files (rows as multisets)."""
    # dbt-duckdb's views name their catalog (the file's stem), so each file is attached under its stem.
    if base_db.stem == new_db.stem:
        raise ValueError(f"the two warehouse files need different names: {base_db}, {new_db}")
    con = duckdb.connect()
    try:
        con.execute(f"attach '{base_db}' as \"{base_db.stem}\" (read_only)")
        con.execute(f"attach '{new_db}' as \"{new_db.stem}\" (read_only)")
        base, new = _relations(con, base_db.stem), _relations(con, new_db.stem)
        report = Report(missing=sorted(set(base) - set(new)), added=sorted(set(new) - set(base)))
        for name in sorted(set(base) & set(new)):
            base_cols, new_cols = dict(base[name]), dict(new[name])
            diff = RelationDiff(
                name,
                columns_only_base=sorted(set(base_cols) - set(new_cols)),
                columns_only_new=sorted(set(new_cols) - set(base_cols)),
            )
            common = [c for c, _ in base[name] if c in new_cols and c not in VOLATILE_COLUMNS]
            if name == "raw.gbpower_windows":  # the window log: only which windows are done matters
                common = [c for c in common if not c.endswith(("_at", "_seconds", "rows"))]
            select = ", ".join(_expr(c, base_cols[c]) for c in common) or "1"
            b, n = f'"{base_db.stem}".{name}', f'"{new_db.stem}".{name}'
            diff.base_rows = con.execute(f"select count(*) from {b}").fetchone()[0]  # type: ignore[index]
            diff.new_rows = con.execute(f"select count(*) from {n}").fetchone()[0]  # type: ignore[index]
            only_base = f"select {select} from {b} except all select {select} from {n}"
            only_new = f"select {select} from {n} except all select {select} from {b}"
            diff.only_base = con.execute(f"select count(*) from ({only_base})").fetchone()[0]  # type: ignore[index]
            diff.only_new = con.execute(f"select count(*) from ({only_new})").fetchone()[0]  # type: ignore[index]
            if diff.only_base and diff.only_base == diff.only_new and diff.only_base <= MAX_PAIRED_ROWS:
                floats = [i for i, c in enumerate(common) if base_cols[c].upper() in FLOAT_TYPES]
                left, right = con.execute(only_base).fetchall(), con.execute(only_new).fetchall()
                if floats and _equal_within_tolerance(left, right, floats):
                    diff.float_noise = diff.only_base
                    diff.only_base = diff.only_new = 0
            for label, query, count in (("base", only_base, diff.only_base), ("new", only_new, diff.only_new)):
                if count:
                    for row in con.execute(f"{query} limit {examples}").fetchall():
                        diff.examples.append(f"only in {label}: {row}")
            report.relations.append(diff)
        return report
    finally:
        con.close()


def _run(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"failed (exit {proc.returncode}): {' '.join(cmd)} in {cwd}; see {log}")


def _env(tree: Path, db: Path, scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GBPOWER_HOME=str(tree),
        GBPOWER_DUCKDB=str(db),
        GBPOWER_WORK_DIR=str(scratch / "work"),
        GBPOWER_STATE_DIR=str(scratch / "state"),
        GBPOWER_QUARANTINE_DIR=str(scratch / "quarantine"),
        DBT_TARGET_PATH=str(scratch / "target"),
        DBT_LOG_PATH=str(scratch / "logs"),
        PYTHONPATH=str(tree),
    )
    env.pop("GBPOWER_TARGET", None)
    return env


def _worktree(rev: str, workdir: Path) -> tuple[Path, str]:
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    tree = workdir / f"tree-{sha[:12]}"
    if not (tree / "dbt_project.yml").exists():
        shutil.rmtree(tree, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=False)
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT, check=True)
    return tree, sha[:12]


def build_demo(tree: Path, db: Path, scratch: Path) -> None:
    """``gbpower demo`` of ``tree`` into ``db`` (each version loads with its own loader)."""
    scratch.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "loaders.cli", "demo", "--store", str(scratch / "store")]
    _run(cmd, tree, _env(tree, db, scratch), scratch / "build.log")


def land_bench(db: Path, scratch: Path, days: int) -> None:
    """Land ``days`` production-scale synthetic days with the working tree's loader."""
    from bench import dbt_build

    scratch.mkdir(parents=True, exist_ok=True)
    store = scratch / "store"
    dbt_build.DAYS[:] = dbt_build.DAYS[:days]
    dbt_build.build_store(store)
    dbt_build.land(db, store, scratch, dbt_build.DAYS[0], dbt_build.DAYS[-1], [*dbt_build.DATASETS, "BMUNITS"])


def build_models(tree: Path, db: Path, scratch: Path, as_of: str) -> None:
    env = _env(tree, db, scratch)
    for args in (["seed"], ["build", "--vars", f"{{as_of_date: '{as_of}'}}"]):
        _run([sys.executable, "-m", "loaders.cli", "dbt", *args], tree, env, scratch / "build.log")


def done(db: Path) -> Path:
    """Marker of a finished build (a file left by an interrupted build is rebuilt, not reused)."""
    return db.with_name(db.name + ".done")


def print_report(report: Report) -> None:
    for name in report.missing:
        print(f"MISSING  {name} (in the base only)")
    for name in report.added:
        print(f"added    {name} (new relation; not compared)")
    for r in report.relations:
        if r.identical:
            noise = f"; {r.float_noise:,} differ only in the last bits of a double (summation order)"
            print(f"same     {r.name} ({r.new_rows:,} rows{noise if r.float_noise else ''})")
            continue
        print(
            f"DIFFERS  {r.name}: base {r.base_rows:,} rows, new {r.new_rows:,}; only in base {r.only_base:,}, "
            f"only in new {r.only_new:,}"
        )
        if r.columns_only_base or r.columns_only_new:
            print(f"         columns only in base {r.columns_only_base}, only in new {r.columns_only_new}")
        for line in r.examples:
            print(f"         {line}")
    same = sum(r.identical for r in report.relations)
    verdict = "IDENTICAL" if report.identical else "DIFFERENT"
    print(f"\n{verdict}: {same} of {len(report.relations)} relations identical, {len(report.missing)} missing")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m loaders.dev.diff_outputs", description=__doc__.split("\n\n")[0])
    p.add_argument("--base", default="HEAD", help="git revision to compare against (default HEAD)")
    p.add_argument("--data", choices=("demo", "bench"), default="demo")
    p.add_argument("--bench-days", type=int, default=2, help="production days for --data bench (default 2)")
    p.add_argument("--workdir", type=Path, default=ROOT / ".gbpower" / "diff")
    p.add_argument("--rebuild-base", action="store_true", help="rebuild the base warehouse even if cached")
    p.add_argument("--compare-only", nargs=2, type=Path, metavar=("BASE_DB", "NEW_DB"), help="just diff two files")
    args = p.parse_args(argv)
    if args.compare_only:
        report = compare(*args.compare_only)
        print_report(report)
        return 0 if report.identical else 1
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    tree, sha = _worktree(args.base, workdir)
    base_db, new_db = workdir / f"{args.data}-{sha}.duckdb", workdir / f"{args.data}-working-tree.duckdb"
    if args.data == "demo":
        if args.rebuild_base or not done(base_db).exists():
            print(f"building the base ({sha}) demo warehouse …", flush=True)
            build_demo(tree, base_db, workdir / f"scratch-{sha}")
            done(base_db).touch()
        print("building the working tree's demo warehouse …", flush=True)
        build_demo(ROOT, new_db, workdir / "scratch-working-tree")
    else:
        landed = workdir / f"bench-raw-{args.bench_days}d.duckdb"
        if not done(landed).exists():
            print(f"landing {args.bench_days} production days …", flush=True)
            landed.unlink(missing_ok=True)
            land_bench(landed, workdir / "scratch-bench-land", args.bench_days)
            done(landed).touch()
        from bench import dbt_build

        as_of = str(dbt_build.DAYS[args.bench_days - 1])
        if args.rebuild_base or not done(base_db).exists():
            print(f"building the base ({sha}) models …", flush=True)
            shutil.copyfile(landed, base_db)
            build_models(tree, base_db, workdir / f"scratch-bench-{sha}", as_of)
            done(base_db).touch()
        print("building the working tree's models …", flush=True)
        shutil.copyfile(landed, new_db)
        build_models(ROOT, new_db, workdir / "scratch-bench-working-tree", as_of)
    report = compare(base_db, new_db)
    print_report(report)
    return 0 if report.identical else 1


if __name__ == "__main__":
    sys.exit(main())
