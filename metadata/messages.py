"""SEDA 2.3 messages a commune sends: a transfer, a destruction authorisation request, a destruction
notification.

Builders return bytes and do not validate (callers do, with ``metadata.validate``; ``bag.py`` refuses
to package an invalid transfer). Message heads are MEDONA's: Comment*, Date, MessageIdentifier, then
ArchivalAgreement?, CodeListVersions, DataObjectPackage?, then the message's own elements.

Which authorisation message: in Wallonia the destruction of public archives needs the prior
authorisation of the State Archives, the *control authority* over the commune's archives. SEDA has
two requests: ``AuthorizationOriginatingAgencyRequest`` is an archival agency asking the *producer*
for its agreement (an archive service holding someone else's records), ``AuthorizationControlAuthorityRequest``
is an archival agency asking the *control authority*. A commune holding its own records is the archival
agency and asks the State Archives: ``AuthorizationControlAuthorityRequest``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date as Date
from datetime import datetime

from metadata.errors import MetadataError
from metadata.model import Organization, RecordMetadata
from metadata.seda import add_organization, add_text, data_object_package, data_object_xml_id, message_root
from metadata.xml import to_bytes

#: Default ``AuthorizationReason``. The XSD asks for a token; SEDA's AuthorizationReasonCodeList is open.
DESTRUCTION_REASON = "Destruction"
PUBLIC_ARCHIVE = "Public Archive"


def _check_unique_ids(units: Sequence[RecordMetadata]) -> None:
    """Say which record is duplicated before the schema says "ID 'AU-...' already defined"."""
    seen_units: set[str] = set()
    seen_objects: dict[str, str] = {}
    for meta in units:
        if not meta.identifier:
            raise MetadataError("every record of a message needs its identifier")
        if meta.identifier in seen_units:
            raise MetadataError(f"record {meta.identifier} appears twice in the message")
        seen_units.add(meta.identifier)
        for obj in meta.files:
            owner = seen_objects.setdefault(data_object_xml_id(obj), meta.identifier)
            if owner != meta.identifier:
                raise MetadataError(f"file id {obj.id} is used by records {owner} and {meta.identifier}")


def build_archive_transfer(
    units: Sequence[RecordMetadata],
    *,
    message_id: str,
    date: datetime,
    archival_agency: Organization,
    transferring_agency: Organization,
    comment: str | None = None,
    archival_agreement: str | None = None,
    legal_status: str | None = PUBLIC_ARCHIVE,
) -> bytes:
    """ArchiveTransfer of ``units``: one ArchiveUnit and one DataObjectGroup per record.

    Each BinaryDataObject carries its SHA-256 (``MessageDigest algorithm="SHA-256"``), size, MIME type,
    original file name and ``Uri`` = ``DataObject.path`` (``content/<sha256>.<ext>``), the path of the
    file relative to the message in the transfer package (see ``bag.write_transfer_bag``).
    """
    units = list(units)
    if not units:
        raise MetadataError("a transfer needs at least one record")
    _check_unique_ids(units)
    root = message_root("ArchiveTransfer", message_id=message_id, date=date, comment=comment)
    if archival_agreement:
        add_text(root, "ArchivalAgreement", archival_agreement)
    add_text(root, "CodeListVersions")
    producers = {m.originating_agency.identifier for m in units if m.originating_agency}
    data_object_package(
        root,
        units,
        legal_status=legal_status,
        originating_agency=producers.pop() if len(producers) == 1 else None,
        submission_agency=transferring_agency.identifier,
    )
    add_organization(root, "ArchivalAgency", archival_agency)
    add_organization(root, "TransferringAgency", transferring_agency)
    return to_bytes(root)


def build_authorization_request(
    unit_identifiers: Sequence[str] = (),
    *,
    message_id: str,
    date: datetime,
    requester: Organization,
    archival_agency: Organization,
    control_authority: Organization,
    reason: str = DESTRUCTION_REASON,
    request_date: Date | None = None,
    comment: str | None = None,
    units: Sequence[RecordMetadata] = (),
) -> bytes:
    """AuthorizationControlAuthorityRequest: ask the State Archives to authorise a destruction.

    ``unit_identifiers`` are the records' identifiers (defaults to those of ``units``). When ``units``
    are given, their descriptions and rules (no files) travel in the DataObjectPackage, so the control
    authority sees what it is asked to approve: the "bordereau d'élimination".
    """
    identifiers = list(unit_identifiers) or [m.identifier for m in units if m.identifier]
    if not identifiers:
        raise MetadataError("an authorisation request names at least one record")
    root = message_root("AuthorizationControlAuthorityRequest", message_id=message_id, date=date)
    add_text(root, "CodeListVersions")
    if units:
        _check_unique_ids(units)
        data_object_package(root, units, with_data_objects=False, legal_status=PUBLIC_ARCHIVE)
    content = add_text(root, "AuthorizationRequestContent")
    add_text(content, "AuthorizationReason", reason)
    if comment:
        add_text(content, "Comment", comment)
    add_text(content, "RequestDate", (request_date or date.date()).isoformat())
    for identifier in identifiers:
        add_text(content, "UnitIdentifier", identifier)
    add_organization(content, "Requester", requester)
    add_organization(root, "ArchivalAgency", archival_agency)
    add_organization(root, "ControlAuthority", control_authority)
    return to_bytes(root)


def build_destruction_notification(
    unit_identifiers: Sequence[str],
    *,
    message_id: str,
    date: datetime,
    authorization_reply_id: str,
    archival_agency: Organization,
    originating_agency: Organization,
    comment: str | None = None,
) -> bytes:
    """ArchiveDestructionNotification: records destroyed under the authorisation ``authorization_reply_id``.

    The reply identifier is the reference of the State Archives' authorisation (the batch records it),
    which SEDA makes mandatory: a destruction is only ever notified against an authorisation.
    """
    if not unit_identifiers:
        raise MetadataError("a destruction notification names at least one record")
    root = message_root("ArchiveDestructionNotification", message_id=message_id, date=date, comment=comment)
    add_text(root, "CodeListVersions")
    add_text(root, "AuthorizationRequestReplyIdentifier", authorization_reply_id)
    for identifier in unit_identifiers:
        add_text(root, "UnitIdentifier", identifier)
    add_organization(root, "ArchivalAgency", archival_agency)
    add_organization(root, "OriginatingAgency", originating_agency)
    return to_bytes(root)
