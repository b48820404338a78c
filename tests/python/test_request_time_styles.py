"""The two time styles added for the catalogue build the requests their routes document: TUDM by
settlement date range (``settlementDateFrom``/``To`` with periods 1..50, all four required) and
RZDF/RZDR by submission time (``submissionDateTimeFrom``/``To``). The replay server answers them the
same way (``test_samples_catalogue.py`` lands every generic dataset through it)."""

from __future__ import annotations

from datetime import date

from loaders.api.windows import build_request, split_windows
from loaders.openapi_contract import OpenApiDocument, check_request
from loaders.registry import DATASETS, TimeParams

DAY = date(2025, 3, 30)  # the short spring clock-change day: 23 hours


def test_settlement_date_range_sends_the_day_and_every_period() -> None:
    tudm = DATASETS["TUDM"]
    assert tudm.time_params is TimeParams.SETTLEMENT_DATE_RANGE
    windows = split_windows(tudm, DAY, DAY)
    assert len(windows) == 1, "one request per settlement day"
    request = build_request(tudm, windows[0])
    assert request.path == "/datasets/TUDM/stream"
    assert dict(request.params) == {
        "settlementDateFrom": "2025-03-30",
        "settlementPeriodFrom": "1",
        "settlementDateTo": "2025-03-30",
        "settlementPeriodTo": "50",
    }
    assert check_request(OpenApiDocument.load(), tudm, request) == []


def test_submission_time_sends_the_window_bounds() -> None:
    doc = OpenApiDocument.load()
    for name in ("RZDF", "RZDR"):
        d = DATASETS[name]
        assert d.time_params is TimeParams.SUBMISSION
        (window,) = split_windows(d, DAY, DAY)
        request = build_request(d, window)
        # local midnight to local midnight in UTC: 00:00 GMT to 23:00 UTC (BST from 01:00 GMT)
        assert dict(request.params) == {
            "submissionDateTimeFrom": "2025-03-30T00:00:00Z",
            "submissionDateTimeTo": "2025-03-30T23:00:00Z",
        }, name
        assert check_request(doc, d, request) == [], name
