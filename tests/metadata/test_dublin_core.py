"""Dublin Core export, and sidecars (SEDA or Dublin Core) filling a record's fields."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from metadata import (
    Agent,
    MetadataError,
    RecordMetadata,
    archive_unit_document,
    build_archive_transfer,
    parse_archive_unit,
    parse_dublin_core,
    parse_sidecar,
    to_dublin_core,
)
from metadata.namespaces import DCTERMS, XSI
from tests.metadata.samples import COMMUNE, DURATIONS, STATE_ARCHIVES, numbered_record, realistic_record

T = f"{{{DCTERMS}}}"
SEEDS = Path(__file__).resolve().parents[2] / "fuzz/seeds/metadata"


def _terms(document: bytes, name: str) -> list[str]:
    return [e.text for e in etree.fromstring(document).findall(f"{T}{name}")]


def test_export_holds_what_users_expect(record: RecordMetadata) -> None:
    dc = to_dublin_core(record)
    root = etree.fromstring(dc)
    assert root.tag == "metadata" and root.nsmap["dcterms"] == DCTERMS
    assert _terms(dc, "title") == [record.title]
    assert _terms(dc, "description") == [record.description]
    assert _terms(dc, "identifier") == ["E/2024/00042", f"urn:uuid:{record.identifier}"]
    assert _terms(dc, "creator") == ["Jérôme Lefèvre (Bureau d'études Lefèvre & Fils)"]
    assert _terms(dc, "audience") == ["Service de l'urbanisme", "Marie-Hélène Dubois"]
    assert _terms(dc, "publisher") == ["Commune d'Éghezée"]
    assert _terms(dc, "date") == ["2024-03-01"]
    assert _terms(dc, "dateSubmitted") == ["2024-03-04"]
    assert _terms(dc, "dateAccepted") == ["2024-03-04T10:15:07+01:00"]
    assert _terms(dc, "created") == ["2024-02-28"]
    assert "Lettre" in _terms(dc, "type") and "Text" in _terms(dc, "type")
    assert _terms(dc, "language") == ["fr"]
    subjects = _terms(dc, "subject")
    assert subjects[:2] == ["Permis de construire", "http://vocabularies.unesco.org/thesaurus/concept1234"]
    assert {"Aménagement du territoire", "Église Saint-Pierre", "Éghezée"} <= set(subjects)
    assert _terms(dc, "isPartOf") == ["1.778.2 Urbanisme – permis d'urbanisme", f"{record.classification.uri}"]
    assert _terms(dc, "format") == ["application/pdf", "image/tiff"]
    uri = root.find(f"{T}subject[2]")
    assert uri.get(f"{{{XSI}}}type") == "dcterms:URI"
    assert root.find(f"{T}title").get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"


def test_outgoing_mail_is_created_by_the_commune() -> None:
    outgoing = realistic_record(register="outgoing", sender=None)
    assert _terms(to_dublin_core(outgoing), "creator") == ["Commune d'Éghezée"]


def test_our_export_reads_back_as_a_sidecar(record: RecordMetadata) -> None:
    back = parse_sidecar(to_dublin_core(record))
    assert (back.title, back.description, back.registration_number, back.identifier) == (
        record.title,
        record.description,
        record.registration_number,
        record.identifier,
    )
    assert (back.sent, back.received, back.registered, back.created, back.updated) == (
        record.sent,
        record.received,
        record.registered,
        record.created,
        record.updated,
    )
    assert [(k.label, k.uri) for k in back.keywords] == [(k.label, k.uri) for k in record.keywords]
    assert back.document_type == "Lettre" and back.language == "fr"
    assert back.sender == Agent(name="Jérôme Lefèvre (Bureau d'études Lefèvre & Fils)")
    assert back.reply_to == record.reply_to and back.related == record.related


def test_oai_dc_sidecar_from_a_scanner() -> None:
    sidecar = """<?xml version="1.0" encoding="UTF-8"?>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Réclamation : éclairage défectueux rue d'Aische</dc:title>
  <dc:creator>Mme Anne-Françoise D'Hondt</dc:creator>
  <dc:subject>Éclairage public</dc:subject>
  <dc:subject>Voirie</dc:subject>
  <dc:date>2024-05-17</dc:date>
  <dc:language>fre</dc:language>
  <dc:type>Courriel</dc:type>
  <dc:identifier>SCAN-0042</dc:identifier>
