"""Transfer packages as an intake channel: the same type checks as any upload, then the jobs run.

The rules live in ``dms.transfers``; this module gives it what only the intake floor has (the MIME type
from the bytes, the list of accepted types, the job handlers) so that the CLI and the API import a bag the
same way.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from dms import transfers
from dms.accounts import Principal
from dms.errors import UnsupportedType
from dms.permissions import Action, require
from ingest import detect
from ingest.pipeline import run_jobs_now
from ingest.runtime import Runtime


def detect_accepted_mime(path: Path) -> str:
    """The file's type from its bytes; UnsupportedType (415) for a type mail intake refuses."""
    mime = detect.detect_mime(path)
    try:
        detect.check_allowed(mime)
    except detect.UnsupportedType as exc:
        raise UnsupportedType(str(exc), mime=mime) from exc
    return mime


def import_bag(
    runtime: Runtime,
    principal: Principal,
    bag: Path,
    *,
    run_jobs: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> transfers.ImportReport:
    tenant_id = require(principal, Action.transfer_import)
    report = transfers.import_transfer(
        runtime.backends,
        tenant_id,
        principal.user_id,
        bag,
        detect_mime=detect_accepted_mime,
        schema_dir=runtime.settings.seda_schema_dir,
        progress=progress,
    )
    if run_jobs and report.job_ids:
        run_jobs_now(runtime, report.job_ids)
    return report


def import_zipped_bag(runtime: Runtime, principal: Principal, archive: Path) -> transfers.ImportReport:
    """A bag sent as a zip (the API): unpacked with limits into a private folder, imported, removed."""
    require(principal, Action.transfer_import)
    spool = runtime.settings.resolved_data_dir / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="import-", dir=spool))
    try:
        bag = transfers.unpack_bag_zip(archive, work / "bag", max_bytes=runtime.settings.max_upload_bytes)
        return import_bag(runtime, principal, bag)
    finally:
        shutil.rmtree(work, ignore_errors=True)
