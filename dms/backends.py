"""The backends chosen by the settings' URLs, opened once per process and shared by API, CLI and workers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from dms.blobs import BlobStore, open_blob_store
from dms.db import get_engine
from dms.search import SearchIndex, open_search_index
from dms.settings import Settings


@dataclass
class Backends:
    settings: Settings
    engine: Engine
    blobs: BlobStore
    search: SearchIndex


def open_backends(settings: Settings) -> Backends:
    data_dir = settings.resolved_data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    return Backends(
        settings=settings,
        engine=get_engine(settings.resolved_database_url),
        blobs=open_blob_store(settings.resolved_blob_url),
        search=open_search_index(settings.search_url, data_dir=data_dir, index_name=settings.search_index_name),
    )
