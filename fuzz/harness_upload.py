"""Atheris harness: the upload pipeline (ingest/detect + ingest/pipeline) on a temporary embedded
installation: any bytes under any name, in any register (the outgoing one accepts PDF only). Only a
``DmsError`` (a clear 4xx refusal) may come out; a registered file must carry an accepted type and a safe
name. Seeds: fuzz/seeds/upload. Run: ``fuzz/run.py --only upload``."""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

if __name__ == "__main__":  # not when the extractor's worker process (multiprocessing spawn) re-imports this file
    with atheris.instrument_imports(include=["ingest.detect", "ingest.pipeline"]):
        import ingest.detect  # noqa: F401
        import ingest.pipeline  # noqa: F401

from dms import accounts, register_types  # noqa: E402
from dms.accounts import Principal  # noqa: E402
from dms.db import unit_of_work  # noqa: E402
from dms.errors import DmsError  # noqa: E402
from dms.migrate import upgrade  # noqa: E402
from dms.models import RegisterKind, Role  # noqa: E402
from dms.settings import Settings  # noqa: E402
from ingest import detect  # noqa: E402
from ingest.pipeline import Intake, ingest_file  # noqa: E402
from ingest.runtime import open_runtime  # noqa: E402

_WORK: Path | None = None
_RUNTIME = None
_PRINCIPAL = None
REGISTERS = list(RegisterKind)


def _setup():
    global _WORK, _RUNTIME, _PRINCIPAL
    if _RUNTIME is None:
        _WORK = Path(tempfile.mkdtemp(prefix="dms-fuzz-upload-"))
        atexit.register(shutil.rmtree, _WORK, ignore_errors=True)
        settings = Settings(data_dir=_WORK / "var", database_url="", blob_url="", search_url="embedded",
                            tika_url="embedded", extract_inline=True, max_upload_bytes=4 * 1024 * 1024)
        upgrade(settings.resolved_database_url)
        _RUNTIME = open_runtime(settings)
        _RUNTIME.backends.search.ensure()
        with unit_of_work(_RUNTIME.backends.engine) as session:
            tenant = accounts.create_tenant(session, "fuzz", "Fuzz")
            register_types.set_types(session, tenant.id, None, RegisterKind.outgoing, ["application/pdf"],
                                     accepted=detect.ALLOWED_MIME_TYPES)
        _PRINCIPAL = Principal(user_id=None, email="fuzz", role=Role.admin, tenant_id=tenant.id)
    return _RUNTIME, _PRINCIPAL


def split_input(data: bytes) -> tuple[RegisterKind, str, bytes]:
    """Readable seeds: one byte for the register (its value modulo 3), the file name up to the first newline
    (UTF-8, 255 bytes at most), then the file's bytes: ``0lettre.pdf\n%PDF-1.4…``."""
    if not data:
        return RegisterKind.incoming, "", b""
    register = REGISTERS[data[0] % len(REGISTERS)]
    name, _, body = data[1:].partition(b"\n")
    return register, name[:255].decode("utf-8", "replace"), body


def TestOneInput(data: bytes) -> None:  # noqa: N802 (the name atheris calls)
    runtime, principal = _setup()
    register, name, body = split_input(data)
    path = _WORK / "upload.bin"  # type: ignore[operator]
    path.write_bytes(body)
    try:
        done = ingest_file(runtime, principal, path, Intake(original_name=name, register=register))
    except DmsError:
        return
    [row] = done.files
    if row.mime not in detect.ALLOWED_MIME_TYPES:
        raise AssertionError(f"registered a {row.mime}")
    if register == RegisterKind.outgoing and row.mime != "application/pdf":
        raise AssertionError(f"the outgoing register took a {row.mime}")
    if row.original_name != detect.safe_filename(row.original_name) or "/" in row.original_name:
        raise AssertionError(f"unsafe stored name {row.original_name!r}")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
