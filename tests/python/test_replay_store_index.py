"""The replay store's row index (loaders/replay/server.py): the window values it reads straight from
the stored bytes select exactly the rows that decoding every row would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from loaders.replay.server import Store, _field_text, _parse_ts

ROWS = [
    {"timeFrom": "2024-03-31T00:00:00Z", "bmUnit": "T_A", "levelFrom": 1.5},
    # the key also inside a nested object, before the row's own
    {"detail": {"timeFrom": "1999-01-01T00:00:00Z"}, "timeFrom": "2024-03-31T00:30:00Z", "bmUnit": "T_B"},
    # an escaped quote in another field, and a value with an escape
    {"bmUnit": 'T_"C"', "timeFrom": "2024-03-31T01:00:00Z"},
    {"timeFrom": "2024-03-31T01:30:00+00:00", "bmUnit": "T_D"},
    {"timeFrom": "2024-03-31T02:00:00Z", "note": 'timeFrom":"2000-01-01'},
    {"timeFrom": "2024-03-31T02:30:00Z", "bmUnit": "T_F"},
]


def _store_file(tmp_path: Path) -> Path:
    path = tmp_path / "BOD" / "2024-03-31.ndjson"
    path.parent.mkdir(parents=True)
    lines = [json.dumps(r, separators=(",", ":")) for r in ROWS]
    lines[3] = lines[3].replace("+00:00", "\\u002b00:00")  # an escaped character inside the value
    path.write_text("\n".join(lines) + "\n")
    return path


def test_field_text_matches_decoding_every_row(tmp_path):
    for raw in _store_file(tmp_path).read_bytes().splitlines():
        assert _field_text(raw, "timeFrom") == json.loads(raw)["timeFrom"]


def test_rows_between_selects_what_decoding_selects(tmp_path):
    path = _store_file(tmp_path)
    store = Store(tmp_path)
    start = datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    end = datetime(2024, 3, 31, 2, 0, tzinfo=UTC)
    got = store.rows_between(path, "timeFrom", start, end)
    expected = [raw for raw in path.read_bytes().splitlines() if start <= _parse_ts(json.loads(raw)["timeFrom"]) <= end]
    assert got == expected
    assert [json.loads(r).get("bmUnit") for r in got] == ["T_B", 'T_"C"', "T_D", None]
