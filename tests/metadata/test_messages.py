"""Transfer, authorisation request and destruction notification validate against the official XSD."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from metadata import (
    MetadataError,
    build_archive_transfer,
    build_authorization_request,
    build_destruction_notification,
    parse_archive_transfer,
    validate,
)
from metadata.namespaces import SEDA
from tests.metadata.samples import BRUSSELS, COMMUNE, STATE_ARCHIVES, numbered_record, realistic_record

S = f"{{{SEDA}}}"
NOW = datetime(2024, 11, 18, 14, 30, tzinfo=BRUSSELS)


def test_transfer_of_100_records_validates_and_reads_back(make_files, schema_dir: Path) -> None:
    records = [numbered_record(i, [obj for obj, _ in make_files(i, 1 + i % 3)]) for i in range(100)]
    message = build_archive_transfer(
        records,
        message_id="TR-2024-0007",
        date=NOW,
        archival_agency=STATE_ARCHIVES,
        transferring_agency=COMMUNE,
        comment="Versement du courrier 2023 – service des travaux",
    )
    validate(message, schema_dir)
    root = etree.fromstring(message)
    assert len(root.findall(f"{S}DataObjectPackage/{S}DescriptiveMetadata/{S}ArchiveUnit")) == 100
    objects = root.findall(f".//{S}BinaryDataObject")
    assert len(objects) == sum(1 + i % 3 for i in range(100))
    first = objects[0]
    assert first.find(f"{S}MessageDigest").get("algorithm") == "SHA-256"
    assert first.findtext(f"{S}FormatIdentification/{S}MimeType") == "application/pdf"
    assert first.findtext(f"{S}FileInfo/{S}Filename") == "courrier 0 pièce 0.pdf"
    assert first.findtext(f"{S}Uri").startswith("content/") and first.findtext(f"{S}Size").isdigit()
    assert root.findtext(f"{S}ArchivalAgency/{S}Identifier") == "BE-AE-NAMUR"
    assert root.findtext(f".//{S}ManagementMetadata/{S}OriginatingAgencyIdentifier") == COMMUNE.identifier

    back = parse_archive_transfer(message)
    assert [dataclasses.replace(r, updated=None) for r in back] == records
    assert {r.updated for r in back} == {NOW}  # a transfer's date is the message's


def test_transfer_refuses_duplicates() -> None:
    record = numbered_record(1)
    with pytest.raises(MetadataError, match="appears twice"):
        build_archive_transfer(
            [record, record], message_id="m", date=NOW, archival_agency=STATE_ARCHIVES, transferring_agency=COMMUNE
        )
    with pytest.raises(MetadataError, match="at least one"):
        build_archive_transfer(
            [], message_id="m", date=NOW, archival_agency=STATE_ARCHIVES, transferring_agency=COMMUNE
        )


def test_realistic_record_in_a_transfer_validates(schema_dir: Path) -> None:
    message = build_archive_transfer(
        [realistic_record()],
        message_id="TR-1",
        date=NOW,
        archival_agency=STATE_ARCHIVES,
        transferring_agency=COMMUNE,
        archival_agreement="CONV-AE-2024-12",
    )
    validate(message, schema_dir)


def test_authorization_request_to_the_control_authority_validates(schema_dir: Path) -> None:
    records = [numbered_record(i) for i in range(5)]
    with_units = build_authorization_request(
        message_id="AUT-2024-3",
        date=NOW,
        requester=COMMUNE,
        archival_agency=COMMUNE,
        control_authority=STATE_ARCHIVES,
        comment="Élimination du courrier ordinaire 2013 (tableau de tri)",
        units=records,
        request_date=date(2024, 11, 18),
    )
    validate(with_units, schema_dir)
    root = etree.fromstring(with_units)
    assert root.tag == f"{S}AuthorizationControlAuthorityRequest"
    assert root.findtext(f"{S}ControlAuthority/{S}Identifier") == "BE-AE-NAMUR"
    content = root.find(f"{S}AuthorizationRequestContent")
    assert content.findtext(f"{S}AuthorizationReason") == "Destruction"
    assert [u.text for u in content.findall(f"{S}UnitIdentifier")] == [r.identifier for r in records]
    assert len(root.findall(f".//{S}ArchiveUnit")) == 5 and not root.findall(f".//{S}BinaryDataObject")

    ids_only = build_authorization_request(
        ["a", "b"],
        message_id="AUT-2024-4",
        date=NOW,
        requester=COMMUNE,
        archival_agency=COMMUNE,
        control_authority=STATE_ARCHIVES,
    )
    validate(ids_only, schema_dir)
    with pytest.raises(MetadataError, match="at least one"):
        build_authorization_request(
            message_id="x", date=NOW, requester=COMMUNE, archival_agency=COMMUNE, control_authority=STATE_ARCHIVES
        )


def test_destruction_notification_validates(schema_dir: Path) -> None:
    message = build_destruction_notification(
        [str(numbered_record(i).identifier) for i in range(3)],
        message_id="DEST-2025-1",
        date=NOW,
        authorization_reply_id="AE-NAMUR/2024/ELIM/118",
        archival_agency=COMMUNE,
        originating_agency=COMMUNE,
        comment="Éliminé par broyage certifié le 18 novembre 2024",
    )
    validate(message, schema_dir)
    root = etree.fromstring(message)
    assert root.tag == f"{S}ArchiveDestructionNotification"
    assert root.findtext(f"{S}AuthorizationRequestReplyIdentifier") == "AE-NAMUR/2024/ELIM/118"
    assert len(root.findall(f"{S}UnitIdentifier")) == 3
    with pytest.raises(MetadataError):
        build_destruction_notification(
            [],
            message_id="x",
            date=NOW,
            authorization_reply_id="r",
            archival_agency=COMMUNE,
            originating_agency=COMMUNE,
        )
