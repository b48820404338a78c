"""Every registry entry against Elexon's OpenAPI document (the copy in docs/reference/).

The live API ignores a query parameter it does not know and returns its default (latest) data, so a
misspelt parameter only shows here. The checker uses the loader's own request builder
(``loaders.api.windows``); the tests of the checker feed it deliberately wrong entries and builders.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import date
from pathlib import Path

import pytest

from loaders.api.windows import Request, build_request
from loaders.openapi_contract import (
    DOCUMENT_PATH,
    IRIS_RECORD_FIELDS,
    OpenApiDocument,
    check_dataset,
    check_registry,
    sample_requests,
    uncovered_data_status_routes,
    uncovered_dataset_routes,
)
from loaders.registry import DATASETS, Envelope, TimeParams

ROOT = Path(__file__).resolve().parents[2]
MODELS_DOC = ROOT / "docs" / "models.md"
# `/datasets/<name>` routes that serve no dataset: `/datasets/metadata/latest` lists the datasets
LISTING_ROUTES = {"metadata"}


@pytest.fixture(scope="module")
def doc() -> OpenApiDocument:
    return OpenApiDocument.load()


def test_the_copy_is_elexons_document_unmodified():
    readme = (DOCUMENT_PATH.parent / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"sha256 `([0-9a-f]{64})`", readme)
    assert stated, "docs/reference/README.md states the document's sha256"
    assert hashlib.sha256(DOCUMENT_PATH.read_bytes()).hexdigest() == stated.group(1)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_registry_entry_matches_the_document(doc, name):
    dataset = DATASETS[name]
    problems = check_dataset(doc, dataset)
    assert not problems, "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_request_the_loader_builds_is_a_route_of_the_document(doc, name):
    dataset = DATASETS[name]
    requests = sample_requests(dataset)
    assert requests, f"{name}: the loader builds no request"
    for request in requests:
        matched = doc.match(request.path)
        assert matched, f"{name}: {request.path} is no route of the document"
        template, values = matched
        # the loader's time window goes where the route expects it: a path parameter or query params
        if dataset.time_params is TimeParams.SETTLEMENT_DATE_PATH:
            assert date.fromisoformat(values["settlementDate"]), template
        elif dataset.time_params is not TimeParams.SNAPSHOT:
            assert request.params, f"{name}: no time parameters sent"


def test_route_variants_are_each_checked_against_the_path_enum(doc):
    variant_sets = [d for d in DATASETS.values() if d.variants]
    assert variant_sets, "the registry has route variants (BOAV, EBOCF)"
    for d in variant_sets:
        seen = {doc.match(r.path)[1].get("bidOffer") for r in sample_requests(d)}
        assert seen == set(d.variants), d.name
        # the variant column is added by the loader, not an API field: exempt from the column check
        _, item = doc.envelope(doc.match(sample_requests(d)[0].path)[0])
        assert d.variant_column not in item["properties"]


def test_the_whole_registry_has_no_problems(doc):
    problems = check_registry(doc)
    assert problems == [], "\n".join(map(str, problems))


# -- the checker catches mistakes -----------------------------------------------------------------


def _problems(doc, dataset, build=build_request):
    return {(p.kind, p.name): str(p) for p in check_dataset(doc, dataset, build)}


def test_a_misspelt_query_parameter_is_caught(doc):
    """A loader that sends `form` for `from`: unknown parameter, and the required `from` not sent."""

    def misspelling(dataset, window, variant=None):
        r = build_request(dataset, window, variant)
        return Request(r.path, tuple(("form" if k == "from" else k, v) for k, v in r.params))

    found = _problems(doc, DATASETS["BOALF"], misspelling)
    assert ("parameter", "form") in found
    assert ("required", "from") in found
    message = found[("parameter", "form")]
    assert "BOALF" in message and "/datasets/BOALF/stream" in message and "'form'" in message


def test_a_misspelt_optional_parameter_is_caught(doc):
    """INDO's publish parameters are optional: a misspelling would silently return the latest data."""

    def misspelling(dataset, window, variant=None):
        r = build_request(dataset, window, variant)
        return Request(r.path, tuple((k.replace("DateTime", "Date"), v) for k, v in r.params))

    found = _problems(doc, DATASETS["INDO"], misspelling)
    assert set(found) == {("parameter", "publishDateFrom"), ("parameter", "publishDateTo")}


