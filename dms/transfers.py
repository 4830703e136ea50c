"""Transfer packages: records out as one SEDA 2.3 ArchiveTransfer in a BagIt bag, and back in.

Export reads each record's *current stored* metadata version (what was validated and versioned with the
record), puts the units in one ArchiveTransfer and streams every file from the blob store into the bag
(``metadata.write_transfer_bag`` checks each against the digest the message announces). Nothing changes in
the database but one audit event.

Import validates the bag in full and the message against SEDA 2.3 (``metadata.read_transfer_bag``), checks
every unit and file (type detected from the bytes, subject, language) before storing anything, then per
record: blobs first, one transaction with a new registration number in the target's register, the origin
(source agency and reference) and the first metadata version. A source reference is imported once per
tenant, so an interrupted import can be run again. docs/transfers.md has the rules.
"""

from __future__ import annotations

import io
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dms import records, zip_guard
from dms.audit import record_event
from dms.backends import Backends
from dms.blobs import BlobStore, BlobTooLarge, BlobUnavailable
from dms.db import unit_of_work
from dms.errors import BackendUnavailable, BadInput, DmsError, NotFound
from dms.models import Record, RecordOrigin, RegisterKind, Tenant
from dms.record_metadata import (
    as_datetime,
    get_version,
    organization_of,
    parsed,
    record_language,
)
from dms.search import SearchIndex
from dms.zip_guard import ZipLimits
from metadata import (
    MetadataError,
    Organization,
    RecordMetadata,
    archive_unit_document,
    build_archive_transfer,
    parse_archive_transfer,
    parse_xml,
    read_transfer_bag,
    write_transfer_bag,
)
from metadata.namespaces import SEDA

#: Records in one transfer asked through the HTTP API (the CLI has no limit).
MAX_API_RECORDS = 5000
#: A zipped bag sent to the API: members, total unpacked bytes, and the ratio that betrays a zip bomb.
MAX_ZIP_MEMBERS = 20_000
MAX_ZIP_RATIO = 200
_CHUNK = 1024 * 1024
_REGISTERS = {"incoming": RegisterKind.incoming, "outgoing": RegisterKind.outgoing,
              "internal": RegisterKind.internal}


# ------------------------------------------------------------------------------------------- selection