</oai_dc:dc>""".encode()
    meta = parse_sidecar(sidecar)
    assert meta.title == "Réclamation : éclairage défectueux rue d'Aische"
    assert meta.sender == Agent(name="Mme Anne-Françoise D'Hondt")
    assert [k.label for k in meta.keywords] == ["Éclairage public", "Voirie"]
    assert meta.sent == date(2024, 5, 17) and meta.language == "fr" and meta.document_type == "Courriel"
    assert meta.registration_number == "SCAN-0042"


def test_dc_sidecar_with_partial_dates_leaves_them_empty() -> None:
    meta = parse_dublin_core(
        b'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:title>x</dc:title><dc:date>2024</dc:date></metadata>"
    )
    assert meta.title == "x" and meta.sent is None


def test_seda_sidecar_round_trips(record: RecordMetadata) -> None:
    without_duration = dataclasses.replace(record.appraisal, duration=None)
    assert parse_sidecar(archive_unit_document(record)) == dataclasses.replace(
        record, appraisal=without_duration, files=()
    )
    assert parse_archive_unit(archive_unit_document(record), rule_durations=DURATIONS) == record


def test_seda_21_bare_archive_unit_sidecar() -> None:
    """The form RESIP / Vitam tools write beside a file (__ArchiveUnitMetadata.xml), SEDA 2.1 namespace."""
    sidecar = """<ArchiveUnit xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1" id="ID12">
  <Content>
    <DescriptionLevel>Item</DescriptionLevel>
    <Title>Délibération du conseil communal – règlement d'ordre intérieur</Title>
    <FilePlanPosition>1.713</FilePlanPosition>
    <Description>Version approuvée le 27 juin</Description>
    <DocumentType>Délibération</DocumentType>
    <Language>fr</Language>
    <Keyword><KeywordContent>Conseil communal</KeywordContent><KeywordType>corpname</KeywordType></Keyword>
    <Addressee><Corpname>Tutelle – SPW Intérieur</Corpname></Addressee>
    <Sender><FirstName>Luc</FirstName><BirthName>Dumont</BirthName><Identifier>mailto:l.dumont@x.be</Identifier></Sender>
    <CreatedDate>2023-06-27</CreatedDate>
    <SentDate>2023-06-28T09:30:00</SentDate>
  </Content>
</ArchiveUnit>""".encode()
    meta = parse_sidecar(sidecar)
    assert meta.title == "Délibération du conseil communal – règlement d'ordre intérieur"
    assert meta.classification.notation == "1.713" and meta.classification.label is None
    assert meta.keywords[0].label == "Conseil communal" and meta.keywords[0].type == "corpname"
    assert meta.addressees[0].organisation == "Tutelle – SPW Intérieur"
    assert meta.sender == Agent(first_name="Luc", last_name="Dumont", email="l.dumont@x.be")
    assert meta.created == date(2023, 6, 27) and meta.sent.hour == 9
    assert meta.identifier is None


def test_sidecars_of_other_formats_are_refused_clearly() -> None:
    for document, expected in (
        (b"<html><body>scan</body></html>", r"unsupported sidecar: root element <html> in no namespace"),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "namespace http://www.w3.org/1999"),
        (b'<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v1.0"/>', "unsupported sidecar"),
        (b"<a><b>", "malformed XML"),
    ):
        with pytest.raises(MetadataError, match=expected):
            parse_sidecar(document)


def test_a_seda_sidecar_describes_one_record() -> None:
    transfer = build_archive_transfer(
        [numbered_record(1), numbered_record(2)],
        message_id="m",
        date=realistic_record().updated,
        archival_agency=STATE_ARCHIVES,
        transferring_agency=COMMUNE,
    )
    with pytest.raises(MetadataError, match="2 ArchiveUnits"):
        parse_sidecar(transfer)


def test_sidecar_size_is_limited() -> None:
    with pytest.raises(MetadataError, match="too large"):
        parse_sidecar(b"<metadata>" + b" " * 2 * 1024 * 1024 + b"</metadata>")


@pytest.mark.parametrize("seed", sorted(SEEDS.glob("*.xml")), ids=lambda p: p.name)
def test_fuzz_seeds_parse_or_fail_cleanly(seed: Path) -> None:
    """What a fuzz harness asserts: a sidecar either parses or raises MetadataError, nothing else."""
    try:
        parse_sidecar(seed.read_bytes())
    except MetadataError as exc:
        assert "\n" not in str(exc)
        assert not seed.name.startswith("valid-")
    else:
        # a regression seed may be a readable sidecar: what once broke was further on (tests/test_fuzz_regressions.py)
        assert seed.name.startswith(("valid-", "regression-"))


def test_there_are_fuzz_seeds() -> None:
    assert len(list(SEEDS.glob("*.xml"))) >= 3
