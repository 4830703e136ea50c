"""Hostile or broken transfer bags are refused as a whole, before anything is stored (both stacks)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dms import transfers
from dms.errors import BadInput
from ingest.transfers import import_bag
from metadata import DataObject, Organization, RecordMetadata, build_archive_transfer, write_transfer_bag
from tests.conftest import SEDA_DIR, make_tenant
from tests.test_metadata_records import quick_record
from tests.test_records_api import counts
from tests.test_transfer_roundtrip import archivist


def rehash(bag: Path) -> None:
    """Rewrite every manifest (and the Payload-Oxum) so that only the check under test can refuse the bag."""
    payload = sorted(p for p in (bag / "data").rglob("*") if p.is_file())
    for algorithm in ("sha256", "sha512"):
        lines = [f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.relative_to(bag).as_posix()}\n"
                 for p in payload]
        (bag / f"manifest-{algorithm}.txt").write_text("".join(lines))
    info = [line for line in (bag / "bag-info.txt").read_text().splitlines() if not line.startswith("Payload-Oxum")]
    info.append(f"Payload-Oxum: {sum(p.stat().st_size for p in payload)}.{len(payload)}")
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n")
    tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    for algorithm in ("sha256", "sha512"):
        lines = [f"{hashlib.new(algorithm, (bag / t).read_bytes()).hexdigest()}  {t}\n" for t in tags]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))


@pytest.fixture
def good_bag(embedded_runtime, tmp_path) -> Path:
    """A valid two-record bag exported from a scratch commune of an embedded installation."""
    tenant = make_tenant(embedded_runtime)
    ids = [quick_record(embedded_runtime, tenant.tenant_id, i).record.id for i in range(2)]
    return transfers.export_transfer(embedded_runtime.backends, tenant.tenant_id, None, ids, tmp_path / "good").path


def edit_message(bag: Path, old: bytes, new: bytes) -> None:
    message = bag / "data/manifest.xml"
    data = message.read_bytes()
    assert old in data
    message.write_bytes(data.replace(old, new, 1))


def content_file(bag: Path) -> Path:
    return sorted((bag / "data/content").iterdir())[0]


def uri_escapes(bag: Path) -> None:
    name = content_file(bag).name.encode()
    edit_message(bag, b"<Uri>content/" + name, b"<Uri>../../../../etc/" + name)
    rehash(bag)


def manifest_escapes(bag: Path) -> None:
    rehash(bag)
    with (bag / "manifest-sha256.txt").open("a") as handle:
        handle.write(f"{hashlib.sha256(b'x').hexdigest()}  data/../../outside.txt\n")


def symlinked(bag: Path) -> None:
    target = content_file(bag)
    target.unlink()
    target.symlink_to("/etc/hostname")


def tampered(bag: Path) -> None:
    target = content_file(bag)
    target.write_bytes(target.read_bytes() + b"!")


def retold(bag: Path) -> None:  # the file changed and the bag's manifests agree, but the message does not
    tampered(bag)
    rehash(bag)


def not_seda(bag: Path) -> None:
    edit_message(bag, b"<DescriptionLevel>Item</DescriptionLevel>", b"<DescriptionLevel>Dossier</DescriptionLevel>")
    rehash(bag)


def doctype(bag: Path) -> None:
    edit_message(bag, b"<ArchiveTransfer", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<ArchiveTransfer')
    rehash(bag)


def fetches(bag: Path) -> None:
    (bag / "fetch.txt").write_text("http://127.0.0.1:9/x 10 data/content/x.txt\n")


def extra_file(bag: Path) -> None:
    (bag / "data/content/extra.txt").write_text("not described")
    rehash(bag)


def missing_file(bag: Path) -> None:
    content_file(bag).unlink()
    rehash(bag)


BREAKERS = [uri_escapes, manifest_escapes, symlinked, tampered, retold, not_seda, doctype, fetches, extra_file,
            missing_file]


def executable_bag(dest: Path) -> Path:
    """A bag that is valid in every way, but carries a program: refused like an upload of it would be."""
    data = Path("/bin/true").read_bytes()
    meta = RecordMetadata(
        identifier="u-1", registration_number="E/2020/00001", title="Facture", register="incoming",
        registered=datetime(2020, 1, 2, tzinfo=UTC), originating_agency=Organization("ailleurs", "Ailleurs"),
        files=(DataObject(id="f1", filename="facture.pdf", mime="application/pdf", size=len(data),
                          sha256=hashlib.sha256(data).hexdigest()),),
    )
    message = build_archive_transfer([meta], message_id="m-1", date=datetime.now(UTC),
                                     archival_agency=Organization("moi"), transferring_agency=Organization("ailleurs"))
    return write_transfer_bag(dest, message, [(meta.files[0].path, data)], schema_dir=SEDA_DIR)


def test_broken_or_hostile_bags_are_refused_and_leave_nothing(runtime, good_bag, tmp_path):
    tenant = make_tenant(runtime, role="archivist")
    cases = {}
    for breaker in BREAKERS:
        bag = tmp_path / breaker.__name__
        shutil.copytree(good_bag, bag, symlinks=True)
        breaker(bag)
        cases[breaker.__name__] = bag
    cases["executable"] = executable_bag(tmp_path / "executable")
    for label, bag in cases.items():
        with pytest.raises(BadInput) as refused:
            import_bag(runtime, archivist(tenant.tenant_id), bag)
        message = refused.value.message
        assert message.startswith("transfer refused:") and "\n" not in message, (label, message)
    assert counts(runtime, tenant.tenant_id) == (0, 0, 0, 0)


def test_refusals_say_what_is_wrong(embedded_runtime, good_bag, tmp_path):
    tenant = make_tenant(embedded_runtime, role="archivist")
    expected = {
        uri_escapes: "is not a plain path under content/",
        manifest_escapes: "outside.txt",
        symlinked: "symbolic link",
        tampered: "invalid BagIt bag",
        retold: "differs from the digest",
        not_seda: "not valid SEDA 2.3",
        doctype: "DOCTYPE",
        fetches: "fetch.txt",
        extra_file: "not described by the message",
        missing_file: "does not hold",
    }
    for breaker, words in expected.items():
        bag = tmp_path / breaker.__name__
        shutil.copytree(good_bag, bag, symlinks=True)
        breaker(bag)
        with pytest.raises(BadInput) as refused:
            import_bag(embedded_runtime, archivist(tenant.tenant_id), bag)
        assert words in refused.value.message, (breaker.__name__, refused.value.message)
    with pytest.raises(BadInput, match="E/2020/00001: facture.pdf: .*executable"):
        import_bag(embedded_runtime, archivist(tenant.tenant_id), executable_bag(tmp_path / "exe"))