def select_records(
    session: Session,
    index: SearchIndex | None,
    tenant_id: str,
    *,
    ids: list[str] | None = None,
    query: str | None = None,
    classification: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """The ids of the records to transfer, chosen by exactly one of: ids, a search query, a class of the plan.

    A query selects the hits a user sees for it (``dms.searching``, on ``index``). Unknown or foreign ids are
    NotFound; more than ``limit`` records is BadInput.
    """
    chosen = [name for name, value in (("ids", ids), ("query", query), ("classification", classification)) if value]
    if len(chosen) != 1:
        raise BadInput("choose the records with exactly one of: ids, query, classification")
    found: list[str] = []
    if ids:
        for record_id in dict.fromkeys(ids):
            records.get(session, tenant_id, record_id)
            found.append(record_id)
    elif classification:
        found = list(
            session.exec(
                select(Record.id)
                .where(Record.tenant_id == tenant_id, Record.classification == classification)
                .order_by(Record.registered_at, Record.id)
            ).all()
        )
    else:
        from dms.searching import search_records

        if index is None:  # pragma: no cover - programming error
            raise BadInput("search is not available here")
        after = None
        while True:
            page = search_records(session, index, tenant_id, query or "", limit=100, after=after)
            found.extend(hit["id"] for hit in page["hits"])
            after = page.get("next")
            if not after and page.get("total_is_lower_bound"):  # the engine's hit cap cut the match set
                raise BadInput(f"more than {page['total']} records match; narrow the query")
            if not after or not page["hits"] or (limit is not None and len(found) > limit):
                break
        found = list(dict.fromkeys(found))
    if not found:
        raise NotFound("no record matches: nothing to transfer")
    if limit is not None and len(found) > limit:
        raise BadInput(f"{len(found)} or more records match; a transfer holds at most {limit}")
    return found


# ----------------------------------------------------------------------------------------------- export


@dataclass
class ExportedTransfer:
    path: Path
    message_identifier: str
    records: int
    files: int
    bytes: int


class _BlobReader(io.RawIOBase):
    """A readable stream over a blob's chunks, so a bag is written without holding a file in memory."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _blob_sources(blobs: BlobStore, keys: dict[str, str]) -> Iterator[tuple[str, io.BufferedReader]]:
    for uri, key in keys.items():
        try:
            stream = io.BufferedReader(_BlobReader(iter(blobs.open(key))), buffer_size=_CHUNK)
        except BlobUnavailable as exc:
            raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
        except KeyError as exc:  # BlobNotFound
            raise DmsError(f"the content of {uri} is missing from the blob store (run dms fsck)") from exc
        yield uri, stream


def export_transfer(
    backends: Backends,
    tenant_id: str,
    actor_id: str | None,
    record_ids: list[str],
    dest: Path,
    *,
    archival_agency: Organization | None = None,
    comment: str | None = None,
    schema_dir: Path | None = None,
) -> ExportedTransfer:
    """Write the records' ArchiveTransfer and files as a bag at ``dest`` (which must not exist yet)."""
    schema_dir = schema_dir or backends.settings.seda_schema_dir
    units: list[RecordMetadata] = []
    keys: dict[str, str] = {}
    with unit_of_work(backends.engine, write=False) as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound("no such tenant")
        for record_id in record_ids:
            record = records.get(session, tenant_id, record_id)
            unit = parsed(get_version(session, record))
            blob_of = {f.id: f.blob_key for f in records.files_of(session, record)}
            for obj in unit.files:
                if obj.id not in blob_of:
                    raise DmsError(f"{record.reference}: file {obj.id} of its metadata has no row; run dms fsck")
                keys.setdefault(obj.path, blob_of[obj.id])
            units.append(unit)
    if not units:
        raise BadInput("a transfer needs at least one record")
    commune = organization_of(tenant)
    message_id = str(uuid.uuid4())
    try:
        message = build_archive_transfer(
            units,
            message_id=message_id,
            date=datetime.now(UTC).replace(microsecond=0),
            archival_agency=archival_agency or commune,
            transferring_agency=commune,
            comment=comment,
        )
        path = write_transfer_bag(
            dest,
            message,
            _blob_sources(backends.blobs, keys),
            info={"Source-Organization": tenant.name, "Organization-Address": tenant.slug},
            schema_dir=schema_dir,
        )
    except MetadataError as exc:
        raise BadInput(f"transfer not written: {exc}") from exc
    total = sum(p.stat().st_size for p in (path / "data").rglob("*") if p.is_file())
    with unit_of_work(backends.engine) as session:
        record_event(
            session,
            tenant_id=tenant_id,
            actor_id=actor_id,
            action="transfer.exported",
            object_type="transfer",
            object_id=message_id,
            data={
                "records": record_ids,
                "files": len(keys),
                "archival_agency": (archival_agency or commune).identifier,
            },
        )
    return ExportedTransfer(path=path, message_identifier=message_id, records=len(units), files=len(keys),
                            bytes=total)


def zip_bag(bag: Path, top: str | None = None) -> Iterator[bytes]:
    """The bag as a zip, produced while it is read (a response body): memory stays at a few chunks."""
    top = top or bag.name

    class _Sink(io.RawIOBase):
        def __init__(self) -> None:
            self.parts: list[bytes] = []
            self.offset = 0

        def writable(self) -> bool:
            return True

        def write(self, data) -> int:  # type: ignore[override]
            self.parts.append(bytes(data))
            self.offset += len(data)
            return len(data)

        def tell(self) -> int:
            return self.offset

        def drain(self) -> bytes:
            out, self.parts = b"".join(self.parts), []
            return out

    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:  # type: ignore[arg-type]
        for path in sorted(p for p in bag.rglob("*") if p.is_file()):
            arcname = f"{top}/{path.relative_to(bag).as_posix()}"
            info = zipfile.ZipInfo.from_file(path, arcname)
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as src, archive.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(_CHUNK):
                    dst.write(chunk)
                    if sink.offset and len(sink.parts) > 4:
                        yield sink.drain()
            yield sink.drain()
    yield sink.drain()


def unpack_bag_zip(archive_path: Path, dest: Path, *, max_bytes: int, max_member_bytes: int | None = None) -> Path:
    """Unpack a zipped bag safely and return the bag directory (the zip's single top folder, or ``dest``).

    Refused: absolute or ``..`` member names, links and special files, more than MAX_ZIP_MEMBERS members,
    more than ``max_bytes`` unpacked, one member larger than ``max_member_bytes`` (default: ``max_bytes``), a
    member compressed more than MAX_ZIP_RATIO times (a zip bomb), sizes that lie. Every check on the central
    directory runs before the first byte is written, and a refusal removes what was unpacked (a ``dest`` that
    did not exist is removed whole). The bag itself is validated afterwards by ``read_transfer_bag``.
    """
    created = not dest.exists()
    try:
        return _unpack_bag_zip(archive_path, dest, max_bytes=max_bytes, max_member_bytes=max_member_bytes or max_bytes)
    except BaseException:
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        raise


def _unpack_bag_zip(archive_path: Path, dest: Path, *, max_bytes: int, max_member_bytes: int) -> Path:
    limits = ZipLimits(members=MAX_ZIP_MEMBERS, total_bytes=max_bytes, member_bytes=max_member_bytes,
                       ratio=MAX_ZIP_RATIO, container="bag")
    with zip_guard.open_zip(archive_path) as archive:
        members = zip_guard.checked_members(archive, limits)
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        for info in members.values():
            target = (root / info.filename).resolve()
            if target != root and root not in target.parents:
                raise BadInput(f"zip refused: member {info.filename!r} escapes the bag")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            zip_guard.copy_member(archive, info, target, limits, chunk=_CHUNK)
    entries = [p for p in root.iterdir()]
    if len(entries) == 1 and entries[0].is_dir() and not (root / "bagit.txt").exists():
        return entries[0]
    return root


# ----------------------------------------------------------------------------------------------- import


@dataclass
class _Planned:
    unit: RecordMetadata
    source_agency: Organization
    source_reference: str
    new: records.NewRecord
    paths: list[tuple[Path, str, str, int | None]]  # (file in the bag, detected mime, original name, pages)
    source_metadata: str


@dataclass
class ImportReport:
    message_identifier: str
    imported: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    job_ids: list[int] = field(default_factory=list)


def _safe_name(name: str | None, fallback: str) -> str:
    """The original file name as a plain name: no folders, no control characters, at most 255 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable()).strip()
    return base[:255] or fallback


def _message_head(message: bytes) -> tuple[str, Organization | None]:
    root = parse_xml(message, max_bytes=len(message) + 1)
    ns = f"{{{SEDA}}}"
    message_id = (root.findtext(f"{ns}MessageIdentifier") or "").strip()
    agency = root.find(f"{ns}TransferringAgency")
    identifier = (agency.findtext(f"{ns}Identifier") or "").strip() if agency is not None else ""
    name = None
    if agency is not None:
        for element in agency.iter():
            if _localname(element.tag) == "Name" and (element.text or "").strip():
                name = element.text.strip()
                break
    return message_id, Organization(identifier=identifier, name=name) if identifier else None


def _localname(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _plan(
    units: list[RecordMetadata],
    files: dict[str, Path],
    transferring: Organization | None,
    detect_mime: Callable[[Path], str],
) -> list[_Planned]:
    """Every unit checked and turned into a NewRecord before anything is stored; BadInput names the unit."""
    planned = []
    for position, unit in enumerate(units, 1):
        label = unit.registration_number or unit.identifier or f"unit {position}"
        try:
            agency = unit.originating_agency or transferring
            reference = unit.registration_number or unit.identifier
            if agency is None or not reference:
                raise BadInput("it names neither its originating agency nor a reference")
            subject = " ".join((unit.title or "").split())
            if len(subject) > records.MAX_SUBJECT:
                raise BadInput(f"its title is longer than {records.MAX_SUBJECT} characters")
            paths = []
            for obj in unit.files:
                path = files[obj.path]
                name = _safe_name(obj.filename, path.name)
                try:
                    mime = detect_mime(path)
                except DmsError as exc:
                    raise BadInput(f"{name}: {exc.message}") from exc
                paths.append((path, mime, name, obj.pages))
            planned.append(
                _Planned(
                    unit=unit,
                    source_agency=agency,
                    source_reference=reference[:200],
                    new=records.NewRecord(
                        register=_REGISTERS.get(unit.register or "incoming", RegisterKind.incoming),
                        subject=subject or (paths[0][2] if paths else "") or reference,
                        description=unit.description or "",
                        language=record_language(unit.language),
                        received_at=as_datetime(unit.received),
                    ),
                    paths=paths,
                    source_metadata=_source_document(unit, agency),
                )
            )
        except DmsError as exc:
            raise BadInput(f"transfer refused: {label}: {exc.message}") from exc
        except MetadataError as exc:
            raise BadInput(f"transfer refused: {label}: {exc}") from exc
    return planned


def _source_document(unit: RecordMetadata, agency: Organization) -> str:
    """The source's description of the record (no files: they are the record's own now), kept as SEDA."""
    meta = replace(unit, files=(), originating_agency=unit.originating_agency or agency,
                   identifier=unit.identifier or unit.registration_number)
    return archive_unit_document(meta).decode("utf-8")


def import_transfer(
    backends: Backends,
    tenant_id: str,
    actor_id: str | None,
    bag: Path,
    *,
    detect_mime: Callable[[Path], str],
    schema_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Recreate the records of a transfer bag in a tenant. ``detect_mime`` (from the intake) tells a file's
    type from its bytes and refuses a type dms does not accept, as for any upload."""
    schema_dir = schema_dir or backends.settings.seda_schema_dir
    try:
        message, files = read_transfer_bag(bag, schema_dir=schema_dir)
        units = parse_archive_transfer(message)
    except MetadataError as exc:
        raise BadInput(f"transfer refused: {exc}") from exc
    message_id, transferring = _message_head(message)
    planned = _plan(units, files, transferring, detect_mime)
    report = ImportReport(message_identifier=message_id)
    with unit_of_work(backends.engine, write=False) as session:
        done = {
            (o.source_agency_identifier, o.source_reference): o.record_id
            for o in session.exec(select(RecordOrigin).where(RecordOrigin.tenant_id == tenant_id)).all()
        }
    for position, item in enumerate(planned, 1):
        key = (item.source_agency.identifier, item.source_reference)
        if key in done:
            report.skipped.append({"source": item.source_reference, "id": done[key], "reason": "already imported"})
        else:
            try:
                report.imported.append(_import_one(backends, tenant_id, actor_id, item, message_id, schema_dir, report))
            except IntegrityError:
                report.skipped.append({"source": item.source_reference, "reason": "already imported"})
            except DmsError as exc:
                report.failed.append({"source": item.source_reference, "reason": exc.message})
        if progress:
            progress(position, len(planned))
    with unit_of_work(backends.engine) as session:
        record_event(
            session,
            tenant_id=tenant_id,
            actor_id=actor_id,
            action="transfer.imported",
            object_type="transfer",
            object_id=message_id or "unknown",
            data={
                "imported": [{"source": i["source"], "id": i["id"]} for i in report.imported],
                "skipped": len(report.skipped),
                "failed": report.failed,
            },
        )
    return report


