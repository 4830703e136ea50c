"""A record's SEDA 2.3 document validates against the official schemas and reads back unchanged."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from metadata import (
    Agent,
    DataObject,
    MetadataError,
    MetadataInvalid,
    RecordMetadata,
    archive_unit_document,
    build_archive_unit,
    load_schema,
    parse_archive_unit,
    validate,
)
from metadata.namespaces import SEDA
from metadata.schema import default_schema_dir
from tests.metadata.samples import COMMUNE, DURATIONS, realistic_record

S = f"{{{SEDA}}}"


def test_realistic_record_validates_against_the_official_xsd(record: RecordMetadata, schema_dir: Path) -> None:
    document = archive_unit_document(record)
    validate(document, schema_dir)
    text = document.decode("utf-8")
    assert "Demande de permis d'urbanisme – extension d'une habitation, rue de l'Église 12" in text
    assert "« avis du fonctionnaire délégué »" in text
    assert "Bureau d'études Lefèvre &amp; Fils" in text


def test_document_shape(record: RecordMetadata) -> None:
    root = etree.fromstring(archive_unit_document(record))
    assert root.tag == f"{S}ArchiveTransfer"
    units = root.findall(f"{S}DataObjectPackage/{S}DescriptiveMetadata/{S}ArchiveUnit")
    assert len(units) == 1
    content = units[0].find(f"{S}Content")
    assert content.findtext(f"{S}OriginatingAgencyArchiveUnitIdentifier") == "E/2024/00042"
    assert content.findtext(f"{S}SentDate") == "2024-03-01"
    assert content.findtext(f"{S}ReceivedDate") == "2024-03-04"
    assert content.findtext(f"{S}RegisteredDate") == "2024-03-04T10:15:07+01:00"
    keywords = content.findall(f"{S}Keyword")
    assert [k.findtext(f"{S}KeywordContent") for k in keywords][1:3] == [
        "Permis de construire",
        "Aménagement du territoire",
    ]
    reference = keywords[1].find(f"{S}KeywordReference")
    assert reference.text.endswith("/concept1234") and reference.get("schemeURI").endswith("/thesaurus")
    assert content.findtext(f"{S}FilePlanPosition") == "1.778.2"
    digests = root.findall(f".//{S}BinaryDataObject/{S}MessageDigest")
    assert {d.get("algorithm") for d in digests} == {"SHA-256"}
    assert root.findtext(f".//{S}BinaryDataObject/{S}Uri") == f"content/{'a' * 64}.pdf"
    management = units[0].find(f"{S}Management")
    assert [child.tag.removeprefix(S) for child in management] == [
        "AppraisalRule",
        "AccessRule",
        "NeedAuthorization",
        "HoldRule",
    ]


def test_round_trip_gives_back_equal_metadata(record: RecordMetadata) -> None:
    assert parse_archive_unit(archive_unit_document(record), rule_durations=DURATIONS) == record


def test_duration_comes_from_the_rule_referential(record: RecordMetadata) -> None:
    back = parse_archive_unit(archive_unit_document(record))
    assert back.appraisal.duration is None
    assert back == dataclasses.replace(record, appraisal=dataclasses.replace(record.appraisal, duration=None))


def test_minimal_record_validates_and_round_trips(schema_dir: Path) -> None:
    minimal = RecordMetadata(identifier="r-1", originating_agency=COMMUNE, updated=datetime(2024, 1, 2, 3, 4, 5))
    document = archive_unit_document(minimal)
    validate(document, schema_dir)
    assert parse_archive_unit(document) == minimal


def test_variants_validate_and_round_trip(schema_dir: Path) -> None:
    variants = [
        realistic_record(register="outgoing", sender=Agent(organisation="Commune d'Éghezée")),
        realistic_record(register="internal", registered=None, received=None, sent=None),
        realistic_record(identifier="E/2024/00042 (copie)", files=[]),  # not an NCName: hashed XML id
        realistic_record(language="nl", title="Aanvraag stedenbouwkundige vergunning", holds=[], access_rules=[]),
        realistic_record(classification=None, keywords=[], appraisal=None, need_authorization=False),
        realistic_record(files=[DataObject("empty", None, None, 0, "e" * 64)]),  # Size omitted: positiveInteger
        realistic_record(files=[DataObject("x", "a.pdf", "application/pdf", 5, "f" * 64, uri="content/dossier/a.pdf")]),
    ]
    for variant in variants:
        document = archive_unit_document(variant)
        validate(document, schema_dir)
        assert parse_archive_unit(document, rule_durations=DURATIONS) == variant


def test_a_document_the_xsd_refuses_names_the_problem(record: RecordMetadata, schema_dir: Path) -> None:
    document = archive_unit_document(record)
    bad_date = document.replace(b"<SentDate>2024-03-01</SentDate>", b"<SentDate>2024-13-01</SentDate>")
    with pytest.raises(MetadataInvalid, match=r"line \d+: Element 'SentDate': '2024-13-01' is not a valid") as e:
        validate(bad_date, schema_dir)
    assert e.value.errors and "\n" not in str(e.value)

    bad_action = document.replace(b"<FinalAction>Destroy</FinalAction>", b"<FinalAction>Burn</FinalAction>")
    with pytest.raises(MetadataInvalid, match="FinalAction.*Burn"):
        validate(bad_action, schema_dir)

    root = etree.fromstring(document)
    content = root.find(f".//{S}Content")
    content.insert(0, content.find(f"{S}Title"))  # Title before DescriptionLevel: wrong order
    with pytest.raises(MetadataInvalid, match="DescriptionLevel"):
        validate(root, schema_dir)

    unknown = document.replace(b"<Language>fr</Language>", b"<Language>fr</Language><Colour>red</Colour>")
    with pytest.raises(MetadataInvalid, match="Colour"):
        validate(unknown, schema_dir)

    dangling = document.replace(b"<DataObjectGroupReferenceId>DOG-", b"<DataObjectGroupReferenceId>NOPE-")
    with pytest.raises(MetadataInvalid, match="DataObjectGroupReferenceId': no element has the id 'NOPE-"):
        validate(dangling, schema_dir)  # libxml2 does not check IDREFs: validate() does

    duplicate = document.replace(b'id="BDO-f-2"', b'id="BDO-f-1"')
    with pytest.raises(MetadataInvalid, match="BDO-f-1"):
        validate(duplicate, schema_dir)


def test_validate_accepts_trees_and_refuses_non_seda(record: RecordMetadata, schema_dir: Path) -> None:
    validate(etree.fromstring(archive_unit_document(record)), schema_dir)
    validate(etree.ElementTree(etree.fromstring(archive_unit_document(record))), schema_dir)
    with pytest.raises(MetadataInvalid, match="No matching global declaration"):
        validate(b"<metadata/>", schema_dir)
    with pytest.raises(MetadataInvalid):  # a bare ArchiveUnit is not a SEDA global element
        validate(etree.tostring(build_archive_unit(record)), schema_dir)


def test_schema_is_loaded_once(schema_dir: Path) -> None:
    assert load_schema(schema_dir) is load_schema(schema_dir)


def test_schema_dir_from_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, record: RecordMetadata, schema_dir: Path
) -> None:
    copy = tmp_path / "my-seda"
    shutil.copytree(schema_dir, copy)
    monkeypatch.setenv("DMS_SEDA_SCHEMA_DIR", str(copy))
    assert default_schema_dir() == copy
    validate(archive_unit_document(record))
    monkeypatch.setenv("DMS_SEDA_SCHEMA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(MetadataError, match="DMS_SEDA_SCHEMA_DIR"):
        validate(archive_unit_document(record))


def test_default_schema_dir_is_beside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DMS_SEDA_SCHEMA_DIR", raising=False)
    assert default_schema_dir() == Path(__file__).resolve().parents[3] / "shared/standards/seda-2.3"


def test_schema_imports_outside_the_schema_dir_are_refused(tmp_path: Path, schema_dir: Path) -> None:
    copy = tmp_path / "seda"
    shutil.copytree(schema_dir, copy)
    (tmp_path / "evil.xsd").write_text('<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"/>')
    main = copy / "seda-2.3-main.xsd"
    main.write_text(
        main.read_text(encoding="utf-8").replace(
            '<xsd:include schemaLocation="seda-2.3-types.xsd"/>',
            '<xsd:include schemaLocation="seda-2.3-types.xsd"/><xsd:include schemaLocation="../evil.xsd"/>',
            1,
        ),
        encoding="utf-8",
    )
    with pytest.raises(MetadataError):
        load_schema(copy)


def test_build_refuses_what_seda_cannot_say() -> None:
    with pytest.raises(MetadataError, match="originating agency"):
        archive_unit_document(RecordMetadata(identifier="x"))
    with pytest.raises(MetadataError, match="identifier"):
        archive_unit_document(RecordMetadata(originating_agency=COMMUNE))
    with pytest.raises(MetadataError, match="Title"):
        archive_unit_document(realistic_record(title="bell \x07 character"))
    with pytest.raises(MetadataError, match="registration date"):
        archive_unit_document(realistic_record(registered=None, received=None, sent=None, created=None))


def test_parse_refuses_documents_with_several_units(record: RecordMetadata) -> None:
    root = etree.fromstring(archive_unit_document(record))
    descriptive = root.find(f".//{S}DescriptiveMetadata")
    descriptive.append(build_archive_unit(dataclasses.replace(record, identifier="other"), with_data_objects=False))
    with pytest.raises(MetadataError, match="2 ArchiveUnits"):
        parse_archive_unit(etree.tostring(root))


def test_model_checks_values_early() -> None:
    from metadata import AppraisalRule, Keyword

    with pytest.raises(MetadataError, match="ISO 8601"):
        AppraisalRule("R", final_action="Destroy", duration="10 ans")
    with pytest.raises(MetadataError, match="Keep or Destroy"):
        AppraisalRule("R", final_action="Burn")  # type: ignore[arg-type]
    with pytest.raises(MetadataError, match="keyword type"):
        Keyword("x", type="colour")
    with pytest.raises(MetadataError, match="language"):
        RecordMetadata(language="français")
    with pytest.raises(MetadataError, match="register"):
        RecordMetadata(register="E")  # type: ignore[arg-type]
    with pytest.raises(MetadataError, match="sha256"):
        DataObject("f", "a.pdf", "application/pdf", 1, "not-a-digest")
    with pytest.raises(MetadataError, match="content/"):
        DataObject("f", "a.pdf", "application/pdf", 1, "a" * 64, uri="../../etc/passwd")
    with pytest.raises(MetadataError, match="agent"):
        Agent(email="x@example.be")
    assert AppraisalRule("R", start_date=datetime(2024, 1, 2, 3, 4)).start_date == date(2024, 1, 2)
    assert RecordMetadata(keywords=[Keyword("a")]).keywords == (Keyword("a"),)
