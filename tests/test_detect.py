"""Type detection from the bytes, the intake policy, and file-name sanitising. Needs libmagic only."""

from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

import pytest

from ingest import samples
from ingest.detect import (
    ALLOWED_MIME_TYPES,
    DOCX,
    ODT,
    UnsupportedType,
    check_allowed,
    detect_mime,
    safe_filename,
)


@pytest.fixture(scope="module")
def letter() -> samples.SampleLetter:
    return samples.letter_text(3)


def accepted(path: Path) -> str:
    mime = detect_mime(path)
    check_allowed(mime)
    return mime


def refused(path: Path) -> UnsupportedType:
    with pytest.raises(UnsupportedType) as caught:
        check_allowed(detect_mime(path))
    return caught.value


def minimal_pe() -> bytes:
    """The headers of a 32-bit Windows executable: DOS stub pointing at a PE header, COFF and optional header."""
    dos = bytearray(0x40)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 0x40)
    coff = b"PE\0\0" + struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 0xE0, 0x0102)
    optional = struct.pack("<H", 0x10B) + bytes(0xE0 - 2)
    return bytes(dos) + coff + optional + bytes(512)


def rezip(source: Path, target: Path, *, reverse: bool = False, replace: tuple[bytes, bytes] | None = None,
          extra: dict[str, bytes] | None = None, compress_all: bool = False) -> Path:  # fmt: skip
    """Rewrite an office package: members in another order, a patched content-type declaration, extras."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        names = original.namelist()[::-1] if reverse else original.namelist()
        for name in names:
            data = original.read(name)
            if replace and name == "[Content_Types].xml":
                data = data.replace(*replace)
            stored = name == "mimetype" and not compress_all
            copy.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            copy.writestr(name, data)
    return target


# --- executables and scripts, whatever their name -------------------------------------------------------------


def test_elf_program_named_pdf_is_refused(tmp_path):
    disguised = tmp_path / "letter.pdf"
    shutil.copyfile("/bin/true", disguised)
    error = refused(disguised)
    assert error.mime in {"application/x-pie-executable", "application/x-executable", "application/x-sharedlib"}
    assert "exécutable" in str(error) and error.mime in str(error)
    assert "\n" not in str(error)


def test_windows_executable_named_pdf_is_refused(tmp_path):
    disguised = tmp_path / "facture.pdf"
    disguised.write_bytes(minimal_pe())
    error = refused(disguised)
    assert error.mime in {"application/vnd.microsoft.portable-executable", "application/x-dosexec"}
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("lettre.txt", b"#!/bin/sh\nrm -rf /\n"),
        ("lettre.txt", b"<?php system($_GET['c']); ?>\n"),
        ("lettre.txt", b"@echo off\r\ndel C:\\*.*\r\n"),
    ],
)
def test_scripts_are_refused(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert "script" in str(refused(path))


def test_archives_and_empty_files_are_refused(tmp_path, letter):
    archive = tmp_path / "courrier.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("lettre.txt", letter.text)
        zf.writestr("programme.exe", minimal_pe())
    assert refused(archive).mime == "application/zip"
    empty = tmp_path / "vide.pdf"
    empty.write_bytes(b"")
    assert "vide" in str(refused(empty))


def test_unknown_bytes_are_refused(tmp_path):
    blob = tmp_path / "scan.pdf"
    blob.write_bytes(b"\x8a\x01\x02\x03" + bytes(range(4, 256)) * 40)
    assert refused(blob).mime not in ALLOWED_MIME_TYPES
    with pytest.raises(UnsupportedType, match="non reconnu"):
        check_allowed("application/octet-stream")


# --- the formats a commune receives ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("pdf", "application/pdf"),
        ("scanned.pdf", "application/pdf"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("tif", "image/tiff"),
        ("docx", DOCX),
        ("odt", ODT),
        ("eml", "message/rfc822"),
        ("rtf", "text/rtf"),
        ("html", "text/html"),
        ("txt", "text/plain"),
    ],
)
def test_real_documents_are_detected_and_accepted(tmp_path, letter, fmt, expected):
    # a misleading name on purpose: only the bytes count
    path = samples.WRITERS[fmt](letter, tmp_path / "upload.bin")
    assert accepted(path) == expected


def test_docx_with_members_reordered_is_still_docx(tmp_path, letter):
    """libmagic 5.44 calls this application/octet-stream; the package's declaration settles it."""
    docx = samples.write_docx(letter, tmp_path / "lettre.docx")
    assert accepted(rezip(docx, tmp_path / "reordered.docx", reverse=True)) == DOCX