def _import_one(
    backends: Backends,
    tenant_id: str,
    actor_id: str | None,
    item: _Planned,
    message_id: str,
    schema_dir: Path,
    report: ImportReport,
) -> dict:
    new_files = []
    for path, mime, name, pages in item.paths:
        try:
            with path.open("rb") as handle:
                blob = backends.blobs.put(tenant_id, handle, max_bytes=backends.settings.max_upload_bytes)
        except BlobUnavailable as exc:
            raise BackendUnavailable(f"blob store unavailable: {exc}") from exc
        except BlobTooLarge as exc:
            raise BadInput(str(exc)) from exc
        new_files.append(records.NewFile(blob=blob, mime=mime, original_name=name, pages=pages))
    new = records.NewRecord(**{**item.new.__dict__, "files": new_files})
    origin = RecordOrigin(
        record_id="",
        tenant_id=tenant_id,
        source_agency_identifier=item.source_agency.identifier[:200],
        source_agency_name=(item.source_agency.name or None) and item.source_agency.name[:200],
        source_reference=item.source_reference,
        source_identifier=(item.unit.identifier or None) and item.unit.identifier[:200],
        source_registered_at=as_datetime(item.unit.registered),
        transfer_identifier=message_id[:200] or None,
        source_metadata=item.source_metadata,
    )
    with unit_of_work(backends.engine) as session:
        done = records.register(session, tenant_id, actor_id, new, schema_dir=schema_dir, origin=origin)
    report.job_ids.extend(done.job_ids)
    return {"source": item.source_reference, "id": done.record.id, "reference": done.record.reference}

