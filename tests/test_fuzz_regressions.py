"""Inputs that once broke something, found by the fuzzers of issue 11 (fuzz/ and tests/test_fuzz_api.py).
Each is also in the harness's seed corpus (fuzz/seeds/…), so the fuzzers replay it on every run."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dms.errors import BadInput
from ingest.transfers import import_bag
from metadata import (
    DataObject,
    MetadataError,
    Organization,
    RecordMetadata,
    build_archive_transfer,
    parse_archive_transfer,
    write_transfer_bag,
)
from tests.conftest import SEDA_DIR, make_tenant
from tests.test_records_api import counts
from tests.test_transfer_roundtrip import archivist
from tests.test_transfer_safety import edit_message, rehash
from thesaurus import skos

SEEDS = Path(__file__).resolve().parents[1] / "fuzz" / "seeds"
PREFIX = b"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"


def test_skos_iri_with_spaces_is_refused_not_imported_then_unexportable():
    """fuzz/seeds/skos/regression-iri-with-spaces.seed: rdflib's Turtle reader took an IRI holding spaces
    and '<'; the import succeeded, and every export of the scheme then failed (GET /thesaurus/export: 500)."""
    data = SEEDS.joinpath("skos/regression-iri-with-spaces.seed").read_bytes()[1:]
    with pytest.raises(skos.SkosValidationError, match="not a valid IRI"):
        skos.load(data, format="turtle")
    with pytest.raises(skos.SkosValidationError, match="not a valid IRI"):
        skos.load(PREFIX + b'<https://a.example/x y> a skos:Concept ; skos:prefLabel "x"@fr .', format="turtle")


def test_skos_rdfxml_with_an_unknown_encoding_is_refused():
    """fuzz/seeds/skos/regression-unknown-xml-encoding.seed: encoding="utf-9" raised LookupError (a 500)."""
    data = SEEDS.joinpath("skos/regression-unknown-xml-encoding.seed").read_bytes()[1:]
    with pytest.raises(skos.SkosValidationError, match="not readable XML"):
        skos.load(data, format="xml")


def test_skos_ntriples_relative_iri_is_refused_not_imported_then_unreadable():
    """fuzz/seeds/skos/regression-ntriples-relative-iri.seed: N-Triples is not resolved against a base, so
    ``<htt///…ps://ex.example/n/>`` (no scheme: a relative IRI) was imported, and its export could not be read
    back (the harness's round trip failed)."""
    data = SEEDS.joinpath("skos/regression-ntriples-relative-iri.seed").read_bytes()[1:]
    with pytest.raises(skos.SkosValidationError, match="relative IRI"):
        skos.load(data, format="nt")


def test_skos_import_api_answers_400_for_both(client, runtime):
    admin = make_tenant(runtime, role="admin")
    for name in ("regression-iri-with-spaces.seed", "regression-unknown-xml-encoding.seed"):
        data = SEEDS.joinpath("skos", name).read_bytes()[1:]
        answer = client.post("/api/v1/thesaurus/import", headers=admin.headers,
                             files={"file": ("x.rdf" if b"<?xml" in data[:10] else "x.ttl", data, "text/plain")})
        assert answer.status_code == 400, (name, answer.status_code, answer.text[:300])


def test_seda_size_or_page_count_that_is_not_a_number_is_a_metadata_error():
    """fuzz/seeds/metadata/regression-size-not-a-number.xml: int('120!311') raised ValueError, not
    MetadataError, out of the SEDA reader."""
    data = SEEDS.joinpath("metadata/regression-size-not-a-number.xml").read_bytes()
    with pytest.raises(MetadataError, match="not a whole number"):
        parse_archive_transfer(data)


def _bag_with_pages(dest: Path) -> Path:
    data = b"%PDF-1.4 pretend\n"
    meta = RecordMetadata(
        identifier="u-1", registration_number="E/2020/00001", title="Facture", register="incoming",
        registered=datetime(2020, 1, 2, tzinfo=UTC), originating_agency=Organization("ailleurs", "Ailleurs"),
        files=(DataObject(id="f1", filename="f.txt", mime="text/plain", size=len(data), pages=2,
                          sha256=hashlib.sha256(data).hexdigest()),),
    )
    message = build_archive_transfer([meta], message_id="m-1", date=datetime.now(UTC),
                                     archival_agency=Organization("moi"), transferring_agency=Organization("ailleurs"))
    return write_transfer_bag(dest, message, [(meta.files[0].path, data)], schema_dir=SEDA_DIR)


def test_a_transfer_whose_page_count_is_not_a_number_is_refused(runtime, tmp_path):
    """The schemas let the dms:PageCount extension through unchecked, so the import reached int('deux'):
    a 500 at POST /transfers/import. Now a clear refusal, and nothing stored."""
    bag = _bag_with_pages(tmp_path / "bag")
    edit_message(bag, b">2</dms:PageCount>", b">deux</dms:PageCount>")
    rehash(bag)
    tenant = make_tenant(runtime, role="archivist")
    with pytest.raises(BadInput, match="PageCount is not a whole number"):
        import_bag(runtime, archivist(tenant.tenant_id), bag)
    assert counts(runtime, tenant.tenant_id) == (0, 0, 0, 0)
    # and through the API, zipped
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(p for p in bag.rglob("*") if p.is_file()):
            archive.write(path, f"bag/{path.relative_to(bag).as_posix()}")
    shutil.rmtree(bag)
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(runtime.settings, runtime)) as client:
        user = make_tenant(runtime, role="archivist")
        answer = client.post("/api/v1/transfers/import", headers=user.headers,
                             files={"file": ("bag.zip", buffer.getvalue(), "application/zip")})
    assert answer.status_code == 400 and "PageCount" in answer.json()["detail"], answer.text


def test_integers_beyond_the_database_are_refused_not_a_driver_error(client, runtime):
    """tests/test_fuzz_api.py: POST /jobs/{huge}/retry and ?version={huge} reached the database, which cannot
    hold the number (SQLite: OverflowError; PostgreSQL: integer out of range): 500s. Now 400s."""
    from tests.test_metadata_records import upload_text

    clerk = make_tenant(runtime)
    admin = make_tenant(runtime, role="admin", slug=clerk.slug)
    record = upload_text(client, clerk).json()
    huge = 2**63
    calls = [
        ("POST", f"/api/v1/jobs/{huge}/retry", None),
        ("GET", f"/api/v1/records/{record['id']}/metadata.xml", {"version": huge}),
        ("GET", f"/api/v1/records/{record['id']}/metadata/diff", {"from": huge}),
        ("GET", f"/api/v1/records/{record['id']}/access-log", {"before": huge}),
    ]
    for method, url, params in calls:
        answer = client.request(method, url, params=params, headers=admin.headers)
        assert answer.status_code == 400, (url, params, answer.status_code, answer.text[:200])
    assert client.post(f"/api/v1/jobs/{2**31 - 1}/retry", headers=admin.headers).status_code == 404