def test_macro_enabled_word_document_is_refused_even_named_docx(tmp_path, letter):
    docx = samples.write_docx(letter, tmp_path / "lettre.docx")
    macro = (
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    docm = rezip(docx, tmp_path / "lettre-macro.docx", replace=macro)
    assert "macros" in str(refused(docm))
    smuggled = rezip(docx, tmp_path / "smuggled.docx", extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    assert refused(smuggled).mime == "application/vnd.ms-word.document.macroEnabled.12"


def test_odt_with_compressed_or_moved_mimetype_is_still_odt(tmp_path, letter):
    odt = samples.write_odt(letter, tmp_path / "lettre.odt")
    assert accepted(rezip(odt, tmp_path / "deflated.odt", compress_all=True)) == ODT
    assert accepted(rezip(odt, tmp_path / "moved.odt", reverse=True)) == ODT


def test_container_check_reads_a_bounded_amount(tmp_path):
    """A 64 MiB content-type declaration (a zip bomb in miniature) is not read: the file is a plain zip."""
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b" " * (64 << 20))
        zf.writestr("word/document.xml", b"<w:document/>")
    assert refused(bomb).mime == "application/zip"


def test_mail_starting_with_mime_version_is_mail(tmp_path):
    mail = tmp_path / "message.txt"
    mail.write_bytes(
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nSubject: Demande de subside\r\n"
        b"From: Marie Dubois <marie.dubois@example.be>\r\nTo: courrier@namur.example.be\r\n\r\nBonjour,\r\n"
    )
    assert accepted(mail) == "message/rfc822"


def test_eml_with_attachment_is_mail(tmp_path, letter):
    pdf = samples.write_pdf(letter, tmp_path / "annexe.pdf")
    assert accepted(samples.write_eml(letter, tmp_path / "courriel.eml", attachment=pdf)) == "message/rfc822"


def test_plain_letter_with_colons_is_not_mistaken_for_mail(tmp_path):
    text = tmp_path / "lettre.txt"
    text.write_text("Objet : demande\nRéf. : URB/2024/1\n\nMadame, Monsieur,\n", encoding="utf-8")
    assert accepted(text) == "text/plain"


def test_policy_is_an_allow_list():
    assert "application/pdf" in ALLOWED_MIME_TYPES
    for mime in ("application/x-msdownload", "application/java-archive", "image/svg+xml", "application/json"):
        with pytest.raises(UnsupportedType):
            check_allowed(mime)


# --- file names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("C:\\Users\\greffe\\Réclamation taxe.docx", "Réclamation taxe.docx"),
        ("/srv/courrier/", "courrier"),
        ("lettre\x00.exe.pdf", "lettre.exe.pdf"),
        ("lettre\x07 de\tM. Dupont.pdf", "lettre de M. Dupont.pdf"),
        ("facture\u202egpj.exe", "facturegpj.exe"),
        (".htaccess", "htaccess"),
        ("...", "document"),
        ("", "document"),
        ("\x00\x01", "document"),
        ("NUL.txt", "_NUL.txt"),
        ('dossier "A" <urgent>?.pdf', "dossier _A_ _urgent__.pdf"),
        ("courrier-2024.pdf", "courrier-2024.pdf"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_limits_length_and_keeps_the_extension():
    long = safe_filename("a" * 500 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")
    accented = safe_filename("é" * 300 + ".docx")
    assert accented.endswith(".docx") and len(accented.encode()) <= 255
    assert len(safe_filename("b" * 500)) == 200


def _docx_bomb(path, filler_bytes: int) -> None:
    """A real DOCX whose package also carries one highly compressible part (a zip bomb named .docx)."""
    import zipfile

    from ingest import samples

    samples.write_docx(samples.letter_text(3), path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as package:
        with package.open("word/media/filler.bin", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(filler_bytes >> 20):
                member.write(chunk)


def test_a_docx_that_would_inflate_enormously_is_refused(tmp_path):
    from ingest.detect import UnsupportedType, check_allowed, detect_mime

    bomb = tmp_path / "courrier.docx"
    _docx_bomb(bomb, 600 << 20)
    assert bomb.stat().st_size < 2 << 20
    with pytest.raises(UnsupportedType, match="suspect"):
        check_allowed(detect_mime(bomb))


def test_a_docx_with_an_ordinary_compressible_part_is_accepted(tmp_path):
    from ingest.detect import DOCX, detect_mime

    normal = tmp_path / "courrier.docx"
    _docx_bomb(normal, 4 << 20)  # 4 MiB of blank image data: compressible, but below the floor
    assert detect_mime(normal) == DOCX
