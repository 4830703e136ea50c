"""Documents to PDF (and ODT <-> DOCX) with LibreOffice headless (Debian's ``libreoffice-writer-nogui``).

Each conversion runs in a private temporary folder with its own LibreOffice profile
(``-env:UserInstallation``), so conversions in parallel never share a profile lock and nothing of one letter
stays behind for the next, and under a timeout after which the whole process group is killed. Without
``soffice`` on the machine the service still runs; rendering answers 503 naming what to install.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from dms.errors import BackendUnavailable, BadInput

TIMEOUT_S = 120.0
MAX_OUTPUT_BYTES = 100 * 1024 * 1024
INSTALL_HINT = "install LibreOffice (Debian: apt-get install libreoffice-writer-nogui)"


def soffice_path() -> str | None:
    return os.environ.get("DMS_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice_path() is not None


#: LibreOffice's export filters for what a letter may be converted to.
FILTERS = {"pdf": "pdf", "odt": "odt", "docx": "docx:MS Word 2007 XML"}


def to_pdf(data: bytes, suffix: str, *, timeout: float = TIMEOUT_S) -> bytes:
    """The PDF of an ODT or DOCX document."""
    return convert(data, suffix, "pdf", timeout=timeout)


def convert(data: bytes, suffix: str, target: str, *, timeout: float = TIMEOUT_S) -> bytes:
    """An ODT or DOCX document converted to ``target`` (pdf, odt or docx)."""
    if target not in FILTERS:
        raise BadInput(f"cannot convert a letter to {target!r}: pdf, odt or docx")
    program = soffice_path()
    if program is None:
        raise BackendUnavailable(f"PDF rendering unavailable: soffice not found ({INSTALL_HINT})")
    with tempfile.TemporaryDirectory(prefix="dms-soffice-") as work:
        root = Path(work)
        source = root / f"letter.{suffix}"
        source.write_bytes(data)
        out = root / "out"
        command = [
            program, f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless", "--invisible",
            "--nologo", "--norestore", "--nolockcheck", "--nodefault", "--convert-to", FILTERS[target],
            "--outdir", str(out), str(source),
        ]
        env = {**os.environ, "HOME": str(root), "SAL_USE_VCLPLUGIN": "svp"}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=root, env=env,
                                   start_new_session=True)
        try:
            _stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise BackendUnavailable(f"PDF rendering timed out after {timeout:.0f} s") from None
        result = out / f"letter.{target}"
        if process.returncode != 0 or not result.is_file():
            detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise BadInput(f"LibreOffice could not convert the document to {target}: {detail[0]}")
        if result.stat().st_size > MAX_OUTPUT_BYTES:
            raise BadInput(f"the rendered {target} is larger than the limit")
        return result.read_bytes()
