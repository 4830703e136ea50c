"""Everything the intake needs at run time: the core backends plus the extractor, and the job handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from dms.backends import Backends, open_backends
from dms.indexing import index_record_job
from dms.jobs import Handler
from dms.library.catalog import handlers as library_handlers
from dms.records import EXTRACT_JOB, INDEX_JOB
from dms.settings import Settings
from ingest.extraction import Extractor, open_extractor


@dataclass
class Runtime:
    backends: Backends
    extractor: Extractor

    @property
    def settings(self) -> Settings:
        return self.backends.settings

    @property
    def job_lease(self) -> timedelta:
        return timedelta(seconds=self.settings.job_lease_s)

    def handlers(self) -> dict[str, Handler]:
        from ingest.ocr import OCR_JOB, ocr_pdfa_job
        from ingest.pipeline import extract_file_job

        return {
            INDEX_JOB: partial(index_record_job, self.backends),
            EXTRACT_JOB: partial(extract_file_job, self),
            OCR_JOB: partial(ocr_pdfa_job, self),
            **library_handlers(self.backends),  # catalog items into the search index (dms/library)
            **retention_handlers(self.backends),  # scheduled sweep, destroyed records' blobs (dms/retention)
        }


def retention_handlers(backends: Backends) -> dict[str, Handler]:
    """The scheduled sweep and the deletion of destroyed records' blobs (dms/retention.py, dms/disposition.py)."""
    from dms.disposition import DELETE_BLOB_JOB, delete_blob_job
    from dms.retention import SWEEP_JOB, sweep_job

    return {SWEEP_JOB: partial(sweep_job, backends.engine), DELETE_BLOB_JOB: partial(delete_blob_job, backends)}


def open_runtime(settings: Settings) -> Runtime:
    return Runtime(
        backends=open_backends(settings),
        extractor=open_extractor(
            settings.tika_url, ocr_languages=settings.ocr_languages, timeout=settings.extraction_timeout_s
        ),
    )
