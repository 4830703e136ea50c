"""Everything the intake needs at run time: the core backends plus the extractor, and the job handlers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from dms.backends import Backends, open_backends
from dms.indexing import index_record_job
from dms.jobs import Handler
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

    def handlers(self) -> dict[str, Handler]:
        from ingest.ocr import OCR_JOB, ocr_pdfa_job
        from ingest.pipeline import extract_file_job

        return {
            INDEX_JOB: partial(index_record_job, self.backends),
            EXTRACT_JOB: partial(extract_file_job, self),
            OCR_JOB: partial(ocr_pdfa_job, self),
        }


def open_runtime(settings: Settings) -> Runtime:
    return Runtime(
        backends=open_backends(settings),
        extractor=open_extractor(
            settings.tika_url, ocr_languages=settings.ocr_languages, timeout=settings.extraction_timeout_s
        ),
    )