def test_a_wrong_time_style_is_caught(doc):
    wrong = dataclasses.replace(DATASETS["INDO"], time_params=TimeParams.FROM_TO)
    found = _problems(doc, wrong)
    assert ("parameter", "from") in found and ("parameter", "to") in found
    assert "INDO /datasets/INDO:" in found[("parameter", "from")]


def test_a_missing_required_parameter_is_caught(doc):
    def dropping_to(dataset, window, variant=None):
        r = build_request(dataset, window, variant)
        return Request(r.path, tuple((k, v) for k, v in r.params if k != "to"))

    assert set(_problems(doc, DATASETS["DISBSAD"], dropping_to)) == {("required", "to")}


def test_a_bad_parameter_value_is_caught(doc):
    def bad_format(dataset, window, variant=None):
        r = build_request(dataset, window, variant)
        return Request(r.path, tuple((k, "jsn" if k == "format" else v) for k, v in r.params))

    assert ("parameter", "format") in _problems(doc, DATASETS["INDO"], bad_format)


def test_a_misspelt_route_is_caught(doc):
    wrong = dataclasses.replace(DATASETS["MID"], route="/datasets/MID/streem")
    found = _problems(doc, wrong)
    assert set(found) == {("route", None)}
    assert "MID /datasets/MID/streem" in found[("route", None)]


def test_a_route_variant_outside_the_path_enum_is_caught(doc):
    wrong = dataclasses.replace(DATASETS["BOAV"], variants=("bid", "offers"))
    found = check_dataset(doc, wrong)
    assert [p.kind for p in found] == ["route"]
    assert "/offers/" in found[0].route


def test_a_misspelt_column_is_caught(doc):
    d = DATASETS["BOALF"]
    wrong = dataclasses.replace(d, columns_spec=d.columns_spec.replace("rrFlag:", "rrFlg:"))
    found = _problems(doc, wrong)
    assert set(found) == {("column", "rrFlg")}
    assert "BOALF /datasets/BOALF/stream" in found[("column", "rrFlg")]


@pytest.mark.parametrize(
    ("name", "field", "wrong_type"),
    [
        ("BOALF", "acceptanceTime", "date"),  # date-time is a timestamp
        ("BOALF", "settlementDate", "timestamp"),  # a date is a date
        ("BOALF", "acceptanceNumber", "number"),  # integer column must be an integer field... (widening ok)
        ("MID", "price", "integer"),  # a double is not an integer
        ("BOALF", "soFlag", "string"),
        ("BOAV", "pairVolumes", "string"),  # an object ($ref) is json
        ("REMIT", "outageProfile", "number"),  # an array is json
    ],
)
def test_a_wrong_column_type_is_caught(doc, name, field, wrong_type):
    d = DATASETS[name]
    spec = re.sub(rf"\b{field}:[a-z]+", f"{field}:{wrong_type}", d.columns_spec)
    assert spec != d.columns_spec
    found = _problems(doc, dataclasses.replace(d, columns_spec=spec))
    if (name, field, wrong_type) == ("BOALF", "acceptanceNumber", "number"):
        assert found == {}, "an integer field fits a number column"
        return
    assert set(found) == {("type", field)}, found
    assert name in found[("type", field)] and field in found[("type", field)]


def test_a_wrong_envelope_is_caught(doc):
    found = _problems(doc, dataclasses.replace(DATASETS["BOALF"], envelope=Envelope.DATA))
    assert set(found) == {("envelope", None)}
    found = _problems(doc, dataclasses.replace(DATASETS["INDO"], envelope=Envelope.DATA_METADATA))
    assert set(found) == {("envelope", None)}
    found = _problems(doc, dataclasses.replace(DATASETS["DISEBSP"], envelope=Envelope.ARRAY))
    assert set(found) == {("envelope", None)}


def _not_on_iris(d):
    if any(f.name == "iris" for f in dataclasses.fields(d)):
        return dataclasses.replace(d, iris=False)
    policy = d.policy
    upkeep = tuple(u for u in policy.upkeep if u != "iris")
    return dataclasses.replace(d, policy=dataclasses.replace(policy, upkeep=upkeep, iris_freshness=None))


def test_the_iris_record_field_exemption_is_narrow(doc):
    """`dataset` is absent from the settlement routes' items; it is exempt only as a nullable IRIS field."""
    d = DATASETS["DISEBSP"]
    assert "dataset" in IRIS_RECORD_FIELDS and d.iris and "dataset" in d.column_names
    _, item = doc.envelope(doc.match(sample_requests(d)[0].path)[0])
    assert "dataset" not in item["properties"]
    assert _problems(doc, d) == {}
    required = dataclasses.replace(d, columns_spec=d.columns_spec.replace("dataset:string", "dataset:string!"))
    assert set(_problems(doc, required)) == {("column", "dataset")}
    assert set(_problems(doc, _not_on_iris(d))) == {("column", "dataset")}


def test_match_prefers_literal_segments(doc):
    template, values = doc.match("/balancing/settlement/acceptance/volumes/all/offer/2024-06-12")
    assert template == "/balancing/settlement/acceptance/volumes/all/{bidOffer}/{settlementDate}"
    assert values == {"bidOffer": "offer", "settlementDate": "2024-06-12"}
    assert doc.match("/balancing/settlement/system-prices/12-06-2024") is None  # not a date
    assert doc.match("/datasets/BOALF/stream")[0] == "/datasets/BOALF/stream"


# -- what the registry does not cover yet ----------------------------------------------------------


def test_uncovered_routes_are_listed(doc, capsys):
    uncovered = uncovered_dataset_routes(doc)
    for code, routes in uncovered.items():
        assert code not in DATASETS
        assert all(r.startswith(f"/datasets/{code}") for r in routes)
    for d in DATASETS.values():
        parts = d.route.strip("/").split("/")
        if parts[0] == "datasets":
            assert parts[1] not in uncovered
    # the datasets the catalogue issue names first are in the document and not yet registered
    for code in ("B1610", "AGPT", "QPN", "NDF", "TEMP"):
        assert code in doc.dataset_routes and (code in uncovered) == (code not in DATASETS)
    assert "metadata" not in doc.dataset_routes  # /datasets/metadata/latest lists datasets; not one
    status = doc.data_status_routes
    assert status and all(route == f"/data-status/{code}" for code, route in status.items())
    assert set(uncovered_data_status_routes(doc)) == set(status) - set(DATASETS)
    with capsys.disabled():
        print(f"\n/datasets/{{CODE}} codes not in the registry ({len(uncovered)}): {' '.join(uncovered)}")
        print(f"/data-status routes: {' '.join(status.values())}")
        print(f"  not in the registry: {' '.join(uncovered_data_status_routes(doc).values()) or '-'}")


def documented_left_out(text: str | None = None) -> set[str]:
    """Dataset codes docs/models.md ("Datasets not in the registry") lists as deliberately left out:
    the backticked codes that open each bullet, before its parenthesised reason."""
    text = MODELS_DOC.read_text(encoding="utf-8") if text is None else text
    section = text.split("\n## Datasets not in the registry\n", 1)[1].split("\n## ", 1)[0]
    bullets = [line[2:] for line in section.splitlines() if line.startswith("- ")]
    return {code for b in bullets for code in re.findall(r"`([A-Z0-9_]+)`", re.split(r"[(:]", b, maxsplit=1)[0])}


def test_every_dataset_route_of_the_document_is_registered_or_documented_as_left_out(doc):
    """The document's `/datasets/{CODE}` routes the registry does not cover, less the codes the docs
    leave out on purpose, are none; and every `/datasets/<name>` route that is not a dataset code is a
    known listing route (so the code filter of ``dataset_routes`` hides no dataset)."""
    left_out = documented_left_out()
    assert left_out >= {"OCNMFW", "OCNMFW2"}, left_out  # the section is found and parsed
    missing = set(uncovered_dataset_routes(doc)) - left_out
    assert missing == set(), f"/datasets/{{CODE}} routes neither registered nor documented as left out: {missing}"
    names = {t.strip("/").split("/")[1] for t in doc.paths if t.startswith("/datasets/")}
    assert {n for n in names if n not in doc.dataset_routes} == LISTING_ROUTES
    # the check can fail: a registry without NDFW leaves its routes uncovered and undocumented
    without = [d for d in DATASETS.values() if d.name != "NDFW"]
    assert set(uncovered_dataset_routes(doc, without)) - left_out == {"NDFW"}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_registry_entry_argues_its_key(name):
    """Each entry's natural key and versions come with their evidence (issue #11 item 2): the
    `key_evidence` shown as "Why this key" on the dataset's docs page."""
    evidence = DATASETS[name].key_evidence
    assert isinstance(evidence, str) and evidence.strip(), f"{name}: key_evidence is empty"
